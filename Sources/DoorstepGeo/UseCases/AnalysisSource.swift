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
        let before = besideNetwork == nil ? 0 : try store.changeMark()
        let beside = besideNetwork.map { SideRead($0) }
        let loaded: WalkingNetwork
        do {
            loaded = try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: persistNetwork)
        } catch {
            beside?.done.wait()
            throw error
        }
        if let beside {
            beside.done.wait()
            if case .success(let read)? = beside.result, try store.changeMark() == before {
                loadedStations = read.stations
                readCompounds = read.compounds
                readBesideNetwork = true
            }
        }
        let usable = loaded.graph.edgeCount > 0 ? loaded : nil
        network = .some(usable)
        return usable
    }

    public func geometries(of layer: Layer) throws -> [String: JSONValue] { try store.geometries(of: layer) }

    public func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T { try body(store) }
}

/// The stations and compounds read on a second connection, on a thread of its own (`DatabaseSource`'s
/// `besideNetwork`). `@unchecked Sendable`: `result` is written by that thread before it signals `done`, read only
/// after waiting for it.
private final class SideRead: @unchecked Sendable {
    struct Read {
        let stations: [Station]
        let compounds: [CompoundSite]
    }
    var result: Result<Read, any Error>?
    let done = DispatchSemaphore(value: 0)

    init(_ open: @escaping @Sendable () throws -> any StoreReader) {
        let thread = Thread { [self] in
            result = Result {
                let store = try open()
                let stations = try store.stations()
                let compounds = try WorkProgress.run("reading the compounds (beside the ways)") { _ in try store.compoundSites() }
                return Read(stations: stations, compounds: compounds)
            }
            done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }
}
