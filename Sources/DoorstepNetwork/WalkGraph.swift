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
    /// Index into `wayIDs` of the way each edge comes from.
    public let edgeWay: [Int32]
    public let wayIDs: [String]
    /// The level of each way (parallel to `wayIDs`).
    public let wayLevels: [WayLevel]
    /// Whether each way is a connector of `network mend` (parallel to `wayIDs`).
    public let wayMended: [Bool]
    /// The vertices of edge e are `vertices[vertexStart[e] ..< vertexStart[e + 1]]`, from source to target.
    public let vertexStart: [Int32]
    public let vertices: [Coordinate]
    /// Edges at node n: `incident[incidentStart[n] ..< incidentStart[n + 1]]`.
    public let incidentStart: [Int32]
    public let incident: [Int32]
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
        struct Key: Hashable {
            let x: Int64, y: Int64
        }
        func key(_ c: Coordinate) -> Key {
            if tolerance > 0 {
                return Key(x: Int64((c.lon / tolerance).rounded()), y: Int64((c.lat / tolerance).rounded()))
            }
            return Key(x: Int64(bitPattern: c.lon.bitPattern), y: Int64(bitPattern: c.lat.bitPattern))
        }
        var lines = [(way: Int32, points: [Coordinate])]()
        var wayIDs = [String]()
        var wayLevels = [WayLevel](), wayMended = [Bool]()
        let attached = WalkGraph.attachConnectors(ways)
        for (wi, way) in ways.enumerated() {
            let w = Int32(wayIDs.count)
            wayIDs.append(way.id)
            wayLevels.append(way.level)
            wayMended.append(way.mended)
            for line in attached[wi] ?? way.lines {
                var points = [Coordinate]()
                points.reserveCapacity(line.count)
                var lastKey: Key?
                for c in line {
                    let k = key(c)
                    if k != lastKey { points.append(c) }
                    lastKey = k
                }
                if points.count >= 2 { lines.append((w, points)) }
            }
        }
        // How often each position occurs; endpoints count twice so they always become nodes.
        var occurrences = [Key: Int32]()
        occurrences.reserveCapacity(lines.reduce(0) { $0 + $1.points.count })
        for line in lines {
            for (i, c) in line.points.enumerated() {
                occurrences[key(c), default: 0] += (i == 0 || i == line.points.count - 1) ? 2 : 1
            }
        }
        var nodeOf = [Key: Int32]()
        var nodes = [Coordinate]()
        func node(_ c: Coordinate) -> Int32 {
            let k = key(c)
            if let n = nodeOf[k] { return n }
            let n = Int32(nodes.count)
            nodeOf[k] = n
            nodes.append(c)
            return n
        }
        var source = [Int32](), target = [Int32](), length = [Double](), edgeWay = [Int32]()
        var vertexStart: [Int32] = [0], vertices = [Coordinate]()
        for line in lines {
            var from = node(line.points[0])
            var run: [Coordinate] = [line.points[0]]
            var metres = 0.0
            for i in 1..<line.points.count {
                let c = line.points[i]
                metres += Geodesic.distance(run[run.count - 1], c)
                run.append(c)
                let isNode = i == line.points.count - 1 || occurrences[key(c)]! >= 2
                if isNode {
                    let to = node(c)
                    if !(to == from && metres == 0) {
                        source.append(from); target.append(to); length.append(metres); edgeWay.append(line.way)
                        vertices.append(contentsOf: run)
                        vertexStart.append(Int32(vertices.count))
                    }
                    from = to
                    run = [c]
                    metres = 0
                }
            }
        }
        // Incidence lists (CSR).
        var degree = [Int32](repeating: 0, count: nodes.count + 1)
        for e in 0..<source.count {
            degree[Int(source[e]) + 1] += 1
            if target[e] != source[e] { degree[Int(target[e]) + 1] += 1 }
        }
        for n in 0..<nodes.count { degree[n + 1] += degree[n] }
        var fill = degree
        var incident = [Int32](repeating: 0, count: Int(degree[nodes.count]))
        for e in 0..<source.count {
            incident[Int(fill[Int(source[e])])] = Int32(e); fill[Int(source[e])] += 1
            if target[e] != source[e] { incident[Int(fill[Int(target[e])])] = Int32(e); fill[Int(target[e])] += 1 }
        }
        // Components by union-find, renumbered largest first.
        var parent = Array(0..<Int32(nodes.count))
        func find(_ x: Int32) -> Int32 {
            var x = x
            while parent[Int(x)] != x {
                parent[Int(x)] = parent[Int(parent[Int(x)])]
                x = parent[Int(x)]
            }
            return x
        }
        for e in 0..<source.count {
            let a = find(source[e]), b = find(target[e])
            if a != b { parent[Int(a)] = b }
        }
        var sizeOfRoot = [Int32: Int]()
        for n in 0..<Int32(nodes.count) { sizeOfRoot[find(n), default: 0] += 1 }
        let roots = sizeOfRoot.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var rank = [Int32: Int32]()
        for (i, r) in roots.enumerated() { rank[r.key] = Int32(i) }
        self.component = (0..<Int32(nodes.count)).map { rank[find($0)]! }
        self.componentSizes = roots.map(\.value)
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
        self.incidentStart = degree
        self.incident = incident
    }
}

extension WalkGraph {
    /// How close (degrees, about 0.1 mm) a connector's end must be to a line to split it there.
    public static let attachDegrees = 1e-9

    /// The lines of the ways that connectors' ends split, by way index: each end of a connector that lies on a
    /// segment of a line of another (not mended) way, and is not one of its vertices, is inserted into that segment.
    static func attachConnectors(_ ways: [Way]) -> [Int: [[Coordinate]]] {
        var ends = [Coordinate]()
        for way in ways where way.mended {
            for line in way.lines where !line.isEmpty {
                ends.append(line[0])
                ends.append(line[line.count - 1])
            }
        }
        guard !ends.isEmpty else { return [:] }
        // The ends in cells of 1e-4° (about 10 m), to find the segments passing through them.
        let cell = 1e-4
        struct Cell: Hashable { let x: Int64, y: Int64 }
        func cellOf(_ c: Coordinate) -> Cell { Cell(x: Int64((c.lon / cell).rounded(.down)), y: Int64((c.lat / cell).rounded(.down))) }
        var endsByCell = [Cell: [Coordinate]]()
        for e in ends { endsByCell[cellOf(e), default: []].append(e) }
        var out = [Int: [[Coordinate]]]()
        let eps = attachDegrees
        for (wi, way) in ways.enumerated() where !way.mended {
            var changed = false
            var newLines = [[Coordinate]]()
            for line in way.lines {
                guard line.count >= 2 else { newLines.append(line); continue }
                let vertices = Set(line.map { [$0.lon.bitPattern, $0.lat.bitPattern] })
                var result = [line[0]]
                for i in 1..<line.count {
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
                                if vertices.contains([e.lon.bitPattern, e.lat.bitPattern]) { continue }
                                if let t = WalkGraph.parameter(of: e, on: a, b, within: eps) { inserts.append((t, e)) }
                            }
                        }
                    }
                    if !inserts.isEmpty {
                        changed = true
                        var seen = Set<[UInt64]>()
                        for p in inserts.sorted(by: { $0.t < $1.t }) where seen.insert([p.c.lon.bitPattern, p.c.lat.bitPattern]).inserted {
                            result.append(p.c)
                        }
                    }
                    result.append(b)
                }
                newLines.append(result)
            }
            if changed { out[wi] = newLines }
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

    /// The edges as the store keeps them (`StoreWriter.storeNetwork`).
    public var edgeRecords: [NetworkEdgeRecord] {
        (0..<edgeCount).map { e in
            NetworkEdgeRecord(edge: e, source: Int(edgeSource[e]), target: Int(edgeTarget[e]), lengthMetres: edgeLength[e],
                              wayID: wayIDs[Int(edgeWay[e])], component: Int(component[Int(edgeSource[e])]),
                              line: Array(edgeVertices(e)))
        }
    }
}
