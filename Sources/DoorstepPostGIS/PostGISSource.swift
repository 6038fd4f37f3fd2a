import DoorstepStore
import Foundation

/// Lends read-only `PostGISStore`s to many threads (the HTTP service), and hears when the store changes.
///
/// Each `withReader` runs in one REPEATABLE READ READ ONLY transaction: the whole body (a snapshot load reading
/// stations, layers and the network) sees one committed state, and a half-finished import is never seen.
///
/// Changes: imports (Doorstep's, or any SQL client's, through the tables' trigger) `NOTIFY doorstep` with the schema
/// as payload when they commit. `watch` starts a thread with a connection of its own that `LISTEN`s and calls the
/// handler for this schema's notifications. On a hot standby (a streaming replica, where LISTEN is refused) the thread
/// polls the generation once a second instead, and after a lost connection it reconnects and calls the handler once
/// (notifications may have been missed meanwhile).
///
/// `@unchecked Sendable`: the mutable members (`idle`, `epoch`, `storeID`, `watchers`, `listening`) are read and
/// written only with `lock` held, never across SQL; a `PostGISStore` is either in `idle` or lent to one caller.
public final class PostGISSource: @unchecked Sendable {
    public let address: PostGISAddress
    public let maxIdle: Int
    private let lock = NSLock()
    private var idle: [PostGISStore] = []
    private var epoch = 0
    private var storeID: String
    private var watchers: [@Sendable () -> Void] = []
    private var listening = false

    public init(address: PostGISAddress, maxIdle: Int = 16) throws {
        self.address = address
        self.maxIdle = max(1, maxIdle)
        let first = try PostGISStore(address: address, readOnly: true)
        storeID = try first.storeID()
        idle = [first]
    }

    private func checkOut() throws -> (PostGISStore, Int) {
        if let (store, e) = lock.withLock({ idle.popLast().map { ($0, epoch) } }) { return (store, e) }
        let e = lock.withLock { epoch }
        return (try PostGISStore(address: address, readOnly: true), e)
    }

    private func checkIn(_ store: PostGISStore, epoch lent: Int) {
        guard store.connection.isHealthy, !store.connection.inTransaction else { return }
        lock.withLock {
            if lent == epoch && idle.count < maxIdle { idle.append(store) }
        }
    }

    /// Starts listening (once) and calls `handler` on every change committed to this store.
    public func watch(_ handler: @escaping @Sendable () -> Void) {
        let start = lock.withLock {
            watchers.append(handler)
            defer { listening = true }
            return !listening
        }
        guard start else { return }
        let weak = WeakSource(self)
        let thread = Thread { PostGISSource.listen(weak) }
        thread.name = "doorstep.postgis.listen"
        thread.start()
    }

    private func notifyWatchers() {
        for handler in lock.withLock({ watchers }) { handler() }
    }

    /// The listening loop: LISTEN and wait on the socket, or poll the generation on a standby; reconnect on failure.
    /// It holds the source weakly, so a source no one uses any more ends its thread within a second.
    private static func listen(_ weakSource: WeakSource) {
        var failures = 0
        while let address = weakSource.source?.address {
            do {
                let connection = try Connection(conninfo: address.conninfo, name: address.displayName)
                if failures > 0 { weakSource.source?.notifyWatchers() } // changes may have come while it was down
                failures = 0
                let standby = try connection.scalar("SELECT pg_is_in_recovery()") == "t"
                if standby {
                    try connection.execute("SET search_path TO \(Connection.identifier(address.schema)), public, postgis")
                } else {
                    try connection.execute("LISTEN doorstep")
                }
                var last = standby ? try connection.scalar("SELECT value FROM doorstep_meta WHERE key = 'generation'") : nil
                while let source = weakSource.source {
                    if standby {
                        // A hot standby refuses LISTEN: read the generation once a second.
                        Thread.sleep(forTimeInterval: 1)
                        let now = try connection.scalar("SELECT value FROM doorstep_meta WHERE key = 'generation'")
                        if now != last {
                            last = now
                            source.notifyWatchers()
                        }
                        continue
                    }
                    var fd = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
                    let ready = Foundation.poll(&fd, 1, 1000)
                    if ready < 0 && errno != EINTR { throw PostGISError("waiting for notifications: \(String(cString: strerror(errno)))") }
                    if try connection.notifications().contains(where: { $0.channel == "doorstep" && $0.payload == address.schema }) {
                        source.notifyWatchers()
                    }
                }
            } catch {
                failures += 1
                Thread.sleep(forTimeInterval: min(5, 0.2 * Double(failures)))
            }
        }
    }
}

/// The listening thread's hold on its source.
private final class WeakSource: @unchecked Sendable {
    weak var source: PostGISSource?
    init(_ source: PostGISSource) { self.source = source }
}

extension PostGISSource: StoreSource {
    public var name: String { address.displayName }
    public var identity: String { lock.withLock { storeID } }

    public func withReader<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        let (store, lent) = try checkOut()
        let value = try store.read { try body(store) }
        checkIn(store, epoch: lent)
        return value
    }

    /// When the schema now holds another store (dropped and made again), retires every connection to the old one.
    public func reopenIfReplaced() throws -> Bool {
        let (store, lent) = try checkOut()
        let now = try store.storeID()
        checkIn(store, epoch: lent)
        let replaced = lock.withLock {
            guard now != storeID else { return false }
            storeID = now
            epoch += 1
            idle.removeAll()
            return true
        }
        return replaced
    }

    public func checkReadiness() throws {
        try PostGISStore(address: address, readOnly: true).checkReadiness()
    }
}
