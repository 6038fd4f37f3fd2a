import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// Reading SpatiaLite's own geometry BLOBs (the `geom` columns), so reads need no `AsBinary` conversion in SQL.
///
/// The format (SpatiaLite "BLOB-Geometry"): `0x00`, an endian byte (1 little, 0 big), the SRID (int32), the MBR
/// (four doubles), `0x7C`, the class type (int32: 1…6 Point … MultiPolygon, +1000 with Z, +2000 with M, +3000 with
/// Z and M), the geometry's data, `0xFE`. Points are X, Y (then Z/M when present); lines an int32 count and points;
/// polygons an int32 ring count and rings; collections an int32 count of entities, each `0x69`, its class type and
/// its data. Compressed classes (1000000 and up) and GeometryCollections are not read here (nil): callers fall back
/// to SQL for those. The reading itself is `GeometryCursor` (DoorstepGeometry/WKB.swift), shared with WKB.
extension Geometry {
    public init?(spatiaLiteBlob blob: UnsafeRawBufferPointer) {
        guard blob.count >= 44, blob[0] == 0x00, blob[38] == 0x7C, blob[blob.count - 1] == 0xFE, blob[1] <= 1 else { return nil }
        var cursor = GeometryCursor(UnsafeRawBufferPointer(rebasing: blob[..<(blob.count - 1)]))
        cursor.little = blob[1] == 1
        cursor.position = 39
        guard let type = cursor.count(), let (base, dims) = GeometryCursor.split(type) else { return nil }
        let g: Geometry?
        if base <= 3 {
            g = cursor.simple(base, dims: dims)
        } else {
            g = cursor.multi(base) { c in
                // An entity: 0x69, its class (the simple type of the collection, same ordinates), its body.
                guard c.byte() == 0x69, let t = c.count(), let (part, partDims) = GeometryCursor.split(t),
                      part == base - 3, partDims == dims else { return nil }
                return c.simple(part, dims: dims)
            }
        }
        guard let g, cursor.atEnd else { return nil }
        self = g
    }

    /// Where the points of each line of an XY LineString or MultiLineString BLOB (little-endian, uncompressed) are:
    /// byte offset and point count per line; nil for any other BLOB, or one whose counts do not fit it. The walking
    /// graph reads a province's ways this way, without a `Geometry` per way; `init(spatiaLiteBlob:)` reads the rest.
    package static func spatiaLiteLineParts(_ blob: UnsafeRawBufferPointer) -> [(offset: Int, count: Int)]? {
        guard blob.count >= 48, blob[0] == 0x00, blob[1] == 0x01, blob[38] == 0x7C, blob[blob.count - 1] == 0xFE else { return nil }
        func int(_ at: Int) -> Int? {
            guard at + 4 <= blob.count - 1 else { return nil }
            return Int(UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        var at = 43
        func line() -> (offset: Int, count: Int)? {
            guard let n = int(at), n <= (blob.count - 1 - at - 4) / 16 else { return nil }
            defer { at += 4 + 16 * n }
            return (at + 4, n)
        }
        switch int(39) {
        case 2?:
            guard let l = line(), at == blob.count - 1 else { return nil }
            return [l]
        case 5?:
            guard let n = int(43), n <= (blob.count - 48) / 9 else { return nil }
            at = 47
            var parts = [(offset: Int, count: Int)]()
            parts.reserveCapacity(n)
            for _ in 0..<n {
                guard at + 5 <= blob.count - 1, blob[at] == 0x69, int(at + 1) == 2 else { return nil }
                at += 5
                guard let l = line() else { return nil }
                parts.append(l)
            }
            return at == blob.count - 1 ? parts : nil
        default:
            return nil
        }
    }
}

/// Writing the same format: what `GeomFromWKB(wkb, srid)` stores (little-endian, XY), without SpatiaLite parsing WKB
/// for every row of an import. The MBR is SpatiaLite's (`gaiaMbrGeometry`): the minimum and maximum of every
/// position, a polygon's exterior ring only, compared in file order as SpatiaLite does.
package struct SpatiaLiteBlobWriter {
    /// The box written into the last blob (what `MbrMinX(geom)` … read back).
    package struct Box {
        package var minX = Double.greatestFiniteMagnitude, minY = Double.greatestFiniteMagnitude
        package var maxX = -Double.greatestFiniteMagnitude, maxY = -Double.greatestFiniteMagnitude

        @inline(__always) mutating func add(_ c: Coordinate) {
            if c.lon < minX { minX = c.lon }
            if c.lon > maxX { maxX = c.lon }
            if c.lat < minY { minY = c.lat }
            if c.lat > maxY { maxY = c.lat }
        }
        mutating func add(_ cs: [Coordinate]) { for c in cs { add(c) } }
    }

    /// The last blob written (reused from row to row).
    package private(set) var bytes: [UInt8] = []
    package private(set) var box = Box()

    package init() {}

    /// Encodes `geometry` with `srid`. Callers pass the geometry as the column stores it (a ways row's LineString as a
    /// MultiLineString of one line, as `CastToMultiLineString` makes it). Geometries arrive non-empty (the import's
    /// rules: lines of 2 positions or more, rings of 4 or more), as `GeomFromWKB` needs them.
    package mutating func encode(_ geometry: Geometry, srid: Int32 = 4326) {
        var box = Box()
        let size: Int
        switch geometry {
        case .point(let c): box.add(c); size = 16
        case .lineString(let cs): box.add(cs); size = 4 + 16 * cs.count
        case .polygon(let rings): box.add(rings[0]); size = Self.polygonSize(rings)
        case .multiPoint(let cs): box.add(cs); size = 4 + 21 * cs.count
        case .multiLineString(let lines):
            var n = 4
            for l in lines { box.add(l); n += 9 + 16 * l.count }
            size = n
        case .multiPolygon(let polys):
            var n = 4
            for p in polys { box.add(p[0]); n += 5 + Self.polygonSize(p) }
            size = n
        }
        self.box = box
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: repeatElement(0, count: 44 + size))
        bytes.withUnsafeMutableBytes { raw in
            var at = 0
            func byte(_ v: UInt8) { raw[at] = v; at += 1 }
            func int(_ v: Int) { raw.storeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: UInt32.self); at += 4 }
            func double(_ v: Double) { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: at, as: UInt64.self); at += 8 }
            func points(_ cs: [Coordinate]) {
                int(cs.count)
                for c in cs { double(c.lon); double(c.lat) }
            }
            func polygon(_ rings: [[Coordinate]]) {
                int(rings.count)
                for r in rings { points(r) }
            }
            byte(0x00); byte(0x01)
            int(Int(srid))
            double(box.minX); double(box.minY); double(box.maxX); double(box.maxY)
            byte(0x7C)
            switch geometry {
            case .point(let c): int(1); double(c.lon); double(c.lat)
            case .lineString(let cs): int(2); points(cs)
            case .polygon(let rings): int(3); polygon(rings)
            case .multiPoint(let cs):
                int(4); int(cs.count)
                for c in cs { byte(0x69); int(1); double(c.lon); double(c.lat) }
            case .multiLineString(let lines):
                int(5); int(lines.count)
                for l in lines { byte(0x69); int(2); points(l) }
            case .multiPolygon(let polys):
                int(6); int(polys.count)
                for p in polys { byte(0x69); int(3); polygon(p) }
            }
            byte(0xFE)
            precondition(at == raw.count, "SpatiaLite blob size")
        }
    }

    /// Encodes a LineString straight from its points (the walking network's edges are slices of one array).
    package mutating func encodeLineString<C: Collection>(_ points: C, srid: Int32 = 4326) where C.Element == Coordinate {
        var box = Box()
        for c in points { box.add(c) }
        self.box = box
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(48 + 16 * points.count)
        func int(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { bytes.append(contentsOf: $0) } }
        func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        bytes.append(0x00); bytes.append(0x01)
        int(Int(srid))
        double(box.minX); double(box.minY); double(box.maxX); double(box.maxY)
        bytes.append(0x7C)
        int(2)
        int(points.count)
        for c in points { double(c.lon); double(c.lat) }
        bytes.append(0xFE)
    }

    private static func polygonSize(_ rings: [[Coordinate]]) -> Int {
        var n = 4
        for r in rings { n += 4 + 16 * r.count }
        return n
    }
}
