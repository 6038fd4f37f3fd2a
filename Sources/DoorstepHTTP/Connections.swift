#if canImport(Glibc)
import Glibc
#endif
import DoorstepGeo
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// How the server treats connections (`doorstep serve --idle-timeout --header-timeout --max-connections`).
public struct ConnectionOptions: Sendable {
    /// A keep-alive connection with no request for this long is closed (also one that connects and says nothing).
    public var idleTimeout: Duration
    /// A request whose head (request line and headers) has not fully arrived this long after its first byte is
    /// answered 408 and the connection closed (slow-header clients).
    public var headerTimeout: Duration
    /// Connections open at once; beyond this the server stops accepting until one closes (the kernel's backlog holds
    /// the rest).
    public var maxConnections: Int
    /// Connections open at once from one client address; beyond this a new one is closed at once, so one client
    /// cannot hold every slot. Behind a reverse proxy every client has the proxy's address: raise it there.
    public var maxConnectionsPerAddress: Int

    public static let defaultIdleTimeout: Duration = .seconds(60)
    public static let defaultHeaderTimeout: Duration = .seconds(10)
    public static let defaultMaxConnections = 10_000
    public static let defaultMaxConnectionsPerAddress = 256

    public init(idleTimeout: Duration = defaultIdleTimeout, headerTimeout: Duration = defaultHeaderTimeout,
                maxConnections: Int = defaultMaxConnections, maxConnectionsPerAddress: Int = defaultMaxConnectionsPerAddress) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.maxConnections = max(1, maxConnections)
        self.maxConnectionsPerAddress = max(1, maxConnectionsPerAddress)
    }

    /// The Hummingbird server of these options: HTTP/1.1 with the idle timeout, wrapped by `DoorstepHTTPChannel`.
    var server: HTTPServerBuilder {
        let options = self
        let perAddress = ConnectionsPerAddress(limit: options.maxConnectionsPerAddress)
        return HTTPServerBuilder { responder in
            DoorstepHTTPChannel(inner: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .init(options.idleTimeout))),
                                options: options, perAddress: perAddress)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (s, atto) = duration.components
        self = .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

/// Raises the soft limit of open files to the hard limit (each connection is a file; the usual soft limit of 1,024
/// is far below what a public server meets). Returns the limits now in force.
@discardableResult
public func raiseOpenFileLimit() -> (soft: UInt64, hard: UInt64) {
    #if canImport(Glibc)
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    #else
    return (0, 0)
    #endif
}

/// Hummingbird's HTTP/1.1 child channel with Doorstep's connection rules added to its pipeline:
///
/// - `RequestHeadDeadline` (first, on raw bytes): the header-read timeout, answered 408 in JSON.
/// - `HTTP1RequestGuard` (on NIO's parsed HTTP/1 parts, before the conversion to HTTP types, where the HTTP version
///   is still known): `Connection: close` for HTTP/1.0 without keep-alive, for CONNECT, and for any request that
///   declares a body (refused by `RequestGuardMiddleware`; its body is never read), so Hummingbird closes the
///   connection after the answer.
/// - `ParseErrorBody`: Hummingbird answers an unparsable request with a bare 400; this gives it the JSON error body
///   every other refusal has.
///
/// `handle` runs each connection with `ClientConnection.watch` set, so analysis work stops when its client leaves.
struct DoorstepHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let options: ConnectionOptions
    let perAddress: ConnectionsPerAddress

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = channel.remoteAddress?.ipAddress ?? ""
        if !perAddress.open(address) {
            logger.notice("refused a connection from \(address): \(perAddress.limit) already open from it")
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in perAddress.closed(address) }
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let deadline = RequestHeadDeadline(timeout: TimeAmount(options.headerTimeout))
            try pipeline.addHandler(deadline, position: .first)
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(HTTP1RequestGuard(deadline: deadline, watch: ClientWatch()), position: .before(codec))
            try pipeline.addHandler(ParseErrorBody(), position: .after(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        let watch = try? await value.channel.pipeline.handler(type: HTTP1RequestGuard.self).map(\.watch).get()
        await ClientConnection.$watch.withValue(watch) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

/// The header-read timeout: from the first byte of a request until its head is parsed. Event-loop confined (both
/// handlers that touch it sit in one channel's pipeline).
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var waitingForHead = true
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armForFirstRequest(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armForFirstRequest(context)
        context.fireChannelActive()
    }

    /// A connection that says nothing at all gets the header timeout too, not the (longer) idle timeout: holding
    /// sockets open costs an attacker nothing.
    private func armForFirstRequest(_ context: ChannelHandlerContext) {
        guard timer == nil, waitingForHead else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in expired() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if waitingForHead && timer == nil {
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in expired() }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// The head of a request was parsed.
    func headReceived() {
        waitingForHead = false
        timer?.cancel()
        timer = nil
    }

    /// The request ended; the next bytes start the next request's head.
    func requestEnded() { waitingForHead = true }

    private func expired() {
        timer = nil
        guard let context, waitingForHead else { return }
        let seconds = Double(timeout.nanoseconds) / 1e9
        let body = JSONValue.object([
            ("code", .string("request_timeout")),
            ("description", .string("the request head did not arrive within \(String(format: "%g", seconds)) s")),
        ]).jsonText
        let head = "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.utf8.count)
        buffer.writeString(head)
        buffer.writeString(body)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in context.close(promise: nil) }
    }
}

/// See `DoorstepHTTPChannel`.
final class HTTP1RequestGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let deadline: RequestHeadDeadline
    /// Told when the client closes its side or the connection goes.
    let watch: ClientWatch

    init(deadline: RequestHeadDeadline, watch: ClientWatch) {
        self.deadline = deadline
        self.watch = watch
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Hummingbird allows half-closure, so a client that closes shows first as the end of its input.
        if case ChannelEvent.inputClosed = event { watch.clientGone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.clientGone()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            deadline.headReceived()
            // No route reads a body: a request that declares one is answered (400, 405 or 413) and its connection
            // closed, so the body is never read — neither a terabyte streamed nor a byte trickled every 20 s.
            let hasBody = head.headers["transfer-encoding"].contains { !$0.isEmpty }
                || head.headers["content-length"].contains { Int($0.trimmingCharacters(in: .whitespaces)) != 0 }
            if !head.isKeepAlive || head.method == .CONNECT || hasBody {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.fireChannelRead(wrapInboundOut(.head(head)))
                return
            }
        case .end:
            deadline.requestEnded()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }
}

/// Gives Hummingbird's bare 400 for an unparsable request (`content-length: 0`, `connection: close`, no type) a
/// JSON error body. Every other response Doorstep writes has a content type.
final class ParseErrorBody: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var pending: ByteBuffer?

    static let body = JSONValue.object([
        ("code", .string("bad_request")),
        ("description", .string("the request could not be parsed as HTTP/1.1")),
    ]).jsonText

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest && head.headerFields[.contentLength] == "0"
            && head.headerFields[.contentType] == nil:
            let body = context.channel.allocator.buffer(string: Self.body)
            head.headerFields[.contentLength] = String(body.readableBytes)
            head.headerFields[.contentType] = MediaTypes.json
            pending = body
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers):
            if let body = pending {
                pending = nil
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                context.write(wrapOutboundOut(.end(trailers)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        default:
            context.write(data, promise: promise)
        }
    }
}

/// Whether the client of a connection is still there, for work that should stop when nobody will read its answer.
/// A client that closes its sending side counts as gone (browsers and HTTP libraries close both sides; a client
/// that half-closes and still waits for its answer gets none from an analysis).
///
/// `@unchecked Sendable` is safe because `gone`, `actions` and `next` are only touched with `lock` held, and the
/// actions run outside it.
final class ClientWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var gone = false
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var next = 0

    /// Runs `action` once when the client goes (at once if it has gone); returns a key for `cancel`.
    @discardableResult
    func onGone(_ action: @escaping @Sendable () -> Void) -> Int {
        let key: Int? = lock.withLock {
            if gone { return nil }
            next += 1
            actions[next] = action
            return next
        }
        guard let key else {
            action()
            return 0
        }
        return key
    }

    /// Forgets the action registered under `key`.
    func cancel(_ key: Int) {
        _ = lock.withLock { actions.removeValue(forKey: key) }
    }

    func clientGone() {
        let run = lock.withLock {
            gone = true
            defer { actions = [:] }
            return Array(actions.values)
        }
        for action in run { action() }
    }
}

/// Connections open per client address (`ConnectionOptions.maxConnectionsPerAddress`).
///
/// `@unchecked Sendable` is safe because `counts` is only touched with `lock` held.
final class ConnectionsPerAddress: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection from `address`; false when it is one too many (it is counted all the same, and
    /// `closed` uncounts it when it goes).
    func open(_ address: String) -> Bool {
        lock.withLock {
            counts[address, default: 0] += 1
            return counts[address]! <= limit
        }
    }

    func closed(_ address: String) {
        lock.withLock {
            let n = (counts[address] ?? 1) - 1
            counts[address] = n > 0 ? n : nil
        }
    }
}
