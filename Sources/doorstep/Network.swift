import ArgumentParser
import DoorstepGeo
import Foundation

/// The reach the network's costs and no-path figures are measured with, and the tolerance.
struct NetworkArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Largest gap in metres a connector may bridge (\(Limits.text(NetworkUseCase.Options.tolerance)), default \(Int(NetworkUseCase.Options.defaultTolerance))).", valueName: "metres"))
    var within: Double?

    @Option(help: "One walking radius in metres for the costs and the no-path figures (default: the 10min preset, 500 m).")
    var radius: Double?

    @Option(help: "A life-circle preset for the costs and figures: 100m, 5min (300 m), 10min (500 m, the default), 15min (1000 m).")
    var preset: String?

    @Option(help: "Station kind that counts (repeat for any of several).")
    var kind: [String] = []

    @Option(help: "Service a station must offer to count (repeat: all of them).")
    var service: [String] = []

    @Option(help: "Snap limit in metres: points farther from the network are unreachable (default \(Int(AnalysisOptions.defaultSnapLimit))).")
    var snapLimit: Double?

    func options() throws -> NetworkUseCase.Options {
        try NetworkUseCase.Options(tolerance: within, radius: radius, preset: preset, kinds: kind, services: service, snapLimit: snapLimit)
    }
}

extension Doorstep {
    struct Network: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find the breaks of the walking network (check) and mend them with connectors (mend).",
            subcommands: [Check.self, Mend.self]
        )

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "List the network's pieces, the dangling ends and near-miss crossings within --within metres, and what each break costs.",
                discussion: """
                Example: doorstep network check --within 5 --db city.sqlite
                Each piece with its length and the stations and compounds stranded on it; each dangling end within the
                tolerance of another edge, with the gap and whether `network mend` would join it (and why not); each
                crossing of two ways on the same level without a shared vertex; and the compounds and households each
                break keeps from walking coverage (no path or uncovered now, covered once it alone is mended) under the
                reach given (default: the 10min preset, 500 m). --format json is the whole answer; --format geojson
                gives the breaks (lines; crossings as points) and the isolated pieces, for QGIS.
                """
            )

            @OptionGroup var database: DatabaseOptions
            @OptionGroup var network: NetworkArguments
            @OptionGroup var console: ConsoleOptions

            @Option(help: "table, json or geojson")
            var format: OutputFormat = .table

            @Option(help: "Write the JSON or GeoJSON to this file (- for standard output, the default).")
            var out: String = "-"

            func validate() throws {
                try validating { _ = try network.options() }
                if format == .csv { throw ValidationError("--format takes table, json or geojson") }
            }

            func run() async throws {
                console.start()
                try cli {
                    let check = try NetworkUseCase.check(try network.options(), store: try database.open(readOnly: true))
                    switch format {
                    case .json: try writeOut(check.json.jsonText, to: out)
                    case .geojson: try writeOut(check.featureCollection.jsonText, to: out)
                    case .table, .csv: try writeOut(Self.table(check), to: out)
                    }
                }
            }

            static func table(_ check: NetworkUseCase.Check) -> String {
                var lines = [String]()
                let radius = check.options.analysis.reach.description
                lines.append("walking network: " + check.figures.line + " (walking \(radius))")
                if check.connectorsStored > 0 {
                    lines.append("  \(check.connectorsStored) connectors of an earlier `network mend` are part of it (`network mend --undo` removes them)")
                }
                lines.append("")
                lines.append("pieces (0 is the main network)")
                lines.append("piece   edges   length_m  stations  compounds  households  example way")
                for p in check.pieces.prefix(30) {
                    lines.append(String(p.index).leftPadded(5) + String(p.edges).leftPadded(8) + String(format: "%.0f", p.lengthMetres).leftPadded(11)
                                 + String(p.stations.count).leftPadded(10) + String(p.compounds.count).leftPadded(11)
                                 + String(p.households).leftPadded(12) + "  " + p.exampleWay
                                 + (p.index > 0 && !(p.stations.isEmpty && p.compounds.isEmpty)
                                    ? "  stranded: " + (p.stations + p.compounds).prefix(6).joined(separator: ", ") : ""))
                }
                if check.pieces.count > 30 { lines.append("  … and \(check.pieces.count - 30) more pieces (--format json lists them all)") }
                lines.append("")
                let ends = check.breaks.danglingEnds, crossings = check.breaks.crossings
                lines.append("\(check.breaks.danglingEndCount) dangling ends; \(ends.count) within \(Limits.text(check.options.tolerance)) m of another edge, \(ends.filter(\.mendable).count) of them mendable")
                lines.append("\(crossings.count) crossings without a shared vertex on the same level (mendable); \(check.breaks.crossingsAtDifferentLevels) at different levels (bridges, tunnels, layers) left alone")
                let rows = check.breaksWithCosts.sorted {
                    $0.1.households != $1.1.households ? $0.1.households > $1.1.households : $0.1.compounds.count > $1.1.compounds.count
                }
                if !rows.isEmpty {
                    lines.append("")
                    lines.append("kind            gap_m  pieces   gains: compounds  households  from → to / why not")
                    for (b, cost) in rows {
                        let pieces = b.joinsPieces ? "\(b.fromPiece)→\(b.toPiece)" : "\(b.fromPiece)"
                        lines.append(b.kind.rawValue.padded(toColumns: 13) + String(format: "%.2f", b.connector.lengthMetres).leftPadded(8)
                                     + pieces.leftPadded(8) + String(cost.compounds.count).leftPadded(19) + String(cost.households).leftPadded(12)
                                     + "  \(b.connector.fromWay) → \(b.connector.toWay)" + (b.refusal.map { "  (left alone: \($0))" } ?? ""))
                    }
                }
                return lines.joined(separator: "\n")
            }
        }

        struct Mend: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Join dangling ends and same-level crossings with connectors stored as ways (mended=true), in one transaction.",
                discussion: """
                Example: doorstep network mend --within 5 --db city.sqlite
                A connector goes from each dangling end to the nearest point of another edge within --within metres
                (splitting that edge), and crossings of two ways on the same level get a node; never across water, a
                foot=no way or another street, never between levels (bridges, tunnels, layer) except at a bridge's or
                tunnel's end. Connectors are ways with mended=1, length_m and reason: QGIS and `export ways` show
                them. Running it again replaces the earlier connectors; --undo removes them. --dry-run writes what it
                would add as GeoJSON (--out, - for standard output) and changes nothing. The figures before and after
                (pieces, the largest piece's share, compounds and households with no path) are printed.
                """
            )

            @OptionGroup var database: DatabaseOptions
            @OptionGroup var network: NetworkArguments
            @OptionGroup var console: ConsoleOptions

            @Flag(help: "Store nothing: write the connectors it would add as GeoJSON to --out.")
            var dryRun = false

            @Option(help: "Where --dry-run writes its GeoJSON (- for standard output, the default).")
            var out: String?

            @Flag(help: "Remove every connector of an earlier mend.")
            var undo = false

            @Option(help: ArgumentHelp("A GeoJSON file of water (rivers, canals as lines or areas; lakes as areas) no connector may cross; stored with the mend, replacing the water stored before.", valueName: "FILE.geojson"))
            var water: String?

            @Option(help: "table or json (the figures before and after)")
            var format: OutputFormat = .table

            func validate() throws {
                try validating { _ = try network.options() }
                if undo && (dryRun || water != nil || network.within != nil) {
                    throw ValidationError("--undo removes the connectors; it takes no --dry-run, --water or --within")
                }
                if out != nil && !dryRun { throw ValidationError("--out is where --dry-run writes; without --dry-run the connectors are stored") }
                if format != .table && format != .json { throw ValidationError("--format takes table or json") }
            }

            func run() async throws {
                console.start()
                try cli {
                    let options = try network.options()
                    let store = try database.open()
                    let result: NetworkUseCase.Mend
                    if undo {
                        result = try NetworkUseCase.undo(options, store: store)
                    } else {
                        let waterFeatures = try water.map { try NetworkUseCase.readWater(URL(fileURLWithPath: $0)) }
                        result = try NetworkUseCase.mend(options, store: store, dryRun: dryRun, water: waterFeatures)
                    }
                    if dryRun { try writeOut(result.featureCollection.jsonText, to: out ?? "-") }
                    if format == .json {
                        if dryRun && (out ?? "-") == "-" { note(result.json.jsonText) } else { print(result.json.jsonText) }
                        return
                    }
                    var lines = [String]()
                    let crossings = result.connectors.filter { $0.kind == .crossing }.count
                    if undo {
                        lines.append(result.replaced == 0 ? "no connectors to remove; the network is as imported"
                                     : "removed \(result.replaced) connectors of `network mend`")
                    } else {
                        let verb = dryRun ? "would add" : "added"
                        lines.append("\(verb) \(result.connectors.count) connectors within \(Limits.text(options.tolerance)) m: \(result.connectors.count - crossings) from dangling ends, \(crossings) at crossings"
                                     + (result.replaced > 0 ? " (replacing \(result.replaced) of an earlier mend)" : "")
                                     + (dryRun ? "; written as GeoJSON to \(destination(out ?? "-")), nothing stored" : ""))
                        if let n = result.waterStored { lines.append("water: \(n) features stored as barriers") }
                    }
                    lines.append("before: " + result.before.line)
                    lines.append("after:  " + result.after.line)
                    let text = lines.joined(separator: "\n")
                    // With --dry-run to standard output the GeoJSON is the output; the figures go to stderr.
                    if dryRun && (out ?? "-") == "-" { note(text) } else { print(text) }
                }
            }
        }
    }
}
