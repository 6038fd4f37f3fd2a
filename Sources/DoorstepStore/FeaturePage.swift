import DoorstepModel
import DoorstepGeometry
import Foundation

/// One stored feature as a features API serves it: its `id`, its geometry and its properties.
public struct StoredFeature: Sendable {
    /// The layer's `id` column (way ids look like `way/27811140`, entrance ids like `entrances#3`).
    public let id: String
    /// The geometry (WGS84), nil for a feature without one; written as GeoJSON by `JSONBytes.geometry`.
    public let geometry: Geometry?
    /// Every column of the layer's table but `fid` and `geom`, in table order, then the extra properties kept from
    /// the imported file (column `properties`) flattened in; a column wins over an extra of the same name.
    public let properties: [(String, JSONValue)]

    public init(id: String, geometry: Geometry?, properties: [(String, JSONValue)]) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }
}

/// A page of features and how many match in all.
public struct FeaturePage: Sendable {
    /// Features matching the query, whatever the page size.
    public let numberMatched: Int
    /// The page, ordered by storage order (`fid`), so paging with `offset` is stable between imports.
    public let features: [StoredFeature]

    public init(numberMatched: Int, features: [StoredFeature]) {
        self.numberMatched = numberMatched
        self.features = features
    }
}

/// Feature count and bounding box of a layer (named apart from CityGen's `LayerSummary`, which tools import too).
public struct LayerExtent: Sendable, Hashable {
    public let layer: Layer
    public let count: Int
    /// nil when the layer is empty.
    public let bbox: BoundingBox?

    public init(layer: Layer, count: Int, bbox: BoundingBox?) {
        self.layer = layer
        self.count = count
        self.bbox = bbox
    }
}
