/// The layers of the data contract (DESIGN.md), each stored in a table of the same name.
public enum Layer: String, CaseIterable, Sendable {
    case stations, compounds, entrances, grids, ways

    /// Geometry types the layer takes.
    public var geometryTypes: Set<String> {
        switch self {
        case .stations, .entrances: return ["Point"]
        case .compounds: return ["Polygon", "MultiPolygon", "Point"]
        case .grids: return ["Polygon", "MultiPolygon"]
        case .ways: return ["LineString", "MultiLineString"]
        }
    }

    /// Whether `id` must be given (otherwise one is made from the file name and feature number).
    public var requiresID: Bool { self != .entrances && self != .ways }

    /// Whether `name` must be given.
    public var requiresName: Bool { self == .stations || self == .compounds || self == .grids }

    /// Whether CSV (points with lon/lat columns) can hold this layer.
    public var acceptsCSV: Bool { self == .stations || self == .compounds || self == .entrances }

    /// The attribute columns of the layer's table besides `id` and the geometry.
    public var fields: [Field] {
        switch self {
        case .stations:
            return [.init("name", .text), .init("kind", .kind), .init("services", .services), .init("address", .text),
                    .init("phone", .text), .init("hours", .hours), .init("radius_m", .positiveReal),
                    .init("capacity", .count)]
        case .compounds:
            return [.init("name", .text), .init("households", .count), .init("population", .count),
                    .init("kind", .text), .init("grid_id", .text)]
        case .entrances:
            return [.init("compound_id", .text), .init("name", .text)]
        case .grids:
            return [.init("name", .text), .init("community", .text), .init("street", .text), .init("district", .text)]
        case .ways:
            // bridge, tunnel and layer: the level of the way (`WayLevel`), so that ways crossing at different levels
            // are not joined (`doorstep network check` and `mend`).
            return [.init("highway", .text), .init("name", .text), .init("foot", .text), .init("bridge", .text),
                    .init("tunnel", .text), .init("layer", .text)]
        }
    }

    /// A column of a layer and how its values are checked.
    public struct Field: Sendable {
        public let name: String
        public let type: FieldType
        package init(_ name: String, _ type: FieldType) {
            self.name = name
            self.type = type
        }
    }

    public enum FieldType: Sendable {
        /// Free text (numbers given are kept as their text).
        case text
        /// A non-negative whole number (households, population, capacity).
        case count
        /// A positive number of metres.
        case positiveReal
        /// A list of service names, stored as a JSON array.
        case services
        /// Station kind: Chinese names are mapped to `center`, `station`, `post`.
        case kind
        /// OpenStreetMap opening_hours subset, checked.
        case hours
    }
}
