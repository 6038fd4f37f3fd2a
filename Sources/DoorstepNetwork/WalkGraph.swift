import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// The walkable network as a graph: nodes where ways meet or end, edges along the ways between them.
///
/// Built from the `ways` layer (DESIGN.md "Network"): each part of a MultiLineString is a line; consecutive duplicate
/// vertices are dropped; `foot=no` ways are left out before noding; a vertex is a node when it ends a line or when
/// lines (or one line twice) pass through it. Edge lengths are geodesic. Immutable, so it is shared freely.
public struct WalkGraph: Sendable {
    /// Node positions.
    public let nodes: [Coordinate]
    public let edgeSource: [Int32]
    public let edgeTarget: [Int32]
    /// Geodesic length of each edge in metres.
    public let edgeLength: [Double]
    /// Index into `wayIDs` of the way each edge comes from. Edges follow their ways' lines, so a way's edges are
    /// consecutive.
    public let edgeWay: [Int32]
    public let wayIDs: [String]
    /// The level of each way (parallel to `wayIDs`).
    public let wayLevels: WayLevels
    /// Whether each way is a connector of `network mend` (parallel to `wayIDs`).
    public let wayMended: [Bool]
    /// The vertices of edge e are `vertices[vertexStart[e] ..< vertexStart[e + 1]]`, from source to target.
    public let vertexStart: [Int32]
    public let vertices: [Coordinate]
    /// Edges at node n: `incident[incidentStart[n] ..< incidentStart[n + 1]]`.
    public let incidentStart: [Int32]
    public let incident: [Int32]
    /// The other end of each edge in `incident`, at the same position: a search reads a node's neighbours in one run
    /// of memory instead of looking up both ends of every edge (a province's edges are far apart in memory).
    public let incidentNode: [Int32]
    /// Connected component of each node (0 is the largest).
    public let component: [Int32]
    /// Node count of each component, largest first.
    public let componentSizes: [Int]

    public var edgeCount: Int { edgeSource.count }

    /// The other end of edge `e` seen from node `n`.
    @inline(__always)
    public func opposite(_ e: Int, _ n: Int32) -> Int32 { edgeSource[e] == n ? edgeTarget[e] : edgeSource[e] }

    public func edgeVertices(_ e: Int) -> ArraySlice<Coordinate> {
        vertices[Int(vertexStart[e])..<Int(vertexStart[e + 1])]
    }

    /// A way to build the graph from: its id and its lines.
    public typealias Way = WalkableWay

    /// Nodes the ways. `tolerance` (degrees, 0 = exact) merges vertices that fall in the same cell of that size, for
    /// data whose lines only nearly meet.
    ///
    /// A connector of `network mend` (`mended`) joins what its ends touch: an end that lies on another way's line
    /// (within `attachDegrees`) but on none of its vertices becomes a vertex of that line, so the line is split there
    /// and the connector meets it at a node. A connector of length 0 at a crossing joins the two ways that cross there.
    public init(ways: [Way], tolerance: Double = 0) {
        self.init(lines: WayLines(ways), tolerance: tolerance)
    }

    /// Nodes the ways, read flat (`WayLines`): what `init(ways:tolerance:)` does, in arrays sized by the input, with the
    /// edges' geodesic lengths measured on every core. Node and edge numbers, lengths and pieces are the same whichever
    /// form the ways come in.
    public init(lines: consuming WayLines, tolerance: Double = 0) {
        var input = WalkGraph.attachConnectors(consume lines)
        let exact = tolerance <= 0
        @inline(__always) func key(_ c: Coordinate) -> (UInt64, UInt64) {
            if exact { return (c.lon.bitPattern, c.lat.bitPattern) }
            return (UInt64(bitPattern: Int64((c.lon / tolerance).rounded())), UInt64(bitPattern: Int64((c.lat / tolerance).rounded())))
        }
        // The lines without consecutive repeated positions; lines left with fewer than two points are dropped.
        var points = [Coordinate](), pointStart = [Int](), lineWay = [Int32]()
        points.reserveCapacity(input.coordinates.count)
        pointStart.reserveCapacity(input.lineCount + 1)
        lineWay.reserveCapacity(input.lineCount)
        pointStart.append(0)
        for l in 0..<input.lineCount {
            let first = points.count
            var last: (UInt64, UInt64)?
            for c in input.line(l) {
                let k = key(c)
                if last == nil || k != last! { points.append(c) }
                last = k
            }
            if points.count - first >= 2 {
                pointStart.append(points.count)
                lineWay.append(input.lineWay[l])
            } else {
                points.removeLast(points.count - first)
            }
        }
        // From here on the ways' points are those above: the input keeps only what the graph keeps of it.
        let (wayIDs, wayLevels, wayMended) = (input.ids, input.levels, input.mended)
        input = WayLines()
        // How often each position occurs; endpoints count twice so they always become nodes. The positions are
        // split by hash into one table per core, each filled by its own thread from a pass over every line.
        let tables = PositionTable.partitioned(count: max(1, min(ParallelMap.cores, 8)), expected: min(points.count, 1 << 20))
        let lineCount = lineWay.count
        _ = try? ParallelMap.map(count: tables.count, chunk: 1, budgeted: false, makeState: { () }) { _, part in
            let table = tables[part]
            for l in 0..<lineCount {
                let a = pointStart[l], b = pointStart[l + 1] - 1
                for i in a...b {
                    let (x, y) = key(points[i])
                    if PositionTable.part(x, y, of: tables.count) == part { table.add(x, y, (i == a || i == b) ? 2 : 1) }
                }
            }
        }
        // Which points are nodes (an end, or a position met more than once), as a number for their position across
        // the tables (-1: not a node), on every core.
        var slotBase = [Int](repeating: 0, count: tables.count + 1)
        for t in tables.indices { slotBase[t + 1] = slotBase[t] + tables[t].capacity }
        var pointSlot = [Int32](repeating: -1, count: points.count)
        let linesPerChunk = 1 << 12
        pointSlot.withUnsafeMutableBufferPointer { out in
            let out = out
            // Each chunk of lines is written by the one thread that took it.
            _ = try? ParallelMap.map(count: (lineCount + linesPerChunk - 1) / linesPerChunk, chunk: 1, budgeted: false, makeState: { () }) { _, c in
                for l in (c * linesPerChunk)..<min(lineCount, (c + 1) * linesPerChunk) {
                    let a = pointStart[l], b = pointStart[l + 1] - 1
                    for i in a...b {
                        let (x, y) = key(points[i])
                        let part = PositionTable.part(x, y, of: tables.count)
                        let slot = tables[part].slot(x, y)
                        if i == a || i == b || tables[part].count(at: slot) >= 2 { out[i] = Int32(slotBase[part] + slot) }
                    }
                }
            }
        }
        // Nodes in the order edges first reach them; edges as ranges of `points`.
        var nodes = [Coordinate]()
        var nodeOfSlot = [Int32](repeating: -1, count: slotBase[tables.count])
        var source = [Int32](), target = [Int32](), edgeWay = [Int32](), edgeFirst = [Int32](), edgeLast = [Int32]()
        for l in 0..<lineCount {
            let a = pointStart[l], b = pointStart[l + 1] - 1
            var from: Int32 = -1
            var runStart = a
            for i in a...b {
                let slot = Int(pointSlot[i])
                guard slot >= 0 else { continue }
                var to = nodeOfSlot[slot]
                if to < 0 {
                    to = Int32(nodes.count)
                    nodeOfSlot[slot] = to
                    nodes.append(points[i])
                }
                // A loop back to where it started with no length is no edge (only a loop can have none).
                if i > a, to != from || (runStart..<i).contains(where: { Geodesic.distance(points[$0], points[$0 + 1]) != 0 }) {
                    source.append(from); target.append(to); edgeWay.append(lineWay[l])
                    edgeFirst.append(Int32(runStart)); edgeLast.append(Int32(i))
                }
                from = to
                runStart = i
            }
        }
        pointSlot = []
        nodeOfSlot = []
        // Each edge's vertices, and its length: the sum of its segments' geodesic lengths in order (as a walk along it
        // adds them), measured on every core.
        let edgeCount = source.count
        var vertexStart = [Int32](repeating: 0, count: edgeCount + 1)
        for e in 0..<edgeCount { vertexStart[e + 1] = vertexStart[e] + edgeLast[e] - edgeFirst[e] + 1 }
        var vertices = [Coordinate]()
        vertices.reserveCapacity(Int(vertexStart[edgeCount]))
        for e in 0..<edgeCount { vertices.append(contentsOf: points[Int(edgeFirst[e])...Int(edgeLast[e])]) }
        points = []
        edgeFirst = []
        edgeLast = []
        let length = WalkGraph.lengths(vertices: vertices, vertexStart: vertexStart)
        let (incidentStart, incident, incidentNode) = WalkGraph.incidence(nodeCount: nodes.count, source: source, target: target)
        // Components by union-find, numbered largest first (ties: the one whose root node comes first).
        var parent = Array(0..<Int32(nodes.count))
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        for e in 0..<edgeCount {
            let a = find(source[e]), b = find(target[e])
            if a != b { parent[Int(a)] = b }
        }
        var size = [Int32](repeating: 0, count: nodes.count)
        for n in 0..<Int32(nodes.count) { size[Int(find(n))] += 1 }
        let roots = (0..<Int32(nodes.count)).filter { size[Int($0)] > 0 }.sorted { (a: Int32, b: Int32) -> Bool in
            let sa = size[Int(a)], sb = size[Int(b)]
            return sa != sb ? sa > sb : a < b
        }
        var rank = [Int32](repeating: -1, count: nodes.count)
        for (i, r) in roots.enumerated() { rank[Int(r)] = Int32(i) }
        self.component = (0..<Int32(nodes.count)).map { rank[Int(find($0))] }
        self.componentSizes = roots.map { Int(size[Int($0)]) }
        self.nodes = nodes
        self.edgeSource = source
        self.edgeTarget = target
        self.edgeLength = length
        self.edgeWay = edgeWay
        self.wayIDs = wayIDs
        self.wayLevels = wayLevels
        self.wayMended = wayMended
        self.vertexStart = vertexStart
        self.vertices = vertices
        self.incidentStart = incidentStart
        self.incident = incident
        self.incidentNode = incidentNode
    }

    /// The incidence lists (CSR) of the edges `source[e]`–`target[e]`: for node n, its edges in edge order at
    /// `start[n] ..< start[n + 1]` of `incident`, with the other end of each in `node`; a loop is listed once.
    static func incidence(nodeCount: Int, source: [Int32], target: [Int32]) -> (start: [Int32], incident: [Int32], node: [Int32]) {
        let edgeCount = source.count
        var degree = [Int32](repeating: 0, count: nodeCount + 1)
        for e in 0..<edgeCount {
            degree[Int(source[e]) + 1] += 1
            if target[e] != source[e] { degree[Int(target[e]) + 1] += 1 }
        }
        for n in 0..<nodeCount { degree[n + 1] += degree[n] }
        var fill = degree
        var incident = [Int32](repeating: 0, count: Int(degree[nodeCount]))
        var incidentNode = [Int32](repeating: 0, count: Int(degree[nodeCount]))
        for e in 0..<edgeCount {
            let a = Int(source[e]), b = Int(target[e])
            incident[Int(fill[a])] = Int32(e); incidentNode[Int(fill[a])] = Int32(b); fill[a] += 1
            if a != b { incident[Int(fill[b])] = Int32(e); incidentNode[Int(fill[b])] = Int32(a); fill[b] += 1 }
        }
        return (degree, incident, incidentNode)
    }

    /// The geodesic length of every edge: its segments' lengths added in order, on every core.
    private static func lengths(vertices: [Coordinate], vertexStart: [Int32]) -> [Double] {
        let edgeCount = vertexStart.count - 1
        var length = [Double](repeating: 0, count: edgeCount)
        let chunk = 1 << 14
        length.withUnsafeMutableBufferPointer { out in
            let out = out
            // Each chunk of edges is written by the one thread that took it; nothing here can stop the work.
            _ = try? ParallelMap.map(count: (edgeCount + chunk - 1) / chunk, chunk: 1, budgeted: false, makeState: { () }) { _, c in
                for e in (c * chunk)..<min(edgeCount, (c + 1) * chunk) {
                    var metres = 0.0
                    for v in Int(vertexStart[e])..<(Int(vertexStart[e + 1]) - 1) {
                        metres += Geodesic.distance(vertices[v], vertices[v + 1])
                    }
                    out[e] = metres
                }
            }
        }
        return length
    }
}

/// Positions and how often they occur: open addressing over two 64-bit keys (a position's bits, or its cell under a
/// tolerance), a third of the memory of a dictionary of them. Slots never move once the table is done growing, so
/// the second pass looks each position up again and keeps node numbers by slot. A slot's keys and count lie side by
/// side in memory allocated here (one cache miss per probe, no exclusivity checks on a class's arrays): a province's
/// five million positions are far bigger than any cache.
private final class PositionTable: @unchecked Sendable {
    private struct Entry {
        var x: UInt64
        var y: UInt64
        /// Occurrences; 0: empty.
        var count: Int32
    }
    private var entries: UnsafeMutableBufferPointer<Entry>
    private var used = 0

    /// `count` tables, a position's table chosen by `part(_:_:of:)`. `@unchecked Sendable`: each table is filled by
    /// the one thread that owns its part, then only read.
    static func partitioned(count: Int, expected: Int) -> [PositionTable] {
        (0..<count).map { _ in PositionTable(expected: expected / count) }
    }

    /// Which of `count` tables holds a position.
    @inline(__always)
    static func part(_ x: UInt64, _ y: UInt64, of count: Int) -> Int {
        count == 1 ? 0 : Int(truncatingIfNeeded: (hash(x, y) >> 40) % UInt64(count))
    }

    init(expected: Int) {
        var capacity = 16
        while capacity < expected * 2 { capacity <<= 1 }
        entries = Self.empty(capacity)
    }

    deinit { entries.deallocate() }

    private static func empty(_ capacity: Int) -> UnsafeMutableBufferPointer<Entry> {
        let entries = UnsafeMutableBufferPointer<Entry>.allocate(capacity: capacity)
        entries.initialize(repeating: Entry(x: 0, y: 0, count: 0))
        return entries
    }

    var capacity: Int { entries.count }

    @inline(__always)
    private static func hash(_ x: UInt64, _ y: UInt64) -> UInt64 {
        var h = x &* 0x9E37_79B9_7F4A_7C15
        h ^= (y &+ (h >> 32)) &* 0xC2B2_AE3D_27D4_EB4F
        h ^= h >> 29
        return h &* 0x1656_67B1_9E37_79F9
    }

    /// The slot of a position that was added.
    @inline(__always)
    func slot(_ x: UInt64, _ y: UInt64) -> Int {
        let entries = self.entries
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(x, y) >> 7) & mask
        while entries[i].count != 0 {
            if entries[i].x == x && entries[i].y == y { return i }
            i = (i + 1) & mask
        }
        preconditionFailure("a position that was never added")
    }

    @inline(__always)
    func count(at slot: Int) -> Int32 { entries[slot].count }

    func add(_ x: UInt64, _ y: UInt64, _ n: Int32) {
        if (used + 1) * 10 > capacity * 7 { grow() }
        let entries = self.entries
        let mask = entries.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(x, y) >> 7) & mask
        while entries[i].count != 0 {
            if entries[i].x == x && entries[i].y == y { entries[i].count += n; return }
            i = (i + 1) & mask
        }
        entries[i] = Entry(x: x, y: y, count: n)
        used += 1
    }

    private func grow() {
        let old = entries
        var capacity = self.capacity
        repeat { capacity <<= 1 } while capacity < self.capacity * 2
        entries = Self.empty(capacity)
        used = 0
        for e in old where e.count != 0 { add(e.x, e.y, e.count) }
        old.deallocate()
    }
}

extension WalkGraph {
    /// How close (degrees, about 0.1 mm) a connector's end must be to a line to split it there.
    public static let attachDegrees = 1e-9

    /// The ways with their lines split where connectors' ends touch them: each end of a connector that lies on a
    /// segment of a line of another (not mended) way, and is not one of its vertices, is inserted into that segment.
    /// The ways as given when there is no connector.
    static func attachConnectors(_ ways: WayLines) -> WayLines {
        var ends = [Coordinate]()
        for l in 0..<ways.lineCount where ways.mended[Int(ways.lineWay[l])] {
            let line = ways.line(l)
            if let first = line.first, let last = line.last { ends.append(first); ends.append(last) }
        }
        guard !ends.isEmpty else { return ways }
        // The ends in cells of 1e-4° (about 10 m), to find the segments passing through them.
        let cell = 1e-4
        struct Cell: Hashable { let x: Int64, y: Int64 }
        func cellOf(_ c: Coordinate) -> Cell { Cell(x: Int64((c.lon / cell).rounded(.down)), y: Int64((c.lat / cell).rounded(.down))) }
        var endsByCell = [Cell: [Coordinate]]()
        for e in ends { endsByCell[cellOf(e), default: []].append(e) }
        let eps = attachDegrees
        var out = WayLines()
        out.reserve(ways: ways.count, points: ways.coordinates.count + ends.count)
        var l = 0
        for w in 0..<ways.count {
            out.append(id: ways.ids[w], level: ways.levels[w], mended: ways.mended[w])
            while l < ways.lineCount && Int(ways.lineWay[l]) == w {
                let line = ways.line(l)
                l += 1
                guard !ways.mended[w], line.count >= 2 else { out.appendLine(line); continue }
                var vertices: Set<[UInt64]>?
                var result = [line[line.startIndex]]
                for i in (line.startIndex + 1)..<line.endIndex {
                    let a = line[i - 1], b = line[i]
                    // Ends in the cells the segment's box covers, lying on it strictly between its vertices.
                    var inserts = [(t: Double, c: Coordinate)]()
                    let x0 = Int64(((min(a.lon, b.lon) - eps) / cell).rounded(.down))
                    let x1 = Int64(((max(a.lon, b.lon) + eps) / cell).rounded(.down))
                    let y0 = Int64(((min(a.lat, b.lat) - eps) / cell).rounded(.down))
                    let y1 = Int64(((max(a.lat, b.lat) + eps) / cell).rounded(.down))
                    for cx in x0...x1 {
                        for cy in y0...y1 {
                            for e in endsByCell[Cell(x: cx, y: cy)] ?? [] {
                                if vertices == nil { vertices = Set(line.map { [$0.lon.bitPattern, $0.lat.bitPattern] }) }
                                if vertices!.contains([e.lon.bitPattern, e.lat.bitPattern]) { continue }
                                if let t = WalkGraph.parameter(of: e, on: a, b, within: eps) { inserts.append((t, e)) }
                            }
                        }
                    }
                    if !inserts.isEmpty {
                        var seen = Set<[UInt64]>()
                        for p in inserts.sorted(by: { $0.t < $1.t }) where seen.insert([p.c.lon.bitPattern, p.c.lat.bitPattern]).inserted {
                            result.append(p.c)
                        }
                    }
                    result.append(b)
                }
                out.appendLine(result)
            }
        }
        return out
    }

    /// Where `p` lies on segment a–b (0 < t < 1), when it is within `eps` degrees of it.
    static func parameter(of p: Coordinate, on a: Coordinate, _ b: Coordinate, within eps: Double) -> Double? {
        let dx = b.lon - a.lon, dy = b.lat - a.lat
        let len2 = dx * dx + dy * dy
        guard len2 > 0 else { return nil }
        let t = ((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len2
        guard t > 0, t < 1 else { return nil }
        let qx = a.lon + t * dx - p.lon, qy = a.lat + t * dy - p.lat
        return qx * qx + qy * qy <= eps * eps ? t : nil
    }

    /// The edges as the store keeps them (`StoreWriter.storeNetwork`), made one at a time as the store writes them.
    public var edgeRecords: NetworkEdges {
        let graph = self
        return NetworkEdges(count: edgeCount) { e in
            NetworkEdgeRecord(edge: e, source: Int(graph.edgeSource[e]), target: Int(graph.edgeTarget[e]),
                              lengthMetres: graph.edgeLength[e], wayID: graph.wayIDs[Int(graph.edgeWay[e])],
                              component: Int(graph.component[Int(graph.edgeSource[e])]), line: graph.edgeVertices(e))
        }
    }
}
