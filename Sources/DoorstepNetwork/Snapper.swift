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
/// The grid is dense over the segments' extent, kept as arrays (an offset per cell into one list of segments), so a
/// province's ten million segments cost a few hundred bytes each less than buckets in a dictionary. Cells are 100 m; when
/// the extent would need more cells than a few per segment (points spread over a country), only the cells holding
/// segments are kept, found by binary search.
///
/// Immutable after construction, so shared; queries take the caller's `MetricProjection` (PROJ contexts are per
/// thread).
public struct Snapper: Sendable {
    public static let defaultLimit = 250.0
    private static let baseCellSize = 100.0
    /// Projected vertices, parallel to `graph.vertices`.
    /// Each vertex's projected x and y side by side (a segment's two ends are one or two cache lines, not four).
    private let xy: [Double]
    /// Where each edge's vertices start (the graph's `vertexStart`): the edge of a segment is found from it.
    private let vertexStart: [Int32]
    /// The grid: `columns` × `rows` cells of `cellSize` metres from (`originX`, `originY`); the segments (start vertex
    /// indices) of cell (cx, cy) are `cellItems[cellStart[k] ..< cellStart[k + 1]]` with k = cy · columns + cx.
    private let cellSize: Double
    private let originX: Double
    private let originY: Double
    private let columns: Int
    private let rows: Int
    private let cellStart: [Int32]
    private let cellItems: [Int32]
    /// Whether every cell has its offset (`cellStart[k]`); else only the cells that hold segments are kept.
    private let dense: Bool
    /// When not `dense`: the (ascending) numbers k of the cells that hold segments, cell `cellKeys[j]`'s segments being
    /// `cellItems[cellStart[j] ..< cellStart[j + 1]]`.
    private let cellKeys: [Int]

    /// Where cell k's segments are in `cellItems`.
    @inline(__always)
    private func segments(inCell k: Int) -> Range<Int> {
        if dense { return Int(cellStart[k])..<Int(cellStart[k + 1]) }
        var lo = 0, hi = cellKeys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cellKeys[mid] < k { lo = mid + 1 } else { hi = mid }
        }
        guard lo < cellKeys.count, cellKeys[lo] == k else { return 0..<0 }
        return Int(cellStart[lo])..<Int(cellStart[lo + 1])
    }

    public init(graph: WalkGraph, projection: MetricProjection) {
        let count = graph.vertices.count
        var xy = [Double](repeating: 0, count: 2 * count)
        // Projected on every core, each thread with a PROJ context of its own; one that cannot make one shares the
        // caller's, under a lock.
        let zone = projection.zone
        let chunk = 1 << 15
        let shared = NSLock()
        xy.withUnsafeMutableBufferPointer { out in
            let out = out
            _ = try? ParallelMap.map(count: (count + chunk - 1) / chunk, chunk: 1, budgeted: false,
                                     makeState: { try? MetricProjection(zone: zone) }) { own, c in
                func project(_ p: MetricProjection) {
                    for v in (c * chunk)..<min(count, (c + 1) * chunk) {
                        let q = p.project(graph.vertices[v])
                        out[2 * v] = q.x; out[2 * v + 1] = q.y
                    }
                }
                if let own { project(own) } else { shared.withLock { project(projection) } }
            }
        }
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for v in 0..<count where xy[2 * v].isFinite && xy[2 * v + 1].isFinite {
            minX = min(minX, xy[2 * v]); maxX = max(maxX, xy[2 * v]); minY = min(minY, xy[2 * v + 1]); maxY = max(maxY, xy[2 * v + 1])
        }
        if minX > maxX { minX = 0; maxX = 0; minY = 0; maxY = 0 }
        // 100 m cells over the extent: as dense arrays when there are at most four cells per segment (and a million
        // at least), else only the cells that hold segments, found by binary search (points spread over a country).
        let cellSize = Snapper.baseCellSize
        let columns = Int(((maxX - minX) / cellSize).rounded(.down)) + 1
        let rows = Int(((maxY - minY) / cellSize).rounded(.down)) + 1
        let dense = Double(columns) * Double(rows) <= Double(max(1 << 20, 4 * count))
        func forEachCell(of v: Int, _ body: (Int) -> Void) {
            let ax = xy[2 * v], ay = xy[2 * v + 1], bx = xy[2 * v + 2], by = xy[2 * v + 3]
            guard ax.isFinite, ay.isFinite, bx.isFinite, by.isFinite else { return }
            let x0 = Int(((min(ax, bx) - minX) / cellSize).rounded(.down)), x1 = Int(((max(ax, bx) - minX) / cellSize).rounded(.down))
            let y0 = Int(((min(ay, by) - minY) / cellSize).rounded(.down)), y1 = Int(((max(ay, by) - minY) / cellSize).rounded(.down))
            for cy in max(0, y0)...min(rows - 1, y1) {
                for cx in max(0, x0)...min(columns - 1, x1) { body(cy * columns + cx) }
            }
        }
        // Segments start at every vertex but an edge's last.
        func forEachSegment(_ body: (Int) -> Void) {
            for e in 0..<graph.edgeCount {
                for v in Int(graph.vertexStart[e])..<(Int(graph.vertexStart[e + 1]) - 1) { body(v) }
            }
        }
        var cellKeys = [Int](), cellStart = [Int32](), cellItems = [Int32]()
        if dense {
            // Two passes over the segments' boxes: how many per cell, then where they go.
            cellStart = [Int32](repeating: 0, count: columns * rows + 1)
            forEachSegment { v in forEachCell(of: v) { cellStart[$0 + 1] += 1 } }
            for k in 0..<(columns * rows) { cellStart[k + 1] += cellStart[k] }
            var fill = cellStart
            cellItems = [Int32](repeating: 0, count: Int(cellStart[columns * rows]))
            forEachSegment { v in
                forEachCell(of: v) { k in
                    cellItems[Int(fill[k])] = Int32(v)
                    fill[k] += 1
                }
            }
        } else {
            var pairs = [(key: Int, segment: Int32)]()
            forEachSegment { v in forEachCell(of: v) { pairs.append(($0, Int32(v))) } }
            pairs.sort { $0.key < $1.key }
            for (i, pair) in pairs.enumerated() {
                if i == 0 || pair.key != pairs[i - 1].key {
                    cellKeys.append(pair.key)
                    cellStart.append(Int32(i))
                }
                cellItems.append(pair.segment)
            }
            cellStart.append(Int32(pairs.count))
        }
        self.xy = xy
        self.vertexStart = graph.vertexStart
        self.cellSize = cellSize
        self.originX = minX
        self.originY = minY
        self.columns = columns
        self.rows = rows
        self.dense = dense
        self.cellKeys = cellKeys
        self.cellStart = cellStart
        self.cellItems = cellItems
    }

    /// The edge whose segment starts at vertex `v`: the last edge whose vertices start at or before it.
    private func edge(of v: Int) -> Int32 {
        var lo = 0, hi = vertexStart.count - 1 // vertexStart[lo] <= v < vertexStart[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if Int(vertexStart[mid]) <= v { lo = mid } else { hi = mid }
        }
        return Int32(lo)
    }

    /// The nearest position on the network within `limit` plane metres of `point`, or nil (unreachable); with
    /// `accept`, on the edges it accepts only.
    public func snap(_ point: Coordinate, graph: WalkGraph, projection: MetricProjection, limit: Double = Snapper.defaultLimit,
                     accept: ((Int32) -> Bool)? = nil) -> Snap? {
        let p = projection.project(point)
        guard p.x.isFinite, p.y.isFinite else { return nil }
        let cellSize = self.cellSize
        let cx = Int64(((p.x - originX) / cellSize).rounded(.down)), cy = Int64(((p.y - originY) / cellSize).rounded(.down))
        var best: (d2: Double, v: Int, t: Double)?
        let maxRing = Int64((limit / cellSize).rounded(.up)) + 1
        var ring: Int64 = 0
        while ring <= maxRing {
            // The ring's 8·ring cells (one at ring 0): its top and bottom rows, then its left and right columns;
            // those outside the grid hold nothing.
            let side = 2 * ring + 1
            for j in 0..<(ring == 0 ? 1 : 8 * ring) {
                let gx: Int64, gy: Int64
                if j < side { gx = cx - ring + j; gy = cy - ring }
                else if j < 2 * side { gx = cx - ring + j - side; gy = cy + ring }
                else if j < 2 * side + side - 2 { gx = cx - ring; gy = cy - ring + 1 + j - 2 * side }
                else { gx = cx + ring; gy = cy - ring + 1 + j - 3 * side + 2 }
                guard gx >= 0, gx < columns, gy >= 0, gy < rows else { continue }
                for i in segments(inCell: Int(gy) * columns + Int(gx)) {
                    let v = Int(cellItems[i])
                    if let accept, !accept(edge(of: v)) { continue }
                    let ax = xy[2 * v], ay = xy[2 * v + 1], bx = xy[2 * v + 2], by = xy[2 * v + 3]
                    let dx = bx - ax, dy = by - ay
                    let len2 = dx * dx + dy * dy
                    var t = len2 > 0 ? ((p.x - ax) * dx + (p.y - ay) * dy) / len2 : 0
                    t = min(1, max(0, t))
                    let qx = ax + t * dx - p.x, qy = ay + t * dy - p.y
                    let d2 = qx * qx + qy * qy
                    if best == nil || d2 < best!.d2 || (d2 == best!.d2 && v < best!.v) { best = (d2, v, t) }
                }
            }
            // Everything in rings beyond this one is at least `ring` cells away.
            if let b = best, b.d2.squareRoot() <= Double(ring) * cellSize { break }
            ring += 1
        }
        guard let b = best, b.d2.squareRoot() <= limit else { return nil }
        let e = Int(edge(of: b.v))
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
