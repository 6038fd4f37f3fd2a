/// JSON forms of stations and nearest-station answers, shared by the CLI and the HTTP service.
extension NearbyStation {
    /// Properties of the answer; `openAt` adds `open` (true/false, or null when the station has no hours).
    public func properties(openAt: WeekTime?) -> [(String, JSONValue)] {
        let s = station
        var p: [(String, JSONValue)] = [
            ("id", .string(s.id)), ("name", .string(s.name)), ("kind", s.kind.map(JSONValue.string) ?? .null),
            ("services", .array(s.services.map(JSONValue.string))),
            ("address", s.address.map(JSONValue.string) ?? .null), ("phone", s.phone.map(JSONValue.string) ?? .null),
            ("hours", s.hours.map { .string($0.text) } ?? .null),
            ("distance_m", .number((distance * 10).rounded() / 10)),
            ("bearing_deg", .number(bearing.rounded())), ("direction", .string(Geodesic.compassPoint(bearing))),
        ]
        if let t = openAt {
            p.append(("open", s.hours.map { .bool($0.isOpen(weekday: t.weekday, minuteOfDay: t.minute)) } ?? .null))
        }
        return p
    }
}

extension Coordinate {
    /// `[lon, lat]` rounded to 7 decimals (about 1 cm), as RFC 7946 advises.
    public var jsonPosition: JSONValue {
        .array([.number((lon * 1e7).rounded() / 1e7), .number((lat * 1e7).rounded() / 1e7)])
    }
}

extension JSONValue {
    /// A GeoJSON Point feature.
    public static func pointFeature(_ c: Coordinate, properties: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("type", .string("Feature")),
            ("geometry", .object([("type", .string("Point")), ("coordinates", c.jsonPosition)])),
            ("properties", .object(properties)),
        ])
    }

    /// A GeoJSON FeatureCollection.
    public static func featureCollection(_ features: [JSONValue]) -> JSONValue {
        .object([("type", .string("FeatureCollection")), ("features", .array(features))])
    }
}
