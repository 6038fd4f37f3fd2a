/// Reading well-known binary (what SpatiaLite's `AsBinary` gives): the inverse of `Geometry.wkb`.
extension Geometry {
    public init?(wkb bytes: [UInt8]) {
        var reader = WKBReader(bytes: bytes)
        guard let g = reader.geometry() else { return nil }
        self = g
    }
}

private struct WKBReader {
    let bytes: [UInt8]
    var position = 0
    var little = true

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func uint32() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return little ? v : v.byteSwapped
    }

    mutating func double() -> Double? {
        guard position + 8 <= bytes.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return Double(bitPattern: little ? v : v.byteSwapped)
    }

    mutating func coordinate() -> Coordinate? {
        guard let x = double(), let y = double() else { return nil }
        return Coordinate(lon: x, lat: y)
    }

    mutating func coordinates() -> [Coordinate]? {
        guard let n = uint32(), Int(n) * 16 <= bytes.count - position else { return nil }
        var out = [Coordinate]()
        out.reserveCapacity(Int(n))
        for _ in 0..<n {
            guard let c = coordinate() else { return nil }
            out.append(c)
        }
        return out
    }

    mutating func rings() -> [[Coordinate]]? {
        guard let n = uint32(), n < 1_000_000 else { return nil }
        var out = [[Coordinate]]()
        for _ in 0..<n {
            guard let r = coordinates() else { return nil }
            out.append(r)
        }
        return out
    }

    mutating func geometry() -> Geometry? {
        guard position < bytes.count else { return nil }
        little = bytes[position] == 1
        position += 1
        guard let type = uint32() else { return nil }
        switch type % 1000 {
        case 1: return coordinate().map(Geometry.point)
        case 2: return coordinates().map(Geometry.lineString)
        case 3: return rings().map(Geometry.polygon)
        case 4, 5, 6:
            guard let n = uint32(), n < 10_000_000 else { return nil }
            var parts = [Geometry]()
            for _ in 0..<n {
                guard let g = geometry() else { return nil }
                parts.append(g)
            }
            switch type % 1000 {
            case 4: return .multiPoint(parts.compactMap { if case .point(let c) = $0 { return c } else { return nil } })
            case 5: return .multiLineString(parts.compactMap { if case .lineString(let l) = $0 { return l } else { return nil } })
            default: return .multiPolygon(parts.compactMap { if case .polygon(let p) = $0 { return p } else { return nil } })
            }
        default:
            return nil
        }
    }
}
