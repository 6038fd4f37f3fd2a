import DoorstepGeo
import Foundation
import HTTPTypes
import Logging

/// What one committed state of the database looks like to the service: its generation, the in-memory nearest index
/// built from its stations, and every layer's count and extent. Immutable; shared by every request that uses it.
public struct DataSnapshot: Sendable {
    /// `Store.generation()`: bumped by every committed import.
    public let generation: Int
    public let index: NearestIndex
    /// Count and extent of each layer, in `Layer.allCases` order.
    public let layers: [LayerExtent]
    /// The walking network and where each station meets it; nil when the database has no walkable ways.
    public let walking: WalkingData?
    public let loadedAt: Date
    /// Analysis inputs and results of this generation (compounds, coverage and plan results), loaded on first use.
    public let analysis: AnalysisCache
    /// Features pages of this generation already written (PageCache.swift).
    public let pages: PageCache
    /// Each station's own JSON members, written once per generation for `/v1/nearest`.
    public let stationMembers: StationMembers
    /// Each layer's credits (`Store.credits`): what the data says it is from.
    public let credits: [Layer: [String]]
    /// Which file this generation was read from (device and inode), so a database replaced by another one with
    /// the same generation number is told apart (ETags).
    public let source: String

    public init(generation: Int, index: NearestIndex, layers: [LayerExtent], walking: WalkingData? = nil, loadedAt: Date = Date(),
                analysis: AnalysisCache = AnalysisCache(), pages: PageCache = PageCache(), credits: [Layer: [String]] = [:],
                source: String = "") {
        self.generation = generation
        self.index = index
        self.layers = layers
        self.walking = walking
        self.loadedAt = loadedAt
        self.analysis = analysis
        self.pages = pages
        self.credits = credits
        self.source = source
        stationMembers = StationMembers(index.stations)
    }

    /// The distinct credits of `layers` on one line, or nil when none is recorded.
    public func creditLine(_ layers: [Layer] = Layer.allCases) -> String? {
        var all = [String]()
        for layer in layers { for c in credits[layer] ?? [] where !all.contains(c) { all.append(c) } }
        return Credits.line(all)
    }

    public func summary(of layer: Layer) -> LayerExtent {
        layers.first { $0.layer == layer } ?? LayerExtent(layer: layer, count: 0, bbox: nil)
    }
}

/// The members every answer about a station repeats (`Station.writeMembers`: id, name, kind, services, address,
/// phone, hours), written once per generation into one buffer, so `/v1/nearest` copies them instead of escaping and
/// formatting them per request. About 200 bytes a station (20 MB for 100,000).
public struct StationMembers: Sendable {
    private let bytes: [UInt8]
    private let ends: [Int]

    init(_ stations: [Station]) {
        var out = JSONBytes(capacity: stations.count * 200)
        var ends = [Int]()
        ends.reserveCapacity(stations.count)
        for s in stations {
            out.raw("" as StaticString) // no comma before a station's first member
            s.writeMembers(to: &out)
            ends.append(out.count)
        }
        bytes = out.bytes
        self.ends = ends
    }

    /// The members of the station at `index` in the snapshot's nearest index.
    public subscript(index: Int) -> ArraySlice<UInt8> {
        bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
    }
}

/// Where the HTTP service gets its data: the seam between routes and storage (docs/DESIGN.md: nothing above `DoorstepStore`
/// assumes SQLite). The routes see only this protocol, so tests and other backends can stand in.
///
/// Walking coverage, gaps and service areas will add their methods here when `Analysis` exposes them.
public protocol DoorstepData: Sendable {
    /// The current snapshot. Implementations check at most every so often whether an import has committed since, and
    /// move to the new state when one has.
    func snapshot() async throws -> DataSnapshot
    /// A page of a layer's features (see `Store.features(of:bbox:limit:offset:)`).
    func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int) async throws -> FeaturePage
    /// One feature by `id`, or nil.
    func feature(of layer: Layer, id: String) async throws -> StoredFeature?
    /// Runs `body` with a reader (the planners' routes read compounds, geometries and grids through it).
    func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T
    /// Throws unless the data can be read right now (`/health`).
    func checkReady() async throws
}

extension DoorstepData {
    /// Ready when a snapshot can be had.
    public func checkReady() async throws { _ = try await snapshot() }

    /// Backends without a store cannot serve the planners' routes.
    public func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        throw APIError(.notImplemented, code: "not_implemented", "this data source has no store for analysis")
    }
}

/// `DoorstepData` over a store (a SpatiaLite file or PostGIS): a pool of read-only connections and one snapshot per
/// database generation.
///
/// Fresh data: every `snapshot()` call is cheap (a lock held to copy one reference); at most once per
/// `refreshInterval` one caller — never two at once, the others go on with the current snapshot — reads
/// `Store.generation()` and whether the file was replaced, and when either changed loads the new snapshot (stations,
/// index, layer summaries) and swaps it in. Requests already running keep the snapshot they took. Features are read
/// straight from the pool, so each page is exactly one committed state.
///
/// `@unchecked Sendable` is safe because the mutable members (`current`, `lastCheck`, `checking`, `changeHeard`, `replacedNotLoaded`) are read and written
/// only with `lock` held, and the lock is never held across SQL or index building; `pool` is itself Sendable and
/// `DataSnapshot` is an immutable value.
public final class StoreData: DoorstepData, @unchecked Sendable {
    public let pool: any StoreSource
    public let refreshInterval: Duration
    private let logger: Logger

    private let lock = NSLock()
    private var current: DataSnapshot
    private var lastCheck: ContinuousClock.Instant
    private var checking = false
    /// The store said it changed (`StoreSource.watch`): the next snapshot call checks, whatever the interval.
    private var changeHeard = false
    /// The file was replaced but loading it failed: load it at the next check even if its generation looks the same.
    private var replacedNotLoaded = false
    /// The last readiness check: when, and what failed (nil: ready).
    private var lastReadiness: (at: ContinuousClock.Instant, failure: String?)?

    /// Opens the database read-only and loads the first snapshot. `refreshInterval` zero checks on every request.
    /// Bytes of rendered features pages each generation keeps (`PageCache`; 0 turns the cache off).
    public let pageCacheBytes: Int

    public init(source: any StoreSource, refreshInterval: Duration = .milliseconds(500),
                pageCacheBytes: Int = PageCache.defaultCapacity, logger: Logger = Logger(label: "doorstep.data")) throws {
        pool = source
        self.refreshInterval = refreshInterval
        self.pageCacheBytes = pageCacheBytes
        self.logger = logger
        current = try StoreData.load(pool, pageCacheBytes: pageCacheBytes)
        lastCheck = .now
        // A store that hears its changes (PostGIS: LISTEN/NOTIFY) has them loaded at once, before any request asks.
        source.watch { [weak self] in
            guard let self else { return }
            self.lock.withLock { self.changeHeard = true }
            Task { _ = try? await self.snapshot() }
        }
    }

    /// Opens the store at `address` (`StoreBackends`) and loads the first snapshot.
    public convenience init(address: String, refreshInterval: Duration = .milliseconds(500),
                            pageCacheBytes: Int = PageCache.defaultCapacity, logger: Logger = Logger(label: "doorstep.data")) throws {
        try self.init(source: StoreBackends.source(address), refreshInterval: refreshInterval, pageCacheBytes: pageCacheBytes,
                      logger: logger)
    }

    public func snapshot() async throws -> DataSnapshot {
        let (snapshot, due) = takeSnapshot(at: .now)
        guard due else { return snapshot }
        defer {
            // A change heard while this check ran may have committed after it read the generation: check again now
            // rather than at the next request.
            if lock.withLock({ checking = false; return changeHeard }) { Task { _ = try? await self.snapshot() } }
        }
        do {
            let reopened = try pool.reopenIfReplaced()
            let replaced = lock.withLock {
                if reopened { replacedNotLoaded = true }
                return replacedNotLoaded
            }
            let generation = try pool.withReader { try $0.generation() }
            guard replaced || generation != snapshot.generation else { return snapshot }
            let fresh = try StoreData.load(pool, pageCacheBytes: pageCacheBytes)
            lock.withLock {
                current = fresh
                replacedNotLoaded = false
            }
            logger.info("database generation \(fresh.generation)\(replaced ? " (file replaced)" : ""): \(fresh.index.stations.count) stations")
            return fresh
        } catch {
            // Keep serving the last good snapshot (the file may be in the middle of being created again).
            logger.warning("cannot refresh from \(pool.name): \(error)")
            return snapshot
        }
    }

    /// The current snapshot, and whether this caller is the one to check for a newer generation now.
    private func takeSnapshot(at now: ContinuousClock.Instant) -> (DataSnapshot, due: Bool) {
        lock.withLock {
            let due = !checking && (changeHeard || now - lastCheck >= refreshInterval)
            if due {
                checking = true
                changeHeard = false
                lastCheck = now
            }
            return (current, due)
        }
    }

    public func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int) async throws -> FeaturePage {
        let snapshot = lock.withLock { current }
        return try pool.withReader {
            try $0.features(of: layer, bbox: bbox, limit: limit, offset: offset,
                            known: (snapshot.generation, snapshot.summary(of: layer).count))
        }
    }

    public func feature(of layer: Layer, id: String) async throws -> StoredFeature? {
        try pool.withReader { try $0.feature(of: layer, id: id) }
    }

    public func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try pool.withReader(body)
    }

    /// Ready when the file at the path is there, a fresh connection opens it (pooled ones keep pages cached, so a
    /// file overwritten in place could still look fine to them) and the database reads (`Store.checkReadiness`).
    /// Not ready while the last good snapshot is still being served from a file that has since been deleted or
    /// replaced by something unreadable. The answer is kept for half a second, so a flood of health checks costs one
    /// check per half second.
    public func checkReady() async throws {
        let now = ContinuousClock.now
        if let last = lock.withLock({ lastReadiness }), now - last.at < .milliseconds(500) {
            if let failure = last.failure { throw StoreUnavailable(failure) }
            return
        }
        var failure: String?
        do {
            if try pool.reopenIfReplaced() { lock.withLock { replacedNotLoaded = true } }
            try pool.checkReadiness()
        } catch let error as any StoreFailure {
            failure = error.message
        } catch {
            failure = String(describing: error)
        }
        // The public answer names no server path.
        failure = failure?.replacingOccurrences(of: pool.name, with: "the database file")
        lock.withLock { lastReadiness = (now, failure) }
        if let failure { throw StoreUnavailable(failure) }
    }

    /// Reads stations and layer summaries of one generation: the generation is read before and after, and a change in
    /// between (an import committed meanwhile) means reading again.
    static func load(_ pool: any StoreSource, pageCacheBytes: Int) throws -> DataSnapshot {
        try pool.withReader { store in
            for _ in 0..<20 {
                let before = try store.generation()
                let stations = try store.stations()
                let layers = try store.layerSummaries()
                var credits = [Layer: [String]]()
                for layer in Layer.allCases { credits[layer] = try store.credits(of: [layer]) }
                let index = NearestIndex(stations: stations)
                var walking: WalkingData?
                do {
                    let network = try WalkingNetwork.load(from: store)
                    if network.graph.edgeCount > 0 { walking = try WalkingData(network: network, index: index) }
                } catch {
                    Logger(label: "doorstep.data").warning("no walking network: \(error)")
                }
                if try store.generation() == before {
                    let source = pool.identity
                    return DataSnapshot(generation: before, index: index, layers: layers, walking: walking,
                                        pages: PageCache(capacity: pageCacheBytes), credits: credits, source: source)
                }
            }
            throw StoreUnavailable("\(pool.name) changed during every one of 20 attempts to read it")
        }
    }
}
