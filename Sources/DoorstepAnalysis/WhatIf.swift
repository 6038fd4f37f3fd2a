import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// A hypothetical station of a what-if and what it does.
public struct WhatIfSite: Sendable {
    /// `whatif-1`, `whatif-2` … in the order given; it qualifies whatever the filter.
    public let station: Station
    /// Walking: false when the site is farther than the snap limit from every street (it then covers nothing).
    public let onNetwork: Bool
    /// The compounds it reaches (indices into the report's compounds, ascending).
    public let covers: [Int]
    /// Those of them covered after the change and not before (thanks to the additions).
    public let newlyCovered: [Int]
}

/// A coverage report changed by hypothetical stations and closed ones, and the differences.
public struct WhatIfReport: Sendable {
    public let before: CoverageReport
    public let after: CoverageReport
    public let added: [WhatIfSite]
    /// The closed stations, in the order given (whether or not they qualify under the filter).
    public let closed: [Station]
    /// Compounds covered after and not before, and the reverse (indices into the compounds, ascending).
    public let newlyCovered: [Int]
    public let newlyUncovered: [Int]
    /// The compounds whose rows were computed again (every compound an added or closed station reaches, those whose
    /// nearest station was closed, and walking compounds without a path on the piece of an added site), ascending.
    /// The other rows are the base's as they were.
    public let recomputed: [Int]
}

/// What-if coverage, computed incrementally from the base report (`CoverageAnalysis`, same rules):
///
/// 1. the compounds each added or closed station reaches are found by bounded searches from the station only: a
///    cell-index search within its radius (straight), or within the radius × 1.01 + 1 m as the crow flies and then a
///    Dijkstra bounded at the radius from its snap (walking; `CandidateReach`). A walking distance is never shorter
///    than the straight one (up to the projection's scale, < 0.1 %), so the cell search loses nothing;
/// 2. those compounds, the compounds whose nearest station (straight or walking) was closed, and — walking — the
///    compounds with no path whose street lies on the piece of an added site, are computed again against the stations
///    after the change: straight through a nearest index of them; walking by a Dijkstra from each of the compound's
///    snapped points bounded at the largest radius, widened (× 4) until a station is found or the piece is exhausted,
///    so the nearest walking station of a recomputed row is exact;
/// 3. every other row is the base's: its status cannot change. Its nearest-station fields can: an added site farther
///    than its radius may be nearer than the row's nearest; they are left as in the base.
public enum WhatIfAnalysis {
    /// The straight search around a station is widened by this factor (and `straightSlackMetres`) for walking reach.
    static let straightSlack = 1.01
    static let straightSlackMetres = 1.0

    /// `added`: the hypothetical stations (they qualify whatever the filter); `closed`: ids of existing stations.
    /// `base` must be `CoverageAnalysis.run` on `stations` with `base.options`.
    public static func run(base: CoverageReport, stations: [Station], added: [Station], closed: [String],
                           network: WalkingNetwork?) throws -> WhatIfReport {
        let options = base.options
        let closedSet = Set(closed)
        var byID = [String: Station]()
        for s in stations where byID[s.id] == nil { byID[s.id] = s }
        let closedStations = closed.compactMap { byID[$0] }
        let qualifying = options.qualifying(stations)
        let closedQualifying = qualifying.filter { closedSet.contains($0.id) }
        let after = qualifying.filter { !closedSet.contains($0.id) } + added
        let rowsBefore = base.compounds

        // 1. What each added and each closed (qualifying) station reaches.
        let changed = added + closedQualifying
        let radii = changed.map { options.reach.radius(of: $0) }
        let reaches: [[Int]]
        var onNetwork = [Bool](repeating: true, count: changed.count)
        var projection: MetricProjection?
        var walking: WalkingNetwork?
        if options.walk {
            guard let network else { throw CoverageError("walking coverage needs the ways layer: import ways first") }
            walking = network
            let proj = try projectionOfThisThread(network)
            projection = proj
            let near = CandidateReach.straight(candidates: changed.map(\.location), radius: radii.map { $0 * straightSlack + straightSlackMetres },
                                               targets: rowsBefore.count) { rowsBefore[$0].site.referencePoints }
            let targets = Array(Set(near.joined())).sorted()
            let targetSnaps = targets.map { t in rowsBefore[Int(t)].site.referencePoints.compactMap { network.snap($0, projection: proj) } }
            let siteSnaps = changed.map { network.snap($0.location, projection: proj) }
            onNetwork = siteSnaps.map { $0 != nil }
            reaches = try CandidateReach.walking(candidateSnaps: siteSnaps, radius: radii, targetSnaps: targetSnaps, graph: network.graph)
                .map { $0.map { Int(targets[Int($0)]) } }
        } else {
            reaches = CandidateReach.straight(candidates: changed.map(\.location), radius: radii, targets: rowsBefore.count) {
                rowsBefore[$0].site.referencePoints
            }.map { $0.map(Int.init) }
        }
        try WorkBudget.checkpoint()

        // 2. The compounds to compute again.
        var affected = Set(reaches.joined())
        let closedIDs = Set(closedQualifying.map(\.id))
        if !closedIDs.isEmpty {
            for i in rowsBefore.indices {
                if let id = rowsBefore[i].nearestStraight?.stationID, closedIDs.contains(id) { affected.insert(i) }
                if let id = rowsBefore[i].nearestWalking?.stationID, closedIDs.contains(id) { affected.insert(i) }
            }
        }
        if let network = walking, let projection, !added.isEmpty {
            // No path before, but an added site on the same piece gives one (perhaps beyond its radius).
            var pieces = Set<Int>()
            for s in added { if let snap = network.snap(s.location, projection: projection) { pieces.insert(network.piece(of: snap)) } }
            for i in rowsBefore.indices where rowsBefore[i].status == .noPath && !affected.contains(i) {
                if rowsBefore[i].site.referencePoints.contains(where: { network.snap($0, projection: projection).map { pieces.contains(network.piece(of: $0)) } ?? false }) {
                    affected.insert(i)
                }
            }
        }
        let recomputed = affected.sorted()

        // 3. Those rows against the stations after the change.
        let index = NearestIndex(stations: after)
        let maxRadius = after.map { options.reach.radius(of: $0) }.max() ?? 0
        var rows = base.compounds
        var recheck: WalkingRecheck?
        if let network = walking, let projection {
            let addedOff = zip(added, onNetwork).filter { !$0.1 }.map { $0.0.id }
            let closedOn = closedQualifying.filter { !base.stationsOffNetwork.contains($0.id) }.count
            let onNetworkCount = base.qualifyingStations - base.stationsOffNetwork.count - closedOn + added.count - addedOff.count
            recheck = WalkingRecheck(network: network, projection: projection, index: index, reach: options.reach,
                                     maxRadius: maxRadius, filter: options.filter, noStationOnNetwork: onNetworkCount == 0)
        }
        for (n, i) in recomputed.enumerated() {
            if n & 15 == 0 { try WorkBudget.checkpoint() }
            let site = rowsBefore[i].site
            let straight = CoverageAnalysis.straightCoverage(of: site, index: index, reach: options.reach, maxRadius: maxRadius)
            if recheck != nil {
                rows[i] = recheck!.row(site, nearestStraight: straight.nearest)
            } else {
                rows[i] = CompoundCoverage(site: site, status: straight.covered ? .covered : .uncovered,
                                           nearestStraight: straight.nearest, nearestWalking: nil)
            }
        }

        var offNetwork = base.stationsOffNetwork.filter { !closedSet.contains($0) }
        if options.walk { offNetwork += zip(added, onNetwork).filter { !$0.1 }.map { $0.0.id } }
        let report = CoverageReport(options: options, compounds: rows, qualifyingStations: after.count, stationsOffNetwork: offNetwork)
        let newlyCovered = recomputed.filter { rows[$0].isCovered && !base.compounds[$0].isCovered }
        let newlyUncovered = recomputed.filter { !rows[$0].isCovered && base.compounds[$0].isCovered }
        let gained = Set(newlyCovered)
        let addedSites = added.enumerated().map { k, station in
            WhatIfSite(station: station, onNetwork: onNetwork[k], covers: reaches[k], newlyCovered: reaches[k].filter { gained.contains($0) })
        }
        try WorkBudget.checkpoint()
        return WhatIfReport(before: base, after: report, added: addedSites, closed: closedStations,
                            newlyCovered: newlyCovered, newlyUncovered: newlyUncovered, recomputed: recomputed)
    }
}

/// The metric projection of `network`'s zone for the calling thread, made once per thread (PROJ's set-up costs about
/// 30 ms, more than a what-if; a projection is not to be shared between threads). The analysis pool's threads live as
/// long as the server.
func projectionOfThisThread(_ network: WalkingNetwork) throws -> MetricProjection {
    let key = "doorstep.metricProjection.\(network.zone.epsg)"
    if let known = Thread.current.threadDictionary[key] as? MetricProjection { return known }
    let made = try network.makeProjection()
    Thread.current.threadDictionary[key] = made
    return made
}

/// Walking coverage of one compound computed again from the compound's side: a Dijkstra from each snapped reference
/// point, the stations read off by their snaps (a station's walking distance is at least its straight one, so only
/// the stations within the search's limit × 1.01 + 1 m as the crow flies are looked at, and snapped once each).
struct WalkingRecheck {
    let network: WalkingNetwork
    let projection: MetricProjection
    let index: NearestIndex
    let reach: Reach
    let maxRadius: Double
    let filter: StationFilter
    let noStationOnNetwork: Bool
    private var search: BoundedSearch
    private var stationSnaps = [Int: Snap?]()

    init(network: WalkingNetwork, projection: MetricProjection, index: NearestIndex, reach: Reach, maxRadius: Double,
         filter: StationFilter, noStationOnNetwork: Bool) {
        self.network = network
        self.projection = projection
        self.index = index
        self.reach = reach
        self.maxRadius = maxRadius
        self.filter = filter
        self.noStationOnNetwork = noStationOnNetwork
        search = BoundedSearch(graph: network.graph)
    }

    private mutating func snap(ofStation i: Int) -> Snap? {
        if let known = stationSnaps[i] { return known }
        let s = network.snap(index.stations[i].location, projection: projection)
        stationSnaps[i] = s
        return s
    }

    /// The compound's row after the change, by the rules of `CoverageAnalysis` (walking).
    mutating func row(_ site: CompoundSite, nearestStraight: StationDistance?) -> CompoundCoverage {
        let graph = network.graph
        let snaps = site.referencePoints.compactMap { p in network.snap(p, projection: projection).map { (point: p, snap: $0) } }
        guard let first = snaps.first else {
            var row = CompoundCoverage(site: site, status: .unreachable, nearestStraight: nearestStraight, nearestWalking: nil)
            row.reason = CoverageAnalysis.unreachableReason(network)
            return row
        }
        var best: (cost: Double, station: Int)?
        var covered = false
        var limit = max(maxRadius, 1)
        while true {
            var exhausted = true
            for (point, from) in snaps {
                search.run(graph, from: from, initial: from.leg, limit: limit)
                let slack = limit.isFinite ? limit * WhatIfAnalysis.straightSlack + WhatIfAnalysis.straightSlackMetres : .infinity
                for candidate in index.nearest(to: point, k: index.stations.count, maxDistance: slack) {
                    guard let at = snap(ofStation: candidate.index) else { continue }
                    let e = Int(at.edge)
                    var cost = min(search.cost(graph.edgeSource[e]) + at.offset,
                                   search.cost(graph.edgeTarget[e]) + graph.edgeLength[e] - at.offset)
                    if at.edge == from.edge { cost = min(cost, from.leg + abs(from.offset - at.offset)) }
                    cost += at.leg
                    // Beyond the limit a cost may be overstated (the search stopped); within it, it is exact.
                    guard cost <= limit else { continue }
                    if best == nil || cost < best!.cost { best = (cost, candidate.index) }
                    if cost <= reach.radius(of: candidate.station) { covered = true }
                }
                if exhausted && !isExhausted(graph) { exhausted = false }
            }
            if best != nil || exhausted || !limit.isFinite { break }
            limit = limit > 1e7 ? .infinity : limit * 4
        }
        let walking = best.map { StationDistance(stationID: index.stations[$0.station].id, stationName: index.stations[$0.station].name, metres: $0.cost) }
        var row = CompoundCoverage(site: site, status: covered ? .covered : (best == nil ? .noPath : .uncovered),
                                   nearestStraight: nearestStraight, nearestWalking: walking)
        if row.status == .noPath {
            row.reason = CoverageAnalysis.noPathReason(first.snap, network: network, filter: filter, noStation: index.stations.isEmpty,
                                                       noStationOnNetwork: noStationOnNetwork)
        }
        return row
    }

    /// Whether the last search reached every node of its piece.
    private func isExhausted(_ graph: WalkGraph) -> Bool {
        guard let first = search.reached.first else { return false }
        return search.reached.count == graph.componentSizes[Int(graph.component[Int(first)])]
    }
}
