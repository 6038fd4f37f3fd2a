/// JSON forms of stations and nearest-station answers, shared by the CLI and the HTTP service.
extension NearbyStation {
    /// Properties of the answer; `openAt` adds `open` (true/false, or null when the station has no hours).
    public func properties(openAt: WeekTime?) -> [(String, JSONValue)] {
        var list = JSONMemberList()
        writeProperties(openAt: openAt, to: &list)
        return list.members
    }

    /// The answer's members, the one definition of them: id, name, kind, services, address, phone, hours,
    /// distance_m (0.1 m), bearing_deg, direction, and with `openAt` also `open`.
    public func writeProperties<Sink: JSONMemberSink>(openAt: WeekTime?, to out: inout Sink) {
        let s = station
        out.member("id", s.id)
        out.member("name", s.name)
        out.member("kind", s.kind)
        out.member("services", s.services)
        out.member("address", s.address)
        out.member("phone", s.phone)
        out.member("hours", s.hours?.text)
        out.member("distance_m", (distance * 10).rounded() / 10)
        out.member("bearing_deg", bearing.rounded())
        out.member("direction", Geodesic.compassPoint(bearing))
        if let t = openAt {
            out.member("open", s.hours.map { $0.isOpen(weekday: t.weekday, minuteOfDay: t.minute) })
        }
    }

    /// `walking_m` (0.1 m) and `walking_min` (0.1 min at `speed` m/s) of a walking answer; null for no path.
    public static func writeWalking<Sink: JSONMemberSink>(_ metres: Double?, speed: Double, to out: inout Sink) {
        out.member("walking_m", metres.map { ($0 * 10).rounded() / 10 })
        out.member("walking_min", metres.map { ($0 / speed / 60 * 10).rounded() / 10 })
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
