import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the layers, their counts and extents, the metric zone and the schema of a database.",
            discussion: "Example: doorstep info --db city.sqlite"
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "table or json")
        var format: OutputFormat = .table

        func run() async throws {
            let store = try database.open(readOnly: true)
            let info = try store.info()
            // Connectors of `network mend` (ways with mended = 1): part of the network, removable with --undo.
            let connectors = try store.connectorCount()
            switch format {
            case .json, .geojson:
                var layers = [(String, JSONValue)]()
                for l in info.layers {
                    var members: [(String, JSONValue)] = [("count", .number(Double(l.count)))]
                    if let b = l.bbox { members.append(("bbox", .array([b.west, b.south, b.east, b.north].map { .number($0) }))) }
                    layers.append((l.layer.rawValue, .object(members)))
                }
                let network: JSONValue = try store.networkInfo().map { n in
                    .object([
                        ("edges", .number(Double(n.edges))), ("length_m", .number((n.lengthMetres * 10).rounded() / 10)),
                        ("pieces", .number(Double(n.pieces.count))), ("stale", .bool(n.stale)),
                        ("ways_closed_to_pedestrians", .number(Double(n.waysClosedToPedestrians))),
                        ("connectors", .number(Double(connectors))),
                        ("piece_sizes", .array(n.pieces.prefix(100).map { .object([("edges", .number(Double($0.edges))),
                                                                                  ("example_way", .string($0.exampleWay))]) })),
                    ])
                } ?? .null
                let doc = JSONValue.object([
                    ("path", .string(info.path)), ("schema_version", .number(Double(info.schemaVersion))),
                    ("file_size", .number(Double(info.fileSize))), ("layers", .object(layers)),
                    ("metric_zone", info.metricZone.map { .string($0.description) } ?? .null),
                    ("compounds_without_households", .number(Double(info.compoundsWithoutHouseholds))),
                    ("orphan_entrances", .object([
                        ("count", .number(Double(info.orphanEntranceCount))),
                        ("sample", .array(info.orphanEntrances.map { .object([("id", .string($0.id)), ("compound_id", .string($0.compoundID))]) })),
                    ])),
                    ("network", network),
                ])
                print(doc.jsonText)
            case .table, .csv:
                print("database     \(info.path)")
                print("schema       version \(info.schemaVersion)")
                print("file size    \(ByteCountFormatter.string(fromByteCount: Int64(info.fileSize), countStyle: .file))")
                print("metric zone  \(info.metricZone.map { "\($0) (CGCS2000 / UTM plane used for metres)" } ?? "none yet (no stations or compounds)")")
                print("")
                print("layer        features   bbox (west, south, east, north)")
                for l in info.layers {
                    let box = l.bbox.map { String(format: "%.6f, %.6f, %.6f, %.6f", $0.west, $0.south, $0.east, $0.north) } ?? "—"
                    print(l.layer.rawValue.padded(toColumns: 12) + " "
                          + String(l.count).leftPadded(8) + "   " + box)
                }
                if let network = try store.networkInfo() {
                    print("")
                    print(String(format: "walking network  %d edges, %.1f km, %d connected piece%@%@", network.edges, network.lengthMetres / 1000,
                                 network.pieces.count, network.pieces.count == 1 ? "" : "s", network.stale ? " (stale: the ways changed; rebuilt on next use)" : ""))
                    if network.waysClosedToPedestrians > 0 { print("  \(network.waysClosedToPedestrians) ways with foot=no left out") }
                    if connectors > 0 { print("  \(connectors) connectors of `doorstep network mend` (mended=1; `network mend --undo` removes them)") }
                    if network.pieces.count > 1 { print("  `doorstep network check` lists the breaks between the pieces and what each costs") }
                    for (i, piece) in network.pieces.enumerated().dropFirst().prefix(10) {
                        print("  isolated piece \(i): \(piece.edges) edges, e.g. way \(piece.exampleWay)")
                    }
                    if network.pieces.count > 11 { print("  … and \(network.pieces.count - 11) more isolated pieces") }
                }
                if info.compoundsWithoutHouseholds > 0 {
                    print("\n\(info.compoundsWithoutHouseholds) compounds have no household count (flagged as unknown in coverage).")
                }
                if info.orphanEntranceCount > 0 {
                    let n = info.orphanEntranceCount
                    print("\n\(n) entrance\(n == 1 ? " points" : "s point") at compounds that do not exist (ignored by walking reach): "
                          + info.orphanEntrances.map { "\($0.id) → \($0.compoundID)" }.joined(separator: ", ")
                          + (n > info.orphanEntrances.count ? ", … \(n - info.orphanEntrances.count) more" : ""))
                }
                if !info.recentImports.isEmpty {
                    print("\nrecent imports")
                    for i in info.recentImports {
                        print("  \(i.at)  \(i.layer)  \(i.features) features  \(i.crs)\(i.replaced ? "  replaced" : "")\(i.repaired > 0 ? "  \(i.repaired) repaired" : "")  \(i.file)")
                    }
                }
            }
        }
    }
}
