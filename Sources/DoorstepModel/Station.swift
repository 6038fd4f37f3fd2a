/// A community service station as stored: 党群服务中心 (`center`), 党群服务站 (`station`), 驿站 (`post`) or other.
public struct Station: Sendable, Hashable {
    public let id: String
    public let name: String
    public let kind: String?
    public let services: [String]
    public let address: String?
    public let phone: String?
    public let hours: OpeningHours?
    public let radiusMetres: Double?
    public let capacity: Int?
    public let location: Coordinate

    public init(id: String, name: String, kind: String?, services: [String], address: String?, phone: String?,
                hours: OpeningHours?, radiusMetres: Double?, capacity: Int?, location: Coordinate) {
        self.id = id
        self.name = name
        self.kind = kind
        self.services = services
        self.address = address
        self.phone = phone
        self.hours = hours
        self.radiusMetres = radiusMetres
        self.capacity = capacity
        self.location = location
    }
}
