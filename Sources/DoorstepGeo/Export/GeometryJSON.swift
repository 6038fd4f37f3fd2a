extension Geometry {
    /// The GeoJSON geometry object, positions rounded to 7 decimals.
    public var geoJSON: JSONValue {
        func positions(_ cs: [Coordinate]) -> JSONValue { .array(cs.map(\.jsonPosition)) }
        func rings(_ rs: [[Coordinate]]) -> JSONValue { .array(rs.map(positions)) }
        let coordinates: JSONValue
        switch self {
        case .point(let c): coordinates = c.jsonPosition
        case .lineString(let cs), .multiPoint(let cs): coordinates = positions(cs)
        case .polygon(let rs), .multiLineString(let rs): coordinates = rings(rs)
        case .multiPolygon(let ps): coordinates = .array(ps.map(rings))
        }
        return .object([("type", .string(typeName)), ("coordinates", coordinates)])
    }
}
