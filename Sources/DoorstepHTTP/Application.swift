import DoorstepGeo
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Options of `doorstep serve`.
public struct ServeOptions: Sendable {
    public var databasePath: String
    public var host: String
    public var port: Int
    /// How often at most a request checks whether an import has committed (`Store.generation()`).
    public var refreshInterval: Duration
    public var logLevel: Logger.Level
    /// The residents' web page at `/` (basemap tiles; WebPage.swift).
    public var web: WebOptions
    /// Bytes of rendered features pages kept per generation (PageCache.swift); 0 turns the cache off.
    public var pageCacheBytes: Int
    /// Idle and header-read timeouts, connection cap (Connections.swift).
    public var connections: ConnectionOptions
    /// Workers, queue and time budget of the analysis routes (AnalysisPool.swift).
    public var analysis: AnalysisPool.Options
    /// The access log: swift-log lines on standard error (default), JSON lines on standard output, or none.
    public var accessLog: AccessLogFormat = .text

    public init(databasePath: String, host: String = "127.0.0.1", port: Int = 8080,
                refreshInterval: Duration = .milliseconds(500), logLevel: Logger.Level = .info, web: WebOptions = WebOptions(),
                pageCacheBytes: Int = PageCache.defaultCapacity, connections: ConnectionOptions = ConnectionOptions(),
                analysis: AnalysisPool.Options = AnalysisPool.Options()) {
        self.databasePath = databasePath
        self.host = host
        self.port = port
        self.refreshInterval = refreshInterval
        self.logLevel = logLevel
        self.web = web
        self.pageCacheBytes = pageCacheBytes
        self.connections = connections
        self.analysis = analysis
    }

    /// `http://host:port`, for links when a request has no Host header.
    public var baseURL: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h):\(port)"
    }
}

/// The Doorstep service on the database of `options`: opens a pool of read-only connections and loads the first
/// snapshot (so a missing or foreign file fails here, before listening). `onListening` is called with the port once
/// the socket listens (the one the system chose for port 0); a port that cannot be bound makes `runService()` throw
/// before it is called (`ListenFailure`).
public func buildApplication(_ options: ServeOptions, onListening: @escaping @Sendable (_ port: Int) -> Void = { _ in })
    throws -> some ApplicationProtocol {
    var logger = Logger(label: "doorstep.http")
    logger.logLevel = options.logLevel
    let data = try StoreData(address: options.databasePath, refreshInterval: options.refreshInterval,
                                  pageCacheBytes: options.pageCacheBytes, logger: logger)
    return buildApplication(data: data, options: options, logger: logger, onListening: onListening)
}

/// The Doorstep service over any `DoorstepData` (tests pass their own). The analysis routes run in `analysis`
/// (default: the process's pool, configured with `options.analysis`).
public func buildApplication(data: any DoorstepData, options: ServeOptions, logger: Logger? = nil, analysis: AnalysisPool? = nil,
                             onListening: @escaping @Sendable (_ port: Int) -> Void = { _ in })
    -> Application<RouterResponder<BasicRequestContext>> {
    var logger = logger ?? Logger(label: "doorstep.http")
    if logger.logLevel > options.logLevel { logger.logLevel = options.logLevel }
    let pool = analysis ?? {
        AnalysisPool.shared.configure(options.analysis)
        return AnalysisPool.shared
    }()
    raiseOpenFileLimit()
    let router = buildRouter(data: data, baseURL: options.baseURL, web: options.web, analysis: pool, accessLog: options.accessLog)
    return Application(
        router: router,
        server: options.connections.server,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "doorstep",
                             availableConnectionsDelegate: MaximumAvailableConnections(options.connections.maxConnections)),
        onServerRunning: { channel in onListening(channel.localAddress?.port ?? options.port) },
        logger: logger
    )
}

/// Every route of the service, testable without a socket (`app.test(.router)`).
///
/// Middleware, outermost first: metrics → access log → CORS and security headers → JSON errors → request guards
/// (methods, sizes, NUL, bodies) → ETags → the analysis pool of this router. Routes: `/health`, `/livez`, `/api`, `/metrics`,
/// the OGC API – Features routes and `/v1/nearest`. The planners' `/v1/coverage`, `/v1/gaps` and `/v1/areas` join as
/// one more controller under `/v1` (and their paths in `OpenAPIDocument`); their collections join `collections`.
public func buildRouter(data: any DoorstepData, collections: [any FeatureCollectionSource] = Collections.all,
                        baseURL: String = "http://127.0.0.1:8080", web: WebOptions = WebOptions(),
                        analysis: AnalysisPool = .shared, accessLog: AccessLogFormat = .text,
                        metrics: ServiceMetrics = ServiceMetrics()) -> Router<BasicRequestContext> {
    let router = Router(options: .autoGenerateHeadEndpoints)
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: AccessLogMiddleware(format: accessLog))
    router.add(middleware: CORSMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware(metrics: metrics))
    router.add(middleware: RequestGuardMiddleware())
    router.add(middleware: GenerationETagMiddleware(data: data))
    router.add(middleware: AnalysisPoolMiddleware(pool: analysis))
    router.add(middleware: WebPageMiddleware(options: web)) // `/` as HTML for browsers (WebPage.swift)

    router.addRoutes(ServiceController(data: data, collections: collections, fallbackBase: baseURL).endpoints)
    router.addRoutes(FeaturesController(data: data, collections: collections, fallbackBase: baseURL).endpoints)
    router.addRoutes(NearestController(data: data, transformers: TransformerCache()).endpoints, atPath: "/v1")
    router.addRoutes(PlannersController(data: data).endpoints, atPath: "/v1")
    router.addRoutes(WebController(options: web).endpoints)
    router.addRoutes(MetricsController(metrics: metrics, data: data, pool: analysis).endpoints)
    return router
}

/// `/health` (ready: the database reads), `/livez` (alive) and `/api`.
struct ServiceController<Context: RequestContext>: Sendable {
    let data: any DoorstepData
    let collections: [any FeatureCollectionSource]
    let fallbackBase: String

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("/health", use: health)
        routes.readOnly("/livez", use: livez)
        routes.readOnly("/api", use: api)
        return routes
    }

    /// Readiness, for load balancers: 200 only when the database reads now (schema version, every layer's table and
    /// index; `DoorstepData.checkReady`), else 503 `{status: "unavailable", reason}`.
    @Sendable func health(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let snapshot: DataSnapshot
        do {
            try await data.checkReady()
            snapshot = try await data.snapshot()
        } catch {
            let reason = (error as? any StoreFailure)?.message ?? (error as? APIError)?.description ?? String(describing: error)
            context.logger.warning("not ready: \(reason)")
            return noStore(jsonResponse(.object([
                ("status", "unavailable"), ("reason", .string(reason)),
                ("code", "unavailable"), ("description", .string("not ready: \(reason)")),
            ]), status: .serviceUnavailable))
        }
        var members: [(String, JSONValue)] = [
            ("status", "ok"),
            ("generation", .number(Double(snapshot.generation))),
            ("loaded_at", .string(snapshot.loadedAt.formatted(.iso8601))),
        ]
        for summary in snapshot.layers { members.append((summary.layer.rawValue, .number(Double(summary.count)))) }
        members.append(("walking", .bool(snapshot.walking != nil)))
        members.append(("version", .string(DoorstepVersion.string)))
        return noStore(jsonResponse(.object(members)))
    }

    /// Liveness: the process answers HTTP. Touches nothing else, so a slow or broken database never gets a live
    /// process restarted; `/health` is the route that says whether to send it traffic.
    @Sendable func livez(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        return noStore(jsonResponse(.object([("status", "ok")])))
    }

    private func noStore(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func api(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let base = LinkBuilder(request: request, fallback: fallbackBase).base
        let credits = try await data.snapshot().creditLine()
        return jsonResponse(OpenAPIDocument.build(serverURL: base, collections: collections.map(\.id), credits: credits),
                            contentType: MediaTypes.openAPI)
    }
}
