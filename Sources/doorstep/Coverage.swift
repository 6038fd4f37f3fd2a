import ArgumentParser
import DoorstepGeo
import Foundation

/// Options shared by `coverage` and `gaps`: reach, mode and which stations count.
struct CoverageArguments: ParsableArguments {
    @Option(help: "One radius in metres for every station.")
    var radius: Double?

    @Option(help: "A life-circle preset: 100m (last hundred metres), 5min (300 m), 10min (500 m), 15min (1000 m).")
    var preset: String?

    @Flag(help: "Measure along the walkable network instead of as the crow flies.")
    var walk = false

    @Option(help: "Station kind that counts (repeat for any of several).")
    var kind: [String] = []

    @Option(help: "Service a station must offer to count (repeat: all of them).")
    var service: [String] = []

    @Option(help: "Walking speed in m/s for times.")
    var speed: Double = 1.2

    @Option(help: "Snap limit in metres: points farther from the network are unreachable.")
    var snapLimit: Double = Snapper.defaultLimit

    func validate() throws {
        if radius != nil && preset != nil { throw ValidationError("give --radius or --preset, not both") }
        if let radius, !(radius > 0 && radius <= 100_000) { throw ValidationError("--radius must be between 0 and 100000 metres") }
        if let preset, Reach.presets[preset] == nil {
            throw ValidationError("unknown preset \"\(preset)\"; presets: \(Reach.presets.keys.sorted().joined(separator: ", "))")
        }
        if !(speed > 0 && speed < 10) { throw ValidationError("--speed must be a walking speed in m/s (e.g. 1.2)") }
        if !(snapLimit > 0 && snapLimit <= 10_000) { throw ValidationError("--snap-limit must be between 0 and 10000 metres") }
    }

    var options: CoverageOptions {
        let reach: Reach = radius.map(Reach.uniform) ?? preset.flatMap { Reach.presets[$0] }.map(Reach.uniform) ?? .perStation(fallback: 500)
        return CoverageOptions(reach: reach, walk: walk, filter: StationFilter(kinds: Set(kind), services: Set(service)), speed: speed)
    }

    /// Loads what the analysis needs and runs it.
    func report(_ store: any StoreWriter) throws -> CoverageReport {
        let network = walk ? try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: true) : nil
        if walk, let network, network.graph.edgeCount == 0 {
            throw CLIError("walking coverage needs the ways layer: import ways first")
        }
        let report = try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(),
                                              network: network, options: options)
        if !report.stationsOffNetwork.isEmpty {
            note("note: \(report.stationsOffNetwork.count) stations are farther than \(Int(snapLimit)) m from the network and take no part in walking answers: \(report.stationsOffNetwork.prefix(10).joined(separator: ", "))")
        }
        return report
    }
}

extension Doorstep {
    struct Coverage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who is within reach of a station: per compound, grid, community, street or district.",
            discussion: """
            Example: doorstep coverage --preset 10min --walk --by community --db city.sqlite
            A compound is covered when one of its reference points (its entrances, else its point on surface) is within
            a qualifying station's radius. Walking distances follow the network (one multi-source search).
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var coverage: CoverageArguments

        @Option(help: "compound, grid, community, street or district")
        var by: String = "compound"

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        func validate() throws {
            guard CoverageLevel(rawValue: by) != nil else {
                throw ValidationError("--by takes \(CoverageLevel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let store = try database.open(readOnly: !coverage.walk)
            let report = try coverage.report(store)
            let level = CoverageLevel(rawValue: by)!
            let total = report.total
            if level == .compound {
                let rows = report.compounds.map { $0.properties(speed: coverage.speed) + place($0.site, format) }
                try emit(rows, format: format, geometries: format == .geojson ? store.geometries(of: .compounds) : [:])
            } else {
                let rows = report.groups(by: level).map(\.properties)
                try emit(rows, format: format, geometries: format == .geojson && level == .grid ? store.geometries(of: .grids) : [:])
            }
            if format == .table {
                print("")
                print(summaryLine(report, total))
            }
        }
    }

    struct Gaps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compounds outside reach, most households first, with the distance to the nearest station.",
            discussion: "Example: doorstep gaps --preset 5min --walk --db city.sqlite --format csv > gaps.csv"
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var coverage: CoverageArguments

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        @Option(help: "Show at most this many (0 = all).")
        var limit: Int = 0

        func run() async throws {
            let store = try database.open(readOnly: !coverage.walk)
            let report = try coverage.report(store)
            var gaps = report.gaps
            if limit > 0 { gaps = Array(gaps.prefix(limit)) }
            let rows = gaps.enumerated().map {
                [("rank", JSONValue.number(Double($0.offset + 1)))] + $0.element.properties(speed: coverage.speed) + place($0.element.site, format)
            }
            try emit(rows, format: format, geometries: format == .geojson ? store.geometries(of: .compounds) : [:],
                     columns: ["rank", "id", "name", "households", "status", "nearest_station", "straight_m", "walking_m", "grid", "community"])
            if format == .table {
                print("")
                print(summaryLine(report, report.total))
            }
        }
    }
}

/// For CSV, where a row has no geometry: the compound's place as lon/lat (its first reference point: an entrance,
/// else its point on surface), so Excel and QGIS "add by XY" can put it on a map.
func place(_ site: CompoundSite, _ format: OutputFormat) -> [(String, JSONValue)] {
    guard format == .csv, let p = site.referencePoints.first else { return [] }
    return [("lon", .number((p.lon * 1e7).rounded() / 1e7)), ("lat", .number((p.lat * 1e7).rounded() / 1e7))]
}

func summaryLine(_ report: CoverageReport, _ t: CoverageGroup) -> String {
    let mode = report.options.walk ? "walking" : "straight"
    let pct = Share.text(t.householdsCoveredPercent)
    var line = "\(mode), reach \(report.options.reach): \(t.compoundsCovered)/\(t.compounds) compounds covered, "
        + "\(t.householdsCovered)/\(t.households) households (\(pct)); \(report.qualifyingStations) stations qualify"
    if t.compoundsUnreachable > 0 { line += "; \(t.compoundsUnreachable) compounds unreachable (beyond the snap limit)" }
    if t.compoundsWithoutHouseholds > 0 { line += "; \(t.compoundsWithoutHouseholds) compounds have no household count" }
    return line
}

/// Writes rows of properties as a table, JSON, CSV or GeoJSON (geometry looked up by the row's `id`, or `key`).
func emit(_ rows: [[(String, JSONValue)]], format: OutputFormat, geometries: [String: JSONValue], columns: [String]? = nil) throws {
    func cell(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return s
        case .number(let n)?: return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(format: "%.1f", n)
        case .bool(let b)?: return b ? "yes" : "no"
        case .null?, nil: return ""
        case let other?: return other.jsonText
        }
    }
    switch format {
    case .json:
        print(JSONValue.array(rows.map { .object($0) }).jsonText)
    case .geojson:
        let features = rows.map { row -> JSONValue in
            let id = row.first { $0.0 == "id" || $0.0 == "key" }.map { cell($0.1) } ?? ""
            return .object([("type", .string("Feature")), ("geometry", geometries[id] ?? .null), ("properties", .object(row))])
        }
        print(JSONValue.featureCollection(features).jsonText)
    case .csv:
        // The library's CSV conventions (CSVText): BOM, numbers in full, the same as `export … --out x.csv`.
        guard let first = rows.first else { return }
        let names = first.map(\.0)
        print(CSVText.byteOrderMark + CSVText.line(names.map { .string($0) }))
        for row in rows { print(CSVText.line(row.map(\.1))) }
    case .table:
        guard let first = rows.first else { print("(nothing)"); return }
        let names = columns ?? first.map(\.0).filter { !["households_unknown", "grid_id", "street", "district", "nearest_station_name", "reference", "unreachable", "covered", "level"].contains($0) }
        let table = rows.map { row in names.map { n in cell(row.first { $0.0 == n }?.1) } }
        let widths = names.indices.map { i in max(names[i].terminalWidth, table.map { $0[i].terminalWidth }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padded(toColumns: min(widths[$0.offset], 28)) }.joined(separator: "  ")
        }
        print(line(names))
        for r in table { print(line(r)) }
    }
}
