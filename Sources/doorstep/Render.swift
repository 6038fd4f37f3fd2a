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
            underneath; legend in Chinese and English, scale bar, north arrow, attribution. Crowded stations are drawn as
            clusters with their count (the gaps on top), and a city's thousands of walking areas are left out (the
            compounds' colours show coverage). --bbox, --grid, --community or --street draw one area for its own report.
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

        @Option(help: "Width of the map frame in pixels, 400 to 10000 (the legend is added to the right).")
        var width: Double = RenderUseCase.Options.defaultWidth

        @Flag(help: "With --walk: draw radius circles instead of walking areas (faster on big cities).")
        var circles = false

        @Option(help: ArgumentHelp("Draw only this box, for its own report: west,south,east,north in degrees.", valueName: "w,s,e,n"))
        var bbox: String?

        @Option(help: ArgumentHelp("Draw only this grid (its id), for its own report.", valueName: "id"))
        var grid: String?

        @Option(help: ArgumentHelp("Draw only this community's grids, for its own report.", valueName: "name"))
        var community: String?

        @Option(help: ArgumentHelp("Draw only this street's grids, for its own report.", valueName: "name"))
        var street: String?

        private func options() throws -> RenderUseCase.Options {
            try RenderUseCase.Options(analysis.options(), out: out, png: png, title: title, width: width, circles: circles,
                                      bbox: bbox, grid: grid, community: community, street: street)
        }

        func validate() throws {
            try validating { _ = try options() }
        }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit)
                let result = try RenderUseCase.run(options, on: source)
                noteOffNetwork(result.stationsOffNetwork, snapLimit: options.analysis.snapLimit)
                for text in result.notes { note("note: \(text)") }
                let summary = result.summary
                let stations = summary.stationClusters.map { "\(summary.stations) stations in \($0) clusters" } ?? "\(summary.stations) stations"
                note("wrote \(out == "-" ? "the map to standard output" : out) (\(summary.width) × \(summary.height) px, \(summary.compounds) compounds, \(stations), \(summary.serviceAreas) service areas)")
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
