import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Nearest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The nearest stations to a point, by geodesic distance, with bearing, filters and opening hours.",
            discussion: """
            Example: doorstep nearest --lon 118.7800 --lat 32.0450 -k 3 --service water --open-at "2026-11-23 09:30"
            A point read off a phone map: --crs gcj02 (Amap, Tencent, WeChat) or --crs bd09 (Baidu).
            --format json writes the answer of GET /v1/nearest: {query, generation, count, stations}.
            """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Longitude (or easting with a projected --crs).")
        var lon: Double

        @Option(help: "Latitude (or northing with a projected --crs).")
        var lat: Double

        @Option(help: "CRS of --lon/--lat: wgs84 (default), gcj02, bd09 or EPSG:n.")
        var crs: String?

        @Option(name: .short, help: "How many stations (\(NearestUseCase.Options.k.lowerBound)…\(NearestUseCase.Options.k.upperBound), default \(NearestUseCase.Options.defaultK)).")
        var k: Int?

        @Option(help: "Station kind (center, station, post, or the Chinese names); repeat for any of several.")
        var kind: [String] = []

        @Option(help: "A service the station must offer (rest, water, charging, meal, …); repeat: all of them.")
        var service: [String] = []

        @Option(help: "Only stations open at this local time: \"2026-11-23 09:30\" or \"Mo 09:30\".")
        var openAt: String?

        @Flag(help: "Only stations open now.")
        var openNow = false

        @Option(help: "Time zone of --open-now and of `open` (IANA name, default \(NearestUseCase.Options.defaultTimeZone)).")
        var tz: String?

        @Option(help: "table, json or geojson")
        var format: OutputFormat = .table

        @Flag(help: "Rank by walking distance along the network (with straight distance and walking time beside it).")
        var walk = false

        @Flag(help: "With --walk and --format json or geojson: add each walking route (a LineString).")
        var route = false

        @Option(help: "Walking speed in m/s for times (\(Limits.text(NearestUseCase.Options.walkingSpeed)), default \(NearestUseCase.Options.defaultWalkingSpeed)).")
        var speed: Double?

        func options() throws -> NearestUseCase.Options {
            try NearestUseCase.Options(lon: lon, lat: lat, crs: crs, k: k, kinds: kind, services: service, openAt: openAt, openNow: openNow,
                                       timeZone: tz, walk: walk, speed: speed, route: route)
        }

        func validate() throws {
            if format == .csv { throw ValidationError("nearest writes table, json or geojson") }
            if route && format == .table { throw ValidationError("--route shows in --format json or geojson") }
            try validating { _ = try options() }
        }

        func run() async throws {
            try cli {
                let options = try options()
                let result = try NearestUseCase.run(options, on: try database.open(readOnly: true))
                switch format {
                case .json: print(result.json.text)
                case .geojson: print(result.featureCollection.jsonText)
                case .table, .csv: table(result)
                }
            }
        }

        func table(_ result: NearestUseCase.Result) {
            let options = result.options
            if result.found.isEmpty {
                print("No station qualifies (\(database.db)).")
                return
            }
            print(options.walk ? "#  walking (time)      straight  direction  id          name" : "#  distance  direction  id          name")
            for (i, n) in result.found.enumerated() {
                var distance = String(format: "%6.0f m", n.distance)
                if options.walk {
                    let w = result.walking[i]
                    distance = (w.map { String(format: "%6.0f m (%4.1f min)", $0, $0 / options.speed / 60) } ?? "  no path        ") + "  " + distance
                }
                let dir = String(format: "%3.0f° %@", n.bearing, Geodesic.compassPoint(n.bearing))
                var line = "\(i + 1)  \(distance)  \(dir.padded(toColumns: 9))  \(n.station.id.padded(toColumns: 10))  \(n.station.name)"
                if let k = n.station.kind { line += "  [\(k)]" }
                if let h = n.station.hours { line += "  \(h.text)" }
                if options.walk, i < result.noPathReasons.count, let reason = result.noPathReasons[i] { line += "  — no path: \(reason)" }
                print(line)
            }
            if options.filterOpen { print("(open at \(options.moment))") }
        }
    }
}
