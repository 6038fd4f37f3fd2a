import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
/// JSON forms of stations and nearest-station answers, shared by the CLI and the HTTP service.
extension NearbyStation {
    /// Properties of the answer; `openAt` adds `open` (true/false, or null when the station has no hours).
    public func properties(openAt: WeekTime?) -> [(String, JSONValue)] {
        var list = JSONMemberList()
        writeProperties(openAt: openAt, to: &list)
        return list.members
    }

    /// The answer's members, the one definition of them: the station's own (`Station.writeMembers`), then
    /// `writeAnswerMembers`.
    public func writeProperties<Sink: JSONMemberSink>(openAt: WeekTime?, to out: inout Sink) {
        station.writeMembers(to: &out)
        writeAnswerMembers(openAt: openAt, to: &out)
    }

    /// What depends on the question: distance_m (0.1 m), bearing_deg, direction, and with `openAt` also `open`
    /// (true/false, or null when the station has no hours).
    public func writeAnswerMembers<Sink: JSONMemberSink>(openAt: WeekTime?, to out: inout Sink) {
        out.member("distance_m", (distance * 10).rounded() / 10)
        out.member("bearing_deg", bearing.rounded())
        out.member("direction", Geodesic.compassPoint(bearing))
        if let t = openAt {
            out.member("open", station.hours.map { $0.isOpen(weekday: t.weekday, minuteOfDay: t.minute) })
        }
    }

    /// `walking_m` (0.1 m) and `walking_min` (0.1 min at `speed` m/s) of a walking answer; null for no path.
    public static func writeWalking<Sink: JSONMemberSink>(_ metres: Double?, speed: Double, reason: String? = nil, to out: inout Sink) {
        out.member("walking_m", metres.map { ($0 * 10).rounded() / 10 })
        out.member("walking_min", metres.map { ($0 / speed / 60 * 10).rounded() / 10 })
        if metres == nil { out.member("no_path_reason", reason) }
    }
}

extension Station {
    /// The station's own members: id, name, kind, services, address, phone, hours (the text as given).
    public func writeMembers<Sink: JSONMemberSink>(to out: inout Sink) {
        out.member("id", id)
        out.member("name", name)
        out.member("kind", kind)
        out.member("services", services)
        out.member("address", address)
        out.member("phone", phone)
        out.member("hours", hours?.text)
    }
}


extension JSONValue {
    /// A GeoJSON Point feature.
    public static func pointFeature(_ c: Coordinate, properties: [(String, JSONValue)]) -> JSONValue {
        .object([
            ("type", .string("Feature")),
            ("geometry", Geometry.point(c).geoJSON),
            ("properties", .object(properties)),
        ])
    }

    /// A GeoJSON FeatureCollection.
    public static func featureCollection(_ features: [JSONValue]) -> JSONValue {
        .object([("type", .string("FeatureCollection")), ("features", .array(features))])
    }
}
