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
public final class DatabaseSource: AnalysisSource {
    public let store: any StoreWriter
    public let snapLimit: Double
    public let persistNetwork: Bool
    private var network: WalkingNetwork??
    private var loadedStations: [Station]?

    public init(_ store: any StoreWriter, snapLimit: Double = Snapper.defaultLimit, persistNetwork: Bool = false) {
        self.store = store
        self.snapLimit = snapLimit
        self.persistNetwork = persistNetwork
    }

    public func generation() throws -> Int { try store.generation() }

    public func stations() throws -> [Station] {
        if let loadedStations { return loadedStations }
        let stations = try store.stations()
        loadedStations = stations
        return stations
    }

    public func compoundSites() throws -> [CompoundSite] {
        try WorkProgress.run("reading the compounds") { _ in try store.compoundSites() }
    }

    public func metricZone() throws -> MetricZone {
        try store.metricZone()
    }

    public func walkingNetwork() throws -> WalkingNetwork? {
        if let network { return network }
        let loaded = try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: persistNetwork)
        let usable = loaded.graph.edgeCount > 0 ? loaded : nil
        network = .some(usable)
        return usable
    }

    public func geometries(of layer: Layer) throws -> [String: JSONValue] { try store.geometries(of: layer) }

    public func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T { try body(store) }
}
