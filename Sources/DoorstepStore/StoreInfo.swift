import DoorstepModel
import DoorstepGeometry
import Foundation

/// What the stored walking network looks like (for `info`).
public struct NetworkInfo: Sendable {
    public let edges: Int
    public let lengthMetres: Double
    /// Connected pieces, largest first: edges in it and one way id in it.
    public let pieces: [(edges: Int, exampleWay: String)]
    /// True when the ways changed after the network was stored (run `doorstep import ways` again or any walk query).
    public let stale: Bool
    public let waysClosedToPedestrians: Int

    package init(edges: Int, lengthMetres: Double, pieces: [(edges: Int, exampleWay: String)], stale: Bool, waysClosedToPedestrians: Int) {
        self.edges = edges
        self.lengthMetres = lengthMetres
        self.pieces = pieces
        self.stale = stale
        self.waysClosedToPedestrians = waysClosedToPedestrians
    }
}

/// What `doorstep info` shows.
public struct StoreInfo: Sendable {
    public struct LayerInfo: Sendable {
        public let layer: Layer
        public let count: Int
        public let bbox: BoundingBox?

        package init(layer: Layer, count: Int, bbox: BoundingBox?) {
            self.layer = layer
            self.count = count
            self.bbox = bbox
        }
    }

    public struct ImportEntry: Sendable {
        public let layer: String
        public let file: String
        public let features: Int
        public let crs: String
        public let replaced: Bool
        public let repaired: Int
        public let at: String

        package init(layer: String, file: String, features: Int, crs: String, replaced: Bool, repaired: Int, at: String) {
            self.layer = layer
            self.file = file
            self.features = features
            self.crs = crs
            self.replaced = replaced
            self.repaired = repaired
            self.at = at
        }
    }

    public let path: String
    public let schemaVersion: Int
    public let fileSize: Int
    public let layers: [LayerInfo]
    public let metricZone: MetricZone?
    public let recentImports: [ImportEntry]
    public let compoundsWithoutHouseholds: Int
    /// Entrances whose compound does not exist (the first 20 by id), and how many.
    public let orphanEntrances: [OrphanEntrance]
    public let orphanEntranceCount: Int

    /// The metric plane of the stations' and compounds' extent (nil when both are empty): the one rule of
    /// `StoreReader.metricZone`, for every store's `info()`.
    package static func metricZone(of layers: [LayerInfo]) -> MetricZone? {
        metricZone(stations: layers.first { $0.layer == .stations }?.bbox, compounds: layers.first { $0.layer == .compounds }?.bbox)
    }

    package static func metricZone(stations: BoundingBox?, compounds: BoundingBox?) -> MetricZone? {
        let boxes = [stations, compounds].compactMap { $0 }
        return boxes.dropFirst().reduce(boxes.first) { box, next in box?.union(next) }.map { MetricZone(center: $0.center) }
    }

    package init(path: String, schemaVersion: Int, fileSize: Int, layers: [LayerInfo], metricZone: MetricZone?, recentImports: [ImportEntry], compoundsWithoutHouseholds: Int, orphanEntrances: [OrphanEntrance], orphanEntranceCount: Int) {
        self.path = path
        self.schemaVersion = schemaVersion
        self.fileSize = fileSize
        self.layers = layers
        self.metricZone = metricZone
        self.recentImports = recentImports
        self.compoundsWithoutHouseholds = compoundsWithoutHouseholds
        self.orphanEntrances = orphanEntrances
        self.orphanEntranceCount = orphanEntranceCount
    }
}
