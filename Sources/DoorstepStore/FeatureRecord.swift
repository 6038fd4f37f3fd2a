import DoorstepModel
import DoorstepGeometry
import Foundation

/// A feature that passed every check, in WGS84, ready for the store.
public struct FeatureRecord: Sendable {
    public var id: String
    public var geometry: Geometry
    /// Values of the layer's `fields`, in order.
    public var values: [FieldValue]
    /// Properties outside the data contract, kept as a JSON object text (nil when none).
    public var extraProperties: String?
    /// Where it came from, for messages about it.
    public var location: InputLocation
    /// Compounds: the point inside the geometry the analyses measure from when the compound has no entrances
    /// (GEOS PointOnSurface, worked out by the import).
    public var referencePoint: Coordinate?

    public init(id: String, geometry: Geometry, values: [FieldValue], extraProperties: String?, location: InputLocation,
                referencePoint: Coordinate? = nil) {
        self.referencePoint = referencePoint
        self.id = id
        self.geometry = geometry
        self.values = values
        self.extraProperties = extraProperties
        self.location = location
    }
}
