import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import CSpatiaLite
import Foundation

/// SQLite's values are the model's field values.
public typealias SQLValue = FieldValue

/// A prepared statement, finalized when released.
public final class Statement {
    private let handle: OpaquePointer
    package unowned let database: Database
    public let sql: String

    package init(database: Database, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw DatabaseError(code: rc, message: String(cString: sqlite3_errmsg(database.handle)), sql: sql)
        }
        self.handle = statement
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds values to parameters 1…n after a reset.
    public func bind(_ values: [SQLValue]) throws {
        reset()
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    public func bind(_ value: SQLValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .double(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v):
            // An explicit byte length: with -1 SQLite stops at the first NUL, and "X\u{0}1" and "X\u{0}2" would both
            // be stored as "X" (one row for two ids). A NULL pointer would bind SQL NULL, so "" gets a real one.
            var text = v
            rc = text.withUTF8 { utf8 in
                utf8.isEmpty
                    ? sqlite3_bind_text(handle, index, "", 0, doorstep_sqlite_transient())
                    : sqlite3_bind_text64(handle, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                          sqlite3_uint64(utf8.count), doorstep_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
        case .blob(let v):
            rc = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), doorstep_sqlite_transient()) }
        }
        try database.check(rc, sql: sql)
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try database.check(sqlite3_bind_double(handle, index, value), sql: sql)
    }

    public func bindNull(at index: Int32) throws {
        try database.check(sqlite3_bind_null(handle, index), sql: sql)
    }

    /// Binds `bytes` without SQLite copying them: they must stay valid and unchanged until the statement is reset
    /// (or the parameter bound again), so callers step and reset inside the closure that lends them.
    public func bindBlobUntilReset(_ bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        // SQLITE_STATIC is a null destructor. A zero-length blob still needs a non-NULL pointer (NULL binds SQL NULL).
        let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        try database.check(sqlite3_bind_blob(handle, index, base, Int32(bytes.count), nil), sql: sql)
    }

    /// Steps once; true when a row is available.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = DatabaseError(code: rc, message: String(cString: sqlite3_errmsg(database.handle)), sql: sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Binds, runs to completion, and resets.
    public func run(_ values: [SQLValue] = []) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Calls `row` for every result row.
    public func forEach(_ values: [SQLValue] = [], _ row: (Statement) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while try step() { try row(self) }
    }

    public var columnCount: Int32 { sqlite3_column_count(handle) }
    public func columnName(_ i: Int32) -> String { String(cString: sqlite3_column_name(handle, i)) }
    /// Every column's name, in order.
    public var columnNames: [String] { (0..<columnCount).map(columnName) }
    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    public func int(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    public func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    public func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
    }
    public func optionalInt(_ i: Int32) -> Int64? { isNull(i) ? nil : int(i) }
    public func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }
    public func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    public func optionalBlob(_ i: Int32) -> [UInt8]? { isNull(i) ? nil : blob(i) }
    public func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
    /// Runs `body` on the column's bytes where SQLite keeps them (valid only inside `body`; empty for NULL).
    public func withBlob<T>(_ i: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: p, count: n))
    }
    /// The column as a generic value (for dumps and tests).
    public func value(_ i: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .int(int(i))
        case SQLITE_FLOAT: return .double(double(i))
        case SQLITE_TEXT: return .text(text(i))
        case SQLITE_BLOB: return .blob(blob(i))
        default: return .null
        }
    }
}

@available(*, unavailable)
extension Statement: Sendable {}
