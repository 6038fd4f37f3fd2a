import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import CSpatiaLite
import Foundation

/// The raw sqlite3 handle; only DoorstepSpatiaLite sees it.
package typealias SQLiteConnection = OpaquePointer

/// One SQLite connection with SpatiaLite loaded, owning its handle and SpatiaLite cache.
///
/// Not `Sendable`: a connection is used by one task at a time. `DatabasePool` is the shared front door.
public final class Database {
    package let handle: SQLiteConnection
    private let spatialiteCache: UnsafeMutableRawPointer?
    private var isClosed = false
    /// Path of the file on disk, or ":memory:".
    public let path: String
    private var statementCache: [String: Statement] = [:]

    private static let initialize: Void = {
        _ = doorstep_sqlite_disable_memstatus()
        spatialite_initialize()
    }()

    /// Opens (creating when `readOnly` is false) the database at `path` and loads SpatiaLite into the connection.
    /// `immutable` opens it read-only as a file nobody changes: SQLite then creates no `-wal`/`-shm` beside it and
    /// writes nothing, whatever its journal mode (for looking at a file before deciding to write to it).
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws {
        _ = Database.initialize
        self.path = path
        var db: SQLiteConnection?
        var flags = (readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        var name = path
        if immutable {
            flags |= SQLITE_OPEN_URI
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "?#%")
            name = "file:" + (path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path) + "?mode=ro&immutable=1"
        }
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            // sqlite3_open_v2 hands back a handle even on failure; it must be closed.
            sqlite3_close_v2(db)
            throw DatabaseError(code: rc, message: "cannot open \(path): \(message)")
        }
        handle = db
        spatialiteCache = spatialite_alloc_connection()
        spatialite_init_ex(db, spatialiteCache, 0)
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 10_000)
        if !readOnly && !immutable && path != ":memory:" {
            try execute("PRAGMA journal_mode=WAL")
            try execute("PRAGMA synchronous=NORMAL")
        }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit { close() }

    /// Closes the connection (SQLite checkpoints and removes the `-wal` and `-shm` files when it is the last one).
    /// Nothing may use the database afterwards; `Store.writing` closes before it removes a file it created.
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        statementCache.removeAll()
        sqlite3_close_v2(handle)
        if let spatialiteCache { spatialite_cleanup_ex(spatialiteCache) }
    }

    /// Turns a result code into an error; the one place this happens.
    @discardableResult
    package func check(_ rc: Int32, sql: String? = nil) throws -> Int32 {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE: return rc
        default: throw DatabaseError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
    }

    /// Runs one or more statements that take no arguments and return no rows of interest.
    public func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw DatabaseError(code: rc, message: message, sql: sql)
        }
    }

    /// A new prepared statement.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// A prepared statement kept for the life of the connection (reset before it is handed out).
    public func cached(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            statement.reset()
            return statement
        }
        let statement = try prepare(sql)
        statementCache[sql] = statement
        return statement
    }

    /// Runs `body` inside a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// True inside a transaction (a write opened by `transaction`, or a read).
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside a read transaction so every query in it sees one snapshot of the file.
    /// Inside a transaction already (a read nested in a write, or in another read) it simply runs `body` in that one.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if sqlite3_get_autocommit(handle) == 0 { return try body() }
        try run("BEGIN DEFERRED")
        defer { try? run("COMMIT") }
        return try body()
    }

    /// Runs a statement without arguments or rows through the statement cache (no parsing after the first time).
    package func run(_ sql: String) throws {
        let statement = try cached(sql)
        defer { statement.reset() }
        _ = try statement.step()
    }

    /// The single value of the first row, or nil.
    public func scalarInt(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int64? {
        let statement = try cached(sql)
        try statement.bind(arguments)
        // Reset at once: a statement left on a row keeps its read snapshot open (WAL), and a long-lived connection
        // (the HTTP service's pool) would then never see a later import.
        defer { statement.reset() }
        return try statement.step() ? statement.optionalInt(0) : nil
    }

    /// The single text of the first row, or nil.
    public func scalarText(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        let statement = try cached(sql)
        try statement.bind(arguments)
        defer { statement.reset() } // see scalarInt
        return try statement.step() ? statement.optionalText(0) : nil
    }

    /// Number of rows the last statement changed.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// SQL of the statements prepared on this connection and not yet finalized, leaving out those SQLite's R*Tree
    /// module keeps open for each spatial index it has touched (on its `_node`, `_rowid`, `_parent` tables), which
    /// live as long as the connection or until the schema changes. Tests assert that nothing else leaks.
    public var openStatements: [String] {
        var out = [String]()
        var next = sqlite3_next_stmt(handle, nil)
        while let s = next {
            let sql = sqlite3_sql(s).map { String(cString: $0) } ?? ""
            let isRTreeInternal = ["_node", "_rowid", "_parent"].contains { sql.contains($0 + "'") || sql.contains($0 + "\"") }
            if !isRTreeInternal { out.append(sql) }
            next = sqlite3_next_stmt(handle, s)
        }
        return out
    }

    /// Drops the statements this connection keeps prepared.
    public func clearStatementCache() { statementCache.removeAll() }
}

@available(*, unavailable)
extension Database: Sendable {}
