extension Geometry {
    /// The GeoJSON geometry object as a value, positions rounded to 7 decimals, rings by the right-hand rule — the
    /// same text `JSONBytes.geometry` writes.
    public var geoJSON: JSONValue {
        func positions(_ cs: [Coordinate]) -> JSONValue { .array(cs.map(\.jsonPosition)) }
        func rings(_ rs: [[Coordinate]]) -> JSONValue {
            .array(rs.enumerated().map { positions(GeoJSONWriter.oriented($1, counterClockwise: $0 == 0)) })
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
