import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// The parameters coverage, gaps, plan, export and render share — which stations count (by kind, service and the time
/// they must be open at), how far they reach, walking or straight, how fast people walk, where the network stops —
/// validated once, for the CLI (`--radius`, `--preset`, `--walk`, `--kind`, `--service`, `--open-at`, `--speed`,
/// `--snap-limit`) and the HTTP API (`radius`, `preset`, `walk`, `kind`, `service`, `open_at`, `speed`) alike. The limits and defaults below are the only ones; the OpenAPI document states them.
public struct AnalysisOptions: Sendable {
    // MARK: Limits and defaults

    /// One reach for every station, metres: above 0 and at most 100 km (a city's widest question; beyond it nothing is
    /// "within reach" any more). Both the CLI and the API had this.
    public static let radiusMetres: ClosedRange<Double> = 0...100_000
    /// Life-circle presets (GB 50180-2018): 100m, 5min (300 m), 10min (500 m), 15min (1000 m).
    public static let presets = Reach.presets
    /// Neither radius nor preset: each station's own `radius_m`, else this.
    public static let fallbackRadius = 500.0
    /// Walking speed for minutes, m/s. Reconciled from the CLI's (0, 10), the planners' routes' 0.1…9.9 and
    /// `/v1/nearest`'s 0.1…5.0 to **0.1…5.0**: these are walking times along a pedestrian network (steps, footways);
    /// 5 m/s (18 km/h) is already a runner, anything faster is a vehicle that network does not describe, and an elderly
    /// resident's 0.5 m/s stays well inside. `/v1/nearest` (the residents' route and the web page) kept its bound.
    public static let walkingSpeed: ClosedRange<Double> = 0.1...5.0
    /// DESIGN.md: 1.2 m/s (about 4.3 km/h).
    public static let defaultWalkingSpeed = 1.2
    /// Snap limit, metres (CLI only; the server uses the default): above 0 and at most 10 km.
    public static let snapLimitMetres: ClosedRange<Double> = 0...10_000
    public static let defaultSnapLimit = Snapper.defaultLimit
    /// `kind` and `service`: at most this many values of at most this many characters. These were the API's bounds
    /// only; a station kind or service longer than 64 characters or a list of more than 20 is no real question from
    /// the CLI either, so they hold there too.
    public static let filterValues = 20
    public static let filterValueLength = 64

    // MARK: The options

    public let reach: Reach
    public let walk: Bool
    /// As given, in order (echoed in answers); the filter is their set.
    public let kinds: [String]
    public let services: [String]
    /// Only stations open at this local moment count (a station without hours does not); nil: opening hours are
    /// ignored.
    public let openAt: WeekTime?
    public let speed: Double
    public let snapLimit: Double

    /// Validates the parameters; nil means not given (the default). Throws `UseCaseError` naming the parameter.
    public init(radius: Double? = nil, preset: String? = nil, walk: Bool = false, kinds: [String] = [], services: [String] = [],
                openAt: String? = nil, speed: Double? = nil, snapLimit: Double? = nil) throws {
        if radius != nil && preset != nil {
            throw UseCaseError.conflict(["radius", "preset"], "give \(name: "radius") or \(name: "preset"), not both")
        }
        if let radius {
            reach = .uniform(try Limits.check(Limits.finite(radius, "radius"), Self.radiusMetres, "radius", unit: "m", excludingLower: true))
        } else if let preset {
            reach = .uniform(try Self.preset(preset))
        } else {
            reach = .perStation(fallback: Self.fallbackRadius)
        }
        try Self.checkFilter(kinds: kinds, services: services)
        self.walk = walk
        self.kinds = kinds
        self.services = services
        self.openAt = try openAt.map(Self.openAt)
        self.speed = try speed.map { try Limits.check(Limits.finite($0, "speed"), Self.walkingSpeed, "speed", unit: "m/s") } ?? Self.defaultWalkingSpeed
        self.snapLimit = try snapLimit.map {
            try Limits.check(Limits.finite($0, "snap_limit"), Self.snapLimitMetres, "snap_limit", unit: "m", excludingLower: true)
        } ?? Self.defaultSnapLimit
    }

    /// The metres of a preset's name.
    public static func preset(_ name: String) throws -> Double {
        guard let metres = presets[name] else { throw UseCaseError.notOneOf("preset", name, presets.keys.sorted()) }
        return metres
    }

    /// `open_at` (also `/v1/nearest`'s and `--day`'s): a local date and time `2026-11-23T09:30` / `2026-11-23 09:30`
    /// (its weekday counts) or a weekday and time `Mo 09:30`. Throws `UseCaseError` naming `open_at`.
    public static func openAt(_ text: String) throws -> WeekTime {
        guard let at = WeekTime(parsing: text) else {
            throw UseCaseError(.invalid, ["open_at"], "\"\(Limits.clip(text))\" is not a local time like 2026-11-23T09:30 or \"Mo 09:30\"")
        }
        return at
    }

    /// The bounds of `kind` and `service` (also `/v1/nearest`'s).
    static func checkFilter(kinds: [String], services: [String]) throws {
        try Limits.checkList(kinds, "kind", count: filterValues, length: filterValueLength)
        try Limits.checkList(services, "service", count: filterValues, length: filterValueLength)
    }

    /// Which stations count.
    public var filter: StationFilter { StationFilter(kinds: Set(kinds), services: Set(services), openAt: openAt) }

    /// The options of the coverage computation itself.
    public var coverage: CoverageOptions { CoverageOptions(reach: reach, walk: walk, filter: filter, speed: speed) }

    /// The request as understood, echoed as `query` in every answer (the snap limit only when not the default, which
    /// is all the server uses).
    public var query: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [
            ("reach", .string(reach.description)), ("walk", .bool(walk)),
            ("kind", .array(kinds.map(JSONValue.string))), ("service", .array(services.map(JSONValue.string))),
            ("speed", .number(speed)),
        ]
        // Only when given, as the weekday form ("Mo 09:30"): a date counts by its weekday, so 2026-11-23T09:30 and
        // "Mo 09:30" are one question.
        if let openAt { members.insert(("open_at", .string(openAt.description)), at: 4) }
        if snapLimit != Self.defaultSnapLimit { members.append(("snap_limit", .number(snapLimit))) }
        return members
    }
}

/// Rows of results as the answers write them: one JSON envelope and one way to make a FeatureCollection of them.
public enum Records {
    /// The envelope of every JSON answer: `query`, `generation`, then the answer's own members.
    public static func envelope(query: [(String, JSONValue)], generation: Int, _ members: [(String, JSONValue)]) -> JSONValue {
        .object([("query", .object(query)), ("generation", .number(Double(generation)))] + members)
    }

    /// Rows as GeoJSON features, geometry looked up by the row's `id` (or `key`; null when there is none).
    public static func featureCollection(_ rows: [[(String, JSONValue)]], geometries: [String: JSONValue]) -> JSONValue {
        JSONValue.featureCollection(rows.map { row -> JSONValue in
            var id = ""
            if case .string(let s)? = row.first(where: { $0.0 == "id" || $0.0 == "key" })?.1 { id = s }
            return .object([("type", .string("Feature")), ("geometry", geometries[id] ?? .null), ("properties", .object(row))])
        })
    }

    /// A compound's place as `lon`/`lat` (its first reference point: an entrance, else its point on surface, 7
    /// decimals), for rows without geometry (CSV), so Excel and QGIS "add by XY" can put it on a map.
    public static func place(_ site: CompoundSite) -> [(String, JSONValue)] {
        guard let p = site.referencePoints.first else { return [] }
        return [("lon", .number((p.lon * 1e7).rounded() / 1e7)), ("lat", .number((p.lat * 1e7).rounded() / 1e7))]
    }

    /// What to tell about stations a walking answer could not use (beyond the snap limit), nil when there are none.
    public static func offNetworkNote(_ ids: [String], snapLimit: Double) -> String? {
        guard !ids.isEmpty else { return nil }
        return "\(ids.count) stations are farther than \(Int(snapLimit)) m from the network and take no part in walking answers: \(ids.prefix(10).joined(separator: ", "))"
    }

    /// `value` written as JSON bytes (the one JSON formatter, `JSONBytes`).
    public static func bytes(_ value: JSONValue) -> JSONBytes {
        var out = JSONBytes(capacity: 4096)
        out.value(value)
        return out
    }
}
