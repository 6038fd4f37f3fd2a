import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Coverage per compound, or summed per grid, community, street or district: `doorstep coverage` and
/// `GET /v1/coverage`.
public enum CoverageUseCase {
    public struct Options: Sendable {
        /// `by`: the level of the rows.
        public static let levels = CoverageLevel.allCases
        public static let defaultLevel = CoverageLevel.compound

        public let analysis: AnalysisOptions
        public let level: CoverageLevel

        public init(_ analysis: AnalysisOptions, by level: String? = nil) throws {
            self.analysis = analysis
            self.level = try Limits.choice(level, "by", default: Self.defaultLevel)
        }

        public var query: [(String, JSONValue)] { analysis.query + [("by", .string(level.rawValue))] }
    }

    public struct Result: CoverageRows {
        public let options: Options
        public let generation: Int
        public let report: CoverageReport

        /// The rows: one per compound (with its place as lon/lat when `places`, for CSV), or one per group.
        public func rows(places: Bool = false) -> [[(String, JSONValue)]] {
            guard options.level == .compound else { return report.groups(by: options.level).map(\.properties) }
            return report.compounds.map { compoundRow($0, places: places) }
        }

        public var rowCount: Int { options.level == .compound ? report.compounds.count : rows(places: false).count }

        public func forEachRow(places: Bool, _ body: ([(String, JSONValue)]) throws -> Void) rethrows {
            guard options.level == .compound else { return try rows(places: places).forEach(body) }
            for compound in report.compounds { try body(compoundRow(compound, places: places)) }
        }

        public var rowWriter: (@Sendable (Int, inout JSONBytes) -> Void)? {
            guard options.level == .compound else { return nil }
            return { [self] i, json in
                json.beginObject()
                report.compounds[i].writeProperties(speed: options.analysis.speed, to: &json)
                json.endObject()
            }
        }

        private func compoundRow(_ c: CompoundCoverage, places: Bool) -> [(String, JSONValue)] {
            places ? c.properties(speed: options.analysis.speed) + Records.place(c.site) : c.properties(speed: options.analysis.speed)
        }

        public var query: [(String, JSONValue)] { options.query }
        /// `{query, generation, summary, count, rows}`.
        public var rowsName: String { "rows" }
        /// Compounds (by=compound) or grids (by=grid) with their geometry, null otherwise.
        public var geometryLayer: Layer? { options.level == .compound ? .compounds : options.level == .grid ? .grids : nil }
    }

    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        Result(options: options, generation: try source.generation(), report: try report(options.analysis, on: source))
    }

    /// The coverage computation every coverage-shaped use case starts from (coverage, gaps, export, render, the
    /// `coverage` collection), kept by the source when it keeps results.
    public static func report(_ analysis: AnalysisOptions, on source: some AnalysisSource) throws -> CoverageReport {
        var network: WalkingNetwork?
        if analysis.walk {
            guard let walking = try source.walkingNetwork() else { throw UseCaseError.noWalkingNetwork }
            network = walking
        }
        let options = analysis.coverage
        return try Limits.computing {
            try source.coverage(options) {
                try CoverageAnalysis.run(stations: source.stations(), compounds: source.compoundSites(), network: network, options: options)
            }
        }
    }

}

/// Compounds not covered, most households first: `doorstep gaps` and `GET /v1/gaps`.
public enum GapsUseCase {
    public struct Options: Sendable {
        /// `limit`: at most this many gaps, 0 = all. The API had 0…1,000,000; the CLI took any number and read a
        /// negative one as "all". Now both refuse a negative limit (it is no number of gaps).
        public static let limit: ClosedRange<Int> = 0...1_000_000
        public static let defaultLimit = 0

        public let analysis: AnalysisOptions
        public let limit: Int

        public init(_ analysis: AnalysisOptions, limit: Int? = nil) throws {
            self.analysis = analysis
            self.limit = try limit.map { try Limits.check($0, Self.limit, "limit", hint: " (0 = all)") } ?? Self.defaultLimit
        }

        public var query: [(String, JSONValue)] { analysis.query + [("limit", .number(Double(limit)))] }
    }

    public struct Result: CoverageRows {
        public let options: Options
        public let generation: Int
        public let report: CoverageReport
        /// The gaps as ranked (`CoverageReport.gaps`: most households first), at most `limit`.
        public let gaps: [CompoundCoverage]

        /// `rank` (1 first) and the compound's row; with its place as lon/lat when `places` (CSV).
        public func rows(places: Bool = false) -> [[(String, JSONValue)]] {
            gaps.indices.map { gapRow($0, places: places) }
        }

        public var rowCount: Int { gaps.count }
        public var rowWriter: (@Sendable (Int, inout JSONBytes) -> Void)? {
            { [self] i, json in
                json.beginObject()
                json.member("rank", Double(i + 1))
                gaps[i].writeProperties(speed: options.analysis.speed, to: &json)
                json.endObject()
            }
        }

        private func gapRow(_ i: Int, places: Bool) -> [(String, JSONValue)] {
            [("rank", JSONValue.number(Double(i + 1)))] + gaps[i].properties(speed: options.analysis.speed)
                + (places ? Records.place(gaps[i].site) : [])
        }

        public var query: [(String, JSONValue)] { options.query }
        /// `{query, generation, summary, count, gaps}`.
        public var rowsName: String { "gaps" }
        /// The gaps with their compound geometry.
        public var geometryLayer: Layer? { .compounds }
    }

    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        let report = try CoverageUseCase.report(options.analysis, on: source)
        let ranked = report.gaps
        return Result(options: options, generation: try source.generation(), report: report,
                      gaps: options.limit > 0 ? Array(ranked.prefix(options.limit)) : ranked)
    }
}

/// A coverage-shaped result — coverage rows or ranked gaps — and the answers made of it: the JSON envelope with the
/// coverage summary, and the rows as GeoJSON features.
public protocol CoverageRows: Sendable {
    var generation: Int { get }
    var report: CoverageReport { get }
    /// The request as understood, echoed as `query`.
    var query: [(String, JSONValue)] { get }
    /// The name of the rows in the JSON answer.
    var rowsName: String { get }
    /// The layer whose geometry the rows' features carry (by `id` or `key`), nil for none.
    var geometryLayer: Layer? { get }
    /// The rows, with each compound's place as lon/lat when `places` (CSV).
    func rows(places: Bool) -> [[(String, JSONValue)]]
    /// How many rows there are, and the rows one at a time (a city's million compounds need not all be rows at once);
    /// by default from `rows(places:)`.
    var rowCount: Int { get }
    func forEachRow(places: Bool, _ body: ([(String, JSONValue)]) throws -> Void) rethrows
    /// Members of the JSON answer after the rows (what-if's `changes`); none by default.
    var extraMembers: [(String, JSONValue)] { get }
    /// Writes row `i` (without places, as the object `rows(places: false)[i]` is) for every `i` below `rowCount`, in
    /// any order: then the JSON answer's rows are written on every core, straight to bytes. Nil (the default) writes
    /// them one after another from `forEachRow`.
    var rowWriter: (@Sendable (Int, inout JSONBytes) -> Void)? { get }
}

extension CoverageRows {
    /// The totals: households and people covered, mode, reach, qualifying stations, stations off the network.
    public var summary: JSONValue {
        .object(report.total.properties + [
            ("mode", .string(report.options.walk ? "walking" : "straight")),
            ("reach", .string(report.options.reach.description)),
            ("qualifying_stations", .number(Double(report.qualifyingStations))),
            ("stations_off_network", .array(report.stationsOffNetwork.map(JSONValue.string))),
        ])
    }

    public var rowCount: Int { rows(places: false).count }
    public func forEachRow(places: Bool, _ body: ([(String, JSONValue)]) throws -> Void) rethrows {
        for row in rows(places: places) { try body(row) }
    }
    public var extraMembers: [(String, JSONValue)] { [] }
    public var rowWriter: (@Sendable (Int, inout JSONBytes) -> Void)? { nil }

    /// `{query, generation, summary, count, <rowsName>}` and the extra members: the JSON answer of the CLI and the API.
    public var json: JSONValue {
        let rows = rows(places: false)
        return Records.envelope(query: query, generation: generation, [
            ("summary", summary), ("count", .number(Double(rows.count))), (rowsName, .array(rows.map { .object($0) })),
        ] + extraMembers)
    }

    /// `json` as text, written to `out` a row at a time (the same bytes as `json.jsonText`): a province's coverage
    /// is hundreds of megabytes of text, never all in memory.
    package func writeJSON(to out: BufferedOutput) throws {
        out.json.beginObject()
        out.json.key("query")
        out.json.value(.object(query))
        out.json.key("generation")
        out.json.value(.number(Double(generation)))
        out.json.key("summary")
        out.json.value(summary)
        out.json.key("count")
        out.json.value(.number(Double(rowCount)))
        out.json.key(rowsName)
        out.json.beginArray()
        if let row = rowWriter {
            // A batch of rows at a time, cut in pieces encoded on every core and written in order: the same bytes as
            // one after another (each piece starts without a comma; one goes between pieces).
            let count = rowCount, piece = 512, batch = 64 * piece
            var first = true
            for start in stride(from: 0, to: count, by: batch) {
                let end = min(count, start + batch)
                let pieces = try ParallelMap.map(count: (end - start + piece - 1) / piece, chunk: 1, makeState: { () }) { _, k in
                    var json = JSONBytes(capacity: piece * 640)
                    for i in (start + k * piece)..<min(end, start + (k + 1) * piece) { row(i, &json) }
                    return json.bytes
                }
                for bytes in pieces {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    out.json.raw(bytes)
                    try out.flushIfFull()
                }
            }
        } else {
            try forEachRow(places: false) { row in
                out.json.value(.object(row))
                try out.flushIfFull()
            }
        }
        out.json.endArray()
        for (key, value) in extraMembers {
            out.json.key(key)
            out.json.value(value)
        }
        out.json.endObject()
        try out.flush()
    }

    /// The rows as GeoJSON features with the geometry of `geometryLayer`.
    public func featureCollection(on source: some AnalysisSource) throws -> JSONValue {
        Records.featureCollection(rows(places: false), geometries: try geometryLayer.map { try source.geometries(of: $0) } ?? [:])
    }
}
