import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import HeapModule

/// What one break of the network costs: the compounds that walking coverage would gain if that break alone were
/// mended (from no path or uncovered to covered).
public struct BreakCost: Sendable {
    /// The compounds that would become covered, in the order of the compounds.
    public let compounds: [String]
    /// Their households (compounds without a count add nothing; see `unknownHouseholds`).
    public let households: Int
    /// How many of them have no household count.
    public let unknownHouseholds: Int
    /// How many of them have no path now (the rest are reached but too far).
    public let fromNoPath: Int

    public static let none = BreakCost(compounds: [], households: 0, unknownHouseholds: 0, fromNoPath: 0)
}

/// The cost of each break under one reach, against walking coverage as it is (`CoverageAnalysis`).
///
/// One shortest-path tree from every qualifying station (the coverage search); for each break the connector is
/// added to it alone: the costs it lowers are spread from its two ends, only where they fall and only within the
/// radius, and the compounds not covered now whose snapped positions lie on the edges reached are tried again.
/// Adding a connector never makes a path longer, so a covered compound stays covered.
public enum BreakCosts {
    public static func run(breaks: [NetworkBreak], stations: [Station], compounds: [CompoundSite], network: WalkingNetwork,
                           radius: Double, filter: StationFilter) throws -> (report: CoverageReport, costs: [BreakCost]) {
        let report = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network,
                                              options: CoverageOptions(reach: .uniform(radius), walk: true, filter: filter))
        let graph = network.graph
        let projection = try network.makeProjection()
        let qualifying = stations.filter { filter.accepts($0) }
        var sources = [NetworkSource]()
        for (i, s) in qualifying.enumerated() {
            guard let snap = network.snap(s.location, projection: projection) else { continue }
            sources.append(NetworkSource(snap: snap, initial: snap.leg, label: Int32(i)))
        }
        let tree = ShortestPathTree(graph: graph, sources: sources, limit: radius)

        // The compounds that could gain: reached by the network but not covered. Their snapped points by edge.
        var waiting = [Int32: [(compound: Int, snap: Snap)]]()
        for (i, c) in report.compounds.enumerated() where c.status == .noPath || c.status == .uncovered {
            for p in c.site.referencePoints {
                guard let snap = network.snap(p, projection: projection) else { continue }
                waiting[snap.edge, default: []].append((i, snap))
            }
        }

        struct Entry: Comparable {
            let cost: Double
            let node: Int32
            static func < (a: Entry, b: Entry) -> Bool { a.cost < b.cost || (a.cost == b.cost && a.node < b.node) }
        }
        var costs = [BreakCost]()
        costs.reserveCapacity(breaks.count)
        let progress = WorkProgress.begin("network: cost of each break", total: breaks.count, unit: "breaks")
        defer { progress.finish() }
        for b in breaks {
            try WorkBudget.checkpoint()
            progress.advance()
            guard !waiting.isEmpty else { costs.append(.none); continue }
            let g = b.connector.lengthMetres
            let dU = tree.cost(at: b.from.snap, graph: graph)?.cost ?? .infinity
            let dV = tree.cost(at: b.to.snap, graph: graph)?.cost ?? .infinity
            let newU = min(dU, dV + g), newV = min(dV, dU + g)
            var improved = [Int32: Double]()
            var heap = Heap<Entry>()
            func current(_ n: Int32) -> Double { improved[n] ?? tree.cost[Int(n)] }
            func relax(_ n: Int32, _ c: Double) {
                if c <= radius, c < current(n) {
                    improved[n] = c
                    heap.insert(Entry(cost: c, node: n))
                }
            }
            var virtual = [(point: GraphPoint, cost: Double)]()
            for (point, before, after) in [(b.from, dU, newU), (b.to, dV, newV)] where after < before && after <= radius {
                virtual.append((point, after))
                let e = Int(point.edge)
                relax(graph.edgeSource[e], after + point.offset)
                relax(graph.edgeTarget[e], after + graph.edgeLength[e] - point.offset)
            }
            guard !virtual.isEmpty else { costs.append(.none); continue }
            while let top = heap.popMin() {
                let n = Int(top.node)
                if top.cost > current(top.node) { continue }
                for i in Int(graph.incidentStart[n])..<Int(graph.incidentStart[n + 1]) {
                    let e = Int(graph.incident[i])
                    relax(graph.opposite(e, top.node), top.cost + graph.edgeLength[e])
                }
            }
            // Edges whose positions may now cost less: those at an improved node, and the connector's own.
            var edges = Set(virtual.map(\.point.edge))
            for n in improved.keys {
                for i in Int(graph.incidentStart[Int(n)])..<Int(graph.incidentStart[Int(n) + 1]) { edges.insert(graph.incident[i]) }
            }
            var gained = Set<Int>()
            for e in edges {
                for (compound, snap) in waiting[e] ?? [] where !gained.contains(compound) {
                    let s = graph.edgeSource[Int(e)], t = graph.edgeTarget[Int(e)]
                    var best = min(improved[s].map { $0 + snap.offset } ?? .infinity,
                                   improved[t].map { $0 + graph.edgeLength[Int(e)] - snap.offset } ?? .infinity)
                    for v in virtual where v.point.edge == e { best = min(best, v.cost + abs(snap.offset - v.point.offset)) }
                    if best + snap.leg <= radius { gained.insert(compound) }
                }
            }
            let sites = gained.sorted().map { report.compounds[$0] }
            costs.append(BreakCost(compounds: sites.map(\.site.id), households: sites.reduce(0) { $0 + ($1.site.households ?? 0) },
                                   unknownHouseholds: sites.filter { $0.site.households == nil }.count,
                                   fromNoPath: sites.filter { $0.status == .noPath }.count))
        }
        return (report, costs)
    }
}
