import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// Which compounds each candidate site would cover, by exactly the rules of `CoverageAnalysis`: a compound is covered
/// when one of its reference points is within the site's radius, as the crow flies (geodesic) or on foot (straight leg
/// to the network, the path along it, straight leg from it; both ends within the snap limit).
package enum CandidateReach {
    /// For each site, the indices (into `targets`) of the compounds within `radius[c]` of it, straight or walking
    /// (`walk`, on `network`), ascending; and the sites beyond the snap limit (walking), which reach nothing.
    package static func sets(sites: [Coordinate], radius: [Double], targets: [CompoundSite], walk: Bool,
                             network: WalkingNetwork?) throws -> (sets: [[Int32]], offNetwork: [Int]) {
        guard walk else { return (straight(candidates: sites, radius: radius, targets: targets), []) }
        guard let network else { throw CoverageError("walking coverage needs the ways layer: import ways first") }
        let projection = try network.makeProjection()
        // Many sites (a city's generated candidates number in the hundreds of thousands) snap on all cores, each
        // thread with its own projection (a PROJ context is not shared between threads); a few, here.
        let siteSnaps = sites.count < parallelSnaps ? sites.map { network.snap($0, projection: projection) }
            : try ParallelMap.map(count: sites.count, chunk: 1024, makeState: { Result { try network.makeProjection() } }) { projection, i in
                projection.map { network.snap(sites[i], projection: $0) }
            }.map { try $0.get() }
        let offNetwork = siteSnaps.indices.filter { siteSnaps[$0] == nil }
        let targetSnaps = targets.map { $0.referencePoints.compactMap { network.snap($0, projection: projection) } }
        return (try walking(candidateSnaps: siteSnaps, radius: radius, targetSnaps: targetSnaps, graph: network.graph), offNetwork)
    }

    /// From this many sites on, snapping them is worth a projection per thread.
    package static let parallelSnaps = 8192

    /// For each candidate, the indices (into `targets`) of the compounds it would cover, ascending.
    /// `radius[c]` is candidate c's reach in metres.
    package static func straight(candidates: [Coordinate], radius: [Double], targets: [CompoundSite]) -> [[Int32]] {
        straight(candidates: candidates, radius: radius, targets: targets.count) { targets[$0].referencePoints }
    }

    /// Up to this many candidates are tried against every reference point in turn (what-if: a few sites against a
    /// city's compounds, where building the cell index would cost more than the scan); more go through the index.
    package static let scanLimit = 16

    /// As above, for `targets` compounds whose reference points `points(t)` gives (so that a caller holding them in
    /// other values, coverage rows, need not copy them out).
    package static func straight(candidates: [Coordinate], radius: [Double], targets: Int, points: (Int) -> [Coordinate]) -> [[Int32]] {
        guard let maxRadius = radius.max(), targets > 0 else { return candidates.map { _ in [] } }
        // A cheap planar estimate first (over by well under 1 % within a city), the geodesic decides.
        func within(_ q: Coordinate, _ p: Coordinate, _ r: Double) -> Bool {
            let mLat = 110_574.0, mLon = 111_320.0 * cos(q.lat * .pi / 180)
            let dx = (p.lon - q.lon) * mLon, dy = (p.lat - q.lat) * mLat
            return dx * dx + dy * dy <= r * r * 1.03 && Geodesic.distance(q, p) <= r
        }
        if candidates.count <= scanLimit {
            var out = candidates.map { _ in [Int32]() }
            for t in 0..<targets {
                let ps = points(t)
                for c in candidates.indices where ps.contains(where: { within(candidates[c], $0, radius[c]) }) { out[c].append(Int32(t)) }
            }
            return out
        }
        // Buckets of reference points in lon/lat cells at least maxRadius wide, so the 3 × 3 cells around a
        // candidate hold everything within reach. A degree of latitude is ≥ 110 574 m; of longitude ≥ that × cos(lat).
        var pointList = [(point: Coordinate, target: Int32)]()
        var maxAbsLat = 0.0
        for t in 0..<targets {
            for p in points(t) {
                pointList.append((p, Int32(t)))
                maxAbsLat = max(maxAbsLat, abs(p.lat))
            }
        }
        let maxLat = min(89.0, maxAbsLat + maxRadius / 110_000 + 1e-9)
        let cellLat = max(maxRadius / 110_000, 1e-7)
        let cellLon = max(maxRadius / (110_000 * cos(maxLat * .pi / 180)), 1e-7)
        var cells = CellIndex(cellWidth: cellLon, cellHeight: cellLat)
        for (i, p) in pointList.enumerated() { cells.insert(Int32(i), x: p.point.lon, y: p.point.lat) }
        var seen = [Int32](repeating: -1, count: targets)
        let progress = WorkProgress.begin("reach: around each site", total: candidates.count, unit: "sites")
        defer { progress.finish() }
        return candidates.enumerated().map { c, q in
            progress.advance()
            // Out of budget (WorkBudget): the rest cover nothing; the planner's checkpoint then discards the result.
            if c & 63 == 0 && WorkBudget.shouldStop { return [] }
            var out = [Int32]()
            let r = radius[c]
            let (kx, ky) = cells.cell(x: q.lon, y: q.lat)
            for gx in (kx - 1)...(kx + 1) {
                for gy in (ky - 1)...(ky + 1) {
                    for i in cells.items(inCell: gx, gy) ?? [] where seen[Int(pointList[Int(i)].target)] != Int32(c) {
                        let (p, t) = pointList[Int(i)]
                        if within(q, p, r) {
                            seen[Int(t)] = Int32(c)
                            out.append(t)
                        }
                    }
                }
            }
            out.sort()
            return out
        }
    }

    /// Walking: one bounded shortest-path search per candidate (nodes beyond its radius are never visited), then the
    /// reference points on the edges it touched are read off. Candidates without a snap (beyond the snap limit)
    /// cover nothing. `targetSnaps[t]` are the snapped reference points of target t (unreachable ones left out).
    package static func walking(candidateSnaps: [Snap?], radius: [Double], targetSnaps: [[Snap]], graph: WalkGraph) throws -> [[Int32]] {
        // Reference points by edge (CSR): the target, the offset along the edge, the leg.
        var count = [Int](repeating: 0, count: graph.edgeCount + 1)
        for snaps in targetSnaps { for s in snaps { count[Int(s.edge) + 1] += 1 } }
        for e in 0..<graph.edgeCount { count[e + 1] += count[e] }
        var fill = count
        var onEdge = [(target: Int32, offset: Double, leg: Double)](repeating: (0, 0, 0), count: count[graph.edgeCount])
        for (t, snaps) in targetSnaps.enumerated() {
            for s in snaps {
                onEdge[fill[Int(s.edge)]] = (Int32(t), s.offset, s.leg)
                fill[Int(s.edge)] += 1
            }
        }
        let progress = WorkProgress.begin("reach: walking from each site", total: candidateSnaps.count, unit: "sites")
        defer { progress.finish() }
        // Each site's search is independent: as many threads as cores, each with its own search state.
        return try ParallelMap.map(count: candidateSnaps.count, makeState: { CandidateSearch(graph: graph, targets: targetSnaps.count) }) { search, c in
            progress.advance()
            guard let snap = candidateSnaps[c] else { return [] }
            return search.cover(from: snap, radius: radius[c], stamp: Int32(c), graph: graph, edgeStart: count, onEdge: onEdge)
        }
    }
}

/// Reads off the targets a bounded search from a site reaches, with stamps so nothing is reset between candidates.
package struct CandidateSearch {
    private var search: BoundedSearch
    private var edgeStamp: [Int32]
    private var targetStamp: [Int32]

    package init(graph: WalkGraph, targets: Int) {
        search = BoundedSearch(graph: graph)
        edgeStamp = [Int32](repeating: -1, count: graph.edgeCount)
        targetStamp = [Int32](repeating: -1, count: targets)
    }

    /// The targets within `radius` walking metres of the snapped site (legs included), ascending. `stamp` must differ
    /// between calls.
    package mutating func cover(from snap: Snap, radius: Double, stamp: Int32, graph: WalkGraph, edgeStart: [Int],
                        onEdge: [(target: Int32, offset: Double, leg: Double)]) -> [Int32] {
        search.run(graph, from: snap, initial: snap.leg, limit: radius)
        let se = Int(snap.edge)
        var out = [Int32]()
        func readEdge(_ e: Int) {
            guard edgeStamp[e] != stamp else { return }
            edgeStamp[e] = stamp
            let s = graph.edgeSource[e], t = graph.edgeTarget[e]
            let length = graph.edgeLength[e]
            for k in edgeStart[e]..<edgeStart[e + 1] {
                let p = onEdge[k]
                if targetStamp[Int(p.target)] == stamp { continue }
                // As ShortestPathTree.cost(at:): through either end of the edge, or along it from the site's own snap.
                var best = min(search.cost(s) + p.offset, search.cost(t) + length - p.offset)
                if e == se { best = min(best, snap.leg + abs(p.offset - snap.offset)) }
                if best + p.leg <= radius {
                    targetStamp[Int(p.target)] = stamp
                    out.append(p.target)
                }
            }
        }
        readEdge(se)
        for n in search.reached {
            for i in Int(graph.incidentStart[Int(n)])..<Int(graph.incidentStart[Int(n) + 1]) { readEdge(Int(graph.incident[i])) }
        }
        out.sort()
        return out
    }
}
