import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// A failure reported by SQLite or SpatiaLite: the library failed, not the user's input.
///
/// The only place a raw SQLite result code becomes a Swift error is `Database.check(_:sql:)`.
public struct DatabaseError: Error, CustomStringConvertible, Sendable {
    /// The SQLite result code (extended where SQLite gives one).
    public let code: Int32
    /// SQLite's own message.
    public let message: String
    /// The statement that failed, when there was one.
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        if let sql { return "database error \(code): \(message) (in: \(sql.prefix(200)))" }
        return "database error \(code): \(message)"
    }
}

extension DatabaseError: StoreFailure {
    /// Busy or locked: a writer held the file, and the same request may succeed soon.
    public var isTransient: Bool { code & 0xFF == 5 || code & 0xFF == 6 }
}
