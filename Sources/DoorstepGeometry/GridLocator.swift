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
    private let cells: CellIndex

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
        // A grid spanning too many cells (a whole district drawn as one "grid") goes into every cell it touches only
        // up to a limit; past it the lookup scans it (still correct, just slower).
        var cells = CellIndex(cellWidth: cell, maxCells: 10_000)
        for (i, e) in entries.enumerated() {
            cells.insert(Int32(i), west: e.box.west, south: e.box.south, east: e.box.east, north: e.box.north)
        }
        self.entries = entries
        self.byID = Dictionary(entries.enumerated().map { ($0.element.place.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        self.cells = cells
    }

    /// The grid with this id.
    public func grid(id: String) -> GridPlace? { byID[id].map { entries[$0].place } }

    /// The grid containing `p` (the lowest id when grids overlap), or nil outside every grid.
    public func grid(containing p: Coordinate) -> GridPlace? {
        let candidates = cells.candidates(x: p.lon, y: p.lat).sorted()
        for i in candidates {
            let e = entries[Int(i)]
            guard p.lon >= e.box.west, p.lon <= e.box.east, p.lat >= e.box.south, p.lat <= e.box.north else { continue }
            if e.polygons.contains(where: { Planar.contains($0, p) }) { return e.place }
        }
        return nil
    }
}
