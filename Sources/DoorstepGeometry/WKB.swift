import DoorstepModel
/// Reading binary geometries: well-known binary (what SpatiaLite's `AsBinary` gives; the inverse of `Geometry.wkb`)
/// and SpatiaLite's own BLOB format (`DoorstepSpatiaLite/GeometryBlob.swift`), through one cursor. Both keep X and Y of XYZ,
/// XYM and XYZM forms; anything malformed or truncated is nil, never a crash.
extension Geometry {
    public init?(wkb bytes: [UInt8]) {
        guard let g = bytes.withUnsafeBytes({ raw -> Geometry? in
            var cursor = GeometryCursor(raw)
            guard let g = cursor.wkbGeometry(), cursor.atEnd else { return nil }
            return g
        }) else { return nil }
        self = g
    }
}

/// A position in binary geometry data, reading counts, points, lines and rings with bounds checks against the
/// bytes left (a count can never make it read, or reserve, beyond the end).
package struct GeometryCursor {
    package let bytes: UnsafeRawBufferPointer
    package var position = 0
    package var little = true

    package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    package var atEnd: Bool { position == bytes.count }
    package var remaining: Int { bytes.count - position }

    package mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    package mutating func count() -> Int? {
        guard remaining >= 4 else { return nil }
        let raw = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return Int(little ? UInt32(littleEndian: raw) : UInt32(bigEndian: raw))
    }

    private mutating func double() -> Double {
        let raw = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return Double(bitPattern: little ? UInt64(littleEndian: raw) : UInt64(bigEndian: raw))
    }

    /// `n` points of `dims` ordinates, X and Y kept.
    package mutating func points(_ n: Int, dims: Int) -> [Coordinate]? {
        guard n >= 0, n <= remaining / (8 * dims) else { return nil }
        var out = [Coordinate]()
        out.reserveCapacity(n)
        for _ in 0..<n {
            let x = double(), y = double()
            position += 8 * (dims - 2)
            out.append(Coordinate(lon: x, lat: y))
        }
        return out
    }

    package mutating func point(dims: Int) -> Coordinate? { points(1, dims: dims)?.first }

    /// A count, then that many points.
    package mutating func line(dims: Int) -> [Coordinate]? {
        guard let n = count() else { return nil }
        return points(n, dims: dims)
    }

    /// A count, then that many lines.
    package mutating func rings(dims: Int) -> [[Coordinate]]? {
        guard let n = count(), n <= remaining / 4 else { return nil }
        var out = [[Coordinate]]()
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let r = line(dims: dims) else { return nil }
            out.append(r)
        }
        return out
    }

    /// A class code's base type (1…6) and ordinate count: ISO/SpatiaLite codes, +1000 Z, +2000 M, +3000 ZM. Nil for
    /// anything else (collections of mixed types, SpatiaLite's compressed classes).
    package static func split(_ type: Int) -> (base: Int, dims: Int)? {
        let base = type % 1000
        guard (1...6).contains(base) else { return nil }
        switch type / 1000 {
        case 0: return (base, 2)
        case 1, 2: return (base, 3)
        case 3: return (base, 4)
        default: return nil
        }
    }

    /// The body of a simple geometry of `base` type 1…3.
    package mutating func simple(_ base: Int, dims: Int) -> Geometry? {
        switch base {
        case 1: return point(dims: dims).map(Geometry.point)
        case 2: return line(dims: dims).map(Geometry.lineString)
        case 3: return rings(dims: dims).map(Geometry.polygon)
        default: return nil
        }
    }

    /// Parts of a Multi* of `base` type 4…6, each read by `part` (which returns the simple geometry).
    package mutating func multi(_ base: Int, _ part: (inout GeometryCursor) -> Geometry?) -> Geometry? {
        guard let n = count(), n <= remaining / 5 else { return nil }
        var points = [Coordinate](), lines = [[Coordinate]](), polygons = [[[Coordinate]]]()
        for _ in 0..<n {
            switch (base, part(&self)) {
            case (4, .point(let p)?): points.append(p)
            case (5, .lineString(let l)?): lines.append(l)
            case (6, .polygon(let r)?): polygons.append(r)
            default: return nil
            }
        }
        switch base {
        case 4: return .multiPoint(points)
        case 5: return .multiLineString(lines)
        default: return .multiPolygon(polygons)
        }
    }

    /// A WKB geometry: its byte order, its type, its body (parts are whole WKB geometries).
    package mutating func wkbGeometry() -> Geometry? {
        switch byte() {
        case 1: little = true
        case 0: little = false
        default: return nil
        }
        guard let type = count(), let (base, dims) = GeometryCursor.split(type) else { return nil }
        if base <= 3 { return simple(base, dims: dims) }
        return multi(base) { $0.wkbGeometry() }
    }
}
