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
            """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Longitude (or easting with a projected --crs).")
        var lon: Double

        @Option(help: "Latitude (or northing with a projected --crs).")
        var lat: Double

        @Option(help: "CRS of --lon/--lat: wgs84 (default), gcj02, bd09 or EPSG:n.")
        var crs: InputCRS = .wgs84

        @Option(name: .short, help: "How many stations (1…1000).")
        var k: Int = 5

        @Option(help: "Station kind (center, station, post, or the Chinese names); repeat for any of several.")
        var kind: [String] = []

        @Option(help: "A service the station must offer (rest, water, charging, meal, …); repeat: all of them.")
        var service: [String] = []

        @Option(help: "Only stations open at this local time: \"2026-11-23 09:30\" or \"Mo 09:30\".")
        var openAt: String?

        @Flag(help: "Only stations open now.")
        var openNow = false

        @Option(help: "Time zone of --open-now (IANA name).")
        var tz: String = "Asia/Shanghai"

        @Option(help: "table, json or geojson")
        var format: OutputFormat = .table

        @Flag(help: "Rank by walking distance along the network (with straight distance and walking time beside it).")
        var walk = false

        @Flag(help: "With --walk and --format geojson: add each walking route as a LineString feature.")
        var route = false

        @Option(help: "Walking speed in m/s for times.")
        var speed: Double = 1.2

        func validate() throws {
            guard (1...1000).contains(k) else { throw ValidationError("-k must be between 1 and 1000") }
            guard lon.isFinite, lat.isFinite else { throw ValidationError("--lon and --lat must be finite numbers") }
            if openAt != nil && openNow { throw ValidationError("give --open-at or --open-now, not both") }
            if let openAt, WeekTime(parsing: openAt) == nil {
                throw ValidationError("--open-at \"\(openAt)\" is not a time like \"2026-11-23 09:30\" or \"Mo 09:30\"")
            }
            if TimeZone(identifier: tz) == nil { throw ValidationError("unknown time zone \"\(tz)\"") }
            if format == .csv { throw ValidationError("nearest writes table, json or geojson") }
            if route && !(walk && format == .geojson) { throw ValidationError("--route needs --walk and --format geojson") }
            if !(speed > 0 && speed < 10) { throw ValidationError("--speed must be a walking speed in m/s (e.g. 1.2)") }
        }

        func run() async throws {
            let transformer = try CoordinateTransformer(from: crs)
            guard let point = transformer.toWGS84(Coordinate(lon: lon, lat: lat)),
                  (-180...180).contains(point.lon), (-90...90).contains(point.lat) else {
                throw CLIError("(\(lon), \(lat)) is not a valid position in \(crs)")
            }
            let store = try database.open(readOnly: true)
            let index = NearestIndex(stations: try store.stations())
            let openTime = openNow ? WeekTime.now(in: TimeZone(identifier: tz)!) : openAt.flatMap { WeekTime(parsing: $0) }
            let filter = StationFilter(kinds: Set(kind), services: Set(service), openAt: openTime)
            var walking: [String: WalkingAnswer] = [:]
            var found = index.nearest(to: point, k: k, filter: filter)
            if walk {
                let network = try WalkingNetwork.load(from: store)
                let projection = try network.makeProjection()
                let snaps = WalkingNearest.snapStations(index, network: network, projection: projection)
                guard let answers = WalkingNearest.find(from: point, index: index, stationSnaps: snaps, network: network,
                                                        projection: projection, k: k, filter: filter, routes: route) else {
                    throw CLIError("(\(lon), \(lat)) is farther than \(Int(network.snapLimit)) m from the walkable network: unreachable on foot")
                }
                found = answers.map(\.nearby)
                for a in answers { walking[a.nearby.station.id] = a }
            }
            func properties(_ n: NearbyStation) -> [(String, JSONValue)] {
                var p = JSONMemberList()
                n.writeProperties(openAt: openTime, to: &p)
                if walk { NearbyStation.writeWalking(walking[n.station.id]?.walking ?? nil, speed: speed, to: &p) }
                return p.members
            }
            switch format {
            case .json:
                print(JSONValue.array(found.map { n in
                    .object(properties(n) + [("lon", .number(n.station.location.lon)), ("lat", .number(n.station.location.lat))])
                }).jsonText)
            case .geojson:
                var features = found.map { JSONValue.pointFeature($0.station.location, properties: properties($0)) }
                for n in found {
                    guard let line = walking[n.station.id]?.route else { continue }
                    features.append(.object([
                        ("type", .string("Feature")),
                        ("geometry", .object([("type", .string("LineString")), ("coordinates", .array(line.map(\.jsonPosition)))])),
                        ("properties", .object([("route_to", .string(n.station.id)), ("walking_m", properties(n).first { $0.0 == "walking_m" }!.1)])),
                    ]))
                }
                print(JSONValue.featureCollection(features).jsonText)
            case .table, .csv:
                if found.isEmpty {
                    print("No station qualifies (\(index.stations.count) stations in \(database.db)).")
                    return
                }
                print(walk ? "#  walking (time)      straight  direction  id          name" : "#  distance  direction  id          name")
                for (i, n) in found.enumerated() {
                    var distance = String(format: "%6.0f m", n.distance)
                    if walk {
                        let w = walking[n.station.id]?.walking
                        distance = (w.map { String(format: "%6.0f m (%4.1f min)", $0, $0 / speed / 60) } ?? "  no path        ") + "  " + distance
                    }
                    let dir = String(format: "%3.0f° %@", n.bearing, Geodesic.compassPoint(n.bearing))
                    var line = "\(i + 1)  \(distance)  \(dir.padded(toColumns: 9))  \(n.station.id.padded(toColumns: 10))  \(n.station.name)"
                    if let k = n.station.kind { line += "  [\(k)]" }
                    if let h = n.station.hours { line += "  \(h.text)" }
                    print(line)
                }
                if let openTime { print("(open at \(openTime))") }
            }
        }
    }
}
