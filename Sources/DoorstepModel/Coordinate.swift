/// A position as longitude and latitude in degrees (WGS84 unless a function says otherwise).
public struct Coordinate: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var lon: Double
    public var lat: Double

    public init(lon: Double, lat: Double) {
        self.lon = lon
        self.lat = lat
    }

    public var description: String { "(\(lon), \(lat))" }
}
