import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Access: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Coverage by capacity: the 2SFCA score per compound, each station's load, roll-ups by level.",
            discussion: """
            Example: doorstep access --preset 10min --walk --by community --db city.sqlite
            Two-step floating catchment area (Luo & Wang 2003): for each station j, R_j = capacity_j / the demand of
            the compounds within its reach; a compound's score is the sum of R_j over the stations within its reach
            (capacity per household, or per person with --weight population). Reach is coverage's: straight or --walk,
            from the compound's reference points. A station without a capacity counts as \(Int(AccessAnalysis.defaultCapacity)).
            --stations lists the stations (most loaded first) instead of the compounds or groups.
            --format json writes the answer of GET /v1/access: {query, generation, summary, count, rows, stations}.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "\(AccessUseCase.Options.levels.map(\.rawValue).joined(separator: ", ")) (default \(AccessUseCase.Options.defaultLevel.rawValue))")
        var by: String?

        @Option(help: "The demand of a compound: \(AccessUseCase.Options.weights.map(\.rawValue).joined(separator: " or ")) (default \(AccessUseCase.Options.defaultWeight.rawValue)).")
        var weight: String?

        @Flag(help: "List the stations (capacity, demand in reach, load, R) instead of the compounds or groups (table, csv, geojson).")
        var stations = false

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        func options() throws -> AccessUseCase.Options { try AccessUseCase.Options(analysis.options(), by: by, weight: weight) }

        func validate() throws { try validating { _ = try options() } }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                let result = try AccessUseCase.run(options, on: source)
                noteOffNetwork(result.report.stationsOffNetwork, snapLimit: options.analysis.snapLimit)
                switch format {
                case .json: print(result.json.jsonText)
                case .geojson: print(try (stations ? result.stationFeatures(on: source) : result.featureCollection(on: source)).jsonText)
                case .csv: emit(stations ? result.stationRows : result.rows(places: true), csv: true)
                case .table:
                    // Scores and ratios are small: four significant digits, not the table's one decimal.
                    let rows = (stations ? result.stationRows : result.rows(places: false)).map { row in
                        row.map { name, value -> (String, JSONValue) in
                            guard ["score", "r", "load"].contains(name), case .number(let n) = value else { return (name, value) }
                            return (name, .string(String(format: "%.4g", n)))
                        }
                    }
                    emit(rows, csv: false, columns: stations
                        ? ["id", "name", "kind", "capacity", "capacity_defaulted", "compounds_in_reach", "demand_in_reach", "load", "r", "overloaded"]
                        : options.level == .compound
                        ? ["id", "name", "demand", "score", "stations_in_reach", "nearest_station", "nearest_m", "grid", "community"]
                        : ["key", "name", "compounds", "compounds_out_of_reach", "demand", "score"])
                    print("")
                    print(summaryLine(result))
                }
            }
        }

        func summaryLine(_ result: AccessUseCase.Result) -> String {
            let r = result.report
            let unit = result.options.weight == .households ? "household" : "person"
            var line = "\(r.options.coverage.walk ? "walking" : "straight"), reach \(r.options.coverage.reach): \(r.stations.count) stations, "
                + "capacity \(Limits.text(r.totalCapacity)) for \(Limits.text(r.totalDemand)) \(result.options.weight.rawValue)"
            if let load = r.cityLoad { line += String(format: " (%.4g per unit of capacity)", load) }
            if let mean = r.total.score { line += String(format: "; mean score %.4g capacity per %@", mean, unit) }
            line += "; \(r.stations.filter(\.overloaded).count) stations overloaded (load above the city's)"
            if r.stationsWithoutCapacity > 0 {
                line += "; \(r.stationsWithoutCapacity) stations without a capacity counted as \(Limits.text(AccessAnalysis.defaultCapacity))"
            }
            let unreached = r.stations.filter { $0.demandInReach == 0 }.count
            if unreached > 0 { line += "; \(unreached) stations have nobody in reach (load 0, R undefined)" }
            return line
        }
    }
}
