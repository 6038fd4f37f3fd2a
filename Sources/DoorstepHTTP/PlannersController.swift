import DoorstepGeo
import Foundation
import Hummingbird

/// Names of the planners' routes' parameters, shared by the handlers and the OpenAPI document. Their limits and
/// defaults are the use cases' (`AnalysisOptions`, `GapsUseCase.Options`, `AreasUseCase.Options`, `PlanUseCase.Options`),
/// the same the CLI checks.
enum PlannersAPI {
    enum Name {
        static let radius = "radius", preset = "preset", walk = "walk", kind = "kind", service = "service", speed = "speed"
        static let openAt = "open_at", day = "day"
        static let by = "by", format = "format", limit = "limit"
        static let bands = "bands", station = "station", lateral = "lateral"
        static let add = "add", target = "target", weight = "weight", spacing = "spacing"
        static let close = "close", addKind = "add_kind", lang = "lang"
        static let coverage: Set<String> = [radius, preset, walk, kind, service, openAt, speed]
    }
}

/// `GET /v1/coverage`, `/v1/gaps`, `/v1/areas`, `/v1/plan`, `/v1/whatif`: the CLI's `coverage`, `gaps`, `areas`, `plan` and `whatif` — the same
/// use cases (`UseCases/`) with the same options, run on the snapshot (`SnapshotSource`), where coverage and plan
/// results are cached per generation and options (`AnalysisCache`); areas and plans are capped so one request stays
/// bounded.
struct PlannersController<Context: RequestContext>: Sendable {
    private typealias N = PlannersAPI.Name

    let data: any DoorstepData

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("coverage", use: coverage)
        routes.readOnly("coverage/hours", use: coverageHours)
        routes.readOnly("gaps", use: gaps)
        routes.readOnly("areas", use: areas)
        routes.readOnly("plan", use: plan)
        routes.readOnly("access", use: access)
        routes.readOnly("whatif", use: whatIf)
        return routes
    }

    enum Format: String { case json, geojson }

    // MARK: Handlers

    @Sendable func coverage(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.by, N.format]))
        let options = try CoverageUseCase.Options(try Self.analysis(q), by: q.string(N.by))
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        let source = SnapshotSource(snapshot: snapshot, data: data)
        // The result may be cached, but its answer (megabytes of JSON) is written in the pool too.
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let result = try CoverageUseCase.run(options, on: source)
            if format == .geojson { return (Records.bytes(try result.featureCollection(on: source)), MediaTypes.geoJSON) }
            return (Records.bytes(result.json), MediaTypes.json)
        }
    }

    /// Coverage for each hour of a day: the coverage options except `open_at` (the hours are the times), and `day`.
    @Sendable func coverageHours(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.subtracting([N.openAt]).union([N.day]))
        let options = try CoverageHoursUseCase.Options(try Self.analysis(q), day: q.string(N.day))
        let snapshot = try await data.snapshot()
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            (Records.bytes(try CoverageHoursUseCase.run(options, on: source).json), MediaTypes.json)
        }
    }

    @Sendable func gaps(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.limit, N.format]))
        let options = try GapsUseCase.Options(try Self.analysis(q), limit: q.int(N.limit))
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let result = try GapsUseCase.run(options, on: source)
            if format == .geojson { return (Records.bytes(try result.featureCollection(on: source)), MediaTypes.geoJSON) }
            return (Records.bytes(result.json), MediaTypes.json)
        }
    }

    @Sendable func areas(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: [N.radius, N.preset, N.bands, N.walk, N.station, N.kind, N.service, N.openAt, N.lateral,
                                                       N.format])
        let options = try AreasUseCase.Options(radius: q.double(N.radius), preset: q.string(N.preset), bands: q.string(N.bands),
                                               walk: q.bool(N.walk) ?? false, kinds: q.list(N.kind), services: q.list(N.service),
                                               openAt: q.text(N.openAt), stations: q.list(N.station), lateral: q.double(N.lateral))
        if let f = try q.string(N.format), f.lowercased() != Format.geojson.rawValue {
            throw APIError.invalid(N.format, "\"\(QueryParameters.clip(f))\" is not served; service areas are GeoJSON")
        }
        let snapshot = try await data.snapshot()
        // Refused before the pool: stations that do not qualify or are too many, walking without a network.
        let cap = AreasUseCase.Options.servedStations
        _ = try options.select(from: snapshot.index.stations, cap: cap)
        if options.walk && snapshot.walking == nil { throw UseCaseError.noWalkingNetwork }
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            (Records.bytes(try AreasUseCase.run(options, on: source, stationCap: cap).json), MediaTypes.geoJSON)
        }
    }

    @Sendable func plan(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.add, N.target, N.weight, N.spacing, N.format]))
        let options = try PlanUseCase.Options(try Self.analysis(q), add: q.int(N.add), target: q.string(N.target), weight: q.string(N.weight),
                                              spacing: q.double(N.spacing), sites: PlanUseCase.Options.servedSites)
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let result = try PlanUseCase.run(options, on: source)
            if format == .geojson { return (Records.bytes(try result.featureCollection(on: source)), MediaTypes.geoJSON) }
            return (Records.bytes(result.json), MediaTypes.json)
        }
    }

    @Sendable func access(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.by, N.weight, N.format]))
        let options = try AccessUseCase.Options(try Self.analysis(q), by: q.string(N.by), weight: q.string(N.weight))
        let format = try Self.format(q)
        let snapshot = try await data.snapshot()
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let result = try AccessUseCase.run(options, on: source)
            if format == .geojson { return (Records.bytes(try result.featureCollection(on: source)), MediaTypes.geoJSON) }
            return (Records.bytes(result.json), MediaTypes.json)
        }
    }

    @Sendable func whatIf(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: N.coverage.union([N.by, N.format, N.add, N.close, N.addKind, N.lang]))
        let options = try WhatIfUseCase.Options(CoverageUseCase.Options(try Self.analysis(q), by: q.string(N.by)),
                                                add: q.string(N.add).map { [$0] } ?? [], close: q.string(N.close).map { [$0] } ?? [],
                                                addKind: q.string(N.addKind))
        // The scenario's workbook besides the JSON and GeoJSON answers.
        let workbook = try q.string(N.format)?.lowercased() == "xlsx"
        let format = workbook ? .json : try Self.format(q)
        let language = try WhatIfUseCase.workbookLanguage(q.string(N.lang))
        let snapshot = try await data.snapshot()
        // Refused before the pool: an unknown station to close, walking without a network.
        _ = try options.closedStations(in: snapshot.index.stations)
        if options.coverage.analysis.walk && snapshot.walking == nil { throw UseCaseError.noWalkingNetwork }
        let source = SnapshotSource(snapshot: snapshot, data: data)
        return try await Self.answer(request, snapshot) { () throws -> (JSONBytes, String) in
            let result = try WhatIfUseCase.run(options, on: source)
            if workbook { return (try Self.workbook(result, on: source, language: language), MediaTypes.xlsx) }
            if format == .geojson { return (Records.bytes(try result.scenario(on: source)), MediaTypes.geoJSON) }
            return (Records.bytes(result.json), MediaTypes.json)
        }
    }

    /// A scenario's workbook as bytes: written by GDAL into a private temporary directory, read back, removed.
    static func workbook(_ result: WhatIfUseCase.Result, on source: SnapshotSource, language: ExportLanguage) throws -> JSONBytes {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-whatif-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("scenario.xlsx").path
        _ = try result.workbook(on: source, to: path, language: language)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var bytes = JSONBytes(capacity: data.count)
        bytes.raw(data)
        return bytes
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

    // MARK: Parameters

    /// The parameters coverage, gaps and plan share, read from the query and validated by the use case.
    static func analysis(_ q: QueryParameters) throws -> AnalysisOptions {
        try AnalysisOptions(radius: q.double(N.radius), preset: q.string(N.preset), walk: q.bool(N.walk) ?? false,
                            kinds: q.list(N.kind), services: q.list(N.service), openAt: q.text(N.openAt), speed: q.double(N.speed))
    }

    static func format(_ q: QueryParameters) throws -> Format {
        guard let text = try q.string(N.format) else { return .json }
        guard let format = Format(rawValue: text.lowercased()) else {
            throw APIError.invalid(N.format, "\"\(QueryParameters.clip(text))\" is not json or geojson")
        }
        return format
    }
}
