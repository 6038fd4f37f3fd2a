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
            SIGINT (Ctrl-C) or SIGTERM stops it gracefully: requests in flight are answered first.
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

        func validate() throws {
            guard (0...4096).contains(pageCacheMB) else { throw ValidationError("--page-cache-mb must be between 0 and 4096") }
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
            guard FileManager.default.fileExists(atPath: database.db) else {
                throw CLIError("\(database.db): no such database; create it with `doorstep import LAYER FILE --db \(database.db)`")
            }
            // Bring an older file up to the current schema (readers refuse other versions); a file we may not write
            // is served as it is.
            _ = try? Store(path: database.db)
            let level = Logger.Level(rawValue: logLevel)!
            LoggingSystem.bootstrap { label in ServerLogHandler(label: label, level: level) }
            let web = WebOptions(tiles: tiles, tilesCRS: WebOptions.TileCRS(rawValue: tilesCRS)!, tilesAttribution: tilesAttribution)
            let options = ServeOptions(databasePath: database.db, host: host, port: port, logLevel: level, web: web,
                                       pageCacheBytes: pageCacheMB << 20)
            let app = try buildApplication(options)
            note("doorstep: serving \(database.db) on \(options.baseURL) (try \(options.baseURL)/v1/nearest?lon=118.7790&lat=32.0440)")
            try await app.runService()
        }
    }
}
