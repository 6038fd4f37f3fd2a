import ArgumentParser
import DoorstepGeo
import DoorstepHTTP
import Foundation
import Hummingbird
import Logging

extension Doorstep {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the database over HTTP: /v1/nearest, OGC API – Features, /api (OpenAPI 3), /health.",
            discussion: """
            Example: doorstep serve --db city.sqlite --port 8080
                     open http://127.0.0.1:8080/ in a browser: the residents' page (nearest stations, walking routes)
                     curl 'http://127.0.0.1:8080/v1/nearest?lon=118.7790&lat=32.0440&k=3'
                     ogrinfo OAPIF:http://127.0.0.1:8080
            A re-import while the server runs is picked up within about half a second, without a restart.
            SIGINT (Ctrl-C) or SIGTERM stops it gracefully: analyses are cancelled, other requests in flight are
            answered first, and the process ends within 10 s whatever still runs.
            Load balancers: /health is readiness (200 only while the database reads), /livez liveness.
            """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Address to listen on (0.0.0.0 for every interface).")
        var host: String = "127.0.0.1"

        @Option(help: "Port to listen on.")
        var port: Int = 8080

        @Option(help: "Log level: trace, debug, info (one access-log line per request), notice, warning, error.")
        var logLevel: String = "info"

        @Option(help: ArgumentHelp("Basemap tile URL template for the web page at /, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (default: no basemap, Doorstep's own GeoJSON only).", valueName: "url"))
        var tiles: String?

        @Option(help: "Coordinate system of the --tiles basemap: wgs84, or gcj02 for Chinese basemaps (Amap, Tencent); with gcj02 the page shifts its overlay onto the tiles.")
        var tilesCRS: String = "wgs84"

        @Option(help: "Attribution shown under the --tiles basemap, e.g. \"© OpenStreetMap contributors\".")
        var tilesAttribution: String?

        @Option(help: "Megabytes of rendered features pages kept per database generation, so map tools asking for the same page again get it at once (0 turns the cache off).")
        var pageCacheMB: Int = PageCache.defaultCapacity >> 20

        @Option(help: "Seconds a keep-alive connection may stay idle before it is closed.")
        var idleTimeout: Double = ConnectionOptions.defaultIdleTimeout.seconds

        @Option(help: "Seconds a client has to send a request's headers once it has started; then 408 and the connection is closed.")
        var headerTimeout: Double = ConnectionOptions.defaultHeaderTimeout.seconds

        @Option(help: "Connections open at once; beyond it new ones wait in the kernel's backlog.")
        var maxConnections: Int = ConnectionOptions.defaultMaxConnections

        @Option(help: "Connections open at once from one client address; beyond it a new one is closed at once (raise it behind a reverse proxy, where every client has the proxy's address).")
        var maxConnectionsPerAddress: Int = ConnectionOptions.defaultMaxConnectionsPerAddress

        @Option(help: "Analysis requests (/v1/coverage, gaps, areas, plan) running at once (default: the number of cores).")
        var analysisWorkers: Int = ProcessInfo.processInfo.activeProcessorCount

        @Option(help: "Analysis requests waiting for a worker; beyond it they are refused at once with 503 busy and Retry-After (default: twice the workers).")
        var analysisQueue: Int?

        @Option(help: "Seconds one analysis request may take, queueing included; then 503 budget_exceeded.")
        var analysisBudget: Double = 30

        @Option(help: "Access log: text (a line per request on standard error, at --log-level info), json (one JSON object per line on standard output, for log shippers) or off.")
        var accessLog: String = AccessLogFormat.text.rawValue

        func validate() throws {
            guard idleTimeout > 0 && idleTimeout <= 3600 else { throw ValidationError("--idle-timeout must be above 0 and at most 3600 seconds") }
            guard headerTimeout > 0 && headerTimeout <= 600 else { throw ValidationError("--header-timeout must be above 0 and at most 600 seconds") }
            guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
            guard (1...1_000_000).contains(maxConnectionsPerAddress) else { throw ValidationError("--max-connections-per-address must be between 1 and 1000000") }
            guard (1...256).contains(analysisWorkers) else { throw ValidationError("--analysis-workers must be between 1 and 256") }
            if let analysisQueue, !(0...10_000).contains(analysisQueue) { throw ValidationError("--analysis-queue must be between 0 and 10000") }
            guard analysisBudget > 0 && analysisBudget <= 3600 else { throw ValidationError("--analysis-budget must be above 0 and at most 3600 seconds") }
            guard (0...4096).contains(pageCacheMB) else { throw ValidationError("--page-cache-mb must be between 0 and 4096") }
            guard AccessLogFormat(rawValue: accessLog) != nil else { throw ValidationError("--access-log must be text, json or off") }
            guard WebOptions.TileCRS(rawValue: tilesCRS) != nil else { throw ValidationError("--tiles-crs must be wgs84 or gcj02") }
            if let tiles, !(tiles.hasPrefix("http://") || tiles.hasPrefix("https://") || tiles.hasPrefix("/")) || tiles.contains("\"") {
                throw ValidationError("--tiles must be an http(s) URL template such as https://tile.example.org/{z}/{x}/{y}.png")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            try database.requireExisting()
            // Bring an older file up to the current schema (readers refuse other versions); a file we may not write
            // is served as it is.
            try? StoreBackends.upgradeIfOlder(database.db)
            let level = Logger.Level(rawValue: logLevel)!
            LoggingSystem.bootstrap { label in ServerLogHandler(label: label, level: level) }
            let web = WebOptions(tiles: tiles, tilesCRS: WebOptions.TileCRS(rawValue: tilesCRS)!, tilesAttribution: tilesAttribution)
            var configured = ServeOptions(
                databasePath: database.db, host: host, port: port, logLevel: level, web: web, pageCacheBytes: pageCacheMB << 20,
                connections: ConnectionOptions(idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
                                               maxConnections: maxConnections, maxConnectionsPerAddress: maxConnectionsPerAddress),
                analysis: AnalysisPool.Options(workers: analysisWorkers, queue: analysisQueue, budget: .seconds(analysisBudget)))
            configured.accessLog = AccessLogFormat(rawValue: accessLog)!
            let options = configured
            // "Serving" is said only once the socket listens, with the port it got (`--port 0`: one the system
            // chose); a port that cannot be bound is an error naming host:port before anything else is printed.
            let listening = OnceFlag()
            let app = try buildApplication(options) { port in
                _ = listening.claim()
                var bound = options
                bound.port = port
                note("doorstep: serving \(database.db) on \(bound.baseURL) (try \(bound.baseURL)/v1/nearest?lon=118.7790&lat=32.0440)")
            }
            let stopping = Self.onStopSignal {
                // Hummingbird drains the other requests; analyses would keep it waiting, so they stop now, and
                // nothing keeps the process past 10 s.
                AnalysisPool.shared.cancelAll()
                DispatchQueue.global().asyncAfter(deadline: .now() + 9) {
                    note("doorstep: requests still running 9 s after the signal; exiting")
                    Foundation.exit(0)
                }
            }
            defer { stopping.forEach { $0.cancel() } }
            do {
                try await app.runService()
            } catch where listening.claim() {
                throw ListenFailure(error, host: host, port: port)
            }
        }

        /// Runs `action` once on the first SIGINT or SIGTERM (beside swift-service-lifecycle's own handling of them,
        /// which starts the graceful shutdown).
        static func onStopSignal(_ action: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
            let once = OnceFlag()
            return [SIGINT, SIGTERM].map { signo in
                signal(signo, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
                source.setEventHandler { if once.claim() { action() } }
                source.resume()
                return source
            }
        }
    }
}

/// True for the first caller of `claim()` only.
private final class OnceFlag: @unchecked Sendable {
    // Safe: `claimed` is only read and written with `lock` held.
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }
}
