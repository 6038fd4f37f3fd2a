import DoorstepModel
import DoorstepGeometry
import DoorstepStore
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

    package init(graph: WalkGraph, zone: MetricZone, snapLimit: Double, waysGeneration: Int) throws {
        self.graph = graph
        self.zone = zone
        self.snapLimit = snapLimit
        self.waysGeneration = waysGeneration
        snapper = Snapper(graph: graph, projection: try MetricProjection(zone: zone))
    }

    /// Builds the graph from the store's ways.
    public static func load(from store: any StoreReader, snapLimit: Double = Snapper.defaultLimit,
                            tolerance: Double = 0) throws -> WalkingNetwork {
        try build(from: store, snapLimit: snapLimit, tolerance: tolerance).network
    }

    /// Builds the graph from the store's ways. With `persist`, when the ways changed since the stored network was
    /// written (or there is none), writes it again, so the store holds the network its ways make (`doorstep import
    /// ways` does this; readers leave it).
    public static func load(from store: any StoreWriter, snapLimit: Double = Snapper.defaultLimit, tolerance: Double = 0,
                            persist: Bool) throws -> WalkingNetwork {
        let (network, graph) = try build(from: store, snapLimit: snapLimit, tolerance: tolerance)
        if persist, tolerance == 0, try store.storedNetworkGeneration() != network.waysGeneration {
            try store.storeNetwork(graph.edgeRecords, waysGeneration: network.waysGeneration)
        }
        return network
    }

    private static func build(from store: any StoreReader, snapLimit: Double,
                              tolerance: Double) throws -> (network: WalkingNetwork, graph: WalkGraph) {
        let generation = try store.generation(of: .ways)
        let graph = WalkGraph(ways: try store.walkableWays(), tolerance: tolerance)
        let zone = try store.metricZone()
        return (try WalkingNetwork(graph: graph, zone: zone, snapLimit: snapLimit, waysGeneration: generation), graph)
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
