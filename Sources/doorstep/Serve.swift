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

        func validate() throws {
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
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let options = ServeOptions(databasePath: database.db, host: host, port: port, logLevel: level)
            let app = try buildApplication(options)
            note("doorstep: serving \(database.db) on \(options.baseURL) (try \(options.baseURL)/v1/nearest?lon=118.7790&lat=32.0440)")
            try await app.runService()
        }
    }
}
