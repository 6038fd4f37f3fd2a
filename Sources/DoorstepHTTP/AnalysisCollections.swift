import DoorstepGeo
import Foundation

/// The `coverage` collection: the compounds (their stored geometry, paged and filtered by `bbox` in SQL like the
/// `compounds` collection) with their coverage at the 10min preset (500 m), straight, every station counting — the
/// result of `GET /v1/coverage?preset=10min` (and `doorstep coverage --preset 10min`), cached per generation.
/// Properties are the coverage row (status, covered, nearest_station, straight_m …) then the compound's stored
/// properties not already named.
public struct CoverageCollection: FeatureCollectionSource {
    public static let preset = "10min"
    public var id: String { "coverage" }
    public var layers: [Layer] { [.compounds, .entrances, .stations] }
    public var title: String { "Coverage 覆盖 (10 min, straight)" }
    public var description: String {
        "Residential compounds with their coverage at the 10min life-circle preset (500 m), as the crow flies, every station counting: status, covered, nearest_station, straight_m (as /v1/coverage?preset=10min)"
    }

    public init() {}

    /// `/v1/coverage?preset=10min`'s options: straight, every station, the default walking speed.
    static let options = try! AnalysisOptions(preset: preset)

    public func extent(in snapshot: DataSnapshot) -> BoundingBox? { snapshot.summary(of: .compounds).bbox }

    public func items(bbox: BoundingBox?, limit: Int, offset: Int, data: any DoorstepData) async throws -> FeaturePage {
        let snapshot = try await data.snapshot()
        let page = try await data.features(of: .compounds, bbox: bbox, limit: limit, offset: offset)
        let byID = try await rows(snapshot, data)
        return FeaturePage(numberMatched: page.numberMatched, features: page.features.map { merge($0, byID) })
    }

    public func item(id: String, data: any DoorstepData) async throws -> StoredFeature? {
        let snapshot = try await data.snapshot()
        guard let feature = try await data.feature(of: .compounds, id: id) else { return nil }
        return merge(feature, try await rows(snapshot, data))
    }

    private func rows(_ snapshot: DataSnapshot, _ data: any DoorstepData) async throws -> [String: [(String, JSONValue)]] {
        let report: CoverageReport
        if let cached = snapshot.analysis.cachedCoverage(CoverageKey(Self.options.coverage)) {
            report = cached
        } else {
            let source = SnapshotSource(snapshot: snapshot, data: data)
            report = try await AnalysisPool.current.run { try CoverageUseCase.report(Self.options, on: source) }
        }
        var out = [String: [(String, JSONValue)]](minimumCapacity: report.compounds.count)
        for c in report.compounds { out[c.site.id] = c.properties(speed: Self.options.speed) }
        return out
    }

    private func merge(_ feature: StoredFeature, _ rows: [String: [(String, JSONValue)]]) -> StoredFeature {
        guard let row = rows[feature.id] else { return feature }
        let names = Set(row.map(\.0))
        return StoredFeature(id: feature.id, geometry: feature.geometry, properties: row + feature.properties.filter { !names.contains($0.0) })
    }
}

/// The `service-areas` collection: a geodesic circle of 500 m (the 10min preset) around every station, one feature per
/// station with the station's id — what `GET /v1/areas?preset=10min` (and `doorstep areas --preset 10min`) draws, made
/// page by page with the same library call. `bbox` selects circles reaching into the box (the station within 500 m of
/// the box). Walking areas are not a collection (they cost tens of milliseconds each); ask `/v1/areas?walk=true`.
public struct ServiceAreaCollection: FeatureCollectionSource {
    public static let radius = AreasUseCase.Options.defaultBand
    public var id: String { "service-areas" }
    public var layers: [Layer] { [.stations] }
    public var title: String { "Service areas 服务范围 (500 m circles)" }
    public var description: String {
        "A 500 m geodesic circle (the 10min preset) around every station, one feature per station with its id (as /v1/areas?preset=10min); walking areas: /v1/areas?walk=true"
    }

    public init() {}

    public func extent(in snapshot: DataSnapshot) -> BoundingBox? {
        guard let b = snapshot.summary(of: .stations).bbox else { return nil }
        let dLat = Self.radius / 111_320
        let dLon = Self.radius / (111_320 * cos(max(abs(b.south), abs(b.north)) * .pi / 180))
        return BoundingBox(west: max(-180, b.west - dLon), south: max(-90, b.south - dLat),
                           east: min(180, b.east + dLon), north: min(90, b.north + dLat))
    }

    public func items(bbox: BoundingBox?, limit: Int, offset: Int, data: any DoorstepData) async throws -> FeaturePage {
        let snapshot = try await data.snapshot()
        var stations = snapshot.index.stations
        if let bbox { stations = stations.filter { Self.reaches($0.location, bbox) } }
        let page = offset < stations.count ? Array(stations[offset..<min(stations.count, offset + limit)]) : []
        return FeaturePage(numberMatched: stations.count, features: try await features(page, snapshot, data))
    }

    public func item(id: String, data: any DoorstepData) async throws -> StoredFeature? {
        let snapshot = try await data.snapshot()
        guard let station = snapshot.index.stations.first(where: { $0.id == id }) else { return nil }
        return try await features([station], snapshot, data).first
    }

    /// Whether the circle around `p` reaches into `box`: the box's nearest point is within the radius.
    static func reaches(_ p: Coordinate, _ box: BoundingBox) -> Bool {
        let nearest = Coordinate(lon: min(max(p.lon, box.west), box.east), lat: min(max(p.lat, box.south), box.north))
        return Geodesic.distance(p, nearest) <= radius
    }

    /// Circles of up to a page of stations (10,000): CPU work, so it runs in the analysis pool.
    private func features(_ stations: [Station], _ snapshot: DataSnapshot, _ data: any DoorstepData) async throws -> [StoredFeature] {
        guard !stations.isEmpty else { return [] }
        return try await AnalysisPool.current.run {
            let inputs = try snapshot.analysis.inputs(snapshot, data: data)
            let result = try data.withStore { store in
                try ServiceAreas.make(stations: stations, bands: [Self.radius], network: nil, zone: inputs.zone)
            }
            return result.areas.map { StoredFeature(id: $0.stationID, geometry: $0.geometry, properties: $0.properties) }
        }
    }
}
