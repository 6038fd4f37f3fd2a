import DoorstepGeo
import Foundation

/// The four GeoJSON extracts of an OpenStreetMap area that the sample city is built from (see geodata/README.md):
/// `walkable_ways`, `residential_areas`, `residential_buildings` and `poi_candidates`, each feature with its OSM
/// tags as string properties, `osm_id` among them.
struct OSMExtract {
    struct Feature {
        var geometry: CityData.Geometry
        var tags: [String: String]

        /// "way/27811140", "node/…", "relation/…".
        var osmID: String { tags["osm_id"] ?? "" }

        /// The feature's name: `name`, else `name:zh`.
        var name: String? { tags["name"] ?? tags["name:zh"] }
    }

    static let fileNames = ["walkable_ways", "residential_areas", "residential_buildings", "poi_candidates"]

    var walkableWays: [Feature]
    var residentialAreas: [Feature]
    var residentialBuildings: [Feature]
    var pois: [Feature]

    /// Reads the extracts from `directory`, or from its `osm/` subdirectory when they are there.
    init(directory: URL) throws {
        var base = directory
        let probe = directory.appendingPathComponent("osm").appendingPathComponent("walkable_ways.geojson")
        if FileManager.default.fileExists(atPath: probe.path) {
            base = directory.appendingPathComponent("osm")
        }
        func read(_ name: String) throws -> [Feature] {
            let url = base.appendingPathComponent(name + ".geojson")
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CityGenError.badInput(file: url.path, message: "not found (expected one of \(Self.fileNames))")
            }
            do {
                return try JSONDecoder().decode(FeatureCollection.self, from: data).features.map {
                    Feature(geometry: $0.geometry.value, tags: $0.properties)
                }
            } catch {
                throw CityGenError.badInput(file: url.path, message: "not a GeoJSON FeatureCollection with string properties: \(error)")
            }
        }
        walkableWays = try read("walkable_ways")
        residentialAreas = try read("residential_areas")
        residentialBuildings = try read("residential_buildings")
        pois = try read("poi_candidates")
    }

    /// Every position of every feature.
    var allCoordinates: [Coordinate] {
        (walkableWays + residentialAreas + residentialBuildings + pois).flatMap { $0.geometry.coordinates }
    }
}

extension CityData.Geometry {
    /// All positions, in order.
    var coordinates: [Coordinate] {
        switch self {
        case .point(let c): [c]
        case .lineString(let line): line
        case .multiLineString(let lines): lines.flatMap { $0 }
        case .polygon(let rings): rings.flatMap { $0 }
        case .multiPolygon(let polygons): polygons.flatMap { $0.flatMap { $0 } }
        }
    }

    /// The polygons (each as rings) of a Polygon or MultiPolygon; empty for other types.
    var polygons: [[[Coordinate]]] {
        switch self {
        case .polygon(let rings): [rings]
        case .multiPolygon(let polygons): polygons
        default: []
        }
    }

    /// The lines of a LineString or MultiLineString; empty for other types.
    var lines: [[Coordinate]] {
        switch self {
        case .lineString(let line): [line]
        case .multiLineString(let lines): lines
        default: []
        }
    }
}

// MARK: - Decoding

private struct FeatureCollection: Decodable {
    var features: [DecodedFeature]
}

private struct DecodedFeature: Decodable {
    var geometry: DecodedGeometry
    var properties: [String: String]
}

private struct DecodedGeometry: Decodable {
    var value: CityData.Geometry

    enum CodingKeys: String, CodingKey { case type, coordinates }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func position(_ numbers: [Double]) throws -> Coordinate {
            guard numbers.count >= 2 else {
                throw DecodingError.dataCorruptedError(forKey: .coordinates, in: container, debugDescription: "position with fewer than 2 numbers")
            }
            return Coordinate(lon: numbers[0], lat: numbers[1])
        }
        switch try container.decode(String.self, forKey: .type) {
        case "Point":
            value = .point(try position(container.decode([Double].self, forKey: .coordinates)))
        case "LineString":
            value = .lineString(try container.decode([[Double]].self, forKey: .coordinates).map(position))
        case "MultiLineString":
            value = .multiLineString(try container.decode([[[Double]]].self, forKey: .coordinates).map { try $0.map(position) })
        case "Polygon":
            value = .polygon(try container.decode([[[Double]]].self, forKey: .coordinates).map { try $0.map(position) })
        case "MultiPolygon":
            value = .multiPolygon(
                try container.decode([[[[Double]]]].self, forKey: .coordinates).map { try $0.map { try $0.map(position) } })
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unsupported geometry type \(other)")
        }
    }
}
