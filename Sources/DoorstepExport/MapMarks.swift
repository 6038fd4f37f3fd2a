import DoorstepModel
import DoorstepGeometry
import Foundation

/// Path data of many features in one `d` attribute, in page pixels rounded to 0.1 px (the SVG's own units): a vertex
/// that rounds to the one before is left out, and a line starting where the last one ended goes on without a new `M`
/// (the synthetic city's streets are one way per block, written row by row). One path per style instead of one per
/// feature is what keeps a city's map small: 10⁵ streets and 5·10⁴ compounds in a few megabytes.
package struct PathData {
    package private(set) var bytes = JSONBytes(capacity: 1 << 12)
    /// The last vertex written, in tenths of a pixel, while a line may go on from it.
    private var last: (Int64, Int64)?

    package init() {}

    package var isEmpty: Bool { bytes.count == 0 }

    /// Adds `g`: points as zero-length lines (drawn as dots by round caps), lines as they go, rings closed with `Z`.
    /// With `oriented`, each polygon's exterior ring and its holes are written in opposite directions, so that
    /// overlapping features in one path fill with the nonzero rule and keep their holes.
    package mutating func add(_ g: Geometry, _ px: (Coordinate) -> (Double, Double), oriented: Bool = false) {
        switch g {
        case .point(let c): line([c, c], px)
        case .multiPoint(let cs): for c in cs { line([c, c], px) }
        case .lineString(let cs): line(cs, px)
        case .multiLineString(let ls): for l in ls { line(l, px) }
        case .polygon(let rings): polygon(rings, px, oriented: oriented)
        case .multiPolygon(let ps): for p in ps { polygon(p, px, oriented: oriented) }
        }
    }

    /// A square of `size` pixels centred on (x, y).
    package mutating func square(x: Double, y: Double, size: Double) {
        let start = tenths(x - size / 2, y - size / 2), side = Int64((size * 10).rounded())
        bytes.byte(UInt8(ascii: "M"))
        point(start)
        bytes.raw("h")
        number(side)
        bytes.raw("v")
        number(side)
        bytes.raw("h")
        number(-side)
        bytes.raw("Z")
        last = nil
    }

    private func tenths(_ x: Double, _ y: Double) -> (Int64, Int64) {
        (Int64((x * 10).rounded()), Int64((y * 10).rounded()))
    }

    private mutating func number(_ t: Int64) { bytes.fixed(Double(t) / 10, decimals: 1) }

    private mutating func point(_ p: (Int64, Int64)) {
        number(p.0)
        bytes.byte(UInt8(ascii: ","))
        number(p.1)
    }

    /// The vertices of `cs` on the page, without those that round onto the one before.
    private func vertices(_ cs: [Coordinate], _ px: (Coordinate) -> (Double, Double)) -> [(Int64, Int64)] {
        var out = [(Int64, Int64)]()
        out.reserveCapacity(cs.count)
        for c in cs {
            let (x, y) = px(c)
            let p = tenths(x, y)
            if let l = out.last, l == p { continue }
            out.append(p)
        }
        return out
    }

    private mutating func line(_ cs: [Coordinate], _ px: (Coordinate) -> (Double, Double)) {
        var vs = vertices(cs, px)
        guard let first = vs.first else { return }
        if vs.count == 1 { vs.append(first) } // a dot: a line of length 0
        let rest = vs[1...]
        if let last, last == first {
            // Goes on from where the last line ended.
        } else {
            bytes.byte(UInt8(ascii: "M"))
            point(first)
        }
        for p in rest {
            bytes.byte(UInt8(ascii: " "))
            point(p)
        }
        last = vs.last
    }

    private mutating func polygon(_ rings: [[Coordinate]], _ px: (Coordinate) -> (Double, Double), oriented: Bool) {
        for (i, ring) in rings.enumerated() {
            var vs = vertices(ring, px)
            if vs.count > 1 && vs.first! == vs.last! { vs.removeLast() }
            guard vs.count > 1 else { continue }
            if oriented {
                // Exterior rings one way, holes the other (the sign is the shoelace's, in the page's coordinates).
                let area = Planar.ringArea(vs.map { Coordinate(lon: Double($0.0), lat: Double($0.1)) })
                if (i == 0) != (area > 0) { vs.reverse() }
            }
            bytes.byte(UInt8(ascii: "M"))
            point(vs[0])
            for p in vs.dropFirst() {
                bytes.byte(UInt8(ascii: " "))
                point(p)
            }
            bytes.byte(UInt8(ascii: "Z"))
        }
        last = nil
    }
}

/// Stations on the page: each by its symbol as long as few would be hidden, else gathered into clusters.
///
/// A symbol is about `symbolSize` pixels across. When more than `crowdedLimit` stations would be drawn closer than that
/// to another one, symbols would cover each other and the gaps under them, so the stations are gathered by square
/// cells of `cell` pixels: one mark per cell, at its stations' mean position, with their count.
package enum StationMarks {
    package static let symbolSize = 16.0
    package static let crowdedLimit = 50
    package static let cell = 64.0

    package struct Cluster: Equatable {
        package let x: Double, y: Double
        /// Indexes into the points clustered.
        package let members: [Int]
    }

    /// How many of `points` lie closer than `distance` to another one.
    package static func crowded(_ points: [(Double, Double)], within distance: Double) -> Int {
        var cells = [CellKey: [Int]]()
        for (i, p) in points.enumerated() { cells[CellKey(p, distance), default: []].append(i) }
        var count = 0
        for (i, p) in points.enumerated() {
            let k = CellKey(p, distance)
            search: for dx in -1...1 {
                for dy in -1...1 {
                    for j in cells[CellKey(x: k.x + dx, y: k.y + dy)] ?? [] where j != i {
                        let q = points[j]
                        if (p.0 - q.0) * (p.0 - q.0) + (p.1 - q.1) * (p.1 - q.1) < distance * distance {
                            count += 1
                            break search
                        }
                    }
                }
            }
        }
        return count
    }

    /// Whether `points` are too crowded for one symbol each.
    package static func needsClusters(_ points: [(Double, Double)]) -> Bool {
        points.count > crowdedLimit && crowded(points, within: symbolSize) > crowdedLimit
    }

    /// `points` gathered by cells of `cell` pixels, top row first, left to right.
    package static func clusters(_ points: [(Double, Double)], cell: Double = cell) -> [Cluster] {
        var cells = [CellKey: [Int]]()
        for (i, p) in points.enumerated() { cells[CellKey(p, cell), default: []].append(i) }
        return cells.sorted { ($0.key.y, $0.key.x) < ($1.key.y, $1.key.x) }.map { _, members in
            let n = Double(members.count)
            return Cluster(x: members.reduce(0) { $0 + points[$1].0 } / n, y: members.reduce(0) { $0 + points[$1].1 } / n, members: members)
        }
    }

    /// A cluster mark's radius in pixels: 3 for one station, growing with the logarithm of the count up to 22.
    package static func radius(_ count: Int) -> Double {
        count <= 1 ? 3 : min(22, 7 + 3 * log2(Double(count)))
    }

    private struct CellKey: Hashable {
        let x: Int, y: Int
        init(x: Int, y: Int) { self.x = x; self.y = y }
        init(_ p: (Double, Double), _ size: Double) { x = Int((p.0 / size).rounded(.down)); y = Int((p.1 / size).rounded(.down)) }
    }
}
