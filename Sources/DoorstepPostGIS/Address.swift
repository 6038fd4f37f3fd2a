import DoorstepStore
import Foundation

/// A PostGIS store's address: `postgresql://[user[:password]@][host][:port][/dbname][?schema=city&…]`.
///
/// Everything but `schema` is libpq's own URI, handed to it as it is, so its other parameters (`sslmode`,
/// `connect_timeout`, `application_name` …) and the `PG*` environment variables work as in `psql`. `schema` picks a
/// PostgreSQL schema per city (default `public`); Doorstep creates it on the first import.
public struct PostGISAddress: Sendable, Hashable {
    /// The URI given, for libpq, without `schema`.
    public let conninfo: String
    public let schema: String
    /// The address without its password: for messages and logs.
    public let displayName: String

    /// Whether `address` names a PostGIS store rather than a file.
    public static func isPostGIS(_ address: String) -> Bool {
        let lower = address.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    public init(_ address: String) throws {
        guard PostGISAddress.isPostGIS(address) else {
            throw PostGISError("\(address): not a PostgreSQL address (postgresql://user@host:port/dbname?schema=city)")
        }
        var base = address
        var query: [String] = []
        if let q = address.firstIndex(of: "?") {
            base = String(address[..<q])
            query = address[address.index(after: q)...].split(separator: "&").map(String.init)
        }
        var schema = "public"
        var kept = [String]()
        for item in query {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.first == "schema" {
                let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
                guard PostGISAddress.isSchemaName(value) else {
                    throw PostGISError("\(PostGISAddress.redact(address)): schema \"\(value)\" is not a plain name: use lowercase letters, digits and _ (at most 63, not starting with a digit), e.g. ?schema=nanjing")
                }
                schema = value
            } else {
                kept.append(item)
            }
        }
        self.schema = schema
        conninfo = kept.isEmpty ? base : base + "?" + kept.joined(separator: "&")
        displayName = PostGISAddress.redact(address)
    }

    /// Schema names Doorstep accepts: what PostgreSQL keeps as written without quotes, so `psql` and QGIS users type
    /// them plainly too.
    static func isSchemaName(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 63, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              !s.hasPrefix("pg_") else { return false }
        return s.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`.
    static func redact(_ address: String) -> String {
        guard let scheme = address.range(of: "://") else { return address }
        let rest = address[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return address }
        return String(address[..<scheme.upperBound]) + authority[..<colon] + ":***" + authority[at...] + rest[authorityEnd...]
    }
}
