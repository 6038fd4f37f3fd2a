import DoorstepModel
extension Geometry {
    /// The GeoJSON geometry object as a value, positions rounded to 7 decimals, rings by the right-hand rule — the
    /// same text `JSONBytes.geometry` writes.
    public var geoJSON: JSONValue {
        func positions(_ cs: [Coordinate]) -> JSONValue { .array(cs.map(\.jsonPosition)) }
        func rings(_ rs: [[Coordinate]]) -> JSONValue {
            .array(rs.enumerated().map { positions(Planar.oriented($1, counterClockwise: $0 == 0)) })
        }
        let coordinates: JSONValue
        switch self {
        case .point(let c): coordinates = c.jsonPosition
        case .lineString(let cs), .multiPoint(let cs): coordinates = positions(cs)
        case .polygon(let rs): coordinates = rings(rs)
        case .multiLineString(let ls): coordinates = .array(ls.map(positions))
        case .multiPolygon(let ps): coordinates = .array(ps.map(rings))
        }
        return .object([("type", .string(typeName)), ("coordinates", coordinates)])
    }
}

extension JSONBytes {
    // MARK: Geometry

    /// A GeoJSON geometry object: positions with 7 decimals, polygon rings by the right-hand rule (RFC 7946 §3.1.6:
    /// exterior counter-clockwise, holes clockwise; rings stored the other way round are reversed on the way out).
    /// `position` maps each stored position to the one written (a CRS shift, a bbox being tracked); it is the
    /// identity by default.
    public mutating func geometry(_ g: Geometry, position: (Coordinate) -> Coordinate = { $0 }) {
        beginObject()
        key("type")
        string(g.typeName)
        key("coordinates")
        switch g {
        case .point(let c): self.position(position(c))
        case .lineString(let cs), .multiPoint(let cs): positions(cs, position)
        case .multiLineString(let lines):
            beginArray()
            for l in lines { positions(l, position) }
            endArray()
        case .polygon(let rings): self.rings(rings, position)
        case .multiPolygon(let polygons):
            beginArray()
            for p in polygons { rings(p, position) }
            endArray()
        }
        endObject()
    }

    private mutating func positions(_ cs: [Coordinate], _ position: (Coordinate) -> Coordinate) {
        beginArray()
        for c in cs { self.position(position(c)) }
        endArray()
    }

    private mutating func rings(_ rings: [[Coordinate]], _ position: (Coordinate) -> Coordinate) {
        beginArray()
        for (i, ring) in rings.enumerated() {
            positions(Planar.oriented(ring, counterClockwise: i == 0), position)
        }
        endArray()
    }

}

extension Coordinate {
    /// `[lon, lat]` rounded to 7 decimals (about 1 cm), as RFC 7946 advises.
    public var jsonPosition: JSONValue {
        .array([.number((lon * 1e7).rounded() / 1e7), .number((lat * 1e7).rounded() / 1e7)])
    }
}
