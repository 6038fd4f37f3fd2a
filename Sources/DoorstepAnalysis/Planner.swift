import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// Where the candidate sites come from.
public enum PlanCandidateSource: Sendable {
    /// A given list (a file of vacant premises).
    case given([PlanCandidate])
    /// Compounds' reference points (uncovered first) and, with a network, its nodes, thinned to `spacing` metres.
    case generated(spacing: Double)
}

/// What the planner is asked.
public enum PlanObjective: Sendable, Hashable {
    /// Maximal covering: the `k` sites that newly cover the most.
    case add(Int)
    /// Set cover: the fewest sites that bring the covered share (0…1) to this.
    case target(Double)
}

/// What a newly covered compound is worth.
public enum PlanWeight: String, Sendable, CaseIterable {
    case households, population
}

public struct PlanOptions: Sendable {
    /// Reach, mode (straight or walking) and which existing stations count — exactly as for `coverage`.
    /// New sites are taken to qualify (they will be opened as the kind asked for).
    public var coverage: CoverageOptions
    public var objective: PlanObjective
    public var weight: PlanWeight
    /// Passes of the swap local search (each tries to replace every chosen site).
    public var swapPasses: Int
    /// Work allowed to the exact branch and bound after the heuristics (element visits; 0 = none). Small plans
    /// finish within it and are then proven optimal; large ones keep the heuristic answer and its bound.
    public var exactBudget: Int

    public init(coverage: CoverageOptions, objective: PlanObjective, weight: PlanWeight = .households, swapPasses: Int = 20,
                exactBudget: Int = 50_000_000) {
        self.coverage = coverage
        self.objective = objective
        self.weight = weight
        self.swapPasses = swapPasses
        self.exactBudget = exactBudget
    }
}

/// One proposed station site and what it brings.
public struct ProposedSite: Sendable {
    /// 1 for the site to open first: each adds the most to those before it.
    public let rank: Int
    public let candidate: PlanCandidate
    /// The compounds it covers that nothing before it (existing stations, earlier sites) covers.
    public let newlyCovered: [CompoundSite]
    public let householdsAdded: Int
    public let populationAdded: Int
    /// Of `newlyCovered`, those without a household count (weight 0, reported).
    public let compoundsWithoutHouseholds: Int
    /// Households covered by the existing stations and sites 1…rank together, and their share of all known households.
    public let cumulativeHouseholds: Int
    public let cumulativeHouseholdsPercent: Double?
    public let cumulativePopulation: Int
    public let cumulativePopulationPercent: Double?
    /// The nearest existing qualifying station, as the crow flies.
    public let nearestStation: StationDistance?
    /// The grid the site stands in (filled from the store by `assignGrids`).
    public internal(set) var grid: GridPlace?
}

/// The planner's answer.
public struct PlanReport: Sendable {
    public let options: PlanOptions
    /// Coverage by the existing stations alone.
    public let baseline: CoverageGroup
    public let qualifyingStations: Int
    public let stationsOffNetwork: [String]
    public let candidateCount: Int
    /// Candidates farther than the snap limit from the network (walking): they can cover nothing.
    public let candidatesOffNetwork: [String]
    /// Candidates that would cover no compound the existing stations leave uncovered.
    public let candidatesAddingNothing: Int
    public internal(set) var sites: [ProposedSite]
    public let householdsAdded: Int
    public let populationAdded: Int
    /// What the sites add in the objective's weight.
    public let weightAdded: Double
    /// Maximal covering: a proven ceiling on what any `K` sites from these candidates could add (same weight).
    public let upperBound: Double?
    /// Set cover: the weight to add, whether the sites reach it, and a proven floor on how many sites any choice needs.
    public let neededWeight: Double?
    public let targetMet: Bool?
    public let minimumSites: Int?
    /// True when the answer is shown to be the best possible: the most any K sites can add (maximal covering), or the
    /// fewest sites that reach the target (set cover).
    public let provenOptimal: Bool
    /// Compounds no walk can reach (beyond the snap limit): reported, never chased.
    public let unreachable: [CompoundSite]
    /// Uncovered compounds no candidate reaches: no choice of these candidates can cover them.
    public let outOfReach: [CompoundSite]
    /// Uncovered (reachable) compounds without a household count: weight 0, counted here.
    public let uncoveredWithoutHouseholds: Int
    /// Swaps the local search made after the greedy.
    public let swaps: Int
    /// Why fewer sites than asked are proposed, when so.
    public let note: String?

    /// Share of the objective's known total covered after the sites, 0…100.
    public var finalPercent: Double? {
        switch options.weight {
        case .households: return sites.last?.cumulativeHouseholdsPercent ?? baseline.householdsCoveredPercent
        case .population: return sites.last?.cumulativePopulationPercent ?? baseline.populationCoveredPercent
        }
    }

    /// The gap between the proposal and the ceiling, as a share of the ceiling (0 = proven optimal).
    public var gapToBound: Double? {
        guard let upperBound else { return nil }
        return upperBound > 0 ? max(0, upperBound - weightAdded) / upperBound : 0
    }

    /// Fills each site's grid from a point-in-grid lookup (the store's `grids(containing:)`).
    public mutating func assignGrids(_ lookup: ([Coordinate]) throws -> [GridPlace?]) rethrows {
        let places = try lookup(sites.map(\.candidate.location))
        for i in sites.indices where i < places.count { sites[i].grid = places[i] }
    }
}

/// Where the next stations should go: maximal covering or set cover over candidate sites, with the existing stations
/// fixed, by lazy greedy plus swap local search, with a proven bound.
public enum CoveragePlanner {
    public static func run(stations: [Station], compounds: [CompoundSite], candidates: [PlanCandidate],
                           network: WalkingNetwork?, options: PlanOptions) throws -> PlanReport {
        try run(stations: stations, compounds: compounds, candidates: .given(candidates), network: network, options: options)
    }

    public static func run(stations: [Station], compounds: [CompoundSite], candidates source: PlanCandidateSource,
                           network: WalkingNetwork?, options: PlanOptions) throws -> PlanReport {
        let coverage = options.coverage
        let baseline = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: coverage)
        let candidates: [PlanCandidate]
        switch source {
        case .given(let list): candidates = list
        case .generated(let spacing):
            let uncovered = Set(baseline.compounds.filter { !$0.isCovered && $0.status != .unreachable }.map(\.site.id))
            var box: BoundingBox?
            for c in compounds { for p in c.referencePoints { box = (box ?? BoundingBox(west: p.lon, south: p.lat, east: p.lon, north: p.lat)).union(BoundingBox(west: p.lon, south: p.lat, east: p.lon, north: p.lat)) } }
            if let box {
                let projection = try network?.makeProjection() ?? MetricProjection(zone: MetricZone(center: box.center))
                candidates = PlanCandidates.generate(compounds: compounds, uncoveredFirst: uncovered, network: network,
                                                     spacing: spacing, projection: projection)
            } else {
                candidates = [] // no compound: nothing to cover, so no site to propose
            }
        }
        let total = baseline.total
        var targets = [CompoundSite]()
        var unreachable = [CompoundSite]()
        for c in baseline.compounds {
            switch c.status {
            case .covered: break
            case .unreachable: unreachable.append(c.site)
            case .uncovered, .noPath: targets.append(c.site)
            }
        }
        func weight(_ s: CompoundSite) -> Double {
            Double((options.weight == .households ? s.households : s.population) ?? 0)
        }
        let radius = candidates.map { c -> Double in
            switch coverage.reach {
            case .uniform(let r): return r
            case .perStation(let fallback): return c.radiusMetres ?? fallback
            }
        }
        let (sets, offNetworkIndices) = try CandidateReach.sets(sites: candidates.map(\.location), radius: radius, targets: targets,
                                                                walk: coverage.walk, network: network)
        let offNetwork = offNetworkIndices.map { candidates[$0].id }
        try WorkBudget.checkpoint()
        let problem = MaximalCovering(weights: targets.map(weight), sets: sets)

        var chosen: [Int]
        var swaps = 0
        var upperBound: Double?
        var needed: Double?
        var met: Bool?
        var minimumSites: Int?
        var note: String?
        var proven = false
        switch options.objective {
        case .add(let k):
            let g = problem.greedy(k: k, boundK: k)
            chosen = g.sites
            swaps = problem.improveBySwaps(&chosen, maxPasses: options.swapPasses)
            upperBound = min(g.bound ?? .infinity, problem.onlineBound(chosen, k: k), problem.coverableWeight)
            if options.exactBudget > 0, problem.value(of: chosen) < upperBound! * (1 - 1e-12) {
                let exact = problem.branchAndBound(k: k, incumbent: chosen, budget: options.exactBudget)
                chosen = problem.toppedUp(exact.sites, k: k)
                if exact.complete { upperBound = exact.value }
            }
            proven = problem.value(of: chosen) >= upperBound! * (1 - 1e-12)
        case .target(let share):
            let known = Double(options.weight == .households ? total.households : total.population)
            let already = Double(options.weight == .households ? total.householdsCovered : total.populationCovered)
            let need = max(0, (share * known - already).rounded(.up))
            needed = need
            let r = problem.fewestSites(needed: need, maxPasses: options.swapPasses, budget: options.exactBudget)
            chosen = r.sites
            swaps = r.swaps
            met = r.met
            proven = r.proven
            minimumSites = problem.lowerBoundOnSites(needed: need)
            if !r.met {
                note = String(format: "the target %.1f%% cannot be reached from these candidates: all of them together reach %.1f%%",
                              share * 100, known > 0 ? 100 * (already + r.value) / known : 0)
            }
        }

        // The search loops stop early when the budget runs out; their partial answer must not be reported.
        try WorkBudget.checkpoint()
        let qualifying = stations.filter { coverage.filter.accepts($0) }
        let index = NearestIndex(stations: qualifying)
        var cumulativeHouseholds = total.householdsCovered
        var cumulativePopulation = total.populationCovered
        var sites = [ProposedSite]()
        // A site whose compounds the others all cover adds nothing: it is dropped, never proposed.
        for (rank, o) in problem.ordered(chosen).filter({ $0.gain > 0 }).enumerated() {
            let newly = o.newly.map { targets[Int($0)] }
            let households = newly.reduce(0) { $0 + ($1.households ?? 0) }
            let population = newly.reduce(0) { $0 + ($1.population ?? 0) }
            cumulativeHouseholds += households
            cumulativePopulation += population
            let candidate = candidates[o.site]
            let nearest = index.nearest(to: candidate.location, k: 1).first.map {
                StationDistance(stationID: $0.station.id, stationName: $0.station.name, metres: $0.distance)
            }
            sites.append(ProposedSite(
                rank: rank + 1, candidate: candidate, newlyCovered: newly, householdsAdded: households,
                populationAdded: population, compoundsWithoutHouseholds: newly.filter { $0.households == nil }.count,
                cumulativeHouseholds: cumulativeHouseholds,
                cumulativeHouseholdsPercent: total.households > 0 ? 100 * Double(cumulativeHouseholds) / Double(total.households) : nil,
                cumulativePopulation: cumulativePopulation,
                cumulativePopulationPercent: total.population > 0 ? 100 * Double(cumulativePopulation) / Double(total.population) : nil,
                nearestStation: nearest, grid: nil))
        }
        if case .add(let k) = options.objective, sites.count < k {
            note = "only \(sites.count) of \(k) sites add anything: no other candidate reaches an uncovered compound with a known \(options.weight.rawValue) count"
        }
        var reachable = [Bool](repeating: false, count: targets.count)
        for s in sets { for t in s { reachable[Int(t)] = true } }
        let householdsAdded = sites.reduce(0) { $0 + $1.householdsAdded }
        let populationAdded = sites.reduce(0) { $0 + $1.populationAdded }
        return PlanReport(
            options: options, baseline: total, qualifyingStations: baseline.qualifyingStations,
            stationsOffNetwork: baseline.stationsOffNetwork, candidateCount: candidates.count,
            candidatesOffNetwork: offNetwork, candidatesAddingNothing: sets.filter(\.isEmpty).count, sites: sites,
            householdsAdded: householdsAdded, populationAdded: populationAdded,
            weightAdded: Double(options.weight == .households ? householdsAdded : populationAdded),
            upperBound: upperBound, neededWeight: needed, targetMet: met, minimumSites: minimumSites, provenOptimal: proven,
            unreachable: unreachable, outOfReach: targets.indices.filter { !reachable[$0] }.map { targets[$0] },
            uncoveredWithoutHouseholds: targets.filter { $0.households == nil }.count, swaps: swaps, note: note)
    }
}
