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
            The file is the answer of GET /v1/areas: a FeatureCollection with an off_network list; --out - writes it to
            standard output. Stations are drawn on as many threads as the machine has cores and each one's Features
            are written as soon as it is done, in station order, into a temporary file next to --out that is renamed
            onto it at the end: an interrupted run (Ctrl-C, kill, an error) leaves the previous file, or none, never
            part of a FeatureCollection.
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "Several bands in metres, comma-separated (e.g. 300,500,1000; at most \(AreasUseCase.Options.bandCount), each at most \(Int(AreasUseCase.Options.radiusMetres.upperBound))); instead of --radius/--preset.")
        var bands: String?

        @Option(help: "Only this station (repeat for several).")
        var station: [String] = []

        @Option(help: "Lateral distance in metres either side of the reachable network (walking areas; \(Limits.text(AreasUseCase.Options.lateralMetres)), default \(Int(AreasUseCase.Options.defaultLateral))).")
        var lateral: Double?

        @Option(help: "The GeoJSON file to write (- for standard output).")
        var out: String

        func options() throws -> AreasUseCase.Options {
            try AreasUseCase.Options(radius: analysis.radius, preset: analysis.preset, bands: bands, walk: analysis.walk, kinds: analysis.kind,
                                     services: analysis.service, openAt: analysis.openAt, stations: station, lateral: lateral, snapLimit: analysis.snapLimit)
        }

        func validate() throws { try validating { _ = try options() } }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.walk, snapLimit: options.snapLimit, compounds: false)
                // Streamed into a temporary file renamed into place at the end (AtomicOutput): an interrupted or failed
                // run leaves the previous file, or none.
                let result = try AtomicOutput.write(to: out) { path -> AreasUseCase.Summary in
                    let output = try BufferedOutput(path: path)
                    let summary = try AreasUseCase.stream(options, on: source, threads: ProcessInfo.processInfo.activeProcessorCount) { bytes in
                        output.json.raw(bytes)
                        try output.flushIfFull()
                    }
                    if path == "-" { output.json.raw([UInt8(ascii: "\n")]) }
                    try output.close()
                    return summary
                }
                let bands = result.bands.count
                note("\(result.areas) service areas (\(result.stations) stations × \(bands) band\(bands == 1 ? "" : "s"), \(options.walk ? "walking" : "circles")) written to \(destination(out))")
                if !result.offNetwork.isEmpty {
                    note("note: \(result.offNetwork.count) stations are farther than the snap limit from the network and have no walking area: \(result.offNetwork.prefix(10).joined(separator: ", "))")
                }
            }
        }
    }
}
