import DoorstepGeo
import Foundation

/// A local flat plane for laying out and measuring a city: metres east (`x`) and north (`y`) of an origin, by an
/// equirectangular projection at a reference latitude (WGS84 metres per degree). Over a city this is within a few
/// tenths of a percent, plenty for inventing plausible layouts and sizes; it is not Doorstep's measuring rule.
struct LocalPlane: Sendable {
    let origin: Coordinate
    let metresPerDegreeLon: Double
    let metresPerDegreeLat: Double

    init(origin: Coordinate, referenceLatitude: Double? = nil) {
        self.origin = origin
        let phi = (referenceLatitude ?? origin.lat) * .pi / 180
        metresPerDegreeLat = 111_132.954 - 559.822 * cos(2 * phi) + 1.175 * cos(4 * phi)
        metresPerDegreeLon = 111_412.84 * cos(phi) - 93.5 * cos(3 * phi) + 0.118 * cos(5 * phi)
    }

    /// The position `x` m east and `y` m north of the origin, rounded to 7 decimals (about 1 cm).
    func coordinate(x: Double, y: Double) -> Coordinate {
        roundedTo7Decimals(Coordinate(lon: origin.lon + x / metresPerDegreeLon, lat: origin.lat + y / metresPerDegreeLat))
    }

    /// Metres east and north of the origin.
    func point(_ coordinate: Coordinate) -> PlanePoint {
        PlanePoint(x: (coordinate.lon - origin.lon) * metresPerDegreeLon, y: (coordinate.lat - origin.lat) * metresPerDegreeLat)
    }

    func points(_ ring: [Coordinate]) -> [PlanePoint] {
        ring.map(point)
    }
}

/// A position in a `LocalPlane`, in metres.
struct PlanePoint: Sendable {
    var x: Double
    var y: Double
}

/// Generated positions are written with at most 7 decimals; rounding at creation keeps shared vertices identical.
func roundedTo7Decimals(_ c: Coordinate) -> Coordinate {
    Coordinate(lon: (c.lon * 1e7).rounded() / 1e7, lat: (c.lat * 1e7).rounded() / 1e7)
}

/// Planar measures on closed rings of `PlanePoint`s.
enum Planar {
    /// Shoelace area, positive for counter-clockwise rings.
    static func signedArea(_ ring: [PlanePoint]) -> Double {
        guard ring.count > 2 else { return 0 }
        var sum = 0.0
        for i in 0..<(ring.count - 1) {
            sum += ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y
        }
        return sum / 2
    }

    /// Area of a polygon given as rings (outer first, then holes).
    static func area(_ rings: [[PlanePoint]]) -> Double {
        guard let outer = rings.first else { return 0 }
        return rings.dropFirst().reduce(abs(signedArea(outer))) { $0 - abs(signedArea($1)) }
    }

    /// Even-odd point-in-polygon over all rings (holes excluded).
    static func contains(_ rings: [[PlanePoint]], _ p: PlanePoint) -> Bool {
        var inside = false
        for ring in rings where ring.count > 3 {
            for i in 0..<(ring.count - 1) {
                let a = ring[i], b = ring[i + 1]
                if (a.y > p.y) != (b.y > p.y), p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y) {
                    inside.toggle()
                }
            }
        }
        return inside
    }

    /// The area-weighted centroid of a ring (its vertex mean when degenerate).
    static func centroid(_ ring: [PlanePoint]) -> PlanePoint {
        let a = signedArea(ring)
        guard abs(a) > 1e-9 else {
            let n = Double(max(ring.count, 1))
            return PlanePoint(x: ring.reduce(0) { $0 + $1.x } / n, y: ring.reduce(0) { $0 + $1.y } / n)
        }
        var cx = 0.0, cy = 0.0
        for i in 0..<(ring.count - 1) {
            let cross = ring[i].x * ring[i + 1].y - ring[i + 1].x * ring[i].y
            cx += (ring[i].x + ring[i + 1].x) * cross
            cy += (ring[i].y + ring[i + 1].y) * cross
        }
        return PlanePoint(x: cx / (6 * a), y: cy / (6 * a))
    }

    /// A point inside the polygon: its centroid when that is inside, else the middle of the widest stretch of
    /// the horizontal line through the centroid that lies inside.
    static func interiorPoint(_ rings: [[PlanePoint]]) -> PlanePoint {
        let c = centroid(rings[0])
        if contains(rings, c) { return c }
        var crossings: [Double] = []
        for ring in rings {
            for i in 0..<(ring.count - 1) {
                let a = ring[i], b = ring[i + 1]
                if (a.y > c.y) != (b.y > c.y) {
                    crossings.append(a.x + (c.y - a.y) * (b.x - a.x) / (b.y - a.y))
                }
            }
        }
        crossings.sort()
        var best = c, widest = -1.0
        for i in stride(from: 0, to: crossings.count - 1, by: 2) where crossings[i + 1] - crossings[i] > widest {
            widest = crossings[i + 1] - crossings[i]
            best = PlanePoint(x: (crossings[i] + crossings[i + 1]) / 2, y: c.y)
        }
        return best
    }

    /// Distance from `p` to the segment `a`–`b`.
    static func distance(_ p: PlanePoint, toSegment a: PlanePoint, _ b: PlanePoint) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let lengthSquared = dx * dx + dy * dy
        let t = lengthSquared == 0 ? 0 : max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / lengthSquared))
        return hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy))
    }

    /// Compass bearing in degrees (clockwise from north) from `from` to `to`.
    static func bearing(from: PlanePoint, to: PlanePoint) -> Double {
        let degrees = atan2(to.x - from.x, to.y - from.y) * 180 / .pi
        return degrees < 0 ? degrees + 360 : degrees
    }
}
