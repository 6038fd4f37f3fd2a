import Foundation

/// The walking graph of a database with its snapping index, ready for walking answers.
///
/// Immutable after loading, so one instance serves every request; each thread brings its own `MetricProjection`
/// (`makeProjection()`), because PROJ contexts are not shared.
public final class WalkingNetwork: Sendable {
    public let graph: WalkGraph
    public let snapper: Snapper
    public let zone: MetricZone
    /// Points farther than this (plane metres) from every edge are unreachable.
    public let snapLimit: Double
    /// Ways generation the graph was built from.
    public let waysGeneration: Int

    init(graph: WalkGraph, zone: MetricZone, snapLimit: Double, waysGeneration: Int) throws {
        self.graph = graph
        self.zone = zone
        self.snapLimit = snapLimit
        self.waysGeneration = waysGeneration
        snapper = Snapper(graph: graph, projection: try MetricProjection(zone: zone))
    }

    /// Builds the graph from the store's ways. With `persist`, when the ways changed since the stored
    /// `network_edges` were written (or there are none), writes them again, so the file holds the network its ways
    /// make (`doorstep import ways` does this; readers on a read-only connection leave it).
    public static func load(from store: Store, snapLimit: Double = Snapper.defaultLimit, tolerance: Double = 0,
                            persist: Bool = false) throws -> WalkingNetwork {
        let generation = try store.generation(of: .ways)
        let graph = WalkGraph(ways: try store.walkableWays(), tolerance: tolerance)
        let info = try store.info()
        let waysCenter = info.layers.first { $0.layer == .ways }?.bbox?.center
        let zone = info.metricZone ?? MetricZone(center: waysCenter ?? Coordinate(lon: 118.78, lat: 32.04))
        if persist, tolerance == 0, try store.storedNetworkGeneration() != generation {
            try store.storeNetwork(graph, waysGeneration: generation)
        }
        return try WalkingNetwork(graph: graph, zone: zone, snapLimit: snapLimit, waysGeneration: generation)
    }

    public func makeProjection() throws -> MetricProjection { try MetricProjection(zone: zone) }

    /// Where `point` meets the network, or nil when it is farther than the snap limit.
    public func snap(_ point: Coordinate, projection: MetricProjection) -> Snap? {
        snapper.snap(point, graph: graph, projection: projection, limit: snapLimit)
    }

    /// A description of the graph's connected pieces: the main one and every isolated piece with a way in it.
    public func components(limit: Int = 20) -> [(nodes: Int, exampleWay: String)] {
        var example = [Int32: String]()
        for e in 0..<graph.edgeCount {
            let c = graph.component[Int(graph.edgeSource[e])]
            if example[c] == nil { example[c] = graph.wayIDs[Int(graph.edgeWay[e])] }
        }
        return graph.componentSizes.prefix(limit).enumerated().map { ($0.element, example[Int32($0.offset)] ?? "") }
    }
}
