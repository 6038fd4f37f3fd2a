import Foundation

/// A longitude/latitude rectangle.
public struct BoundingBox: Hashable, Sendable, Codable {
    public var west, south, east, north: Double

    public init(west: Double, south: Double, east: Double, north: Double) {
        self.west = west
        self.south = south
        self.east = east
        self.north = north
    }

    public var center: Coordinate { Coordinate(lon: (west + east) / 2, lat: (south + north) / 2) }

    public func union(_ o: BoundingBox) -> BoundingBox {
        BoundingBox(west: min(west, o.west), south: min(south, o.south), east: max(east, o.east), north: max(north, o.north))
    }
}
