import DoorstepModel
import Foundation

/// The grids in memory for point-in-grid lookups: a bounding-box bucket index and ray casting on the rings.
///
/// One SQL `ST_Contains` per compound (a correlated subquery) cost 70 µs each, 3.5 s for 50,000 compounds; this
/// costs microseconds. A point on a grid's boundary may go either way, where `ST_Contains` would exclude it.
public struct GridLocator: Sendable {
    private struct Entry: Sendable {
        package let place: GridPlace
        package let box: BoundingBox
        package let polygons: [[[Coordinate]]]
    }
    private let entries: [Entry]
    private let byID: [String: Int]
    private let cell: Double
    private let buckets: [Int64: [Int32]]

    package init(_ grids: [(place: GridPlace, geometry: Geometry)]) {
        var entries = [Entry]()
        for (place, geometry) in grids.sorted(by: { $0.place.id < $1.place.id }) {
            let polygons: [[[Coordinate]]]
            switch geometry {
            case .polygon(let rings): polygons = [rings]
            case .multiPolygon(let ps): polygons = ps
            default: continue
            }
            let box = Planar.box(polygons)
            entries.append(Entry(place: place, box: box, polygons: polygons))
        }
        // Cells about the size of a typical grid keep a handful of candidates per lookup.
        let widths = entries.map { max($0.box.east - $0.box.west, $0.box.north - $0.box.south) }.sorted()
        let cell = max(widths.isEmpty ? 0.01 : widths[widths.count / 2], 1e-4)
        var buckets = [Int64: [Int32]]()
        for (i, e) in entries.enumerated() {
            let x0 = Int64((e.box.west / cell).rounded(.down)), x1 = Int64((e.box.east / cell).rounded(.down))
            let y0 = Int64((e.box.south / cell).rounded(.down)), y1 = Int64((e.box.north / cell).rounded(.down))
            // A grid spanning too many cells (a whole district drawn as one "grid") goes into every cell it touches
            // only up to a limit; past it the lookup falls back to scanning (still correct, just slower).
            if (x1 - x0 + 1) * (y1 - y0 + 1) > 10_000 { buckets[Int64.min, default: []].append(Int32(i)); continue }
            for x in x0...x1 { for y in y0...y1 { buckets[GridLocator.key(x, y), default: []].append(Int32(i)) } }
        }
        self.entries = entries
        self.byID = Dictionary(entries.enumerated().map { ($0.element.place.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        self.cell = cell
        self.buckets = buckets
    }

    private static func key(_ x: Int64, _ y: Int64) -> Int64 { (x << 32) ^ (y & 0xFFFF_FFFF) }

    /// The grid with this id.
    public func grid(id: String) -> GridPlace? { byID[id].map { entries[$0].place } }

    /// The grid containing `p` (the lowest id when grids overlap), or nil outside every grid.
    public func grid(containing p: Coordinate) -> GridPlace? {
        let k = GridLocator.key(Int64((p.lon / cell).rounded(.down)), Int64((p.lat / cell).rounded(.down)))
        let candidates = ((buckets[k] ?? []) + (buckets[Int64.min] ?? [])).sorted()
        for i in candidates {
            let e = entries[Int(i)]
            guard p.lon >= e.box.west, p.lon <= e.box.east, p.lat >= e.box.south, p.lat <= e.box.north else { continue }
            if e.polygons.contains(where: { Planar.contains($0, p) }) { return e.place }
        }
        return nil
    }
}
