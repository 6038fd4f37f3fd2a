import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Where the next stations should go: K more sites, or the fewest reaching a target coverage.",
            discussion: """
            Examples:
              doorstep plan --add 5 --preset 10min --walk --db city.sqlite
              doorstep plan --target 95% --preset 5min --candidates vacant.csv --format geojson --db city.sqlite > plan.geojson
            Existing qualifying stations stay; coverage follows the rules of `coverage` (straight or --walk). Candidates
            come from --candidates (a stations-shaped GeoJSON or CSV: id, name, lon/lat, optional radius_m) or are
            generated from compounds' reference points and network nodes at least --spacing metres apart. The method
            is lazy greedy, swap local search and a budgeted branch and bound; the report gives a proven upper bound on
            what any K sites could add (or a floor on the sites any choice needs), so the gap is visible.
            --format json writes the answer of GET /v1/plan: {query, generation, objective, baseline, …, sites}.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "Maximal covering: propose this many new sites (\(PlanUseCase.Options.sites.lowerBound)…\(PlanUseCase.Options.sites.upperBound)).")
        var add: Int?

        @Option(help: "Set cover: the fewest sites bringing coverage to this share, e.g. 95% (or 0.95).")
        var target: String?

        @Option(help: "A file of candidate sites (GeoJSON points or CSV with id, name, lon, lat).")
        var candidates: String?

        @Option(help: "CRS of the candidates file (EPSG:n, gcj02, bd09); default WGS84 or the file's own.")
        var crs: InputCRS?

        @Option(help: "Generated candidates: least spacing in metres (\(Limits.text(PlanUseCase.Options.spacingMetres)), default \(Int(PlanUseCase.Options.defaultSpacing))).")
        var spacing: Double?

        @Option(help: "What a newly covered compound is worth: households (default) or population.")
        var weight: String?

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        func options() throws -> PlanUseCase.Options {
            try PlanUseCase.Options(analysis.options(), add: add, target: target, weight: weight, spacing: spacing, candidatesFile: candidates, crs: crs)
        }

        func validate() throws { try validating { _ = try options() } }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                let result = try PlanUseCase.run(options, on: source)
                let report = result.report
                noteOffNetwork(report.stationsOffNetwork, snapLimit: options.analysis.snapLimit)
                switch format {
                case .json:
                    print(result.json.jsonText)
                case .geojson:
                    print(try result.featureCollection(on: source).jsonText)
                case .csv:
                    emit(report.sites.map(\.csvRow), csv: true)
                case .table:
                    emit(report.sites.map(\.properties), csv: false,
                         columns: ["rank", "id", "name", "households_added", "compounds_added", "cumulative_households",
                                   "cumulative_pct", "grid", "community", "nearest_station", "nearest_station_m"])
                    print("")
                    for line in summaryLines(report) { print(line) }
                }
            }
        }

        func summaryLines(_ r: PlanReport) -> [String] {
            let b = r.baseline
            let unit = r.options.weight.rawValue
            func pct(_ v: Double?) -> String { Share.text(v) }
            var lines = [
                "\(r.options.coverage.walk ? "walking" : "straight"), reach \(r.options.coverage.reach): existing \(r.qualifyingStations) stations cover "
                    + "\(b.householdsCovered)/\(b.households) households (\(pct(b.householdsCoveredPercent)))",
                "\(r.sites.count) new sites add \(r.householdsAdded) households, \(r.populationAdded) people → "
                    + "\(pct(r.sites.last?.cumulativeHouseholdsPercent ?? b.householdsCoveredPercent)) of households",
            ]
            if let bound = r.upperBound {
                let gap = r.gapToBound.map { String(format: "%.2f%%", $0 * 100) } ?? "—"
                lines.append(r.provenOptimal
                    ? "proven optimal: no choice of these candidates adds more \(unit)"
                    : String(format: "upper bound: any such choice adds at most %.0f %@; gap to the bound %@", bound, unit, gap))
            }
            if let met = r.targetMet {
                if met {
                    lines.append(r.provenOptimal ? "target met with the fewest sites possible"
                                 : "target met; any choice needs at least \(r.minimumSites ?? 1) sites")
                }
            }
            lines.append("\(r.candidateCount) candidates (\(r.candidatesAddingNothing) reach no uncovered compound)"
                + (r.candidatesOffNetwork.isEmpty ? "" : "; \(r.candidatesOffNetwork.count) beyond the snap limit") + "; \(r.swaps) swaps")
            if !r.unreachable.isEmpty {
                lines.append("\(r.unreachable.count) compounds unreachable (beyond the snap limit), \(r.unreachable.reduce(0) { $0 + ($1.households ?? 0) }) households: reported, not chased")
            }
            if !r.outOfReach.isEmpty {
                lines.append("\(r.outOfReach.count) uncovered compounds no candidate reaches, \(r.outOfReach.reduce(0) { $0 + ($1.households ?? 0) }) households")
            }
            if r.uncoveredWithoutHouseholds > 0 {
                lines.append("\(r.uncoveredWithoutHouseholds) uncovered compounds have no household count (weight 0)")
            }
            if let n = r.note { lines.append("note: \(n)") }
            return lines
        }
    }
}

extension ProposedSite {
    /// Properties with the compound ids joined, for CSV.
    var csvRow: [(String, JSONValue)] {
        properties.map { name, value in
            if case .array(let ids) = value {
                return (name, .string(ids.compactMap { if case .string(let s) = $0 { return s } else { return nil } }.joined(separator: ";")))
            }
            return (name, value)
        }
    }
}
