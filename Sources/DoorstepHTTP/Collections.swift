import DoorstepGeo
import Foundation

/// A collection the features API serves: its metadata and how to read its features.
///
/// The five layers are `LayerCollection`s. Analysis results become collections by conforming to this protocol and
/// being added to `Collections.all` — that is the hook for `coverage` (compounds with their walking coverage at the
/// default radius) and `service-areas`, which need the walking network still being written (issue 4, item 3).
/// Nothing else in the router, the OpenAPI document or the tests has to change for a new collection.
public protocol FeatureCollectionSource: Sendable {
    /// The `{collectionId}` path segment.
    var id: String { get }
    var title: String { get }
    var description: String { get }
    /// The bounding box of the collection in the given snapshot, nil when it is empty.
    func extent(in snapshot: DataSnapshot) -> BoundingBox?
    /// A page of features, and how many match.
    func items(bbox: BoundingBox?, limit: Int, offset: Int, data: any DoorstepData) async throws -> FeaturePage
    /// One feature by its id, or nil.
    func item(id: String, data: any DoorstepData) async throws -> StoredFeature?
    /// The layers its features are made of, whose credits it carries.
    var layers: [Layer] { get }
}

/// A stored layer as a collection; feature ids are the layer's `id` column.
public struct LayerCollection: FeatureCollectionSource {
    public let layer: Layer
    public let title: String
    public let description: String

    public var id: String { layer.rawValue }
    public var layers: [Layer] { [layer] }

    public func extent(in snapshot: DataSnapshot) -> BoundingBox? { snapshot.summary(of: layer).bbox }

    public func items(bbox: BoundingBox?, limit: Int, offset: Int, data: any DoorstepData) async throws -> FeaturePage {
        try await data.features(of: layer, bbox: bbox, limit: limit, offset: offset)
    }

    public func item(id: String, data: any DoorstepData) async throws -> StoredFeature? {
        try await data.feature(of: layer, id: id)
    }
}

/// The collections of the service, in the order `/collections` lists them.
public enum Collections {
    public static let layers: [LayerCollection] = [
        LayerCollection(layer: .stations, title: "Service stations 党群服务站点",
                        description: "Community service stations: 党群服务中心 (center), 党群服务站 (station), 驿站 (post); services, address, phone, opening hours"),
        LayerCollection(layer: .compounds, title: "Residential compounds 小区",
                        description: "Residential compounds with households 户数 and population 人口; polygons or points"),
        LayerCollection(layer: .grids, title: "Governance grids 网格",
                        description: "Governance grids with their community 社区, street 街道 and district 区"),
        LayerCollection(layer: .ways, title: "Walkable ways",
                        description: "The walkable street network as imported (ids like way/27811140)"),
        LayerCollection(layer: .entrances, title: "Compound entrances 小区出入口",
                        description: "Entrances of compounds (compound_id), the reference points for walking reach"),
    ]

    /// Every collection served. Add analysis collections (`coverage`, `service-areas`) here.
    public static var all: [any FeatureCollectionSource] { layers + analysis }

    /// Analysis results as collections: compounds with their coverage, and station service areas (AnalysisCollections.swift).
    public static let analysis: [any FeatureCollectionSource] = [CoverageCollection(), ServiceAreaCollection()]
}
