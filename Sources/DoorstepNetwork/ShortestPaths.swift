import DoorstepModel
import DoorstepGeometry
import DoorstepStore

/// A place a search starts from: a position on the network with a starting cost and a label (e.g. a station index).
public struct NetworkSource: Sendable {
    public let snap: Snap
    /// Cost already spent on reaching `snap` (the straight leg; minus a radius for reach searches).
    public let initial: Double
    public let label: Int32

    public init(snap: Snap, initial: Double, label: Int32) {
        self.snap = snap
        self.initial = initial
        self.label = label
    }
}

/// One multi-source shortest-path search over the walking graph (a network Voronoi diagram): for every node the
/// least cost from any source and which source gives it.
public struct ShortestPathTree: Sendable {
    public let cost: [Double]
    public let label: [Int32]
    /// The edge by which each node was reached (-1 at a start), for routes; empty when made without `routes`.
    public let via: [Int32]
    private let sourcesByEdge: [Int32: [NetworkSource]]

    /// Dijkstra from every source at once; nodes costing more than `limit` are left unreached (cost ∞). Without
    /// `routes`, `via` is not kept (a province's coverage needs only costs and labels).
    public init(graph: WalkGraph, sources: [NetworkSource], limit: Double = .infinity, routes: Bool = true) {
        var cost = [Double](repeating: .infinity, count: graph.nodes.count)
        var label = [Int32](repeating: -1, count: graph.nodes.count)
        // Without routes one slot, written over and over: the loop stays the same.
        var via = [Int32](repeating: -1, count: routes ? graph.nodes.count : 1)
        let keep = routes ? Int.max : 0
        var heap = NodeHeap()
        var byEdge = [Int32: [NetworkSource]]()
        for s in sources {
            let e = Int(s.snap.edge)
            byEdge[s.snap.edge, default: []].append(s)
            for (n, c) in [(graph.edgeSource[e], s.initial + s.snap.offset), (graph.edgeTarget[e], s.initial + graph.edgeLength[e] - s.snap.offset)]
            where c < cost[Int(n)] && c <= limit {
                cost[Int(n)] = c; label[Int(n)] = s.label; via[min(Int(n), keep)] = -1
                heap.insert(c, n)
            }
        }
        // The search's loop, over the arrays themselves (no closure holds them, so nothing is boxed or checked per step).
        cost.withUnsafeMutableBufferPointer { cost in
            label.withUnsafeMutableBufferPointer { label in
                via.withUnsafeMutableBufferPointer { via in
                    graph.incidentStart.withUnsafeBufferPointer { start in
                        graph.incident.withUnsafeBufferPointer { incident in
                            graph.incidentNode.withUnsafeBufferPointer { neighbour in
                                graph.edgeLength.withUnsafeBufferPointer { length in
                                    while let (c0, node) = heap.popMin() {
                                        let n = Int(node)
                                        if c0 > cost[n] { continue }
                                        for i in Int(start[n])..<Int(start[n + 1]) {
                                            let e = Int(incident[i])
                                            let m = Int(neighbour[i])
                                            let c = c0 + length[e]
                                            if c < cost[m] && c <= limit {
                                                cost[m] = c; label[m] = label[n]; via[min(m, keep)] = Int32(e)
                                                heap.insert(c, Int32(m))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.cost = cost
        self.label = label
        self.via = routes ? via : []
        self.sourcesByEdge = byEdge
    }

    /// The least cost from any source to a snapped position, and the source's label; nil when no path.
    public func cost(at snap: Snap, graph: WalkGraph) -> (cost: Double, label: Int32)? {
        let e = Int(snap.edge)
        var best: (cost: Double, label: Int32)?
        let s = graph.edgeSource[e], t = graph.edgeTarget[e]
        let viaSource = cost[Int(s)] + snap.offset
        let viaTarget = cost[Int(t)] + graph.edgeLength[e] - snap.offset
        if viaSource.isFinite { best = (viaSource, label[Int(s)]) }
        if viaTarget.isFinite, best == nil || viaTarget < best!.cost { best = (viaTarget, label[Int(t)]) }
        // A source on the same edge reaches it directly along the edge.
        for source in sourcesByEdge[snap.edge] ?? [] {
            let c = source.initial + abs(snap.offset - source.snap.offset)
            if best == nil || c < best!.cost { best = (c, source.label) }
        }
        return best
    }
}

/// A shortest-path search from one place that stops at a distance, touching only what it reaches: the form for many
/// small searches (a planner's candidates, service areas), where `ShortestPathTree`'s fresh arrays over every node of a
/// city would cost more than the search. Its arrays are allocated once and reset only where the last run went.
///
/// Not `Sendable` in use: one search per task (make one per thread).
public struct BoundedSearch {
    private var costs: [Double]
    /// Nodes reached by the last run (cost within its limit), in the order they were first reached.
    public private(set) var reached: [Int32] = []
    private var heap = NodeHeap()

    public init(graph: WalkGraph) {
        costs = [Double](repeating: .infinity, count: graph.nodes.count)
    }

    /// Dijkstra from `snap` (both ends of its edge, `initial` already spent) over every node within `limit`.
    public mutating func run(_ graph: WalkGraph, from snap: Snap, initial: Double = 0, limit: Double) {
        for n in reached { costs[Int(n)] = .infinity }
        reached.removeAll(keepingCapacity: true)
        heap.removeAll()
        let e = Int(snap.edge)
        relax(graph.edgeSource[e], initial + snap.offset, limit)
        relax(graph.edgeTarget[e], initial + graph.edgeLength[e] - snap.offset, limit)
        while let (cost, node) = heap.popMin() {
            let n = Int(node)
            if cost > costs[n] { continue }
            for i in Int(graph.incidentStart[n])..<Int(graph.incidentStart[n + 1]) {
                let edge = Int(graph.incident[i])
                relax(graph.opposite(edge, node), cost + graph.edgeLength[edge], limit)
            }
        }
    }

    private mutating func relax(_ n: Int32, _ c: Double, _ limit: Double) {
        if c <= limit, c < costs[Int(n)] {
            if costs[Int(n)] == .infinity { reached.append(n) }
            costs[Int(n)] = c
            heap.insert(c, n)
        }
    }

    /// The least cost of `node` in the last run; ∞ when it was not reached.
    public func cost(_ node: Int32) -> Double { costs[Int(node)] }

    /// Edges with at least one end reached in the last run, each once, ascending.
    public func touchedEdges(_ graph: WalkGraph) -> [Int] {
        var seen = Set<Int>()
        for n in reached {
            for i in Int(graph.incidentStart[Int(n)])..<Int(graph.incidentStart[Int(n) + 1]) { seen.insert(Int(graph.incident[i])) }
        }
        return seen.sorted()
    }
}

/// The searches' priority queue: a 4-ary min-heap of (cost, node), popped in order of cost, then node (so equal costs
/// are settled in the same order whatever the insertion order), with lazy deletion left to the caller. Four children
/// per entry and cost and node side by side in one array: a city-wide search holds millions of entries, and each
/// level down is a cache miss, so half the levels and one miss per level instead of two.
struct NodeHeap {
    private struct Entry {
        var cost: Double
        var node: Int32
    }
    private var entries: [Entry] = []

    var isEmpty: Bool { entries.isEmpty }

    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    @inline(__always)
    private static func less(_ a: Entry, _ b: Entry) -> Bool { a.cost < b.cost || (a.cost == b.cost && a.node < b.node) }

    mutating func insert(_ cost: Double, _ node: Int32) {
        let entry = Entry(cost: cost, node: node)
        entries.append(entry)
        entries.withUnsafeMutableBufferPointer { heap in
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) >> 2
                guard Self.less(entry, heap[parent]) else { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = entry
        }
    }

    mutating func popMin() -> (Double, Int32)? {
        guard let last = entries.popLast() else { return nil }
        guard !entries.isEmpty else { return (last.cost, last.node) }
        return entries.withUnsafeMutableBufferPointer { heap in
            let top = heap[0]
            // Sift the last entry down from the root.
            let count = heap.count
            var i = 0
            while true {
                let first = 4 * i + 1
                guard first < count else { break }
                var child = first
                var k = first + 1
                let end = min(first + 4, count)
                while k < end {
                    if Self.less(heap[k], heap[child]) { child = k }
                    k += 1
                }
                guard Self.less(heap[child], last) else { break }
                heap[i] = heap[child]
                i = child
            }
            heap[i] = last
            return (top.cost, top.node)
        }
    }
}
