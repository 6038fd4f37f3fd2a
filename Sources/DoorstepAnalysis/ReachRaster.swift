import DoorstepModel
import DoorstepGeometry

/// The walking area drawn without a union (issue 15): the reachable network rasterised in the metric plane and
/// contoured, as Valhalla draws isochrones.
///
/// A grid of nodes `cell` metres apart covers the reached lines plus a margin. Each node holds the metres left of the
/// lateral tolerance from the nearest reached line: `lateral − distance`, the distance measured exactly to each
/// segment (the limit of sampling along it at ever finer spacing), the best over all segments. Nodes farther than
/// `lateral + 1.5·cell` from every line keep a negative floor (every corner of a cell the boundary crosses is within
/// `lateral + √2·cell` of a line, so it holds its exact value). The area's boundary is the iso-line at 0 of this field,
/// drawn by marching squares with linear interpolation along the grid's edges (exact for the straight stretches of a
/// buffer, where the distance is linear); saddle cells are decided by the mean of their four corners. Rings come out
/// closed (the margin keeps the grid's border outside), never crossing, inside on the left: outer rings
/// counter-clockwise, holes clockwise; each hole goes to the smallest outer ring around it. Rings are then simplified
/// lightly (Douglas–Peucker at `cell / 8`, which takes out the points marching squares puts along straight edges).
///
/// So the area is the ground within `lateral` of the reached lines, as the GEOS buffer has it, to a fraction of a cell:
/// its caps are round (the buffer's are 16-gons), only reached lines are stamped (no ground across a river without a
/// bridge), and a block the network rings but does not enter is a hole when it is wider than twice the lateral.
///
/// Not `Sendable` in use: its arrays are scratch reused between areas (one per thread).
package struct ReachRaster {
    private var field: [Float] = []
    private var next: [Int32] = []
    private var starts: [Int32] = []

    package init() {}

    /// The grid spacing for a band: a third of the lateral (11.7 m at the default 35 m: a line's strip is six cells
    /// wide, its straight edges exact and its round caps within a few decimetres), coarser only when the grid across the band would pass about 1,500 cells a
    /// side (at most about 30 MB of scratch). Nil when that would leave fewer than two cells across the lateral: then the
    /// strip cannot be drawn faithfully and the buffer construction is used (a lateral under 14 m at a 5 km band, under
    /// 35 m beyond 13 km, under 54 m at the 20 km limit).
    package static func cellSize(band: Double, lateral: Double) -> Double? {
        let cell = max(lateral / 3, (band + lateral) / 750)
        return cell <= lateral / 2 ? cell : nil
    }

    /// The area within `lateral` of `lines` (plane metres), as a Polygon or MultiPolygon in the same plane; nil when
    /// there is no line.
    package mutating func area(planeLines lines: [[Coordinate]], lateral: Double, cell: Double) -> Geometry? {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for line in lines {
            for p in line {
                minX = min(minX, p.lon); maxX = max(maxX, p.lon)
                minY = min(minY, p.lat); maxY = max(maxY, p.lat)
            }
        }
        guard minX.isFinite, maxX.isFinite, minY.isFinite, maxY.isFinite else { return nil }
        let reach = lateral + 1.5 * cell
        // Node (0, 0) one cell beyond the reach, so the outermost row and column are always outside.
        let x0 = minX - reach - cell, y0 = minY - reach - cell
        let nx = Int(((maxX + reach + cell - x0) / cell).rounded(.up)) + 1
        let ny = Int(((maxY + reach + cell - y0) / cell).rounded(.up)) + 1
        let floor = Float(-reach)
        field.removeAll(keepingCapacity: true)
        field.append(contentsOf: repeatElement(floor, count: nx * ny))
        stamp(lines, lateral: lateral, reach: reach, cell: cell, x0: x0, y0: y0, nx: nx, ny: ny)
        let rings = contour(nx: nx, ny: ny, x0: x0, y0: y0, cell: cell)
        return ReachRaster.polygons(rings.map { Self.simplified($0, tolerance: cell / 8) })
    }

    /// Raises every node within `reach` of a segment to `lateral − distance` where that is more than it holds.
    private mutating func stamp(_ lines: [[Coordinate]], lateral: Double, reach: Double, cell: Double, x0: Double, y0: Double,
                                nx: Int, ny: Int) {
        let reach2 = reach * reach
        field.withUnsafeMutableBufferPointer { f in
            func segment(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) {
                let dx = bx - ax, dy = by - ay
                let len2 = dx * dx + dy * dy
                let inv = len2 > 0 ? 1 / len2 : 0
                let i0 = max(0, Int(((min(ax, bx) - reach - x0) / cell).rounded(.up)))
                let i1 = min(nx - 1, Int(((max(ax, bx) + reach - x0) / cell).rounded(.down)))
                let j0 = max(0, Int(((min(ay, by) - reach - y0) / cell).rounded(.up)))
                let j1 = min(ny - 1, Int(((max(ay, by) + reach - y0) / cell).rounded(.down)))
                guard i0 <= i1, j0 <= j1 else { return }
                for j in j0...j1 {
                    let py = y0 + Double(j) * cell - ay
                    let row = j * nx
                    for i in i0...i1 {
                        let px = x0 + Double(i) * cell - ax
                        let t = min(1, max(0, (px * dx + py * dy) * inv))
                        let ex = px - t * dx, ey = py - t * dy
                        let d2 = ex * ex + ey * ey
                        guard d2 <= reach2 else { continue }
                        let v = Float(lateral - d2.squareRoot())
                        if v > f[row + i] { f[row + i] = v }
                    }
                }
            }
            for line in lines {
                if line.count == 1 { segment(line[0].lon, line[0].lat, line[0].lon, line[0].lat) }
                for (a, b) in zip(line, line.dropFirst()) { segment(a.lon, a.lat, b.lon, b.lat) }
            }
        }
    }

    /// Marching squares on the field's sign (inside: above 0): closed rings, inside on the left.
    ///
    /// Crossing points are named by the grid edge they lie on: horizontal edge (i, j)→(i+1, j) is `j·(nx−1) + i`,
    /// vertical edge (i, j)→(i, j+1) is `(nx−1)·ny + j·nx + i`. Each cell links the edge where the contour enters to
    /// the edge where it leaves (`next`), and the rings are read off those links.
    private mutating func contour(nx: Int, ny: Int, x0: Double, y0: Double, cell: Double) -> [[Coordinate]] {
        let horizontal = (nx - 1) * ny
        var links = next, starts = self.starts
        next = []; self.starts = []
        defer { next = links; self.starts = starts }
        links.removeAll(keepingCapacity: true)
        links.append(contentsOf: repeatElement(-1, count: horizontal + nx * ny))
        starts.removeAll(keepingCapacity: true)
        // A node exactly at 0 is outside, nudged below so that no crossing falls on a node (rings never touch).
        let epsilon = Float(cell * 1e-4)
        return field.withUnsafeBufferPointer { f in
            @inline(__always) func value(_ k: Int) -> Float {
                let v = f[k]
                return v > 0 ? v : min(v, -epsilon)
            }
            for j in 0..<(ny - 1) {
                for i in 0..<(nx - 1) {
                    let bl = j * nx + i, tl = bl + nx
                    // Corners counter-clockwise: bl, br, tr, tl; side k runs from corner k to corner k + 1.
                    let v = (value(bl), value(bl + 1), value(tl + 1), value(tl))
                    let mask = (v.0 > 0 ? 1 : 0) | (v.1 > 0 ? 2 : 0) | (v.2 > 0 ? 4 : 0) | (v.3 > 0 ? 8 : 0)
                    if mask == 0 || mask == 15 { continue }
                    let sides = (Int32(j * (nx - 1) + i), Int32(horizontal + j * nx + i + 1),
                                 Int32((j + 1) * (nx - 1) + i), Int32(horizontal + j * nx + i))
                    func side(_ k: Int) -> Int32 {
                        switch k & 3 { case 0: sides.0; case 1: sides.1; case 2: sides.2; default: sides.3 }
                    }
                    func inside(_ k: Int) -> Bool { mask & (1 << (k & 3)) != 0 }
                    if mask == 5 || mask == 10 {
                        // A saddle: the mean decides whether the two inside corners are joined through the middle.
                        let joined = (v.0 + v.1 + v.2 + v.3) / 4 > 0
                        for k in 0..<4 {
                            if joined, !inside(k) { links[Int(side(k + 3))] = side(k); starts.append(side(k + 3)) }  // cut outside corner k
                            if !joined, inside(k) { links[Int(side(k))] = side(k + 3); starts.append(side(k)) }  // cut inside corner k
                        }
                    } else {
                        // One stretch in, one out (counter-clockwise round the cell): the contour runs from the side
                        // leaving the inside to the side coming back into it.
                        var from: Int32 = -1, to: Int32 = -1
                        for k in 0..<4 {
                            if inside(k), !inside(k + 1) { from = side(k) }
                            if !inside(k), inside(k + 1) { to = side(k) }
                        }
                        links[Int(from)] = to
                        starts.append(from)
                    }
                }
            }
            func point(_ id: Int32) -> Coordinate {
                let id = Int(id)
                if id < horizontal {
                    let j = id / (nx - 1), i = id % (nx - 1), a = j * nx + i
                    let va = Double(value(a)), vb = Double(value(a + 1))
                    return Coordinate(lon: x0 + (Double(i) + va / (va - vb)) * cell, lat: y0 + Double(j) * cell)
                }
                let a = id - horizontal
                let va = Double(value(a)), vb = Double(value(a + nx))
                return Coordinate(lon: x0 + Double(a % nx) * cell, lat: y0 + (Double(a / nx) + va / (va - vb)) * cell)
            }
            var rings = [[Coordinate]]()
            for s in starts where links[Int(s)] >= 0 {
                var ring = [Coordinate]()
                var e = s
                repeat {
                    ring.append(point(e))
                    let n = links[Int(e)]
                    links[Int(e)] = -1
                    e = n
                } while e >= 0 && e != s
                guard ring.count >= 3 else { continue }
                ring.append(ring[0])
                rings.append(ring)
            }
            return rings
        }
    }

    /// Douglas–Peucker on a closed ring, split at its first point and the point farthest from it; a ring left
    /// with fewer than three corners is dropped (empty).
    package static func simplified(_ ring: [Coordinate], tolerance: Double) -> [Coordinate] {
        let n = ring.count - 1  // without the closing point
        guard n >= 4 else { return n == 3 ? ring : [] }
        var keep = [Bool](repeating: false, count: n + 1)
        var far = 0, best = -1.0
        for k in 1..<n {
            let dx = ring[k].lon - ring[0].lon, dy = ring[k].lat - ring[0].lat
            if dx * dx + dy * dy > best { best = dx * dx + dy * dy; far = k }
        }
        keep[0] = true; keep[far] = true; keep[n] = true
        let t2 = tolerance * tolerance
        var stack = [(0, far), (far, n)]
        while let (a, b) = stack.popLast() {
            guard b > a + 1 else { continue }
            let ax = ring[a].lon, ay = ring[a].lat
            let dx = ring[b].lon - ax, dy = ring[b].lat - ay
            let len2 = dx * dx + dy * dy
            var worst = -1.0, at = a
            for k in (a + 1)..<b {
                let px = ring[k].lon - ax, py = ring[k].lat - ay
                let t = len2 > 0 ? min(1, max(0, (px * dx + py * dy) / len2)) : 0
                let ex = px - t * dx, ey = py - t * dy
                let d2 = ex * ex + ey * ey
                if d2 > worst { worst = d2; at = k }
            }
            if worst > t2 {
                keep[at] = true
                stack.append((a, at))
                stack.append((at, b))
            }
        }
        var out = [Coordinate]()
        for k in 0...n where keep[k] { out.append(ring[k]) }
        return out.count >= 4 ? out : []
    }

    /// Rings (outer counter-clockwise, holes clockwise, none crossing) as polygons: each hole in the smallest outer
    /// ring that holds it.
    package static func polygons(_ rings: [[Coordinate]]) -> Geometry? {
        var outers = [(ring: [Coordinate], area: Double)](), holes = [[Coordinate]]()
        for ring in rings where ring.count >= 4 {
            let a = Planar.ringArea(ring)
            if a > 0 { outers.append((ring, a)) } else if a < 0 { holes.append(ring) }
        }
        guard !outers.isEmpty else { return nil }
        outers.sort { $0.area > $1.area }
        var polygons = outers.map { [$0.ring] }
        for hole in holes {
            let probe = hole[0]
            // The smallest outer ring around the hole's first point (rings never cross, so any point tells).
            var owner: Int?
            if outers.count == 1 {
                owner = 0
            } else {
                for k in outers.indices.reversed() where Planar.contains([outers[k].ring], probe) { owner = k; break }
            }
            if let owner { polygons[owner].append(hole) }
        }
        return polygons.count == 1 ? .polygon(polygons[0]) : .multiPolygon(polygons)
    }
}
