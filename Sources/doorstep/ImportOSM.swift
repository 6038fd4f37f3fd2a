import ArgumentParser
import DoorstepGeo
import Foundation

extension Doorstep {
    struct ImportOSM: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-osm",
            abstract: "Load a city from an OpenStreetMap extract: walkable ways, residential compounds, community-service stations.",
            discussion: """
            Reads OSM XML (.osm, .osm.bz2) or PBF (.osm.pbf) through osmium (Debian osmium-tool). The rules for each
            layer are in the README ("doorstep import-osm"). All layers are stored in one transaction: a bad file
            leaves the database as it was. OSM has no household counts: compounds are stored with households unknown.
            Example: doorstep import-osm nanjing.osm.pbf --bbox 118.763,32.0355,118.7962,32.052 --db nanjing.sqlite
            """
        )

        @Argument(help: "An OpenStreetMap extract (.osm or .osm.pbf).")
        var file: String

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var console: ConsoleOptions

        @Option(help: ArgumentHelp("Keep only features with a position inside this box (nothing is clipped).", valueName: "W,S,E,N"))
        var bbox: String?

        @Flag(help: "Replace the layers written instead of updating them by id.")
        var replace = false

        @Option(name: .customLong("as-candidates"), help: ArgumentHelp(
            "Write the community-service features to this GeoJSON file as planner candidates (for `doorstep plan --candidates`) instead of importing them as stations.",
            valueName: "FILE.geojson"))
        var asCandidates: String?

        @Flag(help: "Leave out ways and relations that reference objects missing from the file, instead of refusing the import.")
        var skipIncomplete = false

        @Option(help: ArgumentHelp("Mend the walking network in the same transaction, as `doorstep network mend --within METRES` does (the extract's water is kept as a barrier).", valueName: "metres"))
        var mendWithin: Double?

        func validate() throws {
            if let bbox, Self.parseBBox(bbox) == nil {
                throw ValidationError("--bbox takes W,S,E,N in degrees (west < east, south < north), e.g. 118.763,32.0355,118.7962,32.052; got \"\(bbox)\"")
            }
            if let mendWithin { try validating { _ = try NetworkUseCase.Options(tolerance: mendWithin) } }
        }

        static func parseBBox(_ text: String) -> BoundingBox? { try? Limits.box(text, "bbox") }

        func run() async throws {
            console.start(removeOnInterrupt: database.createdFiles)
            try database.write(run)
        }

        private func run(_ store: any StoreWriter) throws {
            let options = OSMImportOptions(
                file: URL(fileURLWithPath: file), bbox: bbox.flatMap(Self.parseBBox), replace: replace,
                candidatesFile: asCandidates.map { URL(fileURLWithPath: $0) }, skipIncomplete: skipIncomplete)
            var mend: NetworkUseCase.Mend?
            let summary = try cli {
                try store.importTogether {
                    let summary = try OSMImporter.run(options, into: store)
                    if let mendWithin, summary.imported.contains(where: { $0.layer == .ways }) {
                        mend = try NetworkUseCase.mend(try NetworkUseCase.Options(tolerance: mendWithin), store: store, dryRun: false)
                    }
                    return summary
                }
            }
            print("\(summary.file) (\(summary.format)):")
            for selection in [summary.ways, summary.compounds, summary.stations] {
                let layer = Layer(rawValue: selection.layer)
                let stored = summary.imported.first { $0.layer == layer }
                var line = "  \(selection.layer): \(selection.kept)"
                if selection.layer == "stations", let candidates = summary.candidatesFile {
                    line += " written as planner candidates to \(candidates)"
                } else if let stored {
                    if stored.updated > 0 { line += " (\(stored.updated) updated)" }
                    if !stored.repairs.isEmpty { line += " (\(stored.repairs.count) invalid polygons repaired)" }
                    line += "; the layer now holds \(stored.layerCount)"
                } else {
                    line += "; nothing to store, the layer is unchanged"
                }
                if selection.layer == "compounds" {
                    line += " — from \(summary.residentialAreas) residential areas and \(summary.residentialBuildings) residential buildings; households unknown (OSM has none)"
                }
                print(line)
                if selection.skippedTotal > 0 {
                    print("    skipped \(selection.skippedTotal): " + selection.skipped.map { "\($0.count) \($0.reason)" }.joined(separator: ", "))
                }
            }
            if !summary.incomplete.isEmpty {
                print("  left out as incomplete (--skip-incomplete): \(summary.incomplete.count): "
                      + summary.incomplete.prefix(5).joined(separator: ", ") + (summary.incomplete.count > 5 ? ", …" : ""))
            }
            if !summary.geometryErrors.isEmpty {
                print("  osmium could not build \(summary.geometryErrors.count) geometr\(summary.geometryErrors.count == 1 ? "y" : "ies") (left out): "
                      + Set(summary.geometryErrors).sorted().prefix(3).joined(separator: "; "))
            }
            for stored in summary.imported {
                for repair in stored.repairs { note("\(stored.file): \(repair)") }
                for warning in stored.warnings { note("warning: \(stored.layer.rawValue): \(warning)") }
            }
            if summary.water > 0 { print("  water: \(summary.water) rivers, canals and ponds kept as barriers for `network mend`") }
            if let mend { printMend(mend) }
            if summary.imported.contains(where: { $0.layer == .ways }) {
                // The walking graph follows its ways: rebuilt and stored with them, as after `doorstep import ways`.
                printNetwork(try database.storeNetwork(in: store))
            }
        }
    }
}
