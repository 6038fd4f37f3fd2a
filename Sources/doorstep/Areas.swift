import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Areas: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Service areas of the stations as GeoJSON: geodesic circles, or walking areas along the network.",
            discussion: """
            Example: doorstep areas --walk --bands 300,500,1000 --out areas.geojson --db city.sqlite
            A walking area is the ground within --lateral metres (default 35) of every part of the network reachable
            within the band, plus the straight leg from the station to the network, dissolved per station and band.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var coverage: CoverageArguments

        @Option(help: "Several bands in metres, comma-separated (e.g. 300,500,1000); instead of --radius/--preset.")
        var bands: String?

        @Option(help: "Only this station (repeat for several).")
        var station: [String] = []

        @Option(help: "Lateral distance in metres either side of the reachable network (walking areas).")
        var lateral: Double = ServiceAreas.defaultLateral

        @Option(help: "The GeoJSON file to write.")
        var out: String

        func validate() throws {
            if bands != nil && (coverage.radius != nil || coverage.preset != nil) {
                throw ValidationError("give --bands or one of --radius, --preset")
            }
            if let bands, parsedBands(bands) == nil { throw ValidationError("--bands takes metres separated by commas, e.g. 300,500,1000") }
            if !(lateral > 0 && lateral <= 200) { throw ValidationError("--lateral must be between 0 and 200 metres") }
        }

        func parsedBands(_ text: String) -> [Double]? {
            let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 20_000 }) else { return nil }
            return values.map { $0! }.sorted()
        }

        func run() async throws {
            let walk = coverage.walk
            let store = try database.open(readOnly: !walk)
            let options = coverage.options
            var stations = try store.stations().filter { options.filter.accepts($0) }
            if !station.isEmpty {
                let wanted = Set(station)
                let unknown = wanted.subtracting(stations.map(\.id))
                if !unknown.isEmpty { throw CLIError("no qualifying station with id \(unknown.sorted().joined(separator: ", "))") }
                stations = stations.filter { wanted.contains($0.id) }
            }
            let bandList: [Double]
            if let bands {
                bandList = parsedBands(bands)!
            } else if case .uniform(let r) = options.reach {
                bandList = [r]
            } else {
                bandList = [500]
            }
            let network = walk ? try WalkingNetwork.load(from: store, snapLimit: coverage.snapLimit, persist: true) : nil
            let zone = try network?.zone ?? store.metricZone()
            let result = try ServiceAreas.make(stations: stations, bands: bandList, network: network, zone: zone, lateral: lateral)
            let features = result.areas.map { a in
                JSONValue.object([("type", .string("Feature")), ("geometry", a.geometry.geoJSON), ("properties", .object(a.properties))])
            }
            try Data(JSONValue.featureCollection(features).jsonText.utf8).write(to: URL(fileURLWithPath: out))
            print("\(result.areas.count) service areas (\(stations.count) stations × \(bandList.count) band\(bandList.count == 1 ? "" : "s"), \(walk ? "walking" : "circles")) written to \(out)")
            if !result.offNetwork.isEmpty {
                note("note: \(result.offNetwork.count) stations are farther than the snap limit from the network and have no walking area: \(result.offNetwork.prefix(10).joined(separator: ", "))")
            }
        }
    }
}
