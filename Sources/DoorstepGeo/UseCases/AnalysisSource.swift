import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Where a use case reads its data: a database (`DatabaseSource`, the CLI), or one generation of it held in memory with
/// its results cached (the HTTP service's snapshot). The use cases see only this, so the CLI and the server run the
/// same code on the same inputs.
public protocol AnalysisSource {
    /// The data generation the answer is made from (`Store.generation()`), echoed in every JSON answer.
    func generation() throws -> Int
    func stations() throws -> [Station]
    func compoundSites() throws -> [CompoundSite]
    /// The metric zone circles and walking areas are drawn in.
    func metricZone() throws -> MetricZone
    /// The walking network; nil when the database has no walkable ways.
    func walkingNetwork() throws -> WalkingNetwork?
    /// GeoJSON geometries of a layer by id, for GeoJSON answers.
    func geometries(of layer: Layer) throws -> [String: JSONValue]
    /// Runs `body` on the database (service areas clip to it, plans look up grids in it).
    func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T
    /// The coverage result for `options`: `compute()`, or a result kept from before.
    func coverage(_ options: CoverageOptions, compute: () throws -> CoverageReport) throws -> CoverageReport
    /// Coverage by hour of `weekday` for `options` (their `openAt` unused): `compute()`, or hours kept from before.
    func coverageHours(_ options: CoverageOptions, weekday: Int, compute: () throws -> [HourCoverage]) throws -> [HourCoverage]
    /// The plan for `options` with generated candidates `spacing` apart (nil: candidates from a file): `compute()`, or a
    /// plan kept from before.
    func plan(_ options: PlanOptions, spacing: Double?, compute: () throws -> PlanReport) throws -> PlanReport
    /// The access (2SFCA) result for `options`: `compute()`, or a result kept from before.
    func access(_ options: AccessOptions, compute: () throws -> AccessReport) throws -> AccessReport
}

extension AnalysisSource {
    public func coverage(_ options: CoverageOptions, compute: () throws -> CoverageReport) throws -> CoverageReport { try compute() }
    public func coverageHours(_ options: CoverageOptions, weekday: Int, compute: () throws -> [HourCoverage]) throws -> [HourCoverage] {
        try compute()
    }
    public func plan(_ options: PlanOptions, spacing: Double?, compute: () throws -> PlanReport) throws -> PlanReport { try compute() }
    public func access(_ options: AccessOptions, compute: () throws -> AccessReport) throws -> AccessReport { try compute() }
}

/// A database as the CLI reads it: the walking network loaded on first use with the CLI's snap limit (and stored in
/// the file when `persistNetwork`, as walking commands do), nothing cached between runs.
///
/// With `besideNetwork` (a second connection to the same store), loading the walking network also reads the stations
/// and the compounds on that connection, on a thread of its own: reading the ways is one core's work, and a province's
/// million compounds take seconds to read. They are used only when nothing was committed to the store from the moment
/// before the second connection opened to the moment the network was loaded (`changeMark`); otherwise, or when the
/// second read fails, they are read again here.
public final class DatabaseSource: AnalysisSource {
    public let store: any StoreWriter
    public let snapLimit: Double
    public let persistNetwork: Bool
    private let besideNetwork: (@Sendable () throws -> any StoreReader)?
    private var network: WalkingNetwork??
    private var loadedStations: [Station]?
    /// Compounds read beside the network, handed out once (the caller keeps them; a second call reads again).
    private var readCompounds: [CompoundSite]?
    /// Whether the stations and compounds in use were read beside the network (false: read here, one after another).
    public private(set) var readBesideNetwork = false
    /// Feature ids per piece when the ways are read on both connections (a few dozen pieces for a province; tests
    /// make them small).
    var wayPieceSize = 1 << 18

    public init(_ store: any StoreWriter, snapLimit: Double = Snapper.defaultLimit, persistNetwork: Bool = false,
                besideNetwork: (@Sendable () throws -> any StoreReader)? = nil) {
        self.store = store
        self.snapLimit = snapLimit
        self.persistNetwork = persistNetwork
        self.besideNetwork = besideNetwork
    }

    public func generation() throws -> Int { try store.generation() }

    public func stations() throws -> [Station] {
        if let loadedStations { return loadedStations }
        let stations = try store.stations()
        loadedStations = stations
        return stations
    }

    public func compoundSites() throws -> [CompoundSite] {
        if let compounds = readCompounds.take() { return compounds }
        return try WorkProgress.run("reading the compounds") { _ in try store.compoundSites() }
    }

    public func metricZone() throws -> MetricZone {
        try store.metricZone()
    }

    public func walkingNetwork() throws -> WalkingNetwork? {
        if let network { return network }
        guard let besideNetwork else { return keep(try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: persistNetwork)) }
        let before = try store.changeMark()
        let pieces = WayPieces(try store.fidBounds(of: .ways), size: wayPieceSize)
        let beside = SideRead(besideNetwork, pieces: pieces)
        // Waited for on every way out, once; on an error, without reading the pieces left.
        defer {
            pieces.cancel()
            beside.wait()
        }
        var unchanged = false
        let loaded = try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: persistNetwork, readWays: { store in
            // The other connection joins in once it has read the compounds.
            let ways = try pieces.lines(from: store, beside: beside, before: before)
            unchanged = ways.unchanged
            return ways.lines
        }, metricZone: { [store] in
            // The zone the other connection found, when it is of the same state as the ways.
            if unchanged, case .success(let read?)? = beside.result { return read.zone }
            return try store.metricZone()
        })
        // Read and joined by now, or never wanted (the stored image): the other connection stops waiting for them.
        pieces.cancel()
        beside.wait()
        if case .success(let read?)? = beside.result, try store.changeMark() == before {
            // Stations the caller has already read stay the ones it uses.
            if loadedStations == nil { loadedStations = read.stations }
            readCompounds = read.compounds
            readBesideNetwork = true
        }
        return keep(loaded)
    }

    /// The walkable ways of `store` read in pieces on it and, at the same time, on a second connection to the same
    /// store (`open`), as a walking analysis reads them: what `doorstep import ways` builds its network from. Read again
    /// on `store` alone when anything was committed meanwhile; a second connection that fails loses nothing.
    public static func walkableWayLines(of store: any StoreReader, beside open: @escaping @Sendable () throws -> any StoreReader,
                                        pieceSize: Int = 1 << 18) throws -> WayLines {
        let before = try store.changeMark()
        let pieces = WayPieces(try store.fidBounds(of: .ways), size: pieceSize)
        let beside = SideRead(open, pieces: pieces, places: false)
        defer {
            pieces.cancel()
            beside.wait()
        }
        return try pieces.lines(from: store, beside: beside, before: before).lines
    }

    private func keep(_ loaded: WalkingNetwork) -> WalkingNetwork? {
        let usable = loaded.graph.edgeCount > 0 ? loaded : nil
        network = .some(usable)
        return usable
    }

    public func geometries(of layer: Layer) throws -> [String: JSONValue] { try store.geometries(of: layer) }

    public func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T { try body(store) }
}

/// The metric zone, the stations and the compounds read on a second connection, on a thread of its own (`DatabaseSource`'s
/// `besideNetwork`), and then pieces of the ways until none is left. `@unchecked Sendable`: `result` is written by that
/// thread before it signals `done`, read only after `wait()`.
private final class SideRead: @unchecked Sendable {
    struct Read {
        let zone: MetricZone
        let stations: [Station]
        let compounds: [CompoundSite]
    }
    /// What was read before the ways; nil without `places`.
    var result: Result<Read?, any Error>?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false

    /// `places`: the metric zone, stations and compounds first; else only pieces of the ways.
    init(_ open: @escaping @Sendable () throws -> any StoreReader, pieces: WayPieces, places: Bool = true) {
        let thread = Thread { [self] in
            var store: (any StoreReader)?
            result = Result {
                let opened = try open()
                store = opened
                guard places else { return nil }
                let zone = try opened.metricZone()
                let stations = try opened.stations()
                let compounds = try WorkProgress.run("reading the compounds (beside the ways)") { _ in try opened.compoundSites() }
                return Read(zone: zone, stations: stations, compounds: compounds)
            }
            // A piece this connection fails to read is read by the other one (`WayPieces.joined`). None is read when
            // the ways are not needed (the graph came from its stored image): `cancel` ends the wait.
            if let store, pieces.waitForStart() { try? pieces.read(from: store) }
            done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    /// Waits for the thread to end (at once when it has; safe to call again).
    func wait() {
        lock.withLock {
            if !finished { done.wait(); finished = true }
        }
    }
}

/// The walkable ways read in pieces of consecutive feature ids, each by whichever connection takes it next, then
/// joined in order: the same lines as `walkableWayLines()` in one piece. `@unchecked Sendable`: its state is behind
/// `lock`.
private final class WayPieces: @unchecked Sendable {
    private let bounds: ClosedRange<Int>?
    /// Feature ids per piece.
    private let size: Int
    private let lock = NSCondition()
    private var next = 0
    private var pieces: [Int: WayLines] = [:]
    /// Set when the ways are wanted (`lines`), or given up (`cancel`).
    private var started = false
    private var cancelled = false

    init(_ bounds: ClosedRange<Int>?, size: Int) {
        self.bounds = bounds
        self.size = max(1, size)
    }

    private var count: Int { bounds.map { ($0.count + size - 1) / size } ?? 0 }

    private func fids(_ k: Int) -> Range<Int> {
        let low = bounds!.lowerBound + k * size
        return low..<(low + min(size, bounds!.upperBound - low + 1))
    }

    /// Reads pieces on `store` until none is left to take.
    func read(from store: any StoreReader) throws {
        while let k = lock.withLock({ () -> Int? in
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }) {
            let lines = try store.walkableWayLines(fids: fids(k))
            lock.withLock { pieces[k] = lines }
        }
    }

    /// Takes no more pieces and lets go of those read (the ways are read otherwise, or not at all).
    func cancel() {
        lock.withLock {
            next = count
            pieces = [:]
            cancelled = true
            lock.broadcast()
        }
    }

    /// Waits until the ways are wanted (true) or given up (false).
    func waitForStart() -> Bool {
        lock.withLock {
            while !started && !cancelled { lock.wait() }
            return !cancelled
        }
    }

    /// Reads pieces on `store` beside `side`'s thread, then: every piece in order, when `store`'s change mark is still
    /// `before` (`unchanged`); else the pieces may be of two states of the store, so all the ways again, here.
    func lines(from store: any StoreReader, beside side: SideRead, before: Int) throws -> (lines: WayLines, unchanged: Bool) {
        lock.withLock {
            started = true
            lock.broadcast()
        }
        try read(from: store)
        side.wait()
        guard try store.changeMark() == before else {
            cancel()
            return (try store.walkableWayLines(), false)
        }
        return (try joined(readingMissingFrom: store), true)
    }

    /// Every piece in order, reading on `store` any that was not read (its connection failed).
    func joined(readingMissingFrom store: any StoreReader) throws -> WayLines {
        var all = WayLines()
        let (ways, points) = lock.withLock { pieces.values.reduce((0, 0)) { ($0.0 + $1.count, $0.1 + $1.coordinates.count) } }
        all.reserve(ways: ways, points: points)
        for k in 0..<count {
            let piece = try lock.withLock({ pieces.removeValue(forKey: k) }) ?? store.walkableWayLines(fids: fids(k))
            all.append(contentsOf: piece)
        }
        return all
    }
}
