import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation

/// A position on the walking graph: on edge `edge`, `offset` geodesic metres from its source (0 or the edge's
/// length at a node).
public struct GraphPoint: Sendable, Hashable {
    public let edge: Int32
    public let offset: Double
    public let position: Coordinate

    public init(edge: Int32, offset: Double, position: Coordinate) {
        self.edge = edge
        self.offset = offset
        self.position = position
    }

    /// The point as a snap with no straight leg (for the shortest-path searches).
    public var snap: Snap { Snap(edge: edge, offset: offset, position: position, planeDistance: 0, leg: 0) }
}

/// One break of the walking network that a connector could mend: a dangling end near another way, or two ways on
/// the same level that cross without a shared vertex.
public struct NetworkBreak: Sendable {
    /// The connector that would mend it (for a refused end: the one it was refused; see `refusal`).
    public let connector: NetworkConnector
    /// Where the connector starts and ends on the graph.
    public let from: GraphPoint
    public let to: GraphPoint
    /// The pieces it joins (the same twice when both sides are on one piece).
    public let fromPiece: Int
    public let toPiece: Int
    /// Why `network mend` leaves it alone, nil when it mends it.
    public let refusal: String?

    public var kind: NetworkConnector.Kind { connector.kind }
    public var mendable: Bool { refusal == nil }
    /// True when it joins two pieces.
    public var joinsPieces: Bool { fromPiece != toPiece }
}

/// What breaks the walking network and what `network mend` would add: dangling ends within the tolerance of another
/// edge, near-miss crossings, and the connectors (`NetworkRepair.find`).
public struct NetworkBreaks: Sendable {
    /// Metres.
    public let tolerance: Double
    /// Every dangling end within `tolerance` of another edge, nearest candidate first tried, mendable or not.
    public let danglingEnds: [NetworkBreak]
    /// Lines on the same level that cross without a shared vertex.
    public let crossings: [NetworkBreak]
    /// Crossings without a shared vertex between ways on different levels (bridges, tunnels, layers): left alone.
    public let crossingsAtDifferentLevels: Int
    /// Dangling ends of the network in all (degree-1 nodes), near another edge or not.
    public let danglingEndCount: Int

    /// The connectors `network mend` adds: every mendable end and crossing, each join once.
    public var connectors: [NetworkConnector] { (danglingEnds + crossings).filter(\.mendable).map(\.connector) }
    /// The breaks that would be mended.
    public var mendable: [NetworkBreak] { (danglingEnds + crossings).filter(\.mendable) }
}

/// What a connector may not cross: the ways closed to pedestrians and the water, in the metric plane.
public struct NetworkBarriers {
    private struct Segment { let ax, ay, bx, by: Double; let owner: Int }
    private struct Area { let rings: [[(x: Double, y: Double)]]; let owner: Int }
    private var names = [String]()
    private var segments = [Segment]()
    private var areas = [Area]()
    private var cells = [Int64: [Int]]()
    private let cellSize = 50.0

    public init(closedWays: [WalkableWay], water: [WaterFeature], projection: MetricProjection) {
        func addLine(_ line: [Coordinate], owner: Int) {
            let ps = line.map(projection.project)
            for (a, b) in zip(ps, ps.dropFirst()) { segments.append(Segment(ax: a.x, ay: a.y, bx: b.x, by: b.y, owner: owner)) }
        }
        for way in closedWays {
            names.append("the way \(way.id) (foot=no)")
            for line in way.lines { addLine(line, owner: names.count - 1) }
        }
        for w in water {
            let what = [w.kind, w.name].compactMap { $0 }.joined(separator: " ")
            names.append("water\(what.isEmpty ? "" : " (\(what))") \(w.id)")
            let owner = names.count - 1
            switch w.geometry {
            case .lineString(let l): addLine(l, owner: owner)
            case .multiLineString(let ls): for l in ls { addLine(l, owner: owner) }
            case .polygon(let rings):
                for r in rings { addLine(r, owner: owner) }
                areas.append(Area(rings: rings.map { $0.map(projection.project) }, owner: owner))
            case .multiPolygon(let polygons):
                for rings in polygons {
                    for r in rings { addLine(r, owner: owner) }
                    areas.append(Area(rings: rings.map { $0.map(projection.project) }, owner: owner))
                }
            default: break
            }
        }
        for (i, s) in segments.enumerated() {
            for key in Self.cellKeys(min(s.ax, s.bx), min(s.ay, s.by), max(s.ax, s.bx), max(s.ay, s.by), cellSize) {
                cells[key, default: []].append(i)
            }
        }
    }

    public var isEmpty: Bool { segments.isEmpty }

    static func cellKeys(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ size: Double) -> [Int64] {
        let cx0 = Int64((x0 / size).rounded(.down)), cx1 = Int64((x1 / size).rounded(.down))
        let cy0 = Int64((y0 / size).rounded(.down)), cy1 = Int64((y1 / size).rounded(.down))
        var out = [Int64]()
        for cx in cx0...cx1 { for cy in cy0...cy1 { out.append((cx << 32) ^ (cy & 0xFFFF_FFFF)) } }
        return out
    }

    /// What the straight line from p to q (plane metres) would cross or enter, nil when nothing.
    public func crossed(_ p: (x: Double, y: Double), _ q: (x: Double, y: Double)) -> String? {
        guard !segments.isEmpty else { return nil }
        var seen = Set<Int>()
        for key in Self.cellKeys(min(p.x, q.x), min(p.y, q.y), max(p.x, q.x), max(p.y, q.y), cellSize) {
            for i in cells[key] ?? [] where seen.insert(i).inserted {
                let s = segments[i]
                if Plane.segmentsIntersect(p, q, (s.ax, s.ay), (s.bx, s.by)) { return names[s.owner] }
            }
        }
        let mid = ((p.x + q.x) / 2, (p.y + q.y) / 2)
        for area in areas {
            for point in [p, q, mid] where Plane.contains(area.rings, point) { return names[area.owner] }
        }
        return nil
    }
}

/// Plane geometry of segments (metres, or degrees treated as a plane).
enum Plane {
    static func cross(_ o: (x: Double, y: Double), _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }

    /// Whether segments p–q and a–b share any point (touching counts).
    static func segmentsIntersect(_ p: (x: Double, y: Double), _ q: (x: Double, y: Double),
                                  _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Bool {
        let d1 = cross(a, b, p), d2 = cross(a, b, q), d3 = cross(p, q, a), d4 = cross(p, q, b)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        func on(_ o: (x: Double, y: Double), _ s: (x: Double, y: Double), _ e: (x: Double, y: Double), _ d: Double) -> Bool {
            d == 0 && min(s.x, e.x) <= o.x && o.x <= max(s.x, e.x) && min(s.y, e.y) <= o.y && o.y <= max(s.y, e.y)
        }
        return on(p, a, b, d1) || on(q, a, b, d2) || on(a, p, q, d3) || on(b, p, q, d4)
    }

    /// Where segments p–q and a–b cross properly (each strictly between the other's ends): the parameter along p–q.
    static func properCrossing(_ p: (x: Double, y: Double), _ q: (x: Double, y: Double),
                               _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double? {
        let d1 = cross(a, b, p), d2 = cross(a, b, q), d3 = cross(p, q, a), d4 = cross(p, q, b)
        guard ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) else { return nil }
        return d1 / (d1 - d2)
    }

    /// Even-odd point in polygon over all rings.
    static func contains(_ rings: [[(x: Double, y: Double)]], _ p: (x: Double, y: Double)) -> Bool {
        var inside = false
        for ring in rings where ring.count >= 3 {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
                j = i
            }
        }
        return inside
    }
}

/// Finds the breaks of a walking graph and the connectors that mend them (DESIGN.md "Mending the network").
public enum NetworkRepair {
    /// `--within`: metres, 0 … 50. Beyond 50 m a gap is no slip of the data any more but a missing street, to be
    /// drawn by someone who has seen the place.
    public static let toleranceRange: ClosedRange<Double> = 0...50
    public static let defaultTolerance = 5.0
    /// A point of another edge this close (metres) to one of its vertices is taken as that vertex.
    static let vertexSnap = 0.01

    /// The breaks of `graph` (which should hold no connectors when planning a mend): dangling ends within
    /// `tolerance` metres of another edge, with the connector each gets or why it gets none, and the near-miss
    /// crossings.
    ///
    /// The rules, in order, for a dangling end (a node with one edge):
    /// - candidates are the other edges (not its own) within the tolerance, nearest first; the connector goes to
    ///   the nearest point of the first candidate that passes the rules below;
    /// - levels: the end may join the middle of an edge on its own level, or, when its way is a bridge or tunnel,
    ///   on the ground (the end of a bridge or tunnel is where it meets the ground); it may join another way's end
    ///   (a node with one edge) whatever the levels (a bridge meets its approach there);
    /// - the straight connector may not cross or enter water, a `foot=no` way, or another walkable edge;
    /// - it must save a detour: when the network already leads from the end to that point within the gap plus the
    ///   tolerance, the end is left alone.
    /// A crossing is mended (a connector of length 0 at the crossing point) only when both ways are on the same level.
    public static func find(graph: WalkGraph, projection: MetricProjection, tolerance: Double,
                            barriers: NetworkBarriers) -> NetworkBreaks {
        let index = SegmentIndex(graph: graph, projection: projection)
        var search = BoundedSearch(graph: graph)

        func degree(_ n: Int32) -> Int { Int(graph.incidentStart[Int(n) + 1] - graph.incidentStart[Int(n)]) }
        func piece(_ e: Int32) -> Int { Int(graph.component[Int(graph.edgeSource[Int(e)])]) }
        func way(_ e: Int32) -> Int { Int(graph.edgeWay[Int(e)]) }

        var ends = [NetworkBreak]()
        var danglingCount = 0
        var joined = Set<[UInt64]>()
        let progress = WorkProgress.begin("network: looking for breaks", total: graph.nodes.count, unit: "nodes")
        defer { progress.finish() }
        for n in 0..<Int32(graph.nodes.count) where degree(n) == 1 {
            progress.advance(to: Int(n))
            let e0 = graph.incident[Int(graph.incidentStart[Int(n)])]
            if graph.edgeSource[Int(e0)] == graph.edgeTarget[Int(e0)] { continue }  // a loop: not an end
            danglingCount += 1
            let p = graph.nodes[Int(n)]
            let pp = projection.project(p)
            let endWay = way(e0)
            let endLevel = graph.wayLevels[endWay]
            let from = GraphPoint(edge: e0, offset: graph.edgeSource[Int(e0)] == n ? 0 : graph.edgeLength[Int(e0)], position: p)

            // Nearest point of each other edge within the tolerance (plane metres), nearest first.
            var nearest = [Int32: (d: Double, v: Int, t: Double)]()
            for v in index.segments(near: pp, radius: tolerance) {
                let e = index.segmentEdge[v]
                if graph.edgeSource[Int(e)] == n || graph.edgeTarget[Int(e)] == n { continue }
                let (d, t) = index.distance(from: pp, toSegment: v)
                if d <= tolerance, nearest[e].map({ d < $0.d }) ?? true { nearest[e] = (d, v, t) }
            }
            guard !nearest.isEmpty else { continue }
            var firstRefused: NetworkBreak?
            var accepted: NetworkBreak?
            for (e, hit) in nearest.sorted(by: { $0.value.d != $1.value.d ? $0.value.d < $1.value.d : $0.key < $1.key }) {
                let to = index.point(on: e, segment: hit.v, t: hit.t, graph: graph, projection: projection)
                let gap = Geodesic.distance(p, to.position)
                guard gap <= tolerance + 1e-9 else { continue }
                let targetWay = way(e)
                let targetNode: Int32? = to.offset == 0 ? graph.edgeSource[Int(e)] : to.offset == graph.edgeLength[Int(e)] ? graph.edgeTarget[Int(e)] : nil
                let toEnd = targetNode.map { degree($0) == 1 } ?? false
                let targetLevel = graph.wayLevels[targetWay]
                var refusal: String?
                if !toEnd, targetLevel != endLevel, !((endLevel.bridge || endLevel.tunnel) && targetLevel.isGround) {
                    refusal = "on another level (\(endLevel) here, \(targetLevel) there)"
                }
                let tp = projection.project(to.position)
                if refusal == nil, let barrier = barriers.crossed(pp, tp) {
                    refusal = "across \(barrier)"
                }
                if refusal == nil, let crossed = index.crossedEdge(pp, tp, except: { edge in
                    edge == e || graph.edgeSource[Int(edge)] == n || graph.edgeTarget[Int(edge)] == n
                        || (targetNode.map { graph.edgeSource[Int(edge)] == $0 || graph.edgeTarget[Int(edge)] == $0 } ?? false)
                }) {
                    refusal = "it would cross the way \(graph.wayIDs[way(crossed)]) without a junction"
                }
                if refusal == nil {
                    let limit = gap + tolerance
                    search.run(graph, from: from.snap, limit: limit)
                    let s = graph.edgeSource[Int(e)], t = graph.edgeTarget[Int(e)]
                    let along = min(search.cost(s) + to.offset, search.cost(t) + graph.edgeLength[Int(e)] - to.offset)
                    if along <= limit {
                        refusal = String(format: "already connected: %.1f m along the network", along)
                    }
                }
                let pieceFrom = piece(e0), pieceTo = piece(e)
                let reason: String
                if let refusal {
                    reason = "dangling end of \(graph.wayIDs[endWay]) \(String(format: "%.2f", gap)) m from \(graph.wayIDs[targetWay]): left alone, \(refusal)"
                } else {
                    reason = "dangling end of \(graph.wayIDs[endWay]) \(String(format: "%.2f", gap)) m from \(graph.wayIDs[targetWay])"
                        + (pieceFrom != pieceTo ? " (joins two pieces)" : "")
                }
                let connector = NetworkConnector(kind: .danglingEnd, line: [p, to.position], lengthMetres: gap,
                                                 fromWay: graph.wayIDs[endWay], toWay: graph.wayIDs[targetWay], reason: reason)
                let found = NetworkBreak(connector: connector, from: from, to: to, fromPiece: pieceFrom, toPiece: pieceTo, refusal: refusal)
                if refusal == nil { accepted = found; break }
                if firstRefused == nil { firstRefused = found }
            }
            guard var result = accepted ?? firstRefused else { continue }
            if result.mendable {
                // Two ends joined to each other: one connector.
                let a = result.connector.line[0], b = result.connector.line[1]
                let key = [a, b].map { [$0.lon.bitPattern, $0.lat.bitPattern] }.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { $0 }
                if !joined.insert(key).inserted {
                    var connector = result.connector
                    connector.reason += ": left alone, the other end's connector joins them"
                    result = NetworkBreak(connector: connector, from: result.from, to: result.to, fromPiece: result.fromPiece,
                                          toPiece: result.toPiece, refusal: "the other end's connector joins them")
                }
            }
            ends.append(result)
        }

        // Near-miss crossings: segments of two edges that cross strictly inside both (no shared vertex), found in
        // longitude/latitude so the crossing point lies on both lines as the graph sees them.
        var crossings = [NetworkBreak]()
        var differentLevels = 0
        index.forEachCrossingPair { v, w in
            let e = index.segmentEdge[v], f = index.segmentEdge[w]
            let a = graph.vertices[v], b = graph.vertices[v + 1], c = graph.vertices[w], d = graph.vertices[w + 1]
            guard let t = Plane.properCrossing((a.lon, a.lat), (b.lon, b.lat), (c.lon, c.lat), (d.lon, d.lat)) else { return }
            let x = Coordinate(lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat))
            let levelE = graph.wayLevels[way(e)], levelF = graph.wayLevels[way(f)]
            guard levelE == levelF else { differentLevels += 1; return }
            let fromPoint = GraphPoint(edge: e, offset: index.offset(onEdge: e, vertex: v, to: x, graph: graph), position: x)
            let toPoint = GraphPoint(edge: f, offset: index.offset(onEdge: f, vertex: w, to: x, graph: graph), position: x)
            let wayE = graph.wayIDs[way(e)], wayF = graph.wayIDs[way(f)]
            let connector = NetworkConnector(
                kind: .crossing, line: [x, x], lengthMetres: 0, fromWay: wayE, toWay: wayF,
                reason: "crossing of \(wayE) and \(wayF) (\(levelE)) without a shared vertex" + (piece(e) != piece(f) ? " (joins two pieces)" : ""))
            crossings.append(NetworkBreak(connector: connector, from: fromPoint, to: toPoint, fromPiece: piece(e), toPiece: piece(f), refusal: nil))
        }
        return NetworkBreaks(tolerance: tolerance, danglingEnds: ends, crossings: crossings,
                             crossingsAtDifferentLevels: differentLevels, danglingEndCount: danglingCount)
    }
}

/// The graph's edge segments in the metric plane, in a uniform grid: what is near a point, and which segments cross.
struct SegmentIndex {
    let cellSize = 25.0
    let xs: [Double]
    let ys: [Double]
    /// For each vertex: the edge whose segment it starts, or -1 for an edge's last vertex.
    let segmentEdge: [Int32]
    private let cells: [Int64: [Int32]]

    init(graph: WalkGraph, projection: MetricProjection) {
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(graph.vertices.count)
        ys.reserveCapacity(graph.vertices.count)
        for c in graph.vertices {
            let p = projection.project(c)
            xs.append(p.x)
            ys.append(p.y)
        }
        var segmentEdge = [Int32](repeating: -1, count: graph.vertices.count)
        var cells = [Int64: [Int32]]()
        for e in 0..<graph.edgeCount {
            for v in Int(graph.vertexStart[e])..<(Int(graph.vertexStart[e + 1]) - 1) {
                segmentEdge[v] = Int32(e)
                for key in NetworkBarriers.cellKeys(min(xs[v], xs[v + 1]), min(ys[v], ys[v + 1]),
                                                    max(xs[v], xs[v + 1]), max(ys[v], ys[v + 1]), cellSize) {
                    cells[key, default: []].append(Int32(v))
                }
            }
        }
        self.xs = xs
        self.ys = ys
        self.segmentEdge = segmentEdge
        self.cells = cells
    }

    /// Segments (their first vertex) with a cell within `radius` of p, each once.
    func segments(near p: (x: Double, y: Double), radius: Double) -> [Int] {
        var seen = Set<Int>()
        var out = [Int]()
        for key in NetworkBarriers.cellKeys(p.x - radius, p.y - radius, p.x + radius, p.y + radius, cellSize) {
            for v in cells[key] ?? [] where seen.insert(Int(v)).inserted { out.append(Int(v)) }
        }
        return out
    }

    /// Plane distance from p to segment v, and the parameter of the nearest point.
    func distance(from p: (x: Double, y: Double), toSegment v: Int) -> (Double, Double) {
        let ax = xs[v], ay = ys[v], dx = xs[v + 1] - ax, dy = ys[v + 1] - ay
        let len2 = dx * dx + dy * dy
        let t = len2 > 0 ? min(1, max(0, ((p.x - ax) * dx + (p.y - ay) * dy) / len2)) : 0
        let qx = ax + t * dx - p.x, qy = ay + t * dy - p.y
        return ((qx * qx + qy * qy).squareRoot(), t)
    }

    /// The point at parameter t of segment v of edge e, as a graph point; within `vertexSnap` of a vertex it is
    /// that vertex.
    func point(on e: Int32, segment v: Int, t: Double, graph: WalkGraph, projection: MetricProjection) -> GraphPoint {
        let a = graph.vertices[v], b = graph.vertices[v + 1]
        let segmentMetres = ((xs[v + 1] - xs[v]) * (xs[v + 1] - xs[v]) + (ys[v + 1] - ys[v]) * (ys[v + 1] - ys[v])).squareRoot()
        var position = Coordinate(lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat))
        if t * segmentMetres <= NetworkRepair.vertexSnap { position = a } else if (1 - t) * segmentMetres <= NetworkRepair.vertexSnap { position = b }
        let start = Int(graph.vertexStart[Int(e)]), last = Int(graph.vertexStart[Int(e) + 1]) - 1
        if position == graph.vertices[start] { return GraphPoint(edge: e, offset: 0, position: position) }
        if position == graph.vertices[last] { return GraphPoint(edge: e, offset: graph.edgeLength[Int(e)], position: position) }
        return GraphPoint(edge: e, offset: offset(onEdge: e, vertex: v, to: position, graph: graph), position: position)
    }

    /// Geodesic metres along edge e from its source to `position` on its segment starting at vertex v.
    func offset(onEdge e: Int32, vertex v: Int, to position: Coordinate, graph: WalkGraph) -> Double {
        var metres = 0.0
        var i = Int(graph.vertexStart[Int(e)])
        while i < v {
            metres += Geodesic.distance(graph.vertices[i], graph.vertices[i + 1])
            i += 1
        }
        return min(metres + Geodesic.distance(graph.vertices[v], position), graph.edgeLength[Int(e)])
    }

    /// The first edge (not excluded) whose segment p–q (plane) crosses or touches, or nil.
    func crossedEdge(_ p: (x: Double, y: Double), _ q: (x: Double, y: Double), except: (Int32) -> Bool) -> Int32? {
        var seen = Set<Int32>()
        for key in NetworkBarriers.cellKeys(min(p.x, q.x), min(p.y, q.y), max(p.x, q.x), max(p.y, q.y), cellSize) {
            for v in cells[key] ?? [] where seen.insert(v).inserted {
                let e = segmentEdge[Int(v)]
                if except(e) { continue }
                if Plane.segmentsIntersect(p, q, (xs[Int(v)], ys[Int(v)]), (xs[Int(v) + 1], ys[Int(v) + 1])) { return e }
            }
        }
        return nil
    }

    /// Calls `body` once for each pair of segments of different edges that share a cell and whose boxes overlap
    /// (the caller decides whether they cross), lower vertex first.
    func forEachCrossingPair(_ body: (Int, Int) -> Void) {
        var seen = Set<Int64>()
        for key in cells.keys.sorted() {
            let list = cells[key]!
            guard list.count > 1 else { continue }
            for i in 0..<list.count {
                let v = Int(list[i])
                for j in (i + 1)..<list.count {
                    let w = Int(list[j])
                    if segmentEdge[v] == segmentEdge[w] { continue }
                    let (lo, hi) = v < w ? (v, w) : (w, v)
                    if max(xs[lo], xs[lo + 1]) < min(xs[hi], xs[hi + 1]) || max(xs[hi], xs[hi + 1]) < min(xs[lo], xs[lo + 1]) { continue }
                    if max(ys[lo], ys[lo + 1]) < min(ys[hi], ys[hi + 1]) || max(ys[hi], ys[hi + 1]) < min(ys[lo], ys[lo + 1]) { continue }
                    guard seen.insert(Int64(lo) << 32 | Int64(hi)).inserted else { continue }
                    body(lo, hi)
                }
            }
        }
    }
}
