import DoorstepModel
/// A geometry as a plain value, coordinates in longitude/latitude order.
public enum Geometry: Hashable, Sendable {
    case point(Coordinate)
    case lineString([Coordinate])
    case polygon([[Coordinate]])
    case multiPoint([Coordinate])
    case multiLineString([[Coordinate]])
    case multiPolygon([[[Coordinate]]])

    /// The GeoJSON type name.
    public var typeName: String {
        switch self {
        case .point: return "Point"
        case .lineString: return "LineString"
        case .polygon: return "Polygon"
        case .multiPoint: return "MultiPoint"
        case .multiLineString: return "MultiLineString"
        case .multiPolygon: return "MultiPolygon"
        }
    }

    /// Applies `transform` to every coordinate.
    public func mapCoordinates(_ transform: (Coordinate) throws -> Coordinate) rethrows -> Geometry {
        switch self {
        case .point(let c): return .point(try transform(c))
        case .lineString(let cs): return .lineString(try cs.map(transform))
        case .polygon(let rings): return .polygon(try rings.map { try $0.map(transform) })
        case .multiPoint(let cs): return .multiPoint(try cs.map(transform))
        case .multiLineString(let lines): return .multiLineString(try lines.map { try $0.map(transform) })
        case .multiPolygon(let polys): return .multiPolygon(try polys.map { try $0.map { try $0.map(transform) } })
        }
    }

    /// Calls `body` for every coordinate.
    public func forEachCoordinate(_ body: (Coordinate) throws -> Void) rethrows {
        switch self {
        case .point(let c): try body(c)
        case .lineString(let cs), .multiPoint(let cs): for c in cs { try body(c) }
        case .polygon(let rings), .multiLineString(let rings): for r in rings { for c in r { try body(c) } }
        case .multiPolygon(let polys): for p in polys { for r in p { for c in r { try body(c) } } }
        }
    }

    /// Well-known binary, little-endian, 2D.
    public var wkb: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(64)
        Geometry.write(self, to: &out)
        return out
    }

    private static func header(_ type: UInt32, _ out: inout [UInt8]) {
        out.append(1)
        put(type, &out)
    }
    private static func put(_ v: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
    private static func put(_ v: Double, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    }
    private static func points(_ cs: [Coordinate], _ out: inout [UInt8]) {
        put(UInt32(cs.count), &out)
        for c in cs { put(c.lon, &out); put(c.lat, &out) }
    }
    private static func write(_ g: Geometry, to out: inout [UInt8]) {
        switch g {
        case .point(let c):
            header(1, &out); put(c.lon, &out); put(c.lat, &out)
        case .lineString(let cs):
            header(2, &out); points(cs, &out)
        case .polygon(let rings):
            header(3, &out); put(UInt32(rings.count), &out)
            for r in rings { points(r, &out) }
        case .multiPoint(let cs):
            header(4, &out); put(UInt32(cs.count), &out)
            for c in cs { write(.point(c), to: &out) }
        case .multiLineString(let lines):
            header(5, &out); put(UInt32(lines.count), &out)
            for l in lines { write(.lineString(l), to: &out) }
        case .multiPolygon(let polys):
            header(6, &out); put(UInt32(polys.count), &out)
            for p in polys { write(.polygon(p), to: &out) }
        }
    }
}
