import DoorstepGeo
import Foundation
import HTTPTypes

/// What the planners' routes need from one generation, read once: the compounds with their reference points and
/// grids (`Store.compoundSites()`), the metric zone for circles, and geometries for GeoJSON answers.
public struct AnalysisInputs: Sendable {
    public let stations: [Station]
    public let compounds: [CompoundSite]
    public let zone: MetricZone
}

/// One generation as the use cases read it (`AnalysisSource`): the snapshot's stations and walking network, the
/// compounds and geometries it loads once, its caches of coverage and plan results, and reads that check the database
/// is still at the snapshot's generation.
struct SnapshotSource: AnalysisSource, Sendable {
    let snapshot: DataSnapshot
    let data: any DoorstepData

    func generation() -> Int { snapshot.generation }
    func stations() -> [Station] { snapshot.index.stations }
    func compoundSites() throws -> [CompoundSite] { try snapshot.analysis.inputs(snapshot, data: data).compounds }
    func metricZone() throws -> MetricZone { try snapshot.analysis.inputs(snapshot, data: data).zone }
    /// The server's network uses the default snap limit (the CLI's `--snap-limit` has no HTTP equivalent).
    func walkingNetwork() -> WalkingNetwork? { snapshot.walking?.network }
    func geometries(of layer: Layer) throws -> [String: JSONValue] { try snapshot.analysis.geometries(of: layer, snapshot, data: data) }
    func withStore<T>(_ body: (any StoreReader) throws -> T) throws -> T { try AnalysisCache.sameGeneration(snapshot, data, body) }

    func coverage(_ options: CoverageOptions, compute: () throws -> CoverageReport) throws -> CoverageReport {
        try snapshot.analysis.coverage(CoverageKey(options), compute: compute)
    }

    func coverageHours(_ options: CoverageOptions, weekday: Int, compute: () throws -> [HourCoverage]) throws -> [HourCoverage] {
        try snapshot.analysis.coverageHours(HoursKey(coverage: CoverageKey(options), weekday: weekday), compute: compute)
    }

    func plan(_ options: PlanOptions, spacing: Double?, compute: () throws -> PlanReport) throws -> PlanReport {
        guard let spacing else { return try compute() }
        return try snapshot.analysis.plan(PlanKey(coverage: CoverageKey(options.coverage), objective: options.objective,
                                                  weight: options.weight, spacing: spacing), compute: compute)
    }

    func access(_ options: AccessOptions, compute: () throws -> AccessReport) throws -> AccessReport {
        try snapshot.analysis.access(AccessKey(coverage: CoverageKey(options.coverage), weight: options.weight), compute: compute)
    }
}

/// Per-snapshot memory of the planners' routes: the inputs, loaded on first use, and small LRU caches of coverage and
/// plan results keyed by their options. A snapshot belongs to one generation, so nothing here is ever stale: a new
/// import makes a new snapshot with an empty cache, and the old one goes when the last request holding it ends.
///
/// `@unchecked Sendable` is safe because every mutable member is read and written only with `lock` held, and the lock
/// is never held while loading or computing (two requests may compute the same result once each; the second store
/// wins, both answers are equal).
public final class AnalysisCache: @unchecked Sendable {
    private let lock = NSLock()
    private var inputs: AnalysisInputs?
    private var geometries: [Layer: [String: JSONValue]] = [:]
    private var coverage = LRU<CoverageKey, CoverageReport>(capacity: 16)
    private var plans = LRU<PlanKey, PlanReport>(capacity: 8)
    private var accessReports = LRU<AccessKey, AccessReport>(capacity: 8)
    private var hours = LRU<HoursKey, [HourCoverage]>(capacity: 16)
    /// Answers of the planners' routes as written, by request target: a repeated request costs a copy, not megabytes
    /// of JSON written again in the pool (where a flood of them would queue behind real work).
    private var answers = LRU<String, Answer>(capacity: 64)
    private var answerBytes = 0
    static let maxAnswerBytes = 64 << 20

    struct Answer: Sendable {
        let body: JSONBytes
        let contentType: String
    }

    public init() {}

    /// The inputs of `snapshot`'s generation; 503 when an import committed meanwhile (the next request sees it).
    func inputs(_ snapshot: DataSnapshot, data: any DoorstepData) throws -> AnalysisInputs {
        if let cached = lock.withLock({ inputs }) { return cached }
        let loaded = try Self.sameGeneration(snapshot, data) { store in
            let compounds = try store.compoundSites()
            let stations = snapshot.index.stations
            let zone = try store.metricZone()
            return AnalysisInputs(stations: stations, compounds: compounds, zone: zone)
        }
        lock.withLock { inputs = loaded }
        return loaded
    }

    /// GeoJSON geometries of a layer by id (compounds, grids), for `format=geojson`.
    func geometries(of layer: Layer, _ snapshot: DataSnapshot, data: any DoorstepData) throws -> [String: JSONValue] {
        if let cached = lock.withLock({ geometries[layer] }) { return cached }
        let loaded = try Self.sameGeneration(snapshot, data) { try $0.geometries(of: layer) }
        lock.withLock { geometries[layer] = loaded }
        return loaded
    }

    /// The cached coverage result for `key`, if any.
    func cachedCoverage(_ key: CoverageKey) -> CoverageReport? { lock.withLock { coverage[key] } }

    /// Work in flight by key, so requests for the same thing that arrive together share one computation (a burst of
    /// one URL before its first answer is kept would otherwise fill the pool's queue with copies of itself).
    private var inFlight: [String: Task<Answer, any Error>] = [:]

    /// The answer for `key` made by `make`, or, when a request for the same key is already making it, that one.
    func shared(_ key: String, _ make: @escaping @Sendable () async throws -> Answer) async throws -> Answer {
        let task: Task<Answer, any Error> = lock.withLock {
            if let running = inFlight[key] { return running }
            let task = Task { try await make() }
            inFlight[key] = task
            return task
        }
        defer { lock.withLock { if inFlight[key] == task { inFlight[key] = nil } } }
        return try await task.value
    }

    /// The answer written for the request target `key`, if kept.
    func cachedAnswer(_ key: String) -> Answer? { lock.withLock { answers[key] } }

    /// Keeps an answer while the answers kept stay under `maxAnswerBytes` (one larger than a quarter of that is not
    /// kept); the least recently used go first.
    func keep(_ answer: Answer, for key: String) {
        let size = answer.body.count + key.utf8.count
        guard size <= Self.maxAnswerBytes / 4 else { return }
        lock.withLock {
            if let old = answers[key] { answerBytes -= old.body.count + key.utf8.count }
            answers[key] = answer
            answerBytes += size
            while answerBytes > Self.maxAnswerBytes || answers.count > 63, let (k, v) = answers.removeOldest() {
                answerBytes -= v.body.count + k.utf8.count
            }
        }
    }

    /// The cached plan for `key`, if any.
    func cachedPlan(_ key: PlanKey) -> PlanReport? { lock.withLock { plans[key] } }

    func coverage(_ key: CoverageKey, compute: () throws -> CoverageReport) rethrows -> CoverageReport {
        try cached(\.coverage, key, compute: compute)
    }

    func coverageHours(_ key: HoursKey, compute: () throws -> [HourCoverage]) rethrows -> [HourCoverage] {
        try cached(\.hours, key, compute: compute)
    }

    func plan(_ key: PlanKey, compute: () throws -> PlanReport) rethrows -> PlanReport {
        try cached(\.plans, key, compute: compute)
    }

    /// The value kept in `results` for `key`, else `compute()` kept there (the lock is not held while computing).
    private func cached<Key, Value>(_ results: ReferenceWritableKeyPath<AnalysisCache, LRU<Key, Value>>, _ key: Key,
                                    compute: () throws -> Value) rethrows -> Value {
        if let hit = lock.withLock({ self[keyPath: results][key] }) { return hit }
        let made = try compute()
        lock.withLock { self[keyPath: results][key] = made }
        return made
    }

    func access(_ key: AccessKey, compute: () throws -> AccessReport) rethrows -> AccessReport {
        try cached(\.accessReports, key, compute: compute)
    }

    /// How many access results are cached (tests).
    var cachedAccessCount: Int { lock.withLock { accessReports.count } }

    /// How many coverage results are cached (tests).
    var cachedCoverageCount: Int { lock.withLock { coverage.count } }

    /// Runs `body` on a read connection and checks the database is still at `snapshot`'s generation before and after.
    static func sameGeneration<T>(_ snapshot: DataSnapshot, _ data: any DoorstepData, _ body: (any StoreReader) throws -> T) throws -> T {
        try data.withStore { store in
            let before = try store.generation()
            let value = try body(store)
            let after = try store.generation()
            guard before == snapshot.generation, after == snapshot.generation else {
                throw APIError(.serviceUnavailable, code: "unavailable",
                               "the data changed (generation \(snapshot.generation) → \(after)) during the request; try again")
            }
            return value
        }
    }
}

/// What a coverage result depends on (the speed only changes the minutes written, not the result).
struct CoverageKey: Hashable, Sendable {
    let reach: Reach
    let walk: Bool
    let kinds: [String]
    let services: [String]
    /// A report for 09:00 is never one for 21:00.
    let openAt: WeekTime?

    init(_ options: CoverageOptions) {
        reach = options.reach
        walk = options.walk
        kinds = options.filter.kinds.sorted()
        services = options.filter.services.sorted()
        openAt = options.filter.openAt
    }
}

/// What coverage by hour depends on: the coverage options (their open_at is never set) and the weekday.
struct HoursKey: Hashable, Sendable {
    let coverage: CoverageKey
    let weekday: Int
}

struct PlanKey: Hashable, Sendable {
    let coverage: CoverageKey
    let objective: PlanObjective
    let weight: PlanWeight
    let spacing: Double
}

/// What an access result depends on: reach and stations as coverage's, and the demand (not the level of the rows).
struct AccessKey: Hashable, Sendable {
    let coverage: CoverageKey
    let weight: PlanWeight
}

/// A small least-recently-used map (capacities of tens: a linear scan of the order is cheaper than a linked list).
struct LRU<Key: Hashable, Value> {
    let capacity: Int
    private var values: [Key: Value] = [:]
    private var order: [Key] = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { values.count }

    subscript(key: Key) -> Value? {
        mutating get {
            guard let v = values[key] else { return nil }
            touch(key)
            return v
        }
        set {
            values[key] = newValue
            if newValue == nil {
                order.removeAll { $0 == key }
                return
            }
            touch(key)
            while order.count > capacity { values[order.removeFirst()] = nil }
        }
    }

    /// Removes and returns the least recently used entry.
    mutating func removeOldest() -> (Key, Value)? {
        guard let key = order.first, let value = values[key] else { return nil }
        order.removeFirst()
        values[key] = nil
        return (key, value)
    }

    private mutating func touch(_ key: Key) {
        order.removeAll { $0 == key }
        order.append(key)
    }
}
