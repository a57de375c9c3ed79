#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TrailwatchCore

/// Where a secret (a token, a password, a webhook URL with a key in it) is kept: never in the configuration.
///
/// The configuration names a file (`"token_file"`) or a systemd credential (`"token_credential"`, read from
/// `$CREDENTIALS_DIRECTORY`, which `LoadCredential=` fills); the secret itself is read only when needed, so
/// it never sits in the configuration, in its errors, or in logs.
public enum SecretReference: Sendable, Hashable, CustomStringConvertible {
    /// An absolute path.
    case file(String)
    /// A credential name: the file `$CREDENTIALS_DIRECTORY/<name>`.
    case credential(String)

    /// The secret's bytes, trailing newlines (`\n`, `\r`) removed.
    /// The error names the file or credential, never any of its content.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> [UInt8] {
        let path: String
        switch self {
        case .file(let p):
            path = p
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else {
                throw SecretError(message: "credential \(JSONValue.string(name).description) cannot be read: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a service with LoadCredential=\(name):FILE; to check by hand, set it to the directory holding the credential)")
            }
            path = PathText.clean(directory + "/" + name)
        }
        var bytes: [UInt8]
        switch FileBytes.read(path, limit: 1 << 20) {
        case .success(let b): bytes = b
        case .failure(let error):
            let what = if case .credential(let name) = self { "credential \(JSONValue.string(name).description) (\(path))" } else { "secret file \(path)" }
            throw SecretError(message: "cannot read \(what): \(FileBytes.message(error.code))")
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw SecretError(message: "\(self) is empty")
        }
        return bytes
    }

    /// Names the place, never the secret: `secret file /etc/trailwatch/slack.token`, `credential "slack"`.
    public var description: String {
        switch self {
        case .file(let path): "secret file \(path)"
        case .credential(let name): "credential \(JSONValue.string(name).description)"
        }
    }
}

/// Why a secret could not be read; the message names the file or credential only.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension ConfigDecoder {
    /// The members a block must list (in `BlockType.members`) to take the secret `name`: the inline `name`
    /// (so it is reported as inline rather than unknown), `name_file` and `name_credential`.
    public static func secretMembers(_ name: String) -> Set<String> {
        [name, name + "_file", name + "_credential"]
    }

    /// Reads secret `name` from `object`: `"<name>_file": PATH` (relative to the configuration's directory)
    /// or `"<name>_credential": NAME` (in `$CREDENTIALS_DIRECTORY`). An inline `"<name>"` is an error.
    /// The secret is read once here, so a missing or unreadable one is reported where it is configured
    /// (the bytes are dropped; `resolve` reads it again when it is used).
    public mutating func decodeSecret(in object: ConfigObject, named name: String, required: Bool = true) -> SecretReference? {
        let fileKey = name + "_file", credentialKey = name + "_credential"
        let choices = "use \(JSONValue.string(fileKey).description) or \(JSONValue.string(credentialKey).description)"
        let inline = object.members.first { $0.key == name }
        if let inline {
            report(inline.keyLocation, object.path[name], "secrets are never written inline: \(choices)")
        }
        let given = object.members.filter { $0.key == fileKey || $0.key == credentialKey }
        if given.count > 1 {
            report(given[1].keyLocation, object.path[given[1].key],
                   "give only one of \(JSONValue.string(fileKey).description) and \(JSONValue.string(credentialKey).description)")
            return nil
        }
        guard let member = given.first else {
            if required && inline == nil {
                report(object.location, object.path[name], "required: \(choices) (a file holding the secret, or a systemd credential name)")
            }
            return nil
        }
        let path = object.path[member.key]
        let reference: SecretReference
        if member.key == fileKey {
            guard let file = decodePath(member.value, at: path, file: true) else { return nil }
            reference = .file(file)
        } else {
            guard let credential = decodeName(member.value, at: path, what: "credential") else { return nil }
            reference = .credential(credential)
        }
        do {
            _ = try reference.resolve(environment: environment)
        } catch {
            report(member.value.location, path, error.message)
            return nil
        }
        return inline == nil ? reference : nil
    }
}

/// Whole small files read with POSIX calls, so a failure gives its errno for the message.
public enum FileBytes {
    /// The file's bytes, or errno (`EFBIG` beyond `limit` bytes).
    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Errno> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Errno(code: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(code: errno))
            }
            if n == 0 { return .success(out) }
            out += buffer[0..<n]
            if out.count > limit { return .failure(Errno(code: EFBIG)) }
        }
    }

    public struct Errno: Error {
        public var code: Int32
    }

    /// `strerror(code)`: "No such file or directory".
    public static func message(_ code: Int32) -> String { String(cString: strerror(code)) }
}
