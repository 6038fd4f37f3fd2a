import DoorstepGeometry
import DoorstepModel
import Foundation

// The storage seam. Everything above the store — import, network, analysis, export, HTTP, the CLI — reads and writes
// through these protocols, in the domain's words; a backend (SpatiaLite today) is one target that conforms to them,
// and no other file names its types.
//
// A reader or writer is one connection: used by one thread at a time, never shared (not `Sendable`). What is shared
// across threads is a `StoreSource`, which lends readers.

/// Reading one committed state of a store.
public protocol StoreReader: AnyObject {
    /// Bumped by every committed import (any layer).
    func generation() throws -> Int
    /// Bumped by every committed import of `layer`.
    func generation(of layer: Layer) throws -> Int
    /// Changes whenever another connection or client commits anything to the store (an import, or any SQL client's
    /// change): two reads taken while one connection's mark stayed the same read the same data. Compare marks of one
    /// connection only.
    func changeMark() throws -> Int
    func count(_ layer: Layer) throws -> Int

    /// Every station, in id order.
    func stations() throws -> [Station]
    /// Every compound with its reference points (entrances, else a point on its surface) and its grid.
    func compoundSites() throws -> [CompoundSite]
    /// The grids in memory for point-in-grid lookups.
    func gridLocator() throws -> GridLocator
    /// The ways open to pedestrians, flat, for the walking graph.
    func walkableWayLines() throws -> WayLines
    /// The part of `walkableWayLines()` whose feature ids (`fid`) are in `fids`, in the same order: the ways read in
    /// pieces, on several connections at once.
    func walkableWayLines(fids: Range<Int>) throws -> WayLines
    /// The smallest and the largest feature id (`fid`) of `layer`; nil when it is empty.
    func fidBounds(of layer: Layer) throws -> ClosedRange<Int>?
    /// How many ways are closed to pedestrians (`foot=no`, motorways…).
    func waysClosedToPedestrians() throws -> Int
    /// The ways closed to pedestrians (`foot=no`), as lines: barriers no connector of `network mend` may cross.
    func closedWayLines() throws -> WayLines
    /// The water (rivers, canals, lakes) kept as barriers for mending the network, in storage order.
    func water() throws -> [WaterFeature]
    /// How many connectors `network mend` stored (ways with `mended = true`).
    func connectorCount() throws -> Int
    /// The ways generation the stored walking network was built from, or nil when none is stored.
    func storedNetworkGeneration() throws -> Int?
    /// The stored walking network's size and pieces, or nil when none is stored.
    func networkInfo() throws -> NetworkInfo?
    /// The ways generation the stored graph image (`StoreWriter.storeGraphImage`) was made from, or nil when none is
    /// stored.
    func storedGraphImageGeneration() throws -> Int?
    /// Reads the stored graph image, when there is one made from ways generation `waysGeneration` and the ways are
    /// still of that generation: `body` pulls its parts in order (each valid until the next pull; nil after the last),
    /// all in one read of the store. Nil, without calling `body`, otherwise.
    func readGraphImage<T>(waysGeneration: Int, _ body: (_ nextPart: () throws -> UnsafeRawBufferPointer?) throws -> T) throws -> T?

    /// Count and extent of every layer, in `Layer.allCases` order, read in one snapshot.
    func layerSummaries() throws -> [LayerExtent]
    /// A page of a layer's features in storage order, with those that intersect `bbox` only when given. `known`
    /// is the layer's count at a generation the caller has seen: when the store is still at that generation and
    /// there is no `bbox`, the count is not read again.
    func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int,
                  known: (generation: Int, count: Int)?) throws -> FeaturePage
    /// One feature by `id`, or nil.
    func feature(of layer: Layer, id: String) throws -> StoredFeature?
    /// Streams every row of a table: its id, its properties and its geometry.
    func forEachFeature(of table: ExportTable,
                        _ body: (_ id: String, _ properties: [(String, JSONValue)], _ geometry: Geometry?) throws -> Void) throws
    /// Streams every feature's geometry of a layer.
    func forEachGeometry(of layer: Layer, _ body: (_ id: String, _ geometry: Geometry) throws -> Void) throws
    /// Streams every way with its `highway` value.
    func forEachWay(_ body: (_ highway: String?, _ geometry: Geometry) throws -> Void) throws
    /// One feature's geometry, or nil.
    func geometry(of layer: Layer, id: String) throws -> Geometry?
    /// The extent of a layer, or nil when it is empty.
    func extent(of layer: Layer) throws -> BoundingBox?
    /// Each feature's geometry as a GeoJSON geometry object (7 decimals), by id, for writing results as GeoJSON.
    func geometries(of layer: Layer) throws -> [String: JSONValue]

    /// What the layers are credited to, in the order recorded (`Credits`).
    func credits(of layers: [Layer]) throws -> [String]
    /// What `doorstep info` shows.
    func info() throws -> StoreInfo
    /// The extent of the stations and compounds already stored, for the Gauss-Kruger hint of an import.
    func sampleExtent() throws -> BoundingBox?
    /// Entrances whose compound does not exist: the first `limit` and how many in all.
    func orphanEntrances(limit: Int) throws -> (sample: [OrphanEntrance], count: Int)
    /// Throws unless every layer and index can be read right now (readiness).
    func checkReadiness() throws
}

extension StoreReader {
    /// The ways open to pedestrians one by one (mending, tests); the graph reads them flat.
    public func walkableWays() throws -> [WalkableWay] { try walkableWayLines().ways }

    /// The ways closed to pedestrians one by one.
    public func closedWays() throws -> [WalkableWay] { try closedWayLines().ways }

    /// The grid each point is in, or nil.
    public func grids(containing points: [Coordinate]) throws -> [GridPlace?] {
        let locator = try gridLocator()
        return points.map { locator.grid(containing: $0) }
    }

    /// The metric plane of the data — the one rule for it: the CGCS2000 Gauss-Kruger zone (UTM outside China) of the
    /// centre of the stations' and compounds' extent, else of the ways'. Throws `EmptyStore` when the store holds
    /// none of them: no city is assumed.
    public func metricZone() throws -> MetricZone {
        // Only the layers it needs: a province's ways are ten million geometries to read for an extent.
        if let zone = StoreInfo.metricZone(stations: try extent(of: .stations), compounds: try extent(of: .compounds)) { return zone }
        if let ways = try extent(of: .ways) { return MetricZone(center: ways.center) }
        throw EmptyStore()
    }

    /// A page of a layer's features in storage order (see the requirement).
    public func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int) throws -> FeaturePage {
        try features(of: layer, bbox: bbox, limit: limit, offset: offset, known: nil)
    }
}

/// Where an import writes its records, inside the import's transaction.
public protocol LayerSink: AnyObject {
    /// Stores one record (an upsert by id); `.success(note)` says how its geometry was repaired, `.failure` why
    /// it cannot be stored. Throws only when the store itself fails.
    func write(_ record: FeatureRecord) throws -> Result<String?, ImportProblem>
}

/// Writing: one transactional import at a time, and the walking network.
public protocol StoreWriter: StoreReader {
    /// Runs several imports (and mends) in one transaction: all are stored, or none. Inside another it joins it.
    func importTogether<T>(_ body: () throws -> T) throws -> T
    /// Runs one layer's import in a transaction: `body` writes through the sink; when it throws, nothing is stored.
    /// `replace` empties the layer first. Records arrive checked (polygons valid: `FeatureDecoder`).
    func importing<T>(_ layer: Layer, replace: Bool, _ body: (any LayerSink) throws -> T) throws -> T
    /// Records an import in the store's log (inside `importing`).
    func logImport(layer: Layer, file: String, features: Int, crs: InputCRS, replaced: Bool, repaired: Int) throws
    /// Records the layer's credit (inside `importing`); `replacing` forgets the earlier ones.
    func recordCredit(_ credit: String, for layer: Layer, replacing: Bool) throws
    /// What an import of compounds changed for the layers that refer to them (inside `importing`, after its writes).
    func compoundChanges() throws -> CompoundChanges
    /// Replaces the stored walking network and records which ways generation it was built from (inside
    /// `importTogether` it joins that transaction).
    func storeNetwork(_ edges: NetworkEdges, waysGeneration: Int) throws
    /// Replaces the stored graph image (the walking graph as bytes, `WalkGraph.writeImage`) with the parts `write`
    /// emits, in order, and records the ways generation it was made from (inside `importTogether` it joins that
    /// transaction).
    func storeGraphImage(waysGeneration: Int, _ write: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
    /// Replaces the network's connectors (ways with `mended = true`) with `connectors`, numbered `mend/1`, `mend/2` …
    /// in order, and counts as an import of the ways (their generation moves on). Returns how many connectors were
    /// there before. Inside `importTogether` it joins that transaction.
    @discardableResult
    func replaceConnectors(with connectors: [NetworkConnector]) throws -> Int
    /// Stores water as barriers: upserted by id, or in place of all the water stored when `replace` (inside
    /// `importTogether` it joins that transaction).
    func storeWater(_ features: [WaterFeature], replace: Bool) throws
}

/// A connector `doorstep network mend` adds to the walking network where the data breaks it: stored as a way with
/// `mended = true`, its length and the reason.
public struct NetworkConnector: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// From a dangling end to the nearest point of another way within the tolerance.
        case danglingEnd = "dangling_end"
        /// Where two ways on the same level cross without a shared vertex: a connector of length 0 at the crossing.
        case crossing
    }
    public var kind: Kind
    /// From the dangling end (or the crossing) to the point on the other way; both positions for a crossing.
    public var line: [Coordinate]
    /// Geodesic length in metres (0 at a crossing).
    public var lengthMetres: Double
    /// The way whose end is mended (a crossing: the first way).
    public var fromWay: String
    /// The way it is joined to.
    public var toWay: String
    /// Why it is there, in words.
    public var reason: String

    public init(kind: Kind, line: [Coordinate], lengthMetres: Double, fromWay: String, toWay: String, reason: String) {
        self.kind = kind
        self.line = line
        self.lengthMetres = lengthMetres
        self.fromWay = fromWay
        self.toWay = toWay
        self.reason = reason
    }
}

extension NetworkConnector {
    /// What a stored connector keeps in its `properties` column: its kind and the two ways it joins (JSON text).
    public var storedProperties: String {
        JSONValue.object([("kind", .string(kind.rawValue)), ("from_way", .string(fromWay)), ("to_way", .string(toWay))]).jsonText
    }

    /// Ids for `count` connectors, `mend/1`, `mend/2` … in order, skipping the numbers `taken` says a way of the data
    /// already uses as its id.
    public static func ids(count: Int, taken: (String) throws -> Bool) rethrows -> [String] {
        var ids = [String](), number = 0
        while ids.count < count {
            number += 1
            let id = "mend/\(number)"
            if try !taken(id) { ids.append(id) }
        }
        return ids
    }
}

/// Water no connector may cross: a river, canal or stream as a line or an area, a lake or pond as an area.
public struct WaterFeature: Sendable {
    public var id: String
    /// What it is: `river`, `canal`, `water` … (OSM's `waterway` or `water` value), nil when unknown.
    public var kind: String?
    public var name: String?
    /// LineString, MultiLineString, Polygon or MultiPolygon in WGS84.
    public var geometry: Geometry

    public init(id: String, kind: String?, name: String?, geometry: Geometry) {
        self.id = id
        self.kind = kind
        self.name = name
        self.geometry = geometry
    }
}

/// Lends readers to many threads: the shared face of a store (the HTTP service holds one).
public protocol StoreSource: AnyObject, Sendable {
    /// What the store is, for messages: a file path or a database name.
    var name: String { get }
    /// Changes when the store is replaced by another one (a file swapped under the same path), so two stores that
    /// happen to have the same generation are told apart.
    var identity: String { get }
    /// Runs `body` with a reader of one committed state.
    func withReader<T>(_ body: (any StoreReader) throws -> T) throws -> T
    /// Starts reading the replacement when the store was replaced; true when it was.
    func reopenIfReplaced() throws -> Bool
    /// Throws unless the store can be read right now, through a fresh connection (readiness).
    func checkReadiness() throws
    /// Calls `handler` (on a thread of the source's) whenever a change is committed to the store, by any process:
    /// a server then loads the new generation without waiting for a request. Sources that cannot hear changes do
    /// nothing; their readers still see each change at the next generation check.
    func watch(_ handler: @escaping @Sendable () -> Void)
}

extension StoreSource {
    public func watch(_ handler: @escaping @Sendable () -> Void) {}
}

/// A failure of the store itself (not of the data given to it): the message says what failed.
public protocol StoreFailure: Error, CustomStringConvertible {
    var message: String { get }
    /// True when the store was busy or locked (a writer held it) and the same request may succeed soon.
    var isTransient: Bool { get }
}

/// What an import of compounds changed for the layers that refer to them: entrances left without their compound,
/// and compounds that lost their household count.
public struct CompoundChanges: Sendable {
    public var orphans: [OrphanEntrance]
    public var orphanCount: Int
    public var householdsLost: Int
    public var householdsLostIDs: [String]

    public init(orphans: [OrphanEntrance], orphanCount: Int, householdsLost: Int, householdsLostIDs: [String]) {
        self.orphans = orphans
        self.orphanCount = orphanCount
        self.householdsLost = householdsLost
        self.householdsLostIDs = householdsLostIDs
    }
}

/// One edge of the walking network as stored (`network_edges`): for map tools and `info`.
public struct NetworkEdgeRecord: Sendable {
    public var edge: Int
    public var source: Int
    public var target: Int
    public var lengthMetres: Double
    public var wayID: String
    /// The connected piece of the network the edge is in (0 = the largest).
    public var component: Int
    public var line: ArraySlice<Coordinate>

    public init(edge: Int, source: Int, target: Int, lengthMetres: Double, wayID: String, component: Int, line: ArraySlice<Coordinate>) {
        self.edge = edge
        self.source = source
        self.target = target
        self.lengthMetres = lengthMetres
        self.wayID = wayID
        self.component = component
        self.line = line
    }
}

/// The edges of a walking network as the store writes them, each made when it is read (a province's ten million
/// edges are never all records at once).
public struct NetworkEdges: RandomAccessCollection, Sendable {
    public let count: Int
    private let make: @Sendable (Int) -> NetworkEdgeRecord

    public init(count: Int, _ make: @escaping @Sendable (Int) -> NetworkEdgeRecord) {
        self.count = count
        self.make = make
    }

    public init(_ records: [NetworkEdgeRecord]) {
        self.init(count: records.count) { records[$0] }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> NetworkEdgeRecord { make(i) }
}

/// The store cannot be read: missing, replaced while being read, or failing its readiness check.
public struct StoreUnavailable: StoreFailure, Sendable {
    public let message: String
    public var isTransient: Bool { false }
    public init(_ message: String) { self.message = message }
    public var description: String { "store unavailable: \(message)" }
}

/// The store holds no stations, compounds or ways: there is nothing to measure, and no city to assume.
public struct EmptyStore: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String {
        "the database is empty: import its ways, stations and compounds first (doorstep import LAYER FILE)"
    }
}
