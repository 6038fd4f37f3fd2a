import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw the coverage map (SVG, and PNG with --png) for a report to the street office.",
            discussion: """
            Example: doorstep render --preset 10min --walk --out coverage.svg --png --db city.sqlite
            Grids are shaded by the share of households covered, compounds coloured covered / not covered / off the
            network, stations drawn by kind with their service areas (walking areas with --walk), streets faint
            underneath; legend in Chinese and English, scale bar, north arrow, attribution.
            --png converts with rsvg-convert (Debian librsvg2-bin; fonts-noto-cjk for the Chinese text).
            """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "The SVG file to write (- for standard output).")
        var out: String

        @Flag(help: "Also write a PNG next to the SVG (same name, .png) with rsvg-convert.")
        var png = false

        @Option(help: "Title of the map (default: 家门口服务站覆盖图 · Community service station coverage).")
        var title: String?

        @Option(help: "Width of the map frame in pixels (the legend is added to the right).")
        var width: Double = 1400

        @Flag(help: "With --walk: draw radius circles instead of walking areas (faster on big cities).")
        var circles = false

        func validate() throws {
            if !(width >= 400 && width <= 10_000) { throw ValidationError("--width must be between 400 and 10000 pixels") }
            if png && out == "-" { throw ValidationError("--png needs an SVG file to convert (--out - writes the SVG to standard output)") }
            try validating {
                let options = try analysis.options()
                if options.walk && !circles { _ = try AreasUseCase.Options(options) }
            }
        }

        func run() async throws {
            console.start()
            try cli {
                let options = try analysis.options()
                let source = try database.source(walk: options.walk, snapLimit: options.snapLimit)
                let report = try CoverageUseCase.report(options, on: source)
                noteOffNetwork(report.stationsOffNetwork, snapLimit: options.snapLimit)
                // Walking areas of the qualifying stations, each at the radius coverage used.
                let areas = options.walk && !circles
                    ? try AreasUseCase.run(try AreasUseCase.Options(options), on: source).areas.map(\.geometry) : nil
                let summary = try AtomicOutput.write(to: out) {
                    try MapRenderer.render(report: report, store: source.store, serviceAreas: areas, to: $0,
                                           options: MapOptions(title: title, mapWidth: width))
                }
                note("wrote \(out == "-" ? "the map to standard output" : out) (\(summary.width) × \(summary.height) px, \(summary.compounds) compounds, \(summary.stations) stations, \(summary.serviceAreas) service areas)")
            }
            if png {
                let pngPath = (out.hasSuffix(".svg") ? String(out.dropLast(4)) : out) + ".png"
                try AtomicOutput.write(to: pngPath) { try convertToPNG(svg: out, png: $0) }
                note("wrote \(pngPath)")
            }
        }
    }
}

/// Runs rsvg-convert (librsvg) on the SVG.
func convertToPNG(svg: String, png: String) throws {
    let candidates = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert", "/opt/homebrew/bin/rsvg-convert"]
    guard let tool = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw CLIError("--png needs rsvg-convert: apt-get install librsvg2-bin fonts-noto-cjk (the SVG is written: \(svg))")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["--background-color", "white", "-o", png, svg]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CLIError("rsvg-convert failed (\(process.terminationStatus)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}
