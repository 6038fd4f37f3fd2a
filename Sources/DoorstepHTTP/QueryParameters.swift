import DoorstepGeo
import Foundation
import Hummingbird

/// The query string of a request, read strictly: a parameter the route does not define is a 400 (OGC API – Features
/// /req/core/query-param-unknown), a single-valued parameter given twice or empty is a 400, and numbers must be
/// finite decimal numbers. Values are handed on as Swift values only — nothing here is ever spliced into SQL.
struct QueryParameters {
    private var values: [String: [String]] = [:]

    init(_ request: Request, allowed: Set<String>) throws {
        for (rawKey, value) in request.uri.queryParameters {
            var key = String(rawKey)
            if key.utf8.contains(UInt8(ascii: "%")) { key = key.removingPercentEncoding ?? key }
            if key.isEmpty && value.isEmpty { continue } // `?a=1&&b=2`, a trailing `&`
            guard allowed.contains(key) else {
                let shown = key.count > 40 ? String(key.prefix(40)) + "…" : key
                throw APIError(.badRequest, code: "unknown_parameter",
                               "unknown parameter \"\(shown)\"; this route takes \(allowed.sorted().joined(separator: ", "))")
            }
            values[key, default: []].append(String(value))
        }
    }

    /// The one value of `name`, or nil when absent.
    func string(_ name: String) throws -> String? {
        guard let all = values[name] else { return nil }
        guard all.count == 1 else { throw APIError.invalid(name, "given \(all.count) times; give it once") }
        guard !all[0].isEmpty else { throw APIError.invalid(name, "empty value") }
        return all[0]
    }

    /// The one value of `name` as text where a form-encoded space arrives as `+` (`open_at=Mo+09:30`).
    func text(_ name: String) throws -> String? {
        try string(name).map { $0.replacingOccurrences(of: "+", with: " ") }
    }

    /// Every value of a repeatable parameter, each split at commas, trimmed, empty pieces dropped.
    func list(_ name: String) -> [String] {
        (values[name] ?? []).flatMap { $0.split(separator: ",") }
            .map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    func double(_ name: String) throws -> Double? {
        guard let text = try string(name) else { return nil }
        return try Self.number(text, name)
    }

    func int(_ name: String) throws -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text) else {
            throw APIError.invalid(name, "\"\(Self.clip(text))\" is not a whole number")
        }
        return value
    }

    func bool(_ name: String) throws -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.invalid(name, "\"\(Self.clip(text))\" is not true or false")
        }
    }

    /// A finite decimal number (`Limits.number`, the use cases' reading of numbers in text).
    static func number(_ text: String, _ name: String) throws -> Double { try Limits.number(text, name) }

    /// Echoes user text into an error message, short.
    static func clip(_ text: String) -> String { Limits.clip(text) }
}
