/// Reading SpatiaLite's own geometry BLOBs (the `geom` columns), so reads need no `AsBinary` conversion in SQL.
///
/// The format (SpatiaLite "BLOB-Geometry"): `0x00`, an endian byte (1 little, 0 big), the SRID (int32), the MBR
/// (four doubles), `0x7C`, the class type (int32: 1…6 Point … MultiPolygon, +1000 with Z, +2000 with M, +3000 with
/// Z and M), the geometry's data, `0xFE`. Points are X, Y (then Z/M when present); lines an int32 count and points;
/// polygons an int32 ring count and rings; collections an int32 count of entities, each `0x69`, its class type and
/// its data. Compressed classes (1000000 and up) and GeometryCollections are not read here (nil): callers fall back
/// to SQL for those.
extension Geometry {
    public init?(spatiaLiteBlob blob: UnsafeRawBufferPointer) {
        var reader = BlobReader(blob: blob)
        guard let g = reader.geometry() else { return nil }
        self = g
    }
}

private struct BlobReader {
    let blob: UnsafeRawBufferPointer
    var position = 0
    var little = true

    init(blob: UnsafeRawBufferPointer) { self.blob = blob }

    mutating func byte() -> UInt8? {
        guard position < blob.count else { return nil }
        defer { position += 1 }
        return blob[position]
    }

    mutating func int32() -> Int? {
        guard position + 4 <= blob.count else { return nil }
        let raw = blob.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return Int(little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw))
    }

    mutating func double() -> Double {
        let raw = blob.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return Double(bitPattern: little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
    }

    /// `n` points of `dims` ordinates (X and Y kept).
    mutating func points(_ n: Int, dims: Int) -> [Coordinate]? {
        guard n >= 0, n <= (blob.count - position) / (8 * dims) else { return nil }
        var out = [Coordinate]()
        out.reserveCapacity(n)
        for _ in 0..<n {
            let x = double(), y = double()
            position += 8 * (dims - 2)
            out.append(Coordinate(lon: x, lat: y))
        }
        return out
    }

    mutating func line(dims: Int) -> [Coordinate]? {
        guard let n = int32() else { return nil }
        return points(n, dims: dims)
    }

    mutating func rings(dims: Int) -> [[Coordinate]]? {
        guard let n = int32(), n <= blob.count / 4 else { return nil }
        var out = [[Coordinate]]()
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let r = line(dims: dims) else { return nil }
            out.append(r)
        }
        return out
    }

    /// A class type's base type (1…6) and ordinate count, nil for compressed or unknown classes.
    static func split(_ type: Int) -> (base: Int, dims: Int)? {
        let base = type % 1000
        guard (1...6).contains(base) else { return nil }
        switch type / 1000 {
        case 0: return (base, 2)
        case 1, 2: return (base, 3)
        case 3: return (base, 4)
        default: return nil
        }
    }

    mutating func geometry() -> Geometry? {
        guard blob.count >= 44, blob[0] == 0x00, blob[38] == 0x7C, blob[blob.count - 1] == 0xFE else { return nil }
        switch blob[1] {
        case 1: little = true
        case 0: little = false
        default: return nil
        }
        position = 39
        guard let type = int32(), let (base, dims) = BlobReader.split(type) else { return nil }
        let g: Geometry?
        switch base {
        case 1: g = points(1, dims: dims).map { .point($0[0]) }
        case 2: g = line(dims: dims).map(Geometry.lineString)
        case 3: g = rings(dims: dims).map(Geometry.polygon)
        default: g = collection(base, dims: dims)
        }
        guard position == blob.count - 1 else { return nil }
        return g
    }

    /// A MultiPoint, MultiLineString or MultiPolygon: entities of the matching simple class.
    mutating func collection(_ base: Int, dims: Int) -> Geometry? {
        guard let n = int32(), n <= blob.count / 5 else { return nil }
        var points = [Coordinate](), lines = [[Coordinate]](), polygons = [[[Coordinate]]]()
        for _ in 0..<n {
            guard byte() == 0x69, let type = int32(), let (part, partDims) = BlobReader.split(type),
                  part == base - 3, partDims == dims else { return nil }
            switch part {
            case 1: guard let p = self.points(1, dims: dims) else { return nil }; points.append(p[0])
            case 2: guard let l = line(dims: dims) else { return nil }; lines.append(l)
            default: guard let r = rings(dims: dims) else { return nil }; polygons.append(r)
            }
        }
        switch base {
        case 4: return .multiPoint(points)
        case 5: return .multiLineString(lines)
        default: return .multiPolygon(polygons)
        }
    }
}
