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
        @OptionGroup var analysis: AnalysisArguments
        @OptionGroup var console: ConsoleOptions

        @Option(help: "coverage: compound (each compound, default) or grid (grids with their share of households covered).")
        var by: String?

        @Flag(help: "Add simplestyle-spec properties (fill, stroke, marker-color …) so viewers colour it at once.")
        var style = false

        @Option(help: "wgs84 (RFC 7946, default), or gcj02 / bd09 for overlay on Chinese basemaps (outside RFC 7946).")
        var crs: OutputCRS = .wgs84

        @Option(help: "Shapefile text encoding: utf-8 (default) or gbk (CP936, for old ArcGIS).")
        var encoding: String?

        @Option(help: "Workbook and CSV headers: zh (default) or en.")
        var lang: String?

        func options() throws -> ExportUseCase.Options {
            try ExportUseCase.Options(what: what, out: out, by: by, style: style, crs: crs, encoding: encoding, language: lang,
                                      analysis: analysis.options())
        }

        func validate() throws { try validating { _ = try options() } }

        func run() async throws {
            console.start()
            try cli {
                let options = try options()
                let source = try database.source(walk: options.analysis.walk, snapLimit: options.analysis.snapLimit,
                                                 writes: options.writesDatabase)
                let result = try ExportUseCase.run(options, on: source)
                for line in result.notes { note("note: \(line)") }
                if out != "-" {
                    let summary = result.summary
                    let box = summary.bbox.map { String(format: " bbox [%.5f, %.5f, %.5f, %.5f]", $0.west, $0.south, $0.east, $0.north) } ?? ""
                    note("wrote \(summary.features) features to \(out)\(box)\(crs == .wgs84 ? "" : " in \(crs.rawValue) (outside RFC 7946)")")
                }
            }
        }
    }
}
