import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1 that records every request and answers as the test scripts it:
/// a status (with headers such as `Retry-After`), no answer at all (`hang`), or a closed connection (`close`).
///
/// ```swift
/// let receiver = try await HTTPReceiver.start()           // port 0: the system picks a free port
/// receiver.script(.status(429, headers: [("Retry-After", "3")]), .status(200))
/// ... send to receiver.url("/hook") ...
/// let requests = try await receiver.waitForRequests(count: 2, timeout: .seconds(5))
/// try await receiver.stop()                              // down: connections refused
/// try await receiver.restart()                           // up again on the same port
/// ```
///
/// Every accessor is thread-safe. Replies come from the script (one per request, in arrival order), then
/// from the responder (if set), then the default (`200`).
public final class HTTPReceiver: Sendable {
    /// How the receiver answers one request.
    public enum Reply: Sendable, Equatable {
        /// A response with this status, headers and body.
        case status(Int, headers: [Header] = [], body: String = "")
        /// Never answers; the connection stays open until the client gives up or the receiver stops.
        case hang
        /// Closes the connection without answering.
        case close

        /// `200 OK`, empty body.
        public static let ok = Reply.status(200)
    }

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One request as it arrived.
    public struct Request: Sendable {
        public var method: String
        /// The request target: path and query (`/hook?x=1`).
        public var path: String
        /// In arrival order, names as sent.
        public var headers: [Header]
        public var body: [UInt8]
        /// Wall-clock arrival time (to measure latency against timestamps recorded elsewhere).
        public var receivedAt: Date
        /// Monotonic arrival time (to measure intervals between requests, such as a `Retry-After` delay).
        public var arrivedAt: ContinuousClock.Instant
        /// The reply the receiver chose for it.
        public var reply: Reply
        /// Which connection it came on (numbered from 1 per receiver, across restarts).
        public var connection: Int

        /// The first header named `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
    }

    private struct State {
        var port: Int
        var server: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
        var connectionCount = 0
        var requests: [Request] = []
        var script: [Reply] = []
        var defaultReply: Reply = .ok
        var responder: (@Sendable (Request) -> Reply?)?
    }

    private let state: Mutex<State>
    private let group: MultiThreadedEventLoopGroup

    /// A receiver that is not listening yet; `start()` binds `port` (0: a free port the system picks).
    public init(port: Int = 0) {
        state = Mutex(State(port: port))
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// A listening receiver.
    public static func start(port: Int = 0) async throws -> HTTPReceiver {
        let receiver = HTTPReceiver(port: port)
        try await receiver.start()
        return receiver
    }

    deinit {
        let group = self.group
        group.shutdownGracefully { _ in }
    }

    // MARK: Lifecycle

    /// Starts listening on the port given (or, after a stop, the port it had). Recorded requests are kept.
    public func start() async throws {
        let port = state.withLock { $0.port }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = self.opened(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(Handler(receiver: self, connection: number))
                }
            }
        let server = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        state.withLock {
            $0.server = server
            $0.port = server.localAddress?.port ?? port
        }
    }

    /// Stops listening and closes every open connection (hanging ones included): clients now see
    /// connection refused. Recorded requests and the script are kept.
    public func stop() async throws {
        let (server, connections) = state.withLock { s -> (Channel?, [Channel]) in
            let taken = (s.server, Array(s.connections.values))
            s.server = nil
            s.connections = [:]
            return taken
        }
        for connection in connections { try? await connection.close() }
        try await server?.close()
    }

    /// Starts again on the same port after `stop()` (an outage that ends).
    public func restart() async throws {
        try await start()
    }

    /// Stops and releases the event loop; the receiver cannot start again.
    public func shutdown() async throws {
        try await stop()
        try await group.shutdownGracefully()
    }

    public var isRunning: Bool { state.withLock { $0.server != nil } }

    /// The bound port (the actual one when started with 0).
    public var port: Int { state.withLock { $0.port } }

    /// `http://127.0.0.1:<port><path>`
    public func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    // MARK: Script

    /// Replies for the next requests, one each in arrival order (appended to what is still scripted).
    public func script(_ replies: Reply...) { script(replies) }

    public func script(_ replies: [Reply]) { state.withLock { $0.script += replies } }

    /// The reply for requests the script does not cover and the responder declines.
    public func setDefault(_ reply: Reply) { state.withLock { $0.defaultReply = reply } }

    /// Decides replies from the request itself after the script runs out (nil: the default).
    public func setResponder(_ responder: (@Sendable (Request) -> Reply?)?) { state.withLock { $0.responder = responder } }

    // MARK: Requests

    /// Every request so far, in arrival order.
    public var requests: [Request] { state.withLock { $0.requests } }

    public var requestCount: Int { state.withLock { $0.requests.count } }

    /// Forgets the recorded requests.
    public func clearRequests() { state.withLock { $0.requests = [] } }

    /// The first `count` requests once that many have arrived; throws `Timeout` (saying how many came) if
    /// they do not within `timeout`.
    @discardableResult
    public func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [Request] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let requests = self.requests
            if requests.count >= count { return Array(requests.prefix(count)) }
            if clock.now >= deadline {
                throw Timeout(description: "expected \(count) requests within \(timeout), got \(requests.count)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: Connections

    private func opened(_ channel: Channel) -> Int {
        let number = state.withLock { s -> Int in
            s.connectionCount += 1
            s.connections[ObjectIdentifier(channel)] = channel
            return s.connectionCount
        }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return number
    }

    /// Records a complete request and picks its reply.
    fileprivate func received(method: String, path: String, headers: [Header], body: [UInt8], connection: Int) -> Reply {
        state.withLock { s in
            var request = Request(method: method, path: path, headers: headers, body: body, receivedAt: Date(),
                                  arrivedAt: ContinuousClock().now, reply: s.defaultReply, connection: connection)
            if !s.script.isEmpty {
                request.reply = s.script.removeFirst()
            } else if let responder = s.responder, let reply = responder(request) {
                request.reply = reply
            }
            s.requests.append(request)
            return request.reply
        }
    }

    /// One connection: gathers each request, then answers as scripted.
    private final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let receiver: HTTPReceiver
        let connection: Int
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        /// After a `hang`, later requests on the connection are ignored too (HTTP/1.1 answers in order).
        var hanging = false

        init(receiver: HTTPReceiver, connection: Int) {
            self.receiver = receiver
            self.connection = connection
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head, !hanging else { return }
                self.head = nil
                let reply = receiver.received(method: head.method.rawValue, path: head.uri,
                                              headers: head.headers.map { Header($0.name, $0.value) },
                                              body: body, connection: connection)
                switch reply {
                case .hang:
                    hanging = true
                case .close:
                    context.close(promise: nil)
                case .status(let code, let extra, let text):
                    var headers = HTTPHeaders()
                    for header in extra { headers.add(name: header.name, value: header.value) }
                    headers.replaceOrAdd(name: "Content-Length", value: String(text.utf8.count))
                    let keepAlive = head.isKeepAlive
                    if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
                    let status = HTTPResponseStatus(statusCode: code)
                    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                                  promise: nil)
                    if !text.isEmpty {
                        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                    }
                    if keepAlive {
                        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    } else {
                        let channel = context.channel
                        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
                    }
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
