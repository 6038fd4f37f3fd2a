import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Where the next stations should go — K more sites, or the fewest reaching a target share: `doorstep plan` and
/// `GET /v1/plan`.
public enum PlanUseCase {
    public struct Options: Sendable {
        // MARK: Limits and defaults

        /// `add`: how many new sites a plan may propose.
        public static let sites: ClosedRange<Int> = 1...10_000
        /// The public server's work budget per request: `add` at most 50 (a plan's cost grows with K). Not a limit of
        /// the question: the CLI plans up to `sites` (a district's worth of new 驿站), as before.
        public static let servedSites: ClosedRange<Int> = 1...50
        /// `target`: a share above 0 and at most 100 % (`95%`, `0.95` or `95`).
        public static let targetShare: ClosedRange<Double> = 0...1
        /// Generated candidates at least this far apart, metres. Reconciled from the CLI's 5 and the API's 50 to **50**:
        /// a proposed site is a premises to find on the ground, and 50 m is finer than any life-circle radius (100 m at
        /// the least) could tell apart, while 5 m multiplied the candidates (and the work) by up to a hundred for
        /// sites no planner could distinguish.
        public static let spacingMetres: ClosedRange<Double> = 50...10_000
        public static let defaultSpacing = 100.0
        public static let weights = PlanWeight.allCases
        public static let defaultWeight = PlanWeight.households

        // MARK: The options

        public enum Candidates: Sendable, Equatable {
            /// Compounds' reference points and network nodes, thinned to this spacing.
            case generated(spacing: Double)
            /// A stations-shaped GeoJSON or CSV of possible sites (CLI), in `crs` or the file's own.
            case file(String, crs: InputCRS?)
        }

        public let analysis: AnalysisOptions
        public let objective: PlanObjective
        public let weight: PlanWeight
        public let candidates: Candidates

        /// One of `add` and `target`; `spacing` or a candidates file (not both). `sites` is the range `add` may take
        /// (`servedSites` on the server).
        public init(_ analysis: AnalysisOptions, add: Int? = nil, target: String? = nil, weight: String? = nil, spacing: Double? = nil,
                    candidatesFile: String? = nil, crs: InputCRS? = nil, sites: ClosedRange<Int> = Options.sites) throws {
            self.analysis = analysis
            guard (add == nil) != (target == nil) else {
                throw UseCaseError.conflict(["add", "target"], "give \(name: "add") K or \(name: "target") SHARE (e.g. 95%), one of them")
            }
            if let add {
                let hint = sites == Self.sites ? "" : " (the CLI `doorstep plan` takes up to \(Self.sites.upperBound))"
                objective = .add(try Limits.check(add, sites, "add", hint: hint))
            } else {
                objective = .target(try Self.targetShare(target!))
            }
            self.weight = try Limits.choice(weight, "weight", default: Self.defaultWeight)
            if let candidatesFile {
                if spacing != nil { throw UseCaseError.conflict(["candidates", "spacing"], "give \(name: "candidates") or \(name: "spacing"), not both") }
                candidates = .file(candidatesFile, crs: crs)
            } else {
                let metres = try spacing.map { try Limits.check(Limits.finite($0, "spacing"), Self.spacingMetres, "spacing", unit: "m") }
                candidates = .generated(spacing: metres ?? Self.defaultSpacing)
            }
        }

        /// `95%`, `0.95` or `95` as a share; not a number is `invalid`, outside (0, 100 %] `outOfRange`.
        public static func targetShare(_ text: String) throws -> Double {
            let t = text.trimmingCharacters(in: .whitespaces)
            let percent = t.hasSuffix("%")
            let number = try Limits.number(percent ? String(t.dropLast()) : t, "target")
            let share = percent ? number / 100 : number > 1 ? number / 100 : number
            guard share > targetShare.lowerBound && share <= targetShare.upperBound else {
                throw UseCaseError(.outOfRange, ["target"], "\"\(Limits.clip(text))\" is not a share above 0 and at most 100%",
                                   allowed: "above 0 and at most 100%")
            }
            return share
        }

        /// The planner's own options.
        public var plan: PlanOptions { PlanOptions(coverage: analysis.coverage, objective: objective, weight: weight) }

        public var query: [(String, JSONValue)] {
            switch candidates {
            case .generated(let spacing): return analysis.query + [("spacing", .number(spacing))]
            case .file(let path, _): return analysis.query + [("candidates", .string(path))]
            }
        }
    }

    public struct Result: Sendable {
        public let options: Options
        public let generation: Int
        public let report: PlanReport

        /// `{query, generation, objective, baseline, …, sites}`: the envelope, then the plan (`PlanReport.json`).
        public var json: JSONValue {
            guard case .object(let members) = report.json else { return report.json }
            return Records.envelope(query: options.query, generation: generation, members)
        }

        /// The sites (points) and the compounds each newly covers.
        public func featureCollection(on source: some AnalysisSource) throws -> JSONValue {
            JSONValue.featureCollection(report.features(compoundGeometries: try source.geometries(of: .compounds)))
        }
    }

    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        // Straight plans still take network nodes as generated candidates when there is a network.
        var network: WalkingNetwork?
        if options.analysis.walk {
            guard let walking = try source.walkingNetwork() else { throw UseCaseError.noWalkingNetwork }
            network = walking
        } else if case .generated = options.candidates {
            network = try source.walkingNetwork()
        }
        let candidates: PlanCandidateSource
        var spacing: Double?
        switch options.candidates {
        case .generated(let metres):
            candidates = .generated(spacing: metres)
            spacing = metres
        case .file(let path, let crs):
            candidates = .given(try CandidatesFile.read(URL(fileURLWithPath: path), crs: crs))
        }
        let plan = options.plan
        let report = try Limits.computing {
            try source.plan(plan, spacing: spacing) {
                var report = try CoveragePlanner.run(stations: source.stations(), compounds: source.compoundSites(), candidates: candidates,
                                                     network: network, options: plan)
                try source.withStore { store in try report.assignGrids(store.grids(containing:)) }
                return report
            }
        }
        return Result(options: options, generation: try source.generation(), report: report)
    }
}
