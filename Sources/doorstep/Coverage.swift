import ArgumentParser
import DoorstepGeo
import Foundation

/// The flags coverage, gaps, plan, export and render share; `options()` validates them (`AnalysisOptions`, the same
/// limits as the HTTP API's).
struct AnalysisArguments: ParsableArguments {
    @Option(help: "One radius in metres for every station (above 0, at most \(Int(AnalysisOptions.radiusMetres.upperBound))).")
    var radius: Double?

    @Option(help: "A life-circle preset: 100m (last hundred metres), 5min (300 m), 10min (500 m), 15min (1000 m).")
    var preset: String?

    @Flag(help: "Measure along the walkable network instead of as the crow flies.")
    var walk = false

    @Option(help: "Station kind that counts (repeat for any of several).")
    var kind: [String] = []

    @Option(help: "Service a station must offer to count (repeat: all of them).")
    var service: [String] = []

    @Option(help: "Only stations open at this local time count (a station without hours does not): \"YYYY-MM-DD HH:MM\" (its weekday counts) or \"Mo 09:30\".")
    var openAt: String?

    @Option(help: "Walking speed in m/s for times (\(Limits.text(AnalysisOptions.walkingSpeed)), default \(AnalysisOptions.defaultWalkingSpeed)).")
    var speed: Double?

    @Option(help: "Snap limit in metres: points farther from the network are unreachable (default \(Int(AnalysisOptions.defaultSnapLimit))).")
    var snapLimit: Double?

    func options() throws -> AnalysisOptions {
        try AnalysisOptions(radius: radius, preset: preset, walk: walk, kinds: kind, services: service, openAt: openAt, speed: speed,
                            snapLimit: snapLimit)
    }
}

extension DatabaseOptions {
    /// The database as the analyses read it: opened for writing when they walk (the walking network they build is
    /// stored), with the options' snap limit. `compounds`: the analysis reads the compounds, so a walking one reads
    /// them (and the stations) on a second connection while the ways are read and their graph built.
    func source(walk: Bool, snapLimit: Double = AnalysisOptions.defaultSnapLimit, writes: Bool? = nil,
                compounds: Bool = true) throws -> DatabaseSource {
        DatabaseSource(try open(readOnly: !(writes ?? walk)), snapLimit: snapLimit, persistNetwork: writes ?? walk,
                       besideNetwork: walk && compounds ? secondReader : nil)
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
            --format json writes the answer of GET /v1/coverage: {query, generation, summary, count, rows}.
            --open-at "2026-11-23 19:00" counts only the stations open then (a station without hours does not count).
            --over-day gives one row per hour 0-23 of --day (default Mo), each evaluated at HH:00 with only the stations open
            then: hour, time, open_stations, households_covered, households, share (0-1), population_covered, population;
            --format json writes the answer of GET /v1/coverage/hours: {query, generation, day, hours}.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "\(CoverageUseCase.Options.levels.map(\.rawValue).joined(separator: ", ")) (default \(CoverageUseCase.Options.defaultLevel.rawValue))")
        var by: String?

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        @Flag(help: "Coverage for each hour 0-23 of a day, evaluated at HH:00 with only the stations open then (not with --open-at or --by).")
        var overDay = false

        @Option(help: "With --over-day: \(CoverageHoursUseCase.Options.days.joined(separator: ", ")) or a date YYYY-MM-DD (its weekday counts; default \(CoverageHoursUseCase.Options.defaultDay)).")
        var day: String?

        func options() throws -> CoverageUseCase.Options {
            if day != nil { throw UseCaseError(.conflict, ["day"], "needs \(name: "over_day")") }
            return try CoverageUseCase.Options(analysis.options(), by: by)
        }

        func hoursOptions() throws -> CoverageHoursUseCase.Options {
            if by != nil { throw UseCaseError(.conflict, ["by"], "not with \(name: "over_day"): its rows are the hours") }
            if format == .geojson { throw UseCaseError(.conflict, ["format"], "\(name: "over_day") writes table, json or csv") }
            return try CoverageHoursUseCase.Options(analysis.options(), day: day)
        }

        func validate() throws { try validating { if overDay { _ = try hoursOptions() } else { _ = try options() } } }

        func run() async throws {
            console.start()
            if overDay { return try runOverDay() }
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                try show(try CoverageUseCase.run(options, on: source), source: source, format: format)
            }
        }

        func runOverDay() throws {
            try cli {
                let options = try hoursOptions()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                let result = try CoverageHoursUseCase.run(options, on: source)
                switch format {
                case .json, .geojson: print(result.json.jsonText)
                case .csv: emit(result.rows, csv: true)
                case .table:
                    // The share to its four decimals (the table's numbers have one).
                    emit(result.rows.map { row in
                        row.map { member in
                            guard member.0 == "share", case .number(let share) = member.1 else { return member }
                            return (member.0, .string(String(format: "%.4f", share)))
                        }
                    }, csv: false)
                    print("")
                    print("\(options.day), each hour at HH:00; \(report(options.analysis))")
                }
            }
        }

        private func report(_ a: AnalysisOptions) -> String {
            (a.walk ? "walking" : "straight") + ", reach \(a.reach)"
        }
    }

    struct Gaps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compounds outside reach, most households first, with the distance to the nearest station.",
            discussion: """
            Example: doorstep gaps --preset 5min --walk --db city.sqlite --format csv > gaps.csv
            --format json writes the answer of GET /v1/gaps: {query, generation, summary, count, gaps}.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        @Option(help: "Show at most this many (0 = all, at most \(GapsUseCase.Options.limit.upperBound)).")
        var limit: Int?

        func options() throws -> GapsUseCase.Options { try GapsUseCase.Options(analysis.options(), limit: limit) }

        func validate() throws { try validating { _ = try options() } }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                try show(try GapsUseCase.run(options, on: source), source: source, format: format,
                         columns: ["rank", "id", "name", "households", "status", "nearest_station", "straight_m", "walking_m", "grid", "community", "reason"])
            }
        }
    }
}

/// Coverage or gaps in `format`: the use case's JSON answer or FeatureCollection, or its rows as CSV or a table with
/// the summary line.
func show(_ result: some CoverageRows, source: DatabaseSource, format: OutputFormat, columns: [String]? = nil) throws {
    noteOffNetwork(result.report.stationsOffNetwork, snapLimit: source.snapLimit)
    switch format {
    case .json:
        // Streamed: the answer for a province's million compounds is never one string.
        fflush(nil) // whatever print() has buffered goes first
        let out = try BufferedOutput(path: "-")
        try result.writeJSON(to: out)
        out.append(UInt8(ascii: "\n"))
        try out.close()
    case .geojson: print(try result.featureCollection(on: source).jsonText)
    case .csv: emit(result.rows(places: true), csv: true)
    case .table:
        emit(result.rows(places: false), csv: false, columns: columns)
        print("")
        print(summaryLine(result.report))
    }
}

func summaryLine(_ report: CoverageReport) -> String {
    let t = report.total
    let mode = report.options.walk ? "walking" : "straight"
    let pct = Share.text(t.householdsCoveredPercent)
    var line = "\(mode), reach \(report.options.reach): \(t.compoundsCovered)/\(t.compounds) compounds covered, "
        + "\(t.householdsCovered)/\(t.households) households (\(pct)); \(report.qualifyingStations) stations qualify"
    if t.compoundsUnreachable > 0 { line += "; \(t.compoundsUnreachable) compounds unreachable (beyond the snap limit)" }
    if t.compoundsWithoutHouseholds > 0 { line += "; \(t.compoundsWithoutHouseholds) compounds have no household count" }
    return line
}

/// Writes rows of properties as a table or as CSV. (JSON and GeoJSON are the use cases' answers, the same as the
/// HTTP API's.)
func emit(_ rows: [[(String, JSONValue)]], csv: Bool, columns: [String]? = nil) {
    if csv {
        // The library's CSV conventions (CSVText): BOM, numbers in full, the same as `export … --out x.csv`.
        guard let first = rows.first else { return }
        print(CSVText.byteOrderMark + CSVText.line(first.map { .string($0.0) }))
        for row in rows { print(CSVText.line(row.map(\.1))) }
        return
    }
    func cell(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return s
        case .number(let n)?: return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(format: "%.1f", n)
        case .bool(let b)?: return b ? "yes" : "no"
        case .null?, nil: return ""
        case let other?: return other.jsonText
        }
    }
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
