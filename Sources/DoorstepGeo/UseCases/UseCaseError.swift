import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// What a use case refuses, or cannot answer: the one error type of `UseCases/`, for the CLI and the HTTP API alike.
///
/// A parameter error names the parameter (as the HTTP API spells it: `speed`, `snap_limit`, `open_at`; the CLI's flag is
/// the same name with dashes, `--snap-limit`) and, for a value outside its limits, the allowed range. Each front end
/// spells names its own way through `message(naming:)`; the HTTP API maps `kind` to its status and code (`APIError`),
/// the CLI prints the message.
public struct UseCaseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A value that was read but lies outside its limits (HTTP 422 `out_of_range`).
        case outOfRange
        /// A value that cannot be read, or is not one of the values allowed (HTTP 400 `invalid_parameter`).
        case invalid
        /// Parameters that exclude each other, or a choice that must be made and was not (HTTP 400 `invalid_parameter`).
        case conflict
        /// A station asked for by id that does not qualify (HTTP 422 `unknown_station`).
        case unknownStation
        /// More stations than a per-request cap (HTTP 422 `too_many_stations`).
        case tooManyStations
        /// Walking distances asked of a database without walkable ways (HTTP 501 `not_implemented`).
        case noWalkingNetwork
        /// A point farther than the snap limit from the walkable network (HTTP 422 `unreachable`).
        case unreachable
        /// The analysis cannot be computed as asked (HTTP 422 `not_computable`).
        case notComputable
    }

    public let kind: Kind
    /// The parameters concerned, as the HTTP API names them; empty for errors about the data.
    public let parameters: [String]
    /// The allowed values of the one parameter concerned (`0.1…5 m/s`, `100m, 10min, 15min, 5min`), when known.
    public let allowed: String?
    let problem: Problem

    public init(_ kind: Kind, _ parameters: [String], _ problem: Problem, allowed: String? = nil) {
        self.kind = kind
        self.parameters = parameters
        self.problem = problem
        self.allowed = allowed
    }

    /// The message with parameter names spelled by `name` (the HTTP API: as they are; the CLI: as flags), prefixed by
    /// the parameters concerned: `speed: 50 is outside 0.1…5 m/s`.
    public func message(naming name: (String) -> String) -> String {
        let text = problem.text(naming: name)
        return parameters.isEmpty ? text : parameters.map(name).joined(separator: ",") + ": " + text
    }

    /// The message with the names as the HTTP API spells them.
    public var description: String { message(naming: { $0 }) }

    /// The CLI's spelling of a parameter: `-k`, else `--` and the name with dashes (`--snap-limit`).
    public static func flag(_ name: String) -> String {
        name.count == 1 ? "-\(name)" : "--" + name.replacingOccurrences(of: "_", with: "-")
    }

    /// The message as the CLI shows it.
    public var cliMessage: String { message(naming: Self.flag) }

    /// Text whose parameter names each front end spells its own way: `"give \(name: "radius") or \(name: "preset")"`.
    public struct Problem: ExpressibleByStringInterpolation, Sendable, Equatable {
        enum Piece: Sendable, Equatable { case text(String), name(String) }
        var pieces: [Piece] = []

        public init(stringLiteral value: String) { pieces = [.text(value)] }
        public init(stringInterpolation: Interpolation) { pieces = stringInterpolation.pieces }

        public struct Interpolation: StringInterpolationProtocol {
            var pieces: [Piece] = []
            public init(literalCapacity: Int, interpolationCount: Int) {}
            public mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }
            public mutating func appendInterpolation(_ value: some CustomStringConvertible) { pieces.append(.text(value.description)) }
            /// A parameter's name, spelled by the front end.
            public mutating func appendInterpolation(name: String) { pieces.append(.name(name)) }
        }

        func text(naming name: (String) -> String) -> String {
            pieces.map { piece in
                switch piece {
                case .text(let t): return t
                case .name(let n): return name(n)
                }
            }.joined()
        }
    }

    // MARK: The cases every use case uses

    /// Walking distances asked of a database without walkable ways.
    public static let noWalkingNetwork = UseCaseError(
        .noWalkingNetwork, [], "walking distances not available: this database has no walkable ways (import the ways layer)")

    /// `value` of `name` outside `range` (`above` the lower bound only, when `excludingLower`).
    static func outOfRange(_ name: String, _ value: Double, _ range: ClosedRange<Double>, unit: String = "",
                           excludingLower: Bool = false, hint: String = "") -> UseCaseError {
        let allowed = Limits.text(range, unit: unit, excludingLower: excludingLower)
        let problem: Problem = excludingLower ? "\(Limits.text(value)) must be \(allowed)\(hint)" : "\(Limits.text(value)) is outside \(allowed)\(hint)"
        return UseCaseError(.outOfRange, [name], problem, allowed: allowed)
    }

    /// `name` given with `others` that exclude it, or none of a choice that must be made.
    static func conflict(_ names: [String], _ problem: Problem) -> UseCaseError { UseCaseError(.conflict, names, problem) }

    /// A value that is not one of `allowed`.
    static func notOneOf(_ name: String, _ value: String, _ allowed: [String]) -> UseCaseError {
        let list = allowed.joined(separator: ", ")
        return UseCaseError(.invalid, [name], "\"\(Limits.clip(value))\" is not one of \(list)", allowed: list)
    }
}

/// The checks of `UseCases/`: ranges, lists, strict numbers; one spelling of every limit in messages.
public enum Limits {
    /// `value` unless it lies outside `range` (or on its lower bound, when `excludingLower`).
    @discardableResult
    static func check(_ value: Double, _ range: ClosedRange<Double>, _ name: String, unit: String = "",
                      excludingLower: Bool = false, hint: String = "") throws -> Double {
        guard range.contains(value), !(excludingLower && value == range.lowerBound) else {
            throw UseCaseError.outOfRange(name, value, range, unit: unit, excludingLower: excludingLower, hint: hint)
        }
        return value
    }

    @discardableResult
    static func check(_ value: Int, _ range: ClosedRange<Int>, _ name: String, hint: String = "") throws -> Int {
        guard range.contains(value) else {
            throw UseCaseError.outOfRange(name, Double(value), Double(range.lowerBound)...Double(range.upperBound), hint: hint)
        }
        return value
    }

    /// One of an enumeration's values by name; `value` when not given.
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String?, _ name: String, default value: T) throws -> T
    where T.RawValue == String {
        guard let text else { return value }
        guard let parsed = T(rawValue: text) else { throw UseCaseError.notOneOf(name, text, T.allCases.map(\.rawValue)) }
        return parsed
    }

    /// Station filter lists (`kind`, `service`): at most `count` values of at most `length` characters each.
    static func checkList(_ values: [String], _ name: String, count: Int, length: Int) throws {
        if values.count > count {
            throw UseCaseError(.outOfRange, [name], "at most \(count) values", allowed: "at most \(count) values of at most \(length) characters")
        }
        if let long = values.first(where: { $0.count > length }) {
            throw UseCaseError(.outOfRange, [name], "\"\(clip(long))\" is longer than \(length) characters",
                               allowed: "at most \(count) values of at most \(length) characters")
        }
    }

    /// A finite decimal number (Swift's `Double(_:)` would also take `nan`, `inf` and hexadecimal).
    public static func number(_ text: String, _ name: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let decimal = !t.isEmpty && t.utf8.allSatisfy {
            switch $0 {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "e"), UInt8(ascii: "E"): return true
            default: return false
            }
        }
        guard decimal, let value = Double(t), value.isFinite else {
            throw UseCaseError(.invalid, [name], "\"\(clip(text))\" is not a number")
        }
        return value
    }

    /// A longitude/latitude box written `west,south,east,north` in degrees (`118.763,32.0355,118.7962,32.052`): four
    /// numbers, longitudes within ±180, latitudes within ±90, west below east and south below north.
    public static func box(_ text: String, _ name: String) throws -> BoundingBox {
        let form = "W,S,E,N in degrees (west < east, south < north), e.g. 118.763,32.0355,118.7962,32.052"
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw UseCaseError(.invalid, [name], "\"\(clip(text))\" is not \(form)", allowed: form) }
        let n = try parts.map { try number(String($0), name) }
        guard n.allSatisfy({ (-180...180).contains($0) }), (-90...90).contains(n[1]), (-90...90).contains(n[3]), n[0] < n[2], n[1] < n[3] else {
            throw UseCaseError(.outOfRange, [name], "\"\(clip(text))\" is not \(form)", allowed: form)
        }
        return BoundingBox(west: n[0], south: n[1], east: n[2], north: n[3])
    }

    /// A number given as a flag or a parameter: finite, else not a number.
    static func finite(_ value: Double, _ name: String) throws -> Double {
        guard value.isFinite else { throw UseCaseError(.invalid, [name], "\(value) is not a finite number") }
        return value
    }

    /// Echoes user text into a message, short.
    public static func clip(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }

    /// A number as messages write it: whole numbers without decimals.
    public static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// A range as messages write it: `0.1…5 m/s`, or `above 0 and at most 100000 m`.
    public static func text(_ range: ClosedRange<Double>, unit: String = "", excludingLower: Bool = false) -> String {
        let u = unit.isEmpty ? "" : " " + unit
        return excludingLower ? "above \(text(range.lowerBound)) and at most \(text(range.upperBound))\(u)"
            : "\(text(range.lowerBound))…\(text(range.upperBound))\(u)"
    }

    /// The library's "cannot be computed as asked" as a use-case error.
    static func computing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CoverageError {
            throw UseCaseError(.notComputable, [], "\(error.description)")
        }
    }
}
