import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a layer from a GeoJSON, CSV, Shapefile, GeoPackage, KML/KMZ, spreadsheet … file (all features or none).",
            discussion: """
            Layers: stations, compounds, entrances, grids, ways. The format is read from the content: GeoJSON and
            CSV by Doorstep's own readers, everything else through GDAL (Shapefile, also zipped; GeoPackage; KML/KMZ;
            XLSX/XLS/ODS; FlatGeobuf; GML; DXF). CSV and spreadsheets hold points in lon/lat (经度/纬度) columns;
            UTF-8 or GBK/GB18030 is detected (a Shapefile's .cpg is honoured). Field names map by their usual
            English or Chinese names (名称, 类型, 户数 …); --field TARGET=SOURCE names others.
            Re-importing a layer updates features by id; --replace replaces the whole layer.
            Example: doorstep import stations geodata/nanjing-xinjiekou/stations.geojson --db city.sqlite
            """
        )

        @Argument(help: "stations | compounds | entrances | grids | ways")
        var layer: String

        @Argument(help: "A GeoJSON, CSV, Shapefile (.shp, or a .zip of one), GeoPackage, KML/KMZ, XLSX/XLS/ODS, FlatGeobuf, GML or DXF file.")
        var file: String

        @Option(name: .customLong("layer"), help: "The layer or sheet to read from a file that holds several.")
        var sourceLayer: String?

        @Option(name: .customLong("field"), help: ArgumentHelp("Which source field gives a field of the layer, e.g. --field name=站名 (repeatable).", valueName: "TARGET=SOURCE"))
        var fields: [String] = []

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var console: ConsoleOptions

        @Option(help: "CRS of the coordinates: EPSG:n (e.g. EPSG:4490, EPSG:4548), gcj02, bd09. Default: the file's crs member, else WGS84.")
        var crs: InputCRS?

        @Option(help: "CSV text encoding: utf-8 or gbk (gb18030). Default: detected.")
        var encoding: String?

        @Flag(help: "Replace the whole layer instead of updating by id.")
        var replace = false

        @Flag(help: "Repair invalid polygons with ST_MakeValid and close unclosed rings (each repair is reported).")
        var makeValid = false

        @Option(name: [.customLong("attribution"), .customLong("source")],
                help: ArgumentHelp("The data's credit, shown with the layer in exports, the map and the API (default: the file's name).", valueName: "text"))
        var attribution: String?

        @Option(help: "Largest input file accepted, in MiB (a province's ways can pass the default 1024).")
        var maxFileMB: Int = ImportLimits().maxFileBytes >> 20

        @Option(help: ArgumentHelp("Ways only: mend the network in the same transaction, as `doorstep network mend --within METRES` does.", valueName: "metres"))
        var mendWithin: Double?

        func validate() throws {
            guard Layer(rawValue: layer) != nil else {
                throw ValidationError("unknown layer \"\(layer)\"; layers are \(Layer.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let attribution, attribution.isEmpty || attribution.count > 500 || attribution.unicodeScalars.contains(where: { $0.value < 0x20 }) {
                throw ValidationError("--attribution must be 1…500 characters of text without control characters")
            }
            guard (1...1 << 20).contains(maxFileMB) else { throw ValidationError("--max-file-mb must be between 1 and 1048576") }
            if let encoding, TextEncodingChoice(name: encoding) == nil {
                throw ValidationError("unknown encoding \"\(encoding)\"; use utf-8 or gbk")
            }
            if case .failure(let error) = FieldMapping.parse(fields) { throw ValidationError(error.message) }
            if let mendWithin {
                guard layer == Layer.ways.rawValue else { throw ValidationError("--mend-within mends the walking network: it goes with `import ways`") }
                try validating { _ = try NetworkUseCase.Options(tolerance: mendWithin) }
            }
        }

        func run() async throws {
            console.start(removeOnInterrupt: database.createdFiles)
            try database.write(run)
        }

        private func run(_ store: any StoreWriter) throws {
            var options = ImportOptions(
                layer: Layer(rawValue: layer)!, file: URL(fileURLWithPath: file), crs: crs,
                encoding: encoding.flatMap { TextEncodingChoice(name: $0) }, replace: replace, makeValid: makeValid,
                limits: ImportLimits(maxFileBytes: maxFileMB << 20),
                sourceLayer: sourceLayer, fields: (try? FieldMapping.parse(fields).get()) ?? [:])
            options.attribution = attribution
            var mend: NetworkUseCase.Mend?
            // The walking graph of the ways written is built on another core while the store commits them
            // (when they are the whole layer and no mend follows; else it is built from the ways read back).
            let beside = options.layer == .ways && mendWithin == nil ? GraphBeside() : nil
            if let beside { options.walkableWaysWritten = { beside.build(from: $0) } }
            var waysGeneration = 0
            let summary = try cli {
                try store.importTogether {
                    let summary = try Importer.run(options, into: store)
                    if let mendWithin {
                        mend = try NetworkUseCase.mend(try NetworkUseCase.Options(tolerance: mendWithin), store: store, dryRun: false)
                    }
                    waysGeneration = try store.generation(of: .ways)
                    return summary
                }
            }
            for repair in summary.repairs { note("\(summary.file): \(repair)") }
            var line = "\(summary.layer.rawValue): \(summary.features) features from \(summary.file) (\(summary.format)"
            if let encoding = summary.encoding { line += ", \(encoding)" }
            line += ", \(summary.crs))"
            if summary.updated > 0 { line += ", \(summary.updated) updated" }
            if !summary.repairs.isEmpty { line += ", \(summary.repairs.count) repaired" }
            line += "; the layer now holds \(summary.layerCount)"
            print(line)
            for warning in summary.warnings { note("warning: \(summary.layer.rawValue): \(warning)") }
            if let mend { printMend(mend) }
            if summary.layer == .ways {
                // The walking graph follows its ways: rebuilt and stored with them.
                if let graph = beside?.graph() {
                    try cli { try WalkingNetwork.store(graph, waysGeneration: waysGeneration, in: store) }
                    printNetwork(graph)
                } else {
                    printNetwork(try database.storeNetwork(in: store))
                }
            }
        }
    }
}

extension DatabaseOptions {
    /// Builds and stores the walking graph of the ways just imported, reading them on a second connection too.
    func storeNetwork(in store: any StoreWriter) throws -> WalkGraph {
        let beside = secondReader
        return try WalkingNetwork.storeGraph(in: store) { try DatabaseSource.walkableWayLines(of: $0, beside: beside) }
    }
}

/// The walking graph of the ways an import writes, built on a thread of its own from the ways as they are written
/// (`ImportOptions.walkableWaysWritten`). `@unchecked Sendable`: `built` is written by that thread before it signals
/// `done`, read only after waiting for it.
private final class GraphBeside: @unchecked Sendable {
    private var built: WalkGraph?
    private var started = false
    private let done = DispatchSemaphore(value: 0)

    func build(from lines: WayLines) {
        started = true
        let thread = Thread { [self] in
            built = WorkProgress.run("walking network: building it from the ways written") { _ in WalkGraph(lines: lines) }
            done.signal()
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    /// The graph, once built; nil when the import handed over no ways (they were not the whole layer).
    func graph() -> WalkGraph? {
        guard started else { return nil }
        done.wait()
        return built.take()
    }
}

/// The walking graph an import of ways stored, in one line.
func printNetwork(_ g: WalkGraph) {
    let pieces = g.componentSizes.count
    print("network: \(g.nodes.count) nodes, \(g.edgeCount) edges, \(pieces) connected piece\(pieces == 1 ? "" : "s")"
          + (pieces > 1 ? " (the largest holds \(g.componentSizes[0]) nodes; see `doorstep info`)" : ""))
}

/// What a mend that came with an import did.
func printMend(_ mend: NetworkUseCase.Mend) {
    let crossings = mend.connectors.filter { $0.kind == .crossing }.count
    print("mended within \(Limits.text(mend.options.tolerance)) m: \(mend.connectors.count) connectors (\(mend.connectors.count - crossings) from dangling ends, \(crossings) at crossings)")
    print("  before: " + mend.before.line)
    print("  after:  " + mend.after.line)
}
