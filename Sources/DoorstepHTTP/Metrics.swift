import DoorstepGeo
import Foundation
import Hummingbird
import Prometheus

/// What `/metrics` says, in Prometheus's text format (swift-prometheus): for the operators of several servers behind
/// one balancer, each scraped on its own.
///
/// - `doorstep_http_requests_total{route, method, status}`: requests answered, by route template (`/v1/nearest`,
///   `/collections/{collectionId}/items` …; Hummingbird's `NotFound` for paths no route has, so a scan of random
///   paths cannot grow the label set), method and status code;
/// - `doorstep_http_request_duration_seconds{route}`: a latency histogram per route (1 ms … 30 s);
/// - `doorstep_analysis_running`, `doorstep_analysis_queued`, `doorstep_analysis_workers`: the heavy work in flight,
///   waiting, and the pool's size, read at each scrape;
/// - `doorstep_data_generation`: the data generation this server serves, read at each scrape;
/// - `doorstep_store_errors_total`: requests the store could not answer (their answer is a 503 `unavailable`).
///
/// One registry per router (a process serves one; tests build many).
public final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let storeErrors: Counter
    private let generation: Gauge
    private let running: Gauge
    private let queued: Gauge
    private let workers: Gauge

    /// Seconds: a cached answer is well under a millisecond, an analysis may take many seconds.
    static let buckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                      .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]

    static var requests: MetricNameDescriptor {
        name("http", "requests", "total", "Requests answered, by route template, method and status code.")
    }
    static var latency: MetricNameDescriptor {
        name("http", "request_duration", "seconds", "Time from the request to its answer, by route template.")
    }

    private static func name(_ subsystem: String, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "doorstep", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    public init() {
        storeErrors = registry.makeCounter(descriptor: Self.name("store", "errors", "total", "Requests the store could not answer (503 unavailable)."))
        generation = registry.makeGauge(descriptor: Self.name("data", "generation", "", "The data generation this server serves."))
        running = registry.makeGauge(descriptor: Self.name("analysis", "running", "", "Analyses running now."))
        queued = registry.makeGauge(descriptor: Self.name("analysis", "queued", "", "Analyses waiting for a worker."))
        workers = registry.makeGauge(descriptor: Self.name("analysis", "workers", "", "Analyses that may run at once."))
    }

    /// A request answered.
    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.buckets).record(duration)
    }

    /// A request the store could not answer.
    func storeError() { storeErrors.increment() }

    /// The text of a scrape, with the gauges read now.
    func scrape(generation current: Int?, pool: AnalysisPool) -> [UInt8] {
        if let current { generation.set(Double(current)) }
        let load = pool.load
        running.set(Double(load.running))
        queued.set(Double(load.queued))
        workers.set(Double(pool.options.workers))
        var buffer = [UInt8]()
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Counts and times every request (outermost, so errors, refusals and guards count too).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code), since: start)
            return response
        } catch {
            record(request, context, status: (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        // Only the methods the service answers are labels of their own; any other is OTHER (refused with 405 anyway).
        let method = [.get, .head, .options].contains(request.method) ? request.method.rawValue : "OTHER"
        metrics.request(route: context.endpointPath ?? "NotFound", method: method, status: status,
                        duration: ContinuousClock.now - start)
    }
}

/// `GET /metrics`: the scrape.
struct MetricsController<Context: RequestContext>: Sendable {
    let metrics: ServiceMetrics
    let data: any DoorstepData
    let pool: AnalysisPool

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("/metrics") { request, _ in
            _ = try QueryParameters(request, allowed: [])
            // The generation of the snapshot this server serves now; none when the store cannot be read (the
            // scrape still answers: that is when operators need it).
            let generation = try? await data.snapshot().generation
            let body = metrics.scrape(generation: generation, pool: pool)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return routes
    }
}
