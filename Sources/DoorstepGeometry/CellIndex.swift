import DoorstepModel

/// The one uniform-grid index of the code: integer payloads (indices into the caller's own arrays) bucketed by the
/// cells of a plane — lon/lat degrees or metres of a metric zone — each payload in every cell its box touches.
///
/// Used for snapping to the network (segments, 100 m cells), the planner's straight reach (reference points, cells
/// as wide as the largest radius), point-in-grid lookups (grid boxes, cells the size of a typical grid) and the OSM
/// import's buildings-in-areas test. Immutable once built, so shared freely.
public struct CellIndex: Sendable {
    public let cellWidth: Double
    public let cellHeight: Double
    /// A payload whose box would touch more cells than this goes into `everywhere` instead, which every lookup
    /// returns too (a district drawn as one grid: still correct, just scanned).
    public let maxCells: Int
    @usableFromInline var buckets: [Int64: [Int32]] = [:]
    public private(set) var everywhere: [Int32] = []

    public init(cellWidth: Double, cellHeight: Double? = nil, maxCells: Int = .max) {
        precondition(cellWidth > 0 && (cellHeight ?? cellWidth) > 0, "cells need a size")
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight ?? cellWidth
        self.maxCells = maxCells
    }

    /// The cell holding (x, y).
    @inlinable
    public func cell(x: Double, y: Double) -> (x: Int64, y: Int64) {
        (Int64((x / cellWidth).rounded(.down)), Int64((y / cellHeight).rounded(.down)))
    }

    @inlinable
    static func key(_ x: Int64, _ y: Int64) -> Int64 { (x << 32) ^ (y & 0xFFFF_FFFF) }

    /// Adds `item` to every cell the box touches.
    public mutating func insert(_ item: Int32, west: Double, south: Double, east: Double, north: Double) {
        let (x0, y0) = cell(x: west, y: south), (x1, y1) = cell(x: east, y: north)
        if (x1 - x0 + 1).multipliedReportingOverflow(by: y1 - y0 + 1).partialValue > Int64(maxCells) || x1 < x0 || y1 < y0 {
            everywhere.append(item)
            return
        }
        for x in x0...x1 { for y in y0...y1 { buckets[Self.key(x, y), default: []].append(item) } }
    }

    /// Adds `item` to the cell of a point.
    public mutating func insert(_ item: Int32, x: Double, y: Double) {
        let (cx, cy) = cell(x: x, y: y)
        buckets[Self.key(cx, cy), default: []].append(item)
    }

    /// The payloads of one cell, in the order they were added (not those in `everywhere`).
    @inlinable
    public func items(inCell x: Int64, _ y: Int64) -> [Int32]? { buckets[Self.key(x, y)] }

    /// The payloads that may hold the point (x, y): its cell's and `everywhere`.
    public func candidates(x: Double, y: Double) -> [Int32] {
        let (cx, cy) = cell(x: x, y: y)
        guard let own = items(inCell: cx, cy) else { return everywhere }
        return everywhere.isEmpty ? own : own + everywhere
    }
}
