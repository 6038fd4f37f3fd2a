import DoorstepGeo
import Foundation

/// The records CityGen produces, one type per layer of Doorstep's data contract (docs: DESIGN.md, "Data contract").
///
/// They are plain values: the sample city and synthetic cities build them, `GeoJSONLayerWriter` and
/// `CSVLayerWriter` serialise them, and benchmarks may use them directly.
public enum CityData {}

extension CityData {
    /// A station's kind in the data contract.
    public enum StationKind: String, CaseIterable, Sendable {
        /// 党群服务中心, usually one per street (街道) or district.
        case center
        /// 党群服务站, usually one per community (社区).
        case station
        /// 驿站 / 红色驿站: a small rest point for couriers, sanitation workers and passers-by.
        case post

        /// The Chinese name a CSV from a street office would use (`doorstep import` maps it back).
        public var chineseName: String {
            switch self {
            case .center: "党群服务中心"
            case .station: "党群服务站"
            case .post: "红色驿站"
            }
        }
    }

    /// A service a station offers, in the contract's vocabulary.
    public enum Service: String, CaseIterable, Sendable {
        case rest, water, charging, meal, medical, legal, elderly, children, meeting
    }

    /// A compound's kind (小区类型).
    public enum CompoundKind: String, CaseIterable, Sendable {
        case commercial = "商品房"
        case oldEstate = "老旧小区"
        case resettlement = "还房小区"
        case workUnit = "单位宿舍"
    }

    /// Where a name came from, for layers that mix real and invented names.
    public enum NameSource: String, Sendable {
        case osm
        case synthetic
    }

    /// A GeoJSON geometry with lon/lat positions. Polygon rings are closed (first position == last).
    public enum Geometry: Sendable {
        case point(Coordinate)
        case lineString([Coordinate])
        case multiLineString([[Coordinate]])
        case polygon([[Coordinate]])
        case multiPolygon([[[Coordinate]]])
    }

    /// A community service station (`stations` layer).
    public struct Station: Sendable {
        public var id: String
        public var name: String
        public var kind: StationKind
        /// Services in `Service.allCases` order.
        public var services: [Service]
        /// OpenStreetMap `opening_hours`, within the subset Doorstep accepts.
        public var hours: String
        public var address: String?
        public var phone: String?
        /// The station's own reach in metres; nil means "use the default".
        public var radiusMetres: Int?
        public var capacity: Int?
        public var location: Coordinate
        /// Sample city only: false when the station is a real OSM feature, true when invented.
        public var synthetic: Bool?
        /// Sample city only: the OSM feature the station stands on.
        public var osmID: String?

        public var lon: Double { location.lon }
        public var lat: Double { location.lat }

        public init(
            id: String, name: String, kind: StationKind, services: [Service], hours: String,
            address: String? = nil, phone: String? = nil, radiusMetres: Int? = nil, capacity: Int? = nil,
            location: Coordinate, synthetic: Bool? = nil, osmID: String? = nil
        ) {
            self.id = id
            self.name = name
            self.kind = kind
            self.services = services
            self.hours = hours
            self.address = address
            self.phone = phone
            self.radiusMetres = radiusMetres
            self.capacity = capacity
            self.location = location
            self.synthetic = synthetic
            self.osmID = osmID
        }
    }

    /// A residential compound 小区 (`compounds` layer).
    public struct Compound: Sendable {
        public var id: String
        public var name: String
        /// Sample city only: whether `name` is OSM's or invented.
        public var nameSource: NameSource?
        public var kind: CompoundKind
        /// 户数; nil when unknown (some compounds deliberately have none).
        public var households: Int?
        /// 人口; nil when unknown.
        public var population: Int?
        /// Set on some compounds to exercise the contract's explicit grid assignment.
        public var gridID: String?
        /// Polygon, MultiPolygon or Point.
        public var geometry: Geometry
        /// A point inside the compound: what its CSV row and its grid assignment use.
        public var representativePoint: Coordinate
        /// Sample city only: the OSM feature the geometry comes from.
        public var osmID: String?

        public init(
            id: String, name: String, nameSource: NameSource? = nil, kind: CompoundKind, households: Int?,
            population: Int?, gridID: String? = nil, geometry: Geometry, representativePoint: Coordinate,
            osmID: String? = nil
        ) {
            self.id = id
            self.name = name
            self.nameSource = nameSource
            self.kind = kind
            self.households = households
            self.population = population
            self.gridID = gridID
            self.geometry = geometry
            self.representativePoint = representativePoint
            self.osmID = osmID
        }
    }

    /// A gate of a compound (`entrances` layer), on the compound's boundary.
    public struct Entrance: Sendable {
        public var id: String
        public var compoundID: String
        public var name: String?
        public var location: Coordinate

        public init(id: String, compoundID: String, name: String?, location: Coordinate) {
            self.id = id
            self.compoundID = compoundID
            self.name = name
            self.location = location
        }
    }

    /// A governance grid cell 网格 (`grids` layer) with its place in the hierarchy 社区 → 街道 → 区.
    public struct Grid: Sendable {
        public var id: String
        public var name: String
        public var community: String
        public var street: String
        public var district: String
        /// The cell's closed, counter-clockwise outer ring.
        public var ring: [Coordinate]

        public init(id: String, name: String, community: String, street: String, district: String, ring: [Coordinate]) {
            self.id = id
            self.name = name
            self.community = community
            self.street = street
            self.district = district
            self.ring = ring
        }
    }

    /// A walkable way (`ways` layer).
    public struct Way: Sendable {
        public var id: String
        public var highway: String
        public var name: String?
        /// `no` excludes the way from the walking network.
        public var foot: String?
        /// LineString or MultiLineString.
        public var geometry: Geometry
        /// OSM's level tags (`bridge`, `tunnel`, `layer`): ways on different levels cross without meeting.
        public var bridge: String?
        public var tunnel: String?
        public var layer: String?

        public init(id: String, highway: String, name: String?, foot: String?, geometry: Geometry,
                    bridge: String? = nil, tunnel: String? = nil, layer: String? = nil) {
            self.id = id
            self.highway = highway
            self.name = name
            self.foot = foot
            self.geometry = geometry
            self.bridge = bridge
            self.tunnel = tunnel
            self.layer = layer
        }
    }
}

extension CityData {
    /// Water: a river or canal as an area.
    public struct Water: Sendable {
        public var id: String
        public var name: String?
        public var geometry: Geometry
    }
}

/// `prefix` followed by `number` zero-padded to the width of `count` (at least `minimumWidth` digits): "S007".
func paddedID(_ prefix: String, _ number: Int, of count: Int, minimumWidth: Int = 3) -> String {
    let width = max(minimumWidth, String(max(count, 1)).count)
    let digits = String(number)
    return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
}
