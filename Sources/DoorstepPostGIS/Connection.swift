import CPostgres
import DoorstepStore
import Foundation

/// A failure of the PostgreSQL server or of the connection to it: what failed, the SQLSTATE, and the statement.
public struct PostGISError: StoreFailure, Sendable {
    public let message: String
    /// The SQLSTATE (five characters), "" when libpq gave none (a lost connection).
    public let sqlState: String
    public let sql: String?

    public init(_ message: String, sqlState: String = "", sql: String? = nil) {
        self.message = message
        self.sqlState = sqlState
        self.sql = sql
    }

    /// Serialization failures, deadlocks, lock timeouts, a server shutting down or a connection lost: the same
    /// request may succeed soon.
    public var isTransient: Bool {
        ["40001", "40P01", "55P03", "57P01", "57P03"].contains(sqlState) || sqlState.hasPrefix("08") || sqlState.isEmpty
    }

    public var description: String { "PostgreSQL: \(message)" }
}

/// One libpq connection (text protocol). Not `Sendable`: used by one thread at a time, as a `StoreReader` is.
package final class Connection {
    private let handle: OpaquePointer
    /// Where it is connected, without a password: for messages.
    package let name: String

    /// Connects with libpq's connection string or URI; libpq fills what it leaves out from the `PG*` environment
    /// variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE …) and ~/.pgpass.
    package init(conninfo: String, name: String) throws {
        self.name = name
        guard let handle = PQconnectdb(conninfo) else { throw PostGISError("\(name): libpq could not allocate a connection") }
        self.handle = handle
        guard PQstatus(handle) == CONNECTION_OK else {
            // Every member is set: deinit runs and finishes the handle.
            let message = Connection.text(PQerrorMessage(handle))
            throw PostGISError("cannot connect to \(name): \(message)", sqlState: "08001")
        }
        // Numbers as text in their shortest exact form (the default since PostgreSQL 12; said here, not assumed),
        // and notices (a DROP … IF EXISTS that had nothing to drop) not printed on the terminal.
        try execute("SET extra_float_digits = 1; SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// True while the connection is usable (a pool drops it otherwise).
    package var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) != PQTRANS_UNKNOWN }

    /// True inside a transaction block.
    package var inTransaction: Bool {
        let s = PQtransactionStatus(handle)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE
    }

    /// The socket, for waiting on notifications.
    package var socket: Int32 { PQsocket(handle) }

    private static func text(_ p: UnsafePointer<CChar>?) -> String {
        p.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    private func failure(_ result: OpaquePointer?, sql: String) -> PostGISError {
        let message = result.flatMap { PQresultErrorMessage($0) }.map { Connection.text($0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? Connection.text(PQerrorMessage(handle))
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        return PostGISError(message, sqlState: state, sql: sql)
    }

    /// Runs one or more statements without parameters.
    package func execute(_ sql: String) throws {
        try finishPending()
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(result, sql: sql) }
    }

    /// Runs one statement with text parameters (nil is NULL) and returns every row: as text, or with `binaryResult`
    /// in the binary format (`Rows.raw`: a `bytea` comes as its bytes).
    @discardableResult
    package func query(_ sql: String, _ parameters: [String?] = [], binaryResult: Bool = false) throws -> Rows {
        try finishPending()
        let result = try withParameters(parameters) { count, values in
            PQexecParams(handle, sql, count, nil, values, nil, nil, binaryResult ? 1 : 0)
        }
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK, let result else {
            defer { PQclear(result) }
            throw failure(result, sql: sql)
        }
        return Rows(result)
    }

    /// The first column of the first row, or nil (no row, or NULL).
    package func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        let rows = try query(sql, parameters)
        return rows.count > 0 ? rows.text(0, 0) : nil
    }

    /// Streams the rows of one statement one at a time (libpq's single-row mode): memory does not grow with the
    /// table. `body` sees each row as a one-row `Rows`.
    package func forEach(_ sql: String, _ parameters: [String?] = [], _ body: (Rows) throws -> Void) throws {
        try finishPending()
        let sent = try withParameters(parameters) { count, values in
            PQsendQueryParams(handle, sql, count, nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw PostGISError(Connection.text(PQerrorMessage(handle)), sql: sql) }
        PQsetSingleRowMode(handle)
        var failed: (any Error)?
        while let result = PQgetResult(handle) {
            let rows = Rows(result)
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                // After a failure in `body` the remaining rows are drained unread, so the connection stays usable.
                if failed == nil {
                    do { try body(rows) } catch { failed = error }
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                break
            default:
                if failed == nil { failed = failure(result, sql: sql) }
            }
        }
        if let failed { throw failed }
    }

    /// Runs one statement with a text parameter `$1` and a binary one `$2` (raw bytes, for a `bytea`), sent as they
    /// are: no hex text twice their size.
    package func execute(_ sql: String, _ text: String, bytes: UnsafeRawBufferPointer) throws {
        try finishPending()
        let result = text.withCString { t in
            var values: [UnsafePointer<CChar>?] = [t, bytes.baseAddress?.assumingMemoryBound(to: CChar.self) ?? t]
            var lengths: [Int32] = [0, Int32(bytes.count)]
            var formats: [Int32] = [0, 1]
            return PQexecParams(handle, sql, 2, nil, &values, &lengths, &formats, 0)
        }
        defer { PQclear(result) }
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw failure(result, sql: sql) }
    }

    private func withParameters<R>(_ parameters: [String?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R) throws -> R {
        var pointers = [UnsafeMutablePointer<CChar>?]()
        pointers.reserveCapacity(parameters.count)
        for p in parameters { pointers.append(p.map { strdup($0) }) }
        defer { for p in pointers { free(p) } }
        return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { body(Int32(parameters.count), $0.baseAddress) }
    }

    /// Work to finish before the next statement: an open `COPY` to end (and what follows it). Set by `startCopy`'s
    /// callers; every statement method runs it first, so a copy never meets another command.
    package var beforeNextStatement: (finish: () throws -> Void, abandon: () -> Void)?

    private func finishPending() throws {
        guard let pending = beforeNextStatement else { return }
        beforeNextStatement = nil
        try pending.finish()
    }

    /// Runs `body` in a transaction opened with `begin` (`BEGIN …`): committed when it returns, rolled back when it
    /// throws.
    package func transaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            rollback()
            throw error
        }
    }

    /// Rolls the open transaction back, abandoning an open copy first rather than finishing it.
    package func rollback() {
        if let pending = beforeNextStatement {
            beforeNextStatement = nil
            pending.abandon()
        }
        try? execute("ROLLBACK")
    }

    /// Starts `COPY … FROM STDIN`; rows go through the `CopyIn`, and `endCopy` finishes it.
    package func startCopy(_ sql: String) throws -> CopyIn {
        try finishPending()
        let start = PQexec(handle, sql)
        defer { PQclear(start) }
        guard start.map({ PQresultStatus($0) }) == PGRES_COPY_IN else { throw failure(start, sql: sql) }
        return CopyIn(connection: self)
    }

    /// Sends what is buffered and ends the copy; with `failing` it is abandoned (the server rolls it back).
    package func endCopy(_ copy: CopyIn, failing: String? = nil) throws {
        if failing == nil { try copy.flush() }
        guard PQputCopyEnd(handle, failing) == 1 else { throw PostGISError(Connection.text(PQerrorMessage(handle))) }
        var failed: PostGISError?
        while let r = PQgetResult(handle) {
            if PQresultStatus(r) != PGRES_COMMAND_OK, failed == nil, failing == nil { failed = failure(r, sql: "COPY") }
            PQclear(r)
        }
        if let failed { throw failed }
    }

    /// Runs `COPY … FROM STDIN` with the rows `body` writes, start to end.
    package func copyIn<T>(_ sql: String, _ body: (CopyIn) throws -> T) throws -> T {
        let copy = try startCopy(sql)
        let value: T
        do {
            value = try body(copy)
        } catch {
            try? endCopy(copy, failing: "stopped")
            throw error
        }
        try endCopy(copy)
        return value
    }

    fileprivate func putCopyData(_ bytes: [UInt8]) throws {
        let ok = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                PQputCopyData(handle, $0, Int32(buffer.count))
            }
        }
        guard ok == 1 else { throw PostGISError(Connection.text(PQerrorMessage(handle))) }
    }

    /// Reads what arrived on the socket and returns the notifications received on `LISTEN`ed channels:
    /// (channel, payload).
    package func notifications() throws -> [(channel: String, payload: String)] {
        guard PQconsumeInput(handle) == 1 else { throw PostGISError(Connection.text(PQerrorMessage(handle)), sqlState: "08006") }
        var out = [(String, String)]()
        while let n = PQnotifies(handle) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    /// Quotes an identifier for SQL (`"name"`, doubling quotes inside).
    package static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes a text literal for SQL (`'text'`, doubling quotes inside); only for names Doorstep checked.
    package static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// Rows of a result in the text format. Owns the libpq result.
package final class Rows {
    private let result: OpaquePointer
    package let count: Int
    package let columns: Int

    init(_ result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
        columns = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    package func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    package func text(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
    }

    package func string(_ row: Int, _ column: Int) -> String { text(row, column) ?? "" }

    package func double(_ row: Int, _ column: Int) -> Double? {
        guard !isNull(row, column), let p = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return strtod(p, nil)
    }

    package func int(_ row: Int, _ column: Int) -> Int? {
        guard !isNull(row, column), let p = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return Int(strtoll(p, nil, 10))
    }

    /// A `bytea` column (text format: `\x` and hex digits) as bytes.
    package func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard !isNull(row, column), let p = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return p.withMemoryRebound(to: UInt8.self, capacity: length) { Hex.decodeBytea(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// A value as the server sent it (the bytes of a `bytea` in a `binaryResult` query), valid while these rows live.
    package func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
    }

    package func columnName(_ column: Int) -> String { String(cString: PQfname(result, Int32(column))) }

    /// The column's type OID (20 int8, 21 int2, 23 int4, 700 float4, 701 float8, 1700 numeric; anything else is text).
    package func columnType(_ column: Int) -> UInt32 { PQftype(result, Int32(column)) }
}

@available(*, unavailable)
extension Rows: Sendable {}

/// Rows written to `COPY … FROM STDIN` (text format), buffered and sent a megabyte at a time.
package final class CopyIn {
    private unowned let connection: Connection
    private var buffer: [UInt8] = []

    fileprivate init(connection: Connection) {
        self.connection = connection
        buffer.reserveCapacity(1 << 20)
    }

    /// One row: each field escaped for COPY's text format (nil is NULL).
    package func row(_ fields: [String?]) throws {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(UInt8(ascii: "N"))
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): buffer.append(UInt8(ascii: "\\")); buffer.append(UInt8(ascii: "r"))
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    package func flush() throws {
        guard !buffer.isEmpty else { return }
        try connection.putCopyData(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Hex text for geometry (WKB) going to the server and `bytea` coming back.
package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    package static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func value(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return 0
        }
    }

    /// `\x0102…` → bytes (PostgreSQL's default `bytea_output = hex`).
    package static func decodeBytea(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return [] }
        let n = (text.count - 2) / 2
        return [UInt8](unsafeUninitializedCapacity: n) { out, initialized in
            for i in 0..<n { out[i] = value(text[2 + 2 * i]) << 4 | value(text[3 + 2 * i]) }
            initialized = n
        }
    }
}
