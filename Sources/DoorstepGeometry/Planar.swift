import DoorstepModel
/// Plane geometry on coordinates taken as a plane (lon/lat for the small shapes of buildings, estates and grids, or
/// metres of a metric zone): bounding boxes, signed ring areas, point in polygon, an interior point.
package enum Planar {
    package static func box(_ polygons: [[[Coordinate]]]) -> BoundingBox {
        var b = BoundingBox(west: .infinity, south: .infinity, east: -.infinity, north: -.infinity)
        for ring in polygons.flatMap({ $0 }) {
            for c in ring {
                b = BoundingBox(west: min(b.west, c.lon), south: min(b.south, c.lat), east: max(b.east, c.lon), north: max(b.north, c.lat))
            }
        }
        return b
    }

    /// The signed area of a closed ring in its own plane (square degrees, or square metres in a metric zone):
    /// positive when counter-clockwise. The one shoelace formula of the code, taken relative to the first vertex so
    /// that large coordinates (longitudes, Gauss-Kruger eastings) cost no precision.
    package static func ringArea(_ ring: [Coordinate]) -> Double {
        guard ring.count >= 3 else { return 0 }
        let o = ring[0]
        var sum = 0.0
        for i in 0..<(ring.count - 1) {
            let a = ring[i], b = ring[i + 1]
            sum += (a.lon - o.lon) * (b.lat - o.lat) - (b.lon - o.lon) * (a.lat - o.lat)
        }
        return sum / 2
    }

    /// The ring wound as asked (a degenerate ring is left as it is): GeoJSON's right-hand rule.
    package static func oriented(_ ring: [Coordinate], counterClockwise: Bool) -> [Coordinate] {
        let area = ringArea(ring)
        if area == 0 || (area > 0) == counterClockwise { return ring }
        return ring.reversed()
    }

    /// The polygon with the largest outer ring.
    package static func largest(_ polygons: [[[Coordinate]]]) -> [[Coordinate]] {
        polygons.max { abs(ringArea($0.first ?? [])) < abs(ringArea($1.first ?? [])) } ?? []
    }

    /// Even-odd rule over every ring, so holes are outside.
    package static func contains(_ rings: [[Coordinate]], _ p: Coordinate) -> Bool {
        var inside = false
        for ring in rings {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if (a.lat > p.lat) != (b.lat > p.lat), p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon {
                    inside.toggle()
                }
                j = i
            }
        }
        return inside
    }

    /// A point inside the polygon: the centroid of the outer ring when it is inside, else the middle of the widest
    /// stretch of the horizontal line through it that lies inside (GEOS's interior point does the same).
    package static func interiorPoint(_ rings: [[Coordinate]]) -> Coordinate {
        guard let outer = rings.first, outer.count >= 4 else { return rings.first?.first ?? Coordinate(lon: 0, lat: 0) }
        let a = ringArea(outer)
        var cx = 0.0, cy = 0.0
        for i in 0..<(outer.count - 1) {
            let f = outer[i].lon * outer[i + 1].lat - outer[i + 1].lon * outer[i].lat
            cx += (outer[i].lon + outer[i + 1].lon) * f
            cy += (outer[i].lat + outer[i + 1].lat) * f
        }
        let c = a == 0 ? outer[0] : Coordinate(lon: cx / (6 * a), lat: cy / (6 * a))
        if contains(rings, c) { return c }
        var crossings = [Double]()
        for ring in rings {
            for i in 0..<max(0, ring.count - 1) {
                let p = ring[i], q = ring[i + 1]
                if (p.lat > c.lat) != (q.lat > c.lat) {
                    crossings.append(p.lon + (c.lat - p.lat) * (q.lon - p.lon) / (q.lat - p.lat))
                }
            }
        }
        crossings.sort()
        var best = outer[0], widest = -1.0
        for i in stride(from: 0, to: crossings.count - 1, by: 2) where crossings[i + 1] - crossings[i] > widest {
            widest = crossings[i + 1] - crossings[i]
            best = Coordinate(lon: (crossings[i] + crossings[i + 1]) / 2, lat: c.lat)
        }
        return best
    }

    /// Whether `g` and the closed box share a point, as GEOS's `Intersects` with the box's rectangle answers: a vertex
    /// in the box, a segment crossing it, or — for polygons — the box inside the polygon (then its corner is).
    package static func intersects(_ g: Geometry, _ b: BoundingBox) -> Bool {
        func inBox(_ c: Coordinate) -> Bool { c.lon >= b.west && c.lon <= b.east && c.lat >= b.south && c.lat <= b.north }
        /// Liang–Barsky: does the segment p–q meet the closed box?
        func segment(_ p: Coordinate, _ q: Coordinate) -> Bool {
            var t0 = 0.0, t1 = 1.0
            let dx = q.lon - p.lon, dy = q.lat - p.lat
            for (pk, qk) in [(-dx, p.lon - b.west), (dx, b.east - p.lon), (-dy, p.lat - b.south), (dy, b.north - p.lat)] {
                if pk == 0 {
                    if qk < 0 { return false }
                } else {
                    let r = qk / pk
                    if pk < 0 {
                        if r > t1 { return false }
                        t0 = max(t0, r)
                    } else {
                        if r < t0 { return false }
                        t1 = min(t1, r)
                    }
                }
            }
            return true
        }
        func line(_ cs: [Coordinate]) -> Bool {
            if cs.contains(where: inBox) { return true }
            for i in 0..<max(0, cs.count - 1) where segment(cs[i], cs[i + 1]) { return true }
            return false
        }
        func polygon(_ rings: [[Coordinate]]) -> Bool {
            rings.contains(where: line) || contains(rings, Coordinate(lon: b.west, lat: b.south))
        }
        switch g {
        case .point(let c): return inBox(c)
        case .multiPoint(let cs): return cs.contains(where: inBox)
        case .lineString(let cs): return line(cs)
        case .multiLineString(let ls): return ls.contains(where: line)
        case .polygon(let rings): return polygon(rings)
        case .multiPolygon(let ps): return ps.contains(where: polygon)
        }
    }
}
