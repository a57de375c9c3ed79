#!/usr/bin/python3
"""A real SMTP server for the email sink's tests (aiosmtpd, Debian python3-aiosmtpd or PyPI aiosmtpd).

Listens on 127.0.0.1 on a free port and prints "PORT <n>" once it accepts connections. Offers STARTTLS
with the given certificate and AUTH (only over TLS, only the given mechanisms). Each accepted mail is saved
as <n>.eml (the raw message as received, dot-stuffing undone) and <n>.json (envelope, whether the session
was under TLS, how it authenticated). Recipients starting with "tempfail" get 451, "nouser" get 550.
Stops on SIGTERM or when standard input closes.
"""
import argparse, asyncio, json, os, signal, ssl, sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# A parent may start us with signals blocked (Foundation's Process inherits its thread's mask): unblock
# them, or SIGTERM would never stop us.
signal.pthread_sigmask(signal.SIG_SETMASK, set())

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--user", default="trailwatch")
parser.add_argument("--password", default="s3cret")
parser.add_argument("--mechanisms", default="PLAIN,LOGIN", help="AUTH mechanisms offered")
parser.add_argument("--no-auth", action="store_true")
args = parser.parse_args()

counter = 0


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("tempfail"):
            return "451 4.3.0 try again later"
        if address.startswith("nouser"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        global counter
        counter += 1
        base = os.path.join(args.dir, str(counter))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "auth": getattr(session, "tw_auth", None),
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 queued as %d" % counter


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
        and auth_data.password.decode() == args.password
    if ok:
        session.tw_auth = {"mechanism": mechanism, "login": auth_data.login.decode(), "tls": session.ssl is not None}
    return AuthResult(success=ok, handled=False)


async def main():
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    offered = set(args.mechanisms.split(","))
    exclude = [m for m in ("PLAIN", "LOGIN") if m not in offered]
    loop = asyncio.get_running_loop()
    factory = lambda: SMTP(Handler(), hostname="trailwatch-test", tls_context=context, require_starttls=False,
                           authenticator=None if args.no_auth else authenticator, auth_required=False,
                           auth_require_tls=True, auth_exclude_mechanism=exclude, decode_data=False,
                           enable_SMTPUTF8=False)
    server = await loop.create_server(factory, host="127.0.0.1", port=0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.buffer.read1(4096) or stop.set()))
    await stop.wait()
    server.close()


asyncio.run(main())
