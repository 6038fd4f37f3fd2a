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
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var coverage: CoverageArguments

        @Option(help: "Maximal covering: propose this many new sites.")
        var add: Int?

        @Option(help: "Set cover: the fewest sites bringing coverage to this share, e.g. 95% (or 0.95).")
        var target: String?

        @Option(help: "A file of candidate sites (GeoJSON points or CSV with id, name, lon, lat).")
        var candidates: String?

        @Option(help: "CRS of the candidates file (EPSG:n, gcj02, bd09); default WGS84 or the file's own.")
        var crs: InputCRS?

        @Option(help: "Generated candidates: least spacing in metres (default 100 when no --candidates).")
        var spacing: Double?

        @Option(help: "What a newly covered compound is worth: households or population.")
        var weight: String = "households"

        @Option(help: "table, json, csv or geojson")
        var format: OutputFormat = .table

        func validate() throws {
            if (add == nil) == (target == nil) { throw ValidationError("give --add K or --target SHARE (e.g. --target 95%)") }
            if let add, !(1...10_000).contains(add) { throw ValidationError("--add must be between 1 and 10000") }
            if let target, targetShare(target) == nil {
                throw ValidationError("--target takes a share such as 95% or 0.95 (above 0, at most 100%)")
            }
            if candidates != nil && spacing != nil { throw ValidationError("give --candidates or --spacing, not both") }
            if let spacing, !(spacing >= 5 && spacing <= 10_000) { throw ValidationError("--spacing must be between 5 and 10000 metres") }
            if PlanWeight(rawValue: weight) == nil { throw ValidationError("--weight takes households or population") }
        }

        func targetShare(_ text: String) -> Double? {
            let t = text.trimmingCharacters(in: .whitespaces)
            let value: Double?
            if t.hasSuffix("%") { value = Double(t.dropLast()).map { $0 / 100 } } else { value = Double(t).map { $0 > 1 ? $0 / 100 : $0 } }
            guard let value, value > 0, value <= 1 else { return nil }
            return value
        }

        func run() async throws {
            let store = try database.open(readOnly: !coverage.walk)
            let info = try store.info()
            let hasWays = info.layers.contains { $0.layer == .ways && $0.count > 0 }
            if coverage.walk && !hasWays { throw CLIError("walking coverage needs the ways layer: import ways first") }
            // Straight plans still take network nodes as generated candidates when there is a network.
            let network = coverage.walk || (candidates == nil && hasWays)
                ? try WalkingNetwork.load(from: store, snapLimit: coverage.snapLimit, persist: coverage.walk) : nil
            let source: PlanCandidateSource
            if let candidates {
                let list = try CandidatesFile.read(URL(fileURLWithPath: candidates), crs: crs)
                source = .given(list)
            } else {
                source = .generated(spacing: spacing ?? 100)
            }
            let objective: PlanObjective = add.map(PlanObjective.add) ?? .target(targetShare(target!)!)
            var report = try CoveragePlanner.run(
                stations: try store.stations(), compounds: try store.compoundSites(), candidates: source, network: network,
                options: PlanOptions(coverage: coverage.options, objective: objective, weight: PlanWeight(rawValue: weight)!))
            try report.assignGrids(store.grids(containing:))
            if !report.stationsOffNetwork.isEmpty {
                note("note: \(report.stationsOffNetwork.count) stations are farther than \(Int(coverage.snapLimit)) m from the network and take no part in walking answers")
            }
            switch format {
            case .json:
                print(report.json.jsonText)
            case .geojson:
                print(JSONValue.featureCollection(report.features(compoundGeometries: try store.geometries(of: .compounds))).jsonText)
            case .csv:
                try emit(report.sites.map(\.csvRow), format: .csv, geometries: [:])
            case .table:
                try emit(report.sites.map(\.properties), format: .table, geometries: [:],
                         columns: ["rank", "id", "name", "households_added", "compounds_added", "cumulative_households",
                                   "cumulative_pct", "grid", "community", "nearest_station", "nearest_station_m"])
                print("")
                for line in summaryLines(report) { print(line) }
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
