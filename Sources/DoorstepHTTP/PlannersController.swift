import DoorstepGeo
import Foundation
import Hummingbird

/// Names, bounds and defaults of the planners' routes, shared by the handlers and the OpenAPI document.
enum PlannersAPI {
    enum Name {
        static let radius = "radius", preset = "preset", walk = "walk", kind = "kind", service = "service", speed = "speed"
        static let by = "by", format = "format", limit = "limit"
        static let bands = "bands", station = "station", lateral = "lateral"
        static let add = "add", target = "target", weight = "weight", spacing = "spacing"
        static let coverage: Set<String> = [radius, preset, walk, kind, service, speed]
    }

    /// `--radius` bounds of `coverage`, `gaps` and `plan` (metres), and of `areas`.
    static let maxRadius = 100_000.0
    static let maxAreaRadius = 20_000.0
    static let speedRange = 0.1...9.9
    static let maxGapsLimit = 1_000_000
    /// Service areas per request: at most this many stations (name them with `station=` or narrow with kind/service).
    static let maxAreaStations = 200
    static let maxBands = 10
    static let lateralRange = 1.0...200.0
    /// Plans: at most this many new sites, generated candidates at least this far apart.
    static let kRange = 1...50
    static let spacingRange = 50.0...10_000.0
    static let defaultSpacing = 100.0
    /// Each station's own radius_m, else this, when neither radius nor preset is given (as the CLI).
    static let fallbackRadius = 500.0
}

/// `GET /v1/coverage`, `/v1/gaps`, `/v1/areas`, `/v1/plan`: the CLI's `coverage`, `gaps`, `areas` and `plan` with the
/// same parameters and the same library calls. Coverage and plan results are cached per generation and options in the
/// snapshot (`AnalysisCache`); areas and plans are capped so one request stays bounded.
struct PlannersController<Context: RequestContext>: Sendable {
    private typealias N = PlannersAPI.Name

    let data: any DoorstepData

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("coverage", use: coverage)
        routes.readOnly("gaps", use: gaps)
        routes.readOnly("areas", use: areas)
        routes.readOnly("plan", use: plan)
        return routes
    }

    enum Format: String { case json, geojson }

    // MARK: Handlers

    @Sendable func coverage(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.by, N.format]))
        let args = try Self.coverageArguments(q)
        let levelText = try q.string(N.by) ?? CoverageLevel.compound.rawValue
        guard let level = CoverageLevel(rawValue: levelText) else {
            throw APIError.invalid(N.by, "\"\(QueryParameters.clip(levelText))\" is not one of \(CoverageLevel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        // The result may be cached, but its answer (megabytes of JSON) is written in the pool too.
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let report = try Self.report(args, snapshot: snapshot, data: data)
            let rows = level == .compound ? report.compounds.map { $0.properties(speed: args.speed) } : report.groups(by: level).map(\.properties)
            if format == .geojson {
                let layer: Layer? = level == .compound ? .compounds : level == .grid ? .grids : nil
                let geometries = try layer.map { try snapshot.analysis.geometries(of: $0, snapshot, data: data) } ?? [:]
                return (Self.bytes(Self.featureCollection(rows, geometries: geometries)), MediaTypes.geoJSON)
            }
            return (Self.bytes(.object([
                ("query", Self.describe(args) + [("by", .string(level.rawValue))]),
                ("generation", .number(Double(snapshot.generation))),
                ("summary", Self.summary(report)),
                ("count", .number(Double(rows.count))),
                ("rows", .array(rows.map { .object($0) })),
            ])), MediaTypes.json)
        }
    }

    @Sendable func gaps(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.limit, N.format]))
        let args = try Self.coverageArguments(q)
        let limit = try q.int(N.limit) ?? 0
        guard (0...PlannersAPI.maxGapsLimit).contains(limit) else {
            throw APIError.outOfRange(N.limit, "\(limit) is outside 0…\(PlannersAPI.maxGapsLimit) (0 = all)")
        }
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let report = try Self.report(args, snapshot: snapshot, data: data)
            let rows = Self.gapRows(report, limit: limit, speed: args.speed)
            if format == .geojson {
                let geometries = try snapshot.analysis.geometries(of: .compounds, snapshot, data: data)
                return (Self.bytes(Self.featureCollection(rows, geometries: geometries)), MediaTypes.geoJSON)
            }
            return (Self.bytes(.object([
                ("query", Self.describe(args) + [("limit", .number(Double(limit)))]),
                ("generation", .number(Double(snapshot.generation))),
                ("summary", Self.summary(report)),
                ("count", .number(Double(rows.count))),
                ("gaps", .array(rows.map { .object($0) })),
            ])), MediaTypes.json)
        }
    }

    @Sendable func areas(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: [N.radius, N.preset, N.bands, N.walk, N.station, N.kind, N.service, N.lateral, N.format])
        let given = [N.radius, N.preset, N.bands].filter { !q.list($0).isEmpty }
        if given.count > 1 { throw APIError.invalid(given.joined(separator: ","), "give one of radius, preset, bands") }
        var bands: [Double]
        if let text = try q.string(N.bands) {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            bands = try parts.map { try QueryParameters.number(String($0), N.bands) }
            guard bands.count <= PlannersAPI.maxBands else {
                throw APIError.outOfRange(N.bands, "at most \(PlannersAPI.maxBands) bands")
            }
            if let bad = bands.first(where: { !($0 > 0 && $0 <= PlannersAPI.maxAreaRadius) }) {
                throw APIError.outOfRange(N.bands, "\(bad) is outside 0…\(Int(PlannersAPI.maxAreaRadius)) metres")
            }
            bands.sort()
        } else if let radius = try q.double(N.radius) {
            guard radius > 0 && radius <= PlannersAPI.maxAreaRadius else {
                throw APIError.outOfRange(N.radius, "\(radius) is outside 0…\(Int(PlannersAPI.maxAreaRadius)) metres")
            }
            bands = [radius]
        } else {
            bands = [try Self.preset(q) ?? PlannersAPI.fallbackRadius]
        }
        let walk = try q.bool(N.walk) ?? false
        let filter = try Self.filter(q)
        let lateral = try q.double(N.lateral) ?? ServiceAreas.defaultLateral
        guard PlannersAPI.lateralRange.contains(lateral) else {
            throw APIError.outOfRange(N.lateral, "\(lateral) is outside \(Int(PlannersAPI.lateralRange.lowerBound))…\(Int(PlannersAPI.lateralRange.upperBound)) metres")
        }
        if let f = try q.string(N.format), f.lowercased() != Format.geojson.rawValue {
            throw APIError.invalid(N.format, "\"\(QueryParameters.clip(f))\" is not served; service areas are GeoJSON")
        }
        let wanted = q.list(N.station)
        guard wanted.count <= PlannersAPI.maxAreaStations else {
            throw APIError.outOfRange(N.station, "at most \(PlannersAPI.maxAreaStations) stations per request")
        }
        let snapshot = try await data.snapshot()
        var stations = snapshot.index.stations.filter { filter.accepts($0) }
        if !wanted.isEmpty {
            let set = Set(wanted)
            let unknown = set.subtracting(stations.map(\.id))
            if !unknown.isEmpty {
                throw APIError(.unprocessableContent, code: "unknown_station",
                               "station: no qualifying station with id \(unknown.sorted().prefix(5).map { QueryParameters.clip($0) }.joined(separator: ", "))")
            }
            stations = stations.filter { set.contains($0.id) }
        } else if stations.count > PlannersAPI.maxAreaStations {
            throw APIError(.unprocessableContent, code: "too_many_stations",
                           "\(stations.count) stations qualify; service areas are served for at most \(PlannersAPI.maxAreaStations) per request: narrow with kind/service or name them with station= (the CLI `doorstep areas` has no cap)")
        }
        var network: WalkingNetwork?
        if walk {
            guard let walking = snapshot.walking else { throw Self.noWalking }
            network = walking.network
        }
        let areaStations = stations, areaBands = bands, areaNetwork = network
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let inputs = try snapshot.analysis.inputs(snapshot, data: data)
            let result = try AnalysisCache.sameGeneration(snapshot, data) { store in
                try ServiceAreas.make(stations: areaStations, bands: areaBands, network: areaNetwork, zone: inputs.zone,
                                      lateral: lateral)
            }
            var out = JSONValue.featureCollection(Self.areaFeatures(result.areas))
            if case .object(var members) = out {
                members.append(("off_network", .array(result.offNetwork.map(JSONValue.string))))
                out = .object(members)
            }
            return (Self.bytes(out), MediaTypes.geoJSON)
        }
    }

    @Sendable func plan(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.add, N.target, N.weight, N.spacing, N.format]))
        let args = try Self.coverageArguments(q)
        let add = try q.int(N.add)
        let targetText = try q.string(N.target)
        guard (add == nil) != (targetText == nil) else {
            throw APIError.invalid("\(N.add),\(N.target)", "give add=K or target=SHARE (e.g. target=95%), one of them")
        }
        let objective: PlanObjective
        if let add {
            guard PlannersAPI.kRange.contains(add) else {
                throw APIError.outOfRange(N.add, "\(add) is outside \(PlannersAPI.kRange.lowerBound)…\(PlannersAPI.kRange.upperBound) (the CLI `doorstep plan` takes more)")
            }
            objective = .add(add)
        } else {
            objective = .target(try Self.targetShare(targetText!))
        }
        let weightText = try q.string(N.weight) ?? PlanWeight.households.rawValue
        guard let weight = PlanWeight(rawValue: weightText) else {
            throw APIError.invalid(N.weight, "\"\(QueryParameters.clip(weightText))\" is not households or population")
        }
        let spacing = try q.double(N.spacing) ?? PlannersAPI.defaultSpacing
        guard PlannersAPI.spacingRange.contains(spacing) else {
            throw APIError.outOfRange(N.spacing, "\(spacing) is outside \(Int(PlannersAPI.spacingRange.lowerBound))…\(Int(PlannersAPI.spacingRange.upperBound)) metres")
        }
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let report = try Self.plan(args, objective: objective, weight: weight, spacing: spacing, snapshot: snapshot, data: data)
            if format == .geojson {
                let geometries = try snapshot.analysis.geometries(of: .compounds, snapshot, data: data)
                return (Self.bytes(JSONValue.featureCollection(report.features(compoundGeometries: geometries))), MediaTypes.geoJSON)
            }
            guard case .object(let members) = report.json else { return (Self.bytes(report.json), MediaTypes.json) }
            return (Self.bytes(.object([("query", Self.describe(args) + [("spacing", .number(spacing))]),
                                        ("generation", .number(Double(snapshot.generation)))] + members)), MediaTypes.json)
        }
    }

    // MARK: The library calls (the CLI makes the same ones)

    /// Coverage as `doorstep coverage` computes it, cached per generation and options. CPU work: call it inside
    /// `AnalysisPool.run` (never from a request's own thread).
    static func report(_ args: CoverageArguments, snapshot: DataSnapshot, data: any DoorstepData) throws -> CoverageReport {
        let network: WalkingNetwork?
        if args.walk {
            guard let walking = snapshot.walking else { throw noWalking }
            network = walking.network
        } else {
            network = nil
        }
        let options = args.options
        let inputs = try snapshot.analysis.inputs(snapshot, data: data)
        return try analysisErrors {
            try snapshot.analysis.coverage(CoverageKey(options)) {
                try CoverageAnalysis.run(stations: inputs.stations, compounds: inputs.compounds, network: network, options: options)
            }
        }
    }

    /// A plan as `doorstep plan` (generated candidates) makes it, cached per generation and options. CPU work: call
    /// it inside `AnalysisPool.run`.
    static func plan(_ args: CoverageArguments, objective: PlanObjective, weight: PlanWeight, spacing: Double,
                     snapshot: DataSnapshot, data: any DoorstepData) throws -> PlanReport {
        if args.walk && snapshot.walking == nil { throw noWalking }
        // As the CLI: straight plans still take network nodes as generated candidates when there is a network.
        let network = snapshot.walking?.network
        let inputs = try snapshot.analysis.inputs(snapshot, data: data)
        let options = PlanOptions(coverage: args.options, objective: objective, weight: weight)
        let key = PlanKey(coverage: CoverageKey(options.coverage), objective: objective, weight: weight, spacing: spacing)
        return try analysisErrors {
            try snapshot.analysis.plan(key) {
                var report = try CoveragePlanner.run(stations: inputs.stations, compounds: inputs.compounds,
                                                     candidates: .generated(spacing: spacing), network: network, options: options)
                try AnalysisCache.sameGeneration(snapshot, data) { store in try report.assignGrids(store.grids(containing:)) }
                return report
            }
        }
    }

    /// The answer to `request`: as written before for the same request target in this generation, else made in the
    /// analysis pool by `make` (the computation and the writing of its JSON) and kept.
    static func answer(_ request: Request, _ snapshot: DataSnapshot,
                       make: @escaping @Sendable () throws -> (JSONBytes, String)) async throws -> Response {
        let key = request.uri.string
        if let hit = snapshot.analysis.cachedAnswer(key) { return jsonResponse(hit.body, contentType: hit.contentType) }
        let cache = snapshot.analysis
        let made = try await cache.shared(key) {
            let (body, type) = try await AnalysisPool.current.run(make)
            let answer = AnalysisCache.Answer(body: body, contentType: type)
            cache.keep(answer, for: key)
            return answer
        }
        return jsonResponse(made.body, contentType: made.contentType)
    }

    /// `value` written as JSON.
    static func bytes(_ value: JSONValue) -> JSONBytes {
        var out = JSONBytes(capacity: 4096)
        out.value(value)
        return out
    }

    /// Gaps as `doorstep gaps` lists them: ranked, at most `limit` (0 = all).
    static func gapRows(_ report: CoverageReport, limit: Int, speed: Double) -> [[(String, JSONValue)]] {
        var gaps = report.gaps
        if limit > 0 { gaps = Array(gaps.prefix(limit)) }
        return gaps.enumerated().map { [("rank", JSONValue.number(Double($0.offset + 1)))] + $0.element.properties(speed: speed) }
    }

    static func areaFeatures(_ areas: [ServiceArea]) -> [JSONValue] {
        areas.map { a in
            JSONValue.object([("type", .string("Feature")), ("geometry", a.geometry.geoJSON), ("properties", .object(a.properties))])
        }
    }

    /// Rows as GeoJSON features, geometry looked up by the row's `id` (or `key`): the CLI's `--format geojson`.
    static func featureCollection(_ rows: [[(String, JSONValue)]], geometries: [String: JSONValue]) -> JSONValue {
        JSONValue.featureCollection(rows.map { row -> JSONValue in
            var id = ""
            if case .string(let s)? = row.first(where: { $0.0 == "id" || $0.0 == "key" })?.1 { id = s }
            return .object([("type", .string("Feature")), ("geometry", geometries[id] ?? .null), ("properties", .object(row))])
        })
    }

    // MARK: Parameters

    /// The parameters shared by coverage, gaps and plan (the CLI's `CoverageArguments`).
    struct CoverageArguments {
        var reach: Reach
        var walk: Bool
        var kinds: [String]
        var services: [String]
        var speed: Double

        var options: CoverageOptions {
            CoverageOptions(reach: reach, walk: walk, filter: StationFilter(kinds: Set(kinds), services: Set(services)), speed: speed)
        }
    }

    static func coverageArguments(_ q: QueryParameters) throws -> CoverageArguments {
        let radius = try q.double(N.radius)
        let preset = try Self.preset(q)
        if radius != nil && preset != nil { throw APIError.invalid("\(N.radius),\(N.preset)", "give radius or preset, not both") }
        if let radius, !(radius > 0 && radius <= PlannersAPI.maxRadius) {
            throw APIError.outOfRange(N.radius, "\(radius) is outside 0…\(Int(PlannersAPI.maxRadius)) metres")
        }
        let reach: Reach = (radius ?? preset).map(Reach.uniform) ?? .perStation(fallback: PlannersAPI.fallbackRadius)
        let walk = try q.bool(N.walk) ?? false
        let filter = try Self.filterLists(q)
        let speed = try q.double(N.speed) ?? NearestAPI.defaultSpeed
        guard PlannersAPI.speedRange.contains(speed) else {
            throw APIError.outOfRange(N.speed, "\(speed) m/s is outside \(PlannersAPI.speedRange.lowerBound)…\(PlannersAPI.speedRange.upperBound)")
        }
        return CoverageArguments(reach: reach, walk: walk, kinds: filter.kinds, services: filter.services, speed: speed)
    }

    static func preset(_ q: QueryParameters) throws -> Double? {
        guard let name = try q.string(N.preset) else { return nil }
        guard let metres = Reach.presets[name] else {
            throw APIError.invalid(N.preset, "\"\(QueryParameters.clip(name))\" is not one of \(Reach.presets.keys.sorted().joined(separator: ", "))")
        }
        return metres
    }

    static func filterLists(_ q: QueryParameters) throws -> (kinds: [String], services: [String]) {
        let kinds = q.list(N.kind), services = q.list(N.service)
        for (name, values) in [(N.kind, kinds), (N.service, services)] {
            if values.count > NearestAPI.maxFilterValues { throw APIError.outOfRange(name, "at most \(NearestAPI.maxFilterValues) values") }
            if let long = values.first(where: { $0.count > NearestAPI.maxFilterLength }) {
                throw APIError.outOfRange(name, "\"\(QueryParameters.clip(long))\" is longer than \(NearestAPI.maxFilterLength) characters")
            }
        }
        return (kinds, services)
    }

    static func filter(_ q: QueryParameters) throws -> StationFilter {
        let lists = try filterLists(q)
        return StationFilter(kinds: Set(lists.kinds), services: Set(lists.services))
    }

    static func format(_ q: QueryParameters) throws -> Format {
        guard let text = try q.string(N.format) else { return .json }
        guard let format = Format(rawValue: text.lowercased()) else {
            throw APIError.invalid(N.format, "\"\(QueryParameters.clip(text))\" is not json or geojson")
        }
        return format
    }

    /// `95%`, `0.95` or `95` (as the CLI's `--target`); 400 when unreadable, 422 outside (0, 100 %].
    static func targetShare(_ text: String) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let percent = t.hasSuffix("%")
        let number = try QueryParameters.number(percent ? String(t.dropLast()) : t, N.target)
        let share = percent ? number / 100 : number > 1 ? number / 100 : number
        guard share > 0 && share <= 1 else {
            throw APIError.outOfRange(N.target, "\"\(QueryParameters.clip(text))\" is not a share above 0 and at most 100%")
        }
        return share
    }

    static func describe(_ args: CoverageArguments) -> JSONValue {
        .object([
            ("reach", .string(args.reach.description)), ("walk", .bool(args.walk)),
            ("kind", .array(args.kinds.map(JSONValue.string))), ("service", .array(args.services.map(JSONValue.string))),
            ("speed", .number(args.speed)),
        ])
    }

    static func summary(_ report: CoverageReport) -> JSONValue {
        .object(report.total.properties + [
            ("mode", .string(report.options.walk ? "walking" : "straight")),
            ("reach", .string(report.options.reach.description)),
            ("qualifying_stations", .number(Double(report.qualifyingStations))),
            ("stations_off_network", .array(report.stationsOffNetwork.map(JSONValue.string))),
        ])
    }

    static var noWalking: APIError { APIError(.notImplemented, code: "not_implemented",
                                    "walking distances not available: this database has no walkable ways (import the ways layer)") }

    /// The library's "cannot be computed as asked" is the client's 422, not a 500.
    static func analysisErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as CoverageError {
            throw APIError(.unprocessableContent, code: "not_computable", error.description)
        }
    }
}

/// The controller's static helpers (the library calls and parameter parsing), for the analysis collections.
typealias Planners = PlannersController<BasicRequestContext>

extension JSONValue {
    /// `object + [(name, value)]` for building answers.
    static func + (lhs: JSONValue, rhs: [(String, JSONValue)]) -> JSONValue {
        guard case .object(let members) = lhs else { return lhs }
        return .object(members + rhs)
    }
}
