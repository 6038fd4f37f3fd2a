import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation

/// A pool of read-only `Store`s on one database file, shared by concurrent readers (the HTTP service).
///
/// `withStore` lends a connection to one caller at a time; connections are opened on demand (about 1 ms) when none
/// is idle and at most `maxIdle` are kept. `reopenIfReplaced()` notices when the path now names another file (the
/// database was deleted and created again, as `make run` does) and makes every later read use the new file.
///
/// Plain re-imports into the same file need nothing: in WAL mode every read transaction sees the last committed
/// import, and an import is one transaction, so half of one is never seen.
///
/// `@unchecked Sendable` is safe because every mutable member (`idle`, `epoch`, `fileID`) is read and written only
/// while `lock` is held, and a `Store` (not `Sendable`: one SQLite connection opened with `SQLITE_OPEN_NOMUTEX`) is
/// either in `idle`, reachable by no caller, or lent to exactly one caller inside `withStore`, never both: SQLite's
/// multi-thread mode allows a connection to move between threads as long as two threads never use it at once. The
/// lock is held only to push or pop an array element, never during SQL.
public final class StorePool: @unchecked Sendable {
    /// The database file.
    public let path: String
    /// Idle connections kept for reuse.
    public let maxIdle: Int

    private let lock = NSLock()
    private var idle: [Store] = []
    /// Bumped by `reopenIfReplaced`; a connection lent out under an older epoch is closed when it comes back.
    private var epoch = 0
    private var fileID: FileIdentity?

    /// Opens one connection at once, so a missing or foreign file fails here rather than on the first request.
    public init(path: String, maxIdle: Int = 16) throws {
        self.path = path
        self.maxIdle = max(1, maxIdle)
        let first = try Store(path: path, readOnly: true)
        fileID = FileIdentity(path: path)
        idle = [first]
    }

    /// The file at the path now, as device and inode ("" when there is none): another file put in its place has
    /// another identity, whatever its content.
    public var fileIdentity: String {
        FileIdentity(path: path).map { "\(String($0.device, radix: 36)).\(String($0.inode, radix: 36))" } ?? ""
    }

    /// Runs `body` with a connection of its own. A connection whose work threw is closed rather than reused.
    public func withStore<T>(_ body: (Store) throws -> T) throws -> T {
        let (store, lentEpoch) = try checkOut()
        // On a throw `store` is simply dropped, which closes it.
        let value = try body(store)
        checkIn(store, epoch: lentEpoch)
        return value
    }

    private func checkOut() throws -> (Store, Int) {
        lock.lock()
        let currentEpoch = epoch
        if let store = idle.popLast() {
            lock.unlock()
            return (store, currentEpoch)
        }
        lock.unlock()
        return (try Store(path: path, readOnly: true), currentEpoch)
    }

    private func checkIn(_ store: Store, epoch lentEpoch: Int) {
        lock.lock()
        let keep = lentEpoch == epoch && idle.count < maxIdle
        if keep { idle.append(store) }
        lock.unlock()
        // A connection not kept is closed here, outside the lock, when `store` goes out of scope.
    }

    /// When the path names a different file than the one the pool opened (deleted and created again), opens the new
    /// file and retires every connection to the old one; returns true then. While the new file cannot be opened yet
    /// (being created, schema not written) it throws and the pool keeps reading the old file.
    @discardableResult
    public func reopenIfReplaced() throws -> Bool {
        let now = FileIdentity(path: path)
        lock.lock()
        let same = now == fileID || now == nil
        lock.unlock()
        if same { return false }
        let fresh = try Store(path: path, readOnly: true)
        lock.lock()
        let retired = idle
        idle = [fresh]
        epoch += 1
        fileID = now
        lock.unlock()
        _ = retired // closed here, outside the lock
        return true
    }

    /// Connections idle in the pool (for tests and `/health`).
    public var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.count
    }
}

/// Device and inode of a file: what tells a file from another created later under the same path.
package struct FileIdentity: Hashable {
    package let device: UInt64
    package let inode: UInt64

    package init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

extension StorePool: StoreSource {
    public var name: String { path }
    public var identity: String { fileIdentity }

    public func withReader<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try withStore { try body($0) }
    }

    /// Ready when the file at the path is there, a fresh connection opens it (pooled ones keep pages cached, so a
    /// file overwritten in place could still look fine to them) and the database reads (`Store.checkReadiness`).
    public func checkReadiness() throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreUnavailable("the database file is missing") }
        try Store(path: path, readOnly: true).checkReadiness()
    }
}
