import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// The options of an access (2SFCA) computation: reach and which stations count exactly as for coverage, and what a
/// compound's demand is.
public struct AccessOptions: Sendable {
    public var coverage: CoverageOptions
    /// Households (default) or population: the demand of a compound; unknown counts are demand 0.
    public var weight: PlanWeight

    public init(coverage: CoverageOptions, weight: PlanWeight = .households) {
        self.coverage = coverage
        self.weight = weight
    }

    /// A compound's demand: its households or population, nil when unknown (then it weighs 0).
    public func demand(of site: CompoundSite) -> Int? { weight == .households ? site.households : site.population }
}

/// One station's side of the two-step floating catchment area: its capacity against the demand within its reach.
public struct StationAccess: Sendable {
    public let station: Station
    /// The capacity used: the station's own, else `AccessAnalysis.defaultCapacity`.
    public let capacity: Double
    public let capacityDefaulted: Bool
    /// Compounds within reach (demand known or not) and their summed demand.
    public let compoundsInReach: Int
    public let demandInReach: Double
    /// Walking: the station is farther than the snap limit from the network and reaches nothing.
    public let offNetwork: Bool
    /// Demand above the city's overall demand per unit of capacity (`AccessReport.cityLoad`); a capacity of 0 with
    /// demand in reach is always overloaded.
    public let overloaded: Bool

    /// R_j = capacity / demand within reach; nil when nobody (no known demand) is in reach: R_j is undefined there.
    public var ratio: Double? { demandInReach > 0 ? capacity / demandInReach : nil }

    /// Demand per unit of capacity (1 / R_j): 0 when nobody is in reach, nil when the capacity is 0 and demand is in
    /// reach (infinite).
    public var load: Double? {
        if demandInReach == 0 { return 0 }
        return capacity > 0 ? demandInReach / capacity : nil
    }
}

/// One compound's score: the sum of R_j over the stations within its reach.
public struct CompoundAccess: Sendable {
    public let site: CompoundSite
    /// Its demand (households or population), nil when unknown.
    public let demand: Int?
    /// A_i = Σ R_j over the stations j within reach: capacity per household (or person). 0 when none is in reach.
    public let score: Double
    public let stationsInReach: Int
    /// The nearest qualifying station, walking (walk) or straight, from coverage.
    public let nearest: StationDistance?
}

/// Access summed over a group of compounds (a grid, a community …, or everything).
public struct AccessGroup: CompoundGroup, Sendable {
    public let level: CoverageLevel
    public let key: String
    public let name: String
    public var compounds = 0
    public var compoundsWithoutDemand = 0
    /// Compounds with no station within reach.
    public var compoundsOutOfReach = 0
    public var demand = 0.0
    /// Σ demand × score: the capacity the group's demand draws on.
    public var weightedScore = 0.0

    package init(level: CoverageLevel, key: String, name: String) {
        self.level = level
        self.key = key
        self.name = name
    }

    /// The demand-weighted mean score, nil when the group has no known demand.
    public var score: Double? { demand > 0 ? weightedScore / demand : nil }

    package static func site(of item: CompoundAccess) -> CompoundSite { item.site }

    package mutating func add(_ c: CompoundAccess) {
        compounds += 1
        if c.demand == nil { compoundsWithoutDemand += 1 }
        if c.stationsInReach == 0 { compoundsOutOfReach += 1 }
        let d = Double(c.demand ?? 0)
        demand += d
        weightedScore += d * c.score
    }
}

/// The answer of `access`: per compound, per station, and the city's totals.
public struct AccessReport: Sendable {
    public let options: AccessOptions
    /// In the order given.
    public let compounds: [CompoundAccess]
    /// The qualifying stations, most loaded first (a capacity of 0 with demand first of all; nobody in reach last).
    public let stations: [StationAccess]
    /// Qualifying stations beyond the snap limit (walking), by id.
    public let stationsOffNetwork: [String]
    /// Qualifying stations without a capacity, counted as `AccessAnalysis.defaultCapacity`.
    public let stationsWithoutCapacity: Int
    /// Σ capacity of the qualifying stations (defaults included) and Σ known demand of all compounds.
    public let totalCapacity: Double
    public let totalDemand: Double

    /// The city's overall demand per unit of capacity; a station with a higher load is overloaded. Nil without capacity.
    public var cityLoad: Double? { totalCapacity > 0 ? totalDemand / totalCapacity : nil }

    /// Access per group of `level`, by key.
    public func groups(by level: CoverageLevel) -> [AccessGroup] { level.groups(compounds) }

    /// Everything together.
    public var total: AccessGroup { CoverageLevel.total(compounds) }
}

/// The two-step floating catchment area (Luo & Wang 2003): for each station j, R_j = capacity_j / Σ demand of the
/// compounds within its reach; each compound's score A_i = Σ R_j over the stations within its reach. Reach is
/// coverage's: a compound is within a station's reach when any of its reference points is (straight or walking,
/// `CandidateReach`, the planner's per-site search).
public enum AccessAnalysis {
    /// The capacity of a station that gives none.
    public static let defaultCapacity = 1.0

    /// `coverage`, when given, is coverage of these compounds with the same options (for each compound's nearest
    /// station); else it is computed.
    public static func run(stations: [Station], compounds: [CompoundSite], network: WalkingNetwork?, options: AccessOptions,
                           coverage: CoverageReport? = nil) throws -> AccessReport {
        let reach = options.coverage
        let given = coverage.flatMap { $0.compounds.count == compounds.count ? $0 : nil }
        let coverage = try given ?? CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: reach)
        let qualifying = stations.filter { reach.filter.accepts($0) }
        let (sets, offNetwork) = try CandidateReach.sets(sites: qualifying.map(\.location), radius: qualifying.map { reach.reach.radius(of: $0) },
                                                         targets: compounds, walk: reach.walk, network: network)
        try WorkBudget.checkpoint()
        let demand = compounds.map { Double(options.demand(of: $0) ?? 0) }
        let capacity = qualifying.map { $0.capacity.map(Double.init) ?? defaultCapacity }
        // Step 1: each station's capacity against the demand within its reach.
        let demandInReach = sets.map { $0.reduce(0.0) { $0 + demand[Int($1)] } }
        let ratio = zip(capacity, demandInReach).map { c, d in d > 0 ? c / d : 0 }
        // Step 2: each compound sums the ratios of the stations within its reach.
        var score = [Double](repeating: 0, count: compounds.count)
        var inReach = [Int](repeating: 0, count: compounds.count)
        for (j, set) in sets.enumerated() {
            for i in set {
                score[Int(i)] += ratio[j]
                inReach[Int(i)] += 1
            }
        }
        let totalCapacity = capacity.reduce(0, +)
        let totalDemand = demand.reduce(0, +)
        let cityLoad = totalCapacity > 0 ? totalDemand / totalCapacity : nil
        let off = Set(offNetwork)
        let stationRows = qualifying.indices.map { j -> StationAccess in
            let load = capacity[j] > 0 ? demandInReach[j] / capacity[j] : (demandInReach[j] > 0 ? Double.infinity : 0)
            return StationAccess(station: qualifying[j], capacity: capacity[j], capacityDefaulted: qualifying[j].capacity == nil,
                                 compoundsInReach: sets[j].count, demandInReach: demandInReach[j], offNetwork: off.contains(j),
                                 overloaded: load > (cityLoad ?? .infinity) || load == .infinity)
        }
        // Most loaded first; stations nobody reaches (R undefined) last; then by id.
        let sorted = stationRows.sorted { a, b in
            let la = a.demandInReach > 0 ? (a.load ?? .infinity) : -1, lb = b.demandInReach > 0 ? (b.load ?? .infinity) : -1
            return la != lb ? la > lb : a.station.id < b.station.id
        }
        let rows = compounds.indices.map { i -> CompoundAccess in
            let c = coverage.compounds[i]
            return CompoundAccess(site: compounds[i], demand: options.demand(of: compounds[i]), score: score[i],
                                  stationsInReach: inReach[i], nearest: reach.walk ? c.nearestWalking : c.nearestStraight)
        }
        return AccessReport(options: options, compounds: rows, stations: sorted, stationsOffNetwork: offNetwork.map { qualifying[$0].id },
                            stationsWithoutCapacity: qualifying.filter { $0.capacity == nil }.count,
                            totalCapacity: totalCapacity, totalDemand: totalDemand)
    }
}
