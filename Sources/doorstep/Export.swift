import ArgumentParser
import DoorstepGeo
import Foundation

extension OutputCRS: ExpressibleByArgument {}

extension Doorstep {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a layer or a result as GeoJSON, GeoPackage, Excel, Shapefile or CSV (by the file's extension).",
            discussion: """
            WHAT is a layer (stations, compounds, entrances, grids, ways), the walking network (network), or a result:
            coverage (every compound with its coverage; --by grid for grids with their share of households covered),
            gaps (compounds not covered, ranked), areas (service areas) or plan (proposed stations).
            Examples:
              doorstep export coverage --preset 10min --walk --style --out coverage.geojson --db city.sqlite
              doorstep export stations --crs gcj02 --out stations-gcj02.geojson   (for Amap/Tencent basemaps)
            The extension picks the format: .geojson/.json (RFC 7946, streamed; - for standard output), .gpkg (GeoPackage
            with QGIS styles in layer_styles), .xlsx (coverage: a sheet per level; --lang en for English headers), .shp or
            .zip (a zipped Shapefile set; --encoding gbk for old ArcGIS), .csv (UTF-8 with BOM, lon/lat).
              doorstep export coverage --preset 10min --out coverage.gpkg --db city.sqlite   (opens coloured in QGIS)
              doorstep export coverage --preset 10min --out 覆盖.xlsx --db city.sqlite
              doorstep export compounds --encoding gbk --out compounds.zip --db city.sqlite
            --crs gcj02|bd09 (GeoJSON only) writes shifted coordinates, marked in the file ("doorstep:crs"); such a
            file is outside RFC 7946 and only for Chinese basemaps.
            """
        )

        @Argument(help: "stations, compounds, entrances, grids, ways, network, coverage, gaps, areas or plan")
        var what: String

        @Option(help: "The file to write; its extension picks the format: .geojson .json .gpkg .xlsx .shp .zip .csv (- for GeoJSON on standard output).")
        var out: String

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var coverage: CoverageArguments

        @Option(help: "coverage: compound (each compound) or grid (grids with their share of households covered).")
        var by: String = "compound"

        @Flag(help: "Add simplestyle-spec properties (fill, stroke, marker-color …) so viewers colour it at once.")
        var style = false

        @Option(help: "wgs84 (RFC 7946, default), or gcj02 / bd09 for overlay on Chinese basemaps (outside RFC 7946).")
        var crs: OutputCRS = .wgs84

        @Option(help: "Shapefile text encoding: utf-8 (default) or gbk (CP936, for old ArcGIS).")
        var encoding: String = "utf-8"

        @Option(help: "Workbook and CSV headers: zh (default) or en.")
        var lang: String = "zh"

        static let results = ["network", "coverage", "gaps", "areas", "plan"]

        var format: ExportFormat { ExportFormat(path: out) ?? .geojson }

        func validate() throws {
            guard Layer(rawValue: what) != nil || Export.results.contains(what) else {
                throw ValidationError("cannot export \"\(what)\"; give one of \((Layer.allCases.map(\.rawValue) + Export.results).joined(separator: ", "))")
            }
            guard by == "compound" || by == "grid" else { throw ValidationError("--by takes compound or grid") }
            if by == "grid" && what != "coverage" { throw ValidationError("--by grid goes with `export coverage`") }
            guard ExportFormat(path: out) != nil else {
                throw ValidationError("cannot tell the format of \(out) from its extension; give one of \(ExportFormat.extensions)")
            }
            guard ["utf-8", "utf8", "gbk", "cp936", "936"].contains(encoding.lowercased()) else { throw ValidationError("--encoding takes utf-8 or gbk") }
            if encoding.lowercased() != "utf-8" && encoding.lowercased() != "utf8" && format != .shp && format != .shpZip {
                throw ValidationError("--encoding gbk is for Shapefiles (.shp, .zip); the other formats are UTF-8")
            }
            guard ExportLanguage(rawValue: lang) != nil else { throw ValidationError("--lang takes zh or en") }
            if crs != .wgs84 && format != .geojson { throw ValidationError("--crs \(crs.rawValue) is for GeoJSON overlays on Chinese basemaps; \(format.rawValue) files are written in WGS84") }
        }

        func run() async throws {
            let gbk = !["utf-8", "utf8"].contains(encoding.lowercased())
            if style && format != .geojson {
                note("note: --style adds simplestyle properties to GeoJSON only; \(format == .gpkg ? "the GeoPackage carries QGIS styles instead" : "ignored for \(format.rawValue)")")
            }
            let options = ExportOptions(style: style && format == .geojson, crs: crs, encoding: gbk ? "gbk" : nil,
                                        language: ExportLanguage(rawValue: lang) ?? .zh)
            let summary: ExportSummary
            if let layer = Layer(rawValue: what) {
                let store = try database.open(readOnly: true)
                summary = try GeoJSONExport.layer(layer, store: store, to: out, options: options)
            } else {
                switch what {
                case "network":
                    let store = try database.open()
                    // Builds and stores the network when it is missing or older than the ways.
                    _ = try WalkingNetwork.load(from: store, snapLimit: coverage.snapLimit, persist: true)
                    summary = try GeoJSONExport.network(store: store, to: out, options: options)
                case "coverage", "gaps":
                    let store = try database.open(readOnly: !coverage.walk)
                    let report = try coverage.report(store)
                    if what == "gaps" {
                        summary = try GeoJSONExport.gaps(report, store: store, to: out, options: options)
                    } else if by == "grid" {
                        summary = try GeoJSONExport.gridCoverage(report, store: store, to: out, options: options)
                    } else if format == .xlsx {
                        summary = try GeoJSONExport.coverageWorkbook(report, store: store, to: out, options: options)
                    } else {
                        summary = try GeoJSONExport.coverage(report, store: store, to: out, options: options)
                    }
                case "areas":
                    let store = try database.open(readOnly: !coverage.walk)
                    summary = try exportServiceAreas(store: store, coverage: coverage, to: out, options: options)
                default:
                    // The planner has options of its own (--add/--target, candidates, weight); its command writes the
                    // GeoJSON (sites and the compounds each newly covers) rather than repeating them all here.
                    throw CLIError("export plan: run `doorstep plan --add K … --format geojson > plan.geojson` (sites and the compounds each newly covers)")
                }
            }
            if out != "-" {
                let box = summary.bbox.map { String(format: " bbox [%.5f, %.5f, %.5f, %.5f]", $0.west, $0.south, $0.east, $0.north) } ?? ""
                for line in summary.notes { note("note: \(line)") }
                note("wrote \(summary.features) features to \(out)\(box)\(crs == .wgs84 ? "" : " in \(crs.rawValue) (outside RFC 7946)")")
            }
        }
    }
}
