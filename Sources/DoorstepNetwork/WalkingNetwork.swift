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
    /// For each connected piece (0 the largest): how many ways (streets) it holds and its length in metres.
    public let pieceWays: [Int]
    public let pieceLength: [Double]
    /// Whether the graph was loaded from the store's image of it (`WalkGraph.writeImage`) rather than built from the
    /// ways.
    public let loadedFromImage: Bool

    package init(graph: WalkGraph, zone: MetricZone, snapLimit: Double, waysGeneration: Int, loadedFromImage: Bool = false) throws {
        self.graph = graph
        self.loadedFromImage = loadedFromImage
        self.zone = zone
        self.snapLimit = snapLimit
        self.waysGeneration = waysGeneration
        var ways = [Int](repeating: 0, count: graph.componentSizes.count)
        var length = [Double](repeating: 0, count: graph.componentSizes.count)
        // A way's edges are consecutive: count each way once in each piece its edges are in.
        var piecesOfWay = [Int]()
        for e in 0..<graph.edgeCount {
            let c = Int(graph.component[Int(graph.edgeSource[e])])
            let w = graph.edgeWay[e]
            if e == 0 || graph.edgeWay[e - 1] != w { piecesOfWay.removeAll(keepingCapacity: true) }
            if !graph.wayMended[Int(w)], !piecesOfWay.contains(c) {
                piecesOfWay.append(c)
                ways[c] += 1
            }
            length[c] += graph.edgeLength[e]
        }
        pieceWays = ways
        pieceLength = length
        let projection = try MetricProjection(zone: zone)
        snapper = WorkProgress.run("walking network: indexing its streets for snapping") { _ in Snapper(graph: graph, projection: projection) }
    }

    /// The connected piece a snapped position is on (0: the largest).
    public func piece(of snap: Snap) -> Int { Int(graph.component[Int(graph.edgeSource[Int(snap.edge)])]) }

    /// The way a snapped position is on.
    public func way(of snap: Snap) -> String { graph.wayIDs[Int(graph.edgeWay[Int(snap.edge)])] }

    /// "an isolated piece of 3 streets (120 m)", or "the main network" for the largest piece.
    public func describePiece(_ piece: Int) -> String {
        guard piece > 0 else { return "the main network" }
        let n = pieceWays[piece]
        return "an isolated piece of \(n) street\(n == 1 ? "" : "s") (\(Int(pieceLength[piece].rounded())) m)"
    }

    /// The graph of the store's ways: its stored image when that is of the ways as they are (and `tolerance` is 0),
    /// else built from the ways.
    public static func load(from store: any StoreReader, snapLimit: Double = Snapper.defaultLimit,
                            tolerance: Double = 0) throws -> WalkingNetwork {
        let generation = try store.generation(of: .ways)
        let (graph, fromImage) = try graph(from: store, tolerance: tolerance, generation: generation)
        return try WalkingNetwork(graph: graph, zone: store.metricZone(), snapLimit: snapLimit, waysGeneration: generation,
                                  loadedFromImage: fromImage == true)
    }

    /// The graph of the store's ways, as `load(from:snapLimit:tolerance:)`. With `persist`, when the ways changed since
    /// the stored network and its image were written (or there are none), writes them again, so the store holds the
    /// network its ways make (walking commands do this; readers leave it).
    ///
    /// `readWays` reads the ways from `store` (by default `walkableWayLines()` in one piece) when the graph is built
    /// from them, `metricZone` its metric zone (by default `store.metricZone()`), called after the graph is had.
    public static func load(from store: any StoreWriter, snapLimit: Double = Snapper.defaultLimit, tolerance: Double = 0,
                            persist: Bool, readWays: ((any StoreReader) throws -> WayLines)? = nil,
                            metricZone: (() throws -> MetricZone)? = nil) throws -> WalkingNetwork {
        let generation = try store.generation(of: .ways)
        let (graph, fromImage) = try graph(from: store, tolerance: tolerance, generation: generation, readWays: readWays)
        if persist, tolerance == 0 { try storeIfStale(graph, waysGeneration: generation, in: store, image: fromImage) }
        return try WalkingNetwork(graph: graph, zone: metricZone?() ?? store.metricZone(), snapLimit: snapLimit,
                                  waysGeneration: generation, loadedFromImage: fromImage == true)
    }

    /// What `doorstep import ways` does after storing the ways: builds the graph they make and stores it, unless the
    /// stored one is already theirs. Only the graph: nothing here snaps, so no snapping index is built.
    public static func storeGraph(in store: any StoreWriter, readWays: ((any StoreReader) throws -> WayLines)? = nil) throws -> WalkGraph {
        let generation = try store.generation(of: .ways)
        let (graph, fromImage) = try graph(from: store, tolerance: 0, generation: generation, readWays: readWays)
        try storeIfStale(graph, waysGeneration: generation, in: store, image: fromImage)
        return graph
    }

    /// Stores `graph`, built from the ways of `waysGeneration` (those an import just wrote), as the store's network
    /// and its image, where the stored ones are not of that generation.
    public static func store(_ graph: WalkGraph, waysGeneration: Int, in store: any StoreWriter) throws {
        try storeIfStale(graph, waysGeneration: waysGeneration, in: store, image: nil)
    }

    /// Writes the network's edges and its image where the stored ones are not of `waysGeneration` (`image`: whether
    /// the graph came from a good image of it; false: the image there was refused).
    private static func storeIfStale(_ graph: WalkGraph, waysGeneration: Int, in store: any StoreWriter, image: Bool?) throws {
        if try store.storedNetworkGeneration() != waysGeneration {
            try WorkProgress.run("walking network: storing its edges") { _ in
                try store.storeNetwork(graph.edgeRecords, waysGeneration: waysGeneration)
            }
        }
        if try image == false || image == nil && store.storedGraphImageGeneration() != waysGeneration {
            do {
                try WorkProgress.run("walking network: storing its image") { _ in
                    try store.storeGraphImage(waysGeneration: waysGeneration) { emit in try graph.writeImage(to: emit) }
                }
            } catch is GraphImageProblem {
                // A graph the image cannot hold (no such graph is known) is built from the ways each time instead.
            }
        }
    }

    /// The graph, and whether it came from the stored image: true; nil when there was none of these ways; false when
    /// the one there was refused (then it was built from the ways, as with none).
    private static func graph(from store: any StoreReader, tolerance: Double, generation: Int,
                              readWays: ((any StoreReader) throws -> WayLines)? = nil) throws -> (WalkGraph, Bool?) {
        var refused = false
        if tolerance == 0 {
            do {
                let image = try WorkProgress.run("walking network: loading its stored image") { _ in
                    try store.readGraphImage(waysGeneration: generation) { try WalkGraph(image: $0) }
                }
                if let image { return (image, true) }
            } catch is GraphImageProblem {
                refused = true
            }
        }
        return (try built(from: store, tolerance: tolerance, readWays: readWays), refused ? false : nil)
    }

    private static func built(from store: any StoreReader, tolerance: Double,
                              readWays: ((any StoreReader) throws -> WayLines)?) throws -> WalkGraph {
        var ways: WayLines? = try WorkProgress.run("walking network: reading the ways") { _ in
            try readWays?(store) ?? store.walkableWayLines()
        }
        // Handed over, not copied: the graph lets the ways' points go once it has its own.
        let graph = WorkProgress.run("walking network: building it from the ways") { _ in WalkGraph(lines: ways.take()!, tolerance: tolerance) }
        // The ways' arrays are gone; hand their pages back to the system (a province's are gigabytes, freed in pieces
        // that the allocator would otherwise keep for threads that may never ask again).
        mallocTrim?(0)
        return graph
    }

    public func makeProjection() throws -> MetricProjection { try MetricProjection(zone: zone) }

    /// A piece shorter than this (metres of streets) is small: a point near it and near the main network snaps to
    /// the main network (`snap`).
    public static let smallPieceMetres = 1000.0
    /// How much farther (plane metres) the main network may be than a small isolated piece and still be preferred.
    public static let preferMainMetres = 20.0

    /// Where `point` meets the network, or nil when it is farther than the snap limit.
    ///
    /// The nearest street, except when that is on a small isolated piece (not the largest, shorter than
    /// `smallPieceMetres`) and a street of the main network (the largest piece) is at most `preferMainMetres`
    /// farther and within the snap limit: then that street. A resident a few metres from a main road should not be
    /// put on a stray footway or an underpass that leads nowhere.
    public func snap(_ point: Coordinate, projection: MetricProjection) -> Snap? {
        guard let nearest = snapper.snap(point, graph: graph, projection: projection, limit: snapLimit) else { return nil }
        let piece = self.piece(of: nearest)
        guard piece != 0, pieceLength[piece] < Self.smallPieceMetres else { return nearest }
        let graph = self.graph
        return snapper.snap(point, graph: graph, projection: projection, limit: min(snapLimit, nearest.planeDistance + Self.preferMainMetres),
                            accept: { graph.component[Int(graph.edgeSource[Int($0)])] == 0 }) ?? nearest
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

/// glibc's `malloc_trim` (malloc.h, which the Glibc module does not bring in), looked up by name: nil where the C
/// library has none.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
}()
