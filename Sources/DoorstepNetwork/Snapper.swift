import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation

/// Where a point meets the network: a position on an edge.
public struct Snap: Sendable, Hashable {
    public let edge: Int32
    /// Geodesic metres from the edge's source along the edge to `position`.
    public let offset: Double
    /// The nearest position on the edge.
    public let position: Coordinate
    /// Distance in the metric plane from the point to `position` (what the snap limit is measured on).
    public let planeDistance: Double
    /// Geodesic length of the straight leg from the point to `position` (what a walking distance adds).
    public let leg: Double
}

/// Finds the nearest edge to a point: a uniform grid over the edges' segments in the metric zone's plane.
///
/// Immutable after construction, so shared; queries take the caller's `MetricProjection` (PROJ contexts are per
/// thread).
public struct Snapper: Sendable {
    public static let defaultLimit = 250.0
    private static let cellSize = 100.0
    /// Projected vertices, parallel to `graph.vertices`.
    private let xs: [Double]
    private let ys: [Double]
    /// For each vertex index: the edge it starts a segment of, or -1 for an edge's last vertex.
    private let segmentEdge: [Int32]
    /// Segment (start vertex) indices per 100 m cell.
    private let cells: CellIndex

    public init(graph: WalkGraph, projection: MetricProjection) {
        var xs = [Double](), ys = [Double]()
        xs.reserveCapacity(graph.vertices.count)
        ys.reserveCapacity(graph.vertices.count)
        for c in graph.vertices {
            let p = projection.project(c)
            xs.append(p.x); ys.append(p.y)
        }
        var segmentEdge = [Int32](repeating: -1, count: graph.vertices.count)
        var cells = CellIndex(cellWidth: Snapper.cellSize)
        for e in 0..<graph.edgeCount {
            let start = Int(graph.vertexStart[e]), end = Int(graph.vertexStart[e + 1])
            for v in start..<(end - 1) {
                segmentEdge[v] = Int32(e)
                cells.insert(Int32(v), west: min(xs[v], xs[v + 1]), south: min(ys[v], ys[v + 1]),
                             east: max(xs[v], xs[v + 1]), north: max(ys[v], ys[v + 1]))
            }
        }
        self.xs = xs
        self.ys = ys
        self.segmentEdge = segmentEdge
        self.cells = cells
    }

    /// The nearest position on the network within `limit` plane metres of `point`, or nil (unreachable); with
    /// `accept`, on the edges it accepts only.
    public func snap(_ point: Coordinate, graph: WalkGraph, projection: MetricProjection, limit: Double = Snapper.defaultLimit,
                     accept: ((Int32) -> Bool)? = nil) -> Snap? {
        let p = projection.project(point)
        let cellSize = Snapper.cellSize
        let (cx, cy) = cells.cell(x: p.x, y: p.y)
        var best: (d2: Double, v: Int, t: Double)?
        let maxRing = Int64((limit / cellSize).rounded(.up)) + 1
        var ring: Int64 = 0
        while ring <= maxRing {
            for gx in (cx - ring)...(cx + ring) {
                for gy in (cy - ring)...(cy + ring) where abs(gx - cx) == ring || abs(gy - cy) == ring {
                    guard let segments = cells.items(inCell: gx, gy) else { continue }
                    for s in segments {
                        let v = Int(s)
                        if let accept, !accept(segmentEdge[v]) { continue }
                        let ax = xs[v], ay = ys[v], bx = xs[v + 1], by = ys[v + 1]
                        let dx = bx - ax, dy = by - ay
                        let len2 = dx * dx + dy * dy
                        var t = len2 > 0 ? ((p.x - ax) * dx + (p.y - ay) * dy) / len2 : 0
                        t = min(1, max(0, t))
                        let qx = ax + t * dx - p.x, qy = ay + t * dy - p.y
                        let d2 = qx * qx + qy * qy
                        if best == nil || d2 < best!.d2 || (d2 == best!.d2 && v < best!.v) { best = (d2, v, t) }
                    }
                }
            }
            // Everything in rings beyond this one is at least `ring` cells away.
            if let b = best, b.d2.squareRoot() <= Double(ring) * cellSize { break }
            ring += 1
        }
        guard let b = best, b.d2.squareRoot() <= limit else { return nil }
        let e = Int(segmentEdge[b.v])
        let a = graph.vertices[b.v], c = graph.vertices[b.v + 1]
        let position = Coordinate(lon: a.lon + b.t * (c.lon - a.lon), lat: a.lat + b.t * (c.lat - a.lat))
        var offset = 0.0
        var v = Int(graph.vertexStart[e])
        while v < b.v {
            offset += Geodesic.distance(graph.vertices[v], graph.vertices[v + 1])
            v += 1
        }
        offset += Geodesic.distance(a, position)
        offset = min(offset, graph.edgeLength[e])
        return Snap(edge: Int32(e), offset: offset, position: position, planeDistance: b.d2.squareRoot(),
                    leg: Geodesic.distance(point, position))
    }
}
