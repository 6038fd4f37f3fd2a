import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// A layer, the walking network, or a result (coverage, gaps, service areas) written to a file whose extension picks
/// the format — GeoJSON (`-` is standard output), GeoPackage, XLSX, Shapefile, zipped Shapefile, CSV: `doorstep export`.
public enum ExportUseCase {
    public struct Options: Sendable {
        // MARK: What may be asked

        /// Results besides the layers. `plan` is named so that asking for it says where plans are written.
        public static let results = ["network", "coverage", "gaps", "areas", "plan"]
        public static let targets = Layer.allCases.map(\.rawValue) + results
        /// `by` of `export coverage`: each compound, or grids with their share of households covered.
        public static let levels = ["compound", "grid"]
        /// Text encodings by name: UTF-8 everywhere, GBK (CP936) for Shapefiles read by old ArcGIS.
        public static let utf8Names: Set<String> = ["utf-8", "utf8"]
        public static let gbkNames: Set<String> = ["gbk", "cp936", "936"]
        public static let languages = ExportLanguage.allCases

        public enum Target: Sendable, Equatable {
            case layer(Layer), network, coverage, gaps, areas
        }

        public let target: Target
        /// The file; `-` is GeoJSON on standard output.
        public let out: String
        public let format: ExportFormat
        /// `export coverage --by grid`: grids with their coverage.
        public let byGrid: Bool
        /// Style, coordinate system, text encoding and language of the file.
        public let file: ExportOptions
        /// `--style` asked of a format that does not take it (GeoJSON only): said, then ignored.
        public let styleIgnored: Bool
        /// Reach and mode of coverage, gaps and areas.
        public let analysis: AnalysisOptions

        public init(what: String, out: String, by: String? = nil, style: Bool = false, crs: OutputCRS = .wgs84, encoding: String? = nil,
                    language: String? = nil, analysis: AnalysisOptions) throws {
            switch what {
            case "network": target = .network
            case "coverage": target = .coverage
            case "gaps": target = .gaps
            case "areas": target = .areas
            case "plan":
                // The planner has options of its own (add/target, candidates, weight); its command writes the GeoJSON.
                throw UseCaseError(.invalid, [], """
                    export plan: run `doorstep plan --add K … --format geojson > plan.geojson` (sites and the compounds each newly covers)
                    """)
            default:
                guard let layer = Layer(rawValue: what) else {
                    throw UseCaseError(.invalid, [], "cannot export \"\(Limits.clip(what))\"; give one of \(Self.targets.joined(separator: ", "))",
                                       allowed: Self.targets.joined(separator: ", "))
                }
                target = .layer(layer)
            }
            let level = by ?? Self.levels[0]
            guard Self.levels.contains(level) else { throw UseCaseError.notOneOf("by", level, Self.levels) }
            if level == "grid" && target != .coverage {
                throw UseCaseError.conflict(["by"], "grid goes with `export coverage`")
            }
            byGrid = level == "grid"
            guard let format = ExportFormat(path: out) else {
                throw UseCaseError(.invalid, ["out"], "cannot tell the format of \(out) from its extension; give one of \(ExportFormat.extensions)",
                                   allowed: ExportFormat.extensions)
            }
            self.format = format
            self.out = out
            let encodingName = (encoding ?? "utf-8").lowercased()
            guard Self.utf8Names.contains(encodingName) || Self.gbkNames.contains(encodingName) else {
                throw UseCaseError.notOneOf("encoding", encoding ?? "", ["utf-8", "gbk"])
            }
            let gbk = Self.gbkNames.contains(encodingName)
            if gbk && format != .shp && format != .shpZip {
                throw UseCaseError.conflict(["encoding"], "gbk is for Shapefiles (.shp, .zip); the other formats are UTF-8")
            }
            let lang = try Limits.choice(language, "lang", default: ExportLanguage.zh)
            if crs != .wgs84 && format != .geojson {
                throw UseCaseError.conflict(["crs"], """
                    \(crs.rawValue) is for GeoJSON overlays on Chinese basemaps; \(format.rawValue) files are written in WGS84
                    """)
            }
            file = ExportOptions(style: style && format == .geojson, crs: crs, encoding: gbk ? "gbk" : nil, language: lang)
            styleIgnored = style && format != .geojson
            // Service areas have their own radius limit.
            if target == .areas { _ = try AreasUseCase.Options(analysis) }
            self.analysis = analysis
        }

        /// Whether the export writes to the database (the walking network it builds, as walking commands do).
        public var writesDatabase: Bool {
            switch target {
            case .network: return true
            case .coverage, .gaps, .areas: return analysis.walk
            case .layer: return false
            }
        }
    }

    public struct Result: Sendable {
        public let summary: ExportSummary
        /// What the user should know: fields renamed, style ignored, stations off the network …
        public let notes: [String]
    }

    public static func run(_ options: Options, on source: DatabaseSource) throws -> Result {
        var notes = [String]()
        if options.styleIgnored {
            notes.append("--style adds simplestyle properties to GeoJSON only; "
                         + (options.format == .gpkg ? "the GeoPackage carries QGIS styles instead" : "ignored for \(options.format.rawValue)"))
        }
        let store = source.store, file = options.file
        // Written whole or not at all: into a temporary beside the file, renamed into place when complete.
        let written = try AtomicOutput.write(to: options.out) { out -> ExportSummary in
            switch options.target {
            case .layer(let layer):
                return try GeoJSONExport.layer(layer, store: store, to: out, options: file)
            case .network:
                // Builds and stores the network when it is missing or older than the ways.
                _ = try source.walkingNetwork()
                return try GeoJSONExport.network(store: store, to: out, options: file)
            case .coverage, .gaps:
                let report = try CoverageUseCase.report(options.analysis, on: source)
                if let note = Records.offNetworkNote(report.stationsOffNetwork, snapLimit: options.analysis.snapLimit) { notes.append(note) }
                if options.target == .gaps {
                    return try GeoJSONExport.gaps(report, store: store, to: out, options: file)
                } else if options.byGrid {
                    return try GeoJSONExport.gridCoverage(report, store: store, to: out, options: file)
                } else if options.format == .xlsx {
                    return try GeoJSONExport.coverageWorkbook(report, store: store, to: out, options: file)
                } else {
                    return try GeoJSONExport.coverage(report, store: store, to: out, options: file)
                }
            case .areas:
                let areas = try AreasUseCase.run(try AreasUseCase.Options(options.analysis), on: source)
                if !areas.offNetwork.isEmpty {
                    notes.append("\(areas.offNetwork.count) stations are off the network and have no walking area: \(areas.offNetwork.prefix(10).joined(separator: ", "))")
                }
                return try write(areas, store: store, to: out, options: file)
            }
        }
        let summary = ExportSummary(path: options.out, features: written.features, bbox: written.bbox, notes: written.notes)
        return Result(summary: summary, notes: notes + summary.notes)
    }

    /// Service areas streamed to the file, with simplestyle colours when asked.
    static func write(_ result: AreasUseCase.Result, store: any StoreReader, to path: String, options: ExportOptions) throws -> ExportSummary {
        var members: [(String, JSONValue)] = [("name", .string("doorstep service areas")), ("doorstep:content", .string("areas"))]
        if let credit = Credits.line(try store.credits(of: [.stations] + (result.options.walk ? [.ways] : []))) {
            members.append(("attribution", .string(credit)))
        }
        let writer = try ExportFormat.sink(path: path, options: options, members: members)
        for area in result.areas {
            var p = area.properties
            if options.style {
                p += [("fill", .string(MapRenderer.serviceAreaFill)), ("fill-opacity", .number(0.2)),
                      ("stroke", .string(MapRenderer.serviceAreaFill)), ("stroke-width", .number(1)),
                      ("title", .string(area.stationName))]
            }
            try writer.write(geometry: area.geometry, properties: p, id: "\(area.stationID)@\(Int(area.band))")
        }
        let box = try writer.finish()
        return ExportSummary(path: path, features: writer.featureCount, bbox: box, notes: writer.notes)
    }
}
