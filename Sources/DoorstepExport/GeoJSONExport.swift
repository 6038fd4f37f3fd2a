import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// How an export is written.
public struct ExportOptions: Sendable {
    /// Add simplestyle-spec 1.1.0 properties (`fill`, `stroke`, `marker-color` …) so geojson.io and similar
    /// viewers colour the features at once.
    public var style: Bool
    /// Coordinates written: WGS84 (RFC 7946) unless a Chinese basemap's system is asked for.
    public var crs: OutputCRS
    /// Shapefiles: nil for UTF-8, `gbk` for old ArcGIS (CP936 bytes in the DBF, `936` in the .cpg).
    public var encoding: String?
    /// Workbooks: the language of sheet names and headers.
    public var language: ExportLanguage

    public init(style: Bool = false, crs: OutputCRS = .wgs84, encoding: String? = nil, language: ExportLanguage = .zh) {
        self.style = style
        self.crs = crs
        self.encoding = encoding
        self.language = language
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public let path: String
    public let features: Int
    /// The extent of the positions written, nil when none was.
    public let bbox: BoundingBox?
    /// What the reader should know about the file (fields renamed to fit a Shapefile …).
    public var notes: [String]

    public init(path: String, features: Int, bbox: BoundingBox?, notes: [String] = []) {
        self.path = path
        self.features = features
        self.bbox = bbox
        self.notes = notes
    }

    package init(path: String, sink: any FeatureSink) throws {
        let box = try sink.finish()
        self.init(path: path, features: sink.featureCount, bbox: box, notes: sink.notes)
    }
}

/// The map-ready GeoJSON files: layers, the walking network and analysis results, each streamed from the store
/// through ``GeoJSONWriter``.
public enum GeoJSONExport {
    /// A stored layer, every column and kept property as a property.
    public static func layer(_ layer: Layer, store: any StoreReader, to path: String, options: ExportOptions = .init()) throws -> ExportSummary {
        let writer = try ExportFormat.sink(path: path, options: options, members: try header("doorstep \(layer.rawValue)", layer.rawValue, credits: store.credits(of: [layer])))
        try store.forEachFeature(of: .layer(layer)) { id, properties, geometry in
            var p = properties
            if options.style { p += Simplestyle.feature(of: layer, properties: properties) }
            try writer.write(geometry: geometry, properties: p, id: id)
        }
        return try ExportSummary(path: path, sink: writer)
    }

    /// The stored walking network (`network_edges`): one LineString per edge with its length, way and connected
    /// piece. The caller makes sure it is stored and current (`WalkingNetwork.load(…, persist: true)`).
    public static func network(store: any StoreReader, to path: String, options: ExportOptions = .init()) throws -> ExportSummary {
        let writer = try ExportFormat.sink(path: path, options: options, members: try header("doorstep walking network", "network", credits: store.credits(of: [.ways])))
        try store.forEachFeature(of: .network) { id, properties, geometry in
            var p = properties
            if options.style {
                let main = properties.first { $0.0 == "component" }?.1 == .number(0)
                p += [("stroke", .string(main ? "#3b6fb6" : "#e66101")), ("stroke-width", .number(main ? 1.5 : 2.5)),
                      ("stroke-opacity", .number(0.9))]
            }
            try writer.write(geometry: geometry, properties: p, id: id)
        }
        return try ExportSummary(path: path, sink: writer)
    }

    /// Every compound with its coverage: nearest station, straight and walking distance, covered, unreachable,
    /// households and where it sits in the hierarchy (the properties `doorstep coverage --format json` shows).
    public static func coverage(_ report: CoverageReport, store: any StoreReader, to path: String, options: ExportOptions = .init()) throws -> ExportSummary {
        var index = [String: Int](minimumCapacity: report.compounds.count)
        for (i, c) in report.compounds.enumerated() { index[c.site.id] = i }
        let writer = try ExportFormat.sink(path: path, options: options,
                                       members: try header("doorstep coverage", "coverage", credits: store.credits(of: creditedLayers(report)))
                                           + reportMembers(report))
        try store.forEachGeometry(of: .compounds) { id, geometry in
            guard let i = index[id] else { return }
            let c = report.compounds[i]
            var p = c.properties(speed: report.options.speed)
            if options.style { p += Simplestyle.compound(c, isPoint: geometry.isPoint) }
            try writer.write(geometry: geometry, properties: p, id: id)
        }
        return try ExportSummary(path: path, sink: writer)
    }

    /// Compounds not covered, ranked as `doorstep gaps` ranks them (most households first), with `rank`.
    public static func gaps(_ report: CoverageReport, store: any StoreReader, to path: String, options: ExportOptions = .init()) throws -> ExportSummary {
        let writer = try ExportFormat.sink(path: path, options: options,
                                       members: try header("doorstep gaps", "gaps", credits: store.credits(of: creditedLayers(report)))
                                           + reportMembers(report))
        for (rank, c) in report.gaps.enumerated() {
            let geometry = try store.geometry(of: .compounds, id: c.site.id)
            var p = [("rank", JSONValue.number(Double(rank + 1)))] + c.properties(speed: report.options.speed)
            if options.style { p += Simplestyle.compound(c, isPoint: geometry?.isPoint ?? true) }
            try writer.write(geometry: geometry, properties: p, id: c.site.id)
        }
        return try ExportSummary(path: path, sink: writer)
    }

    /// Every grid with the coverage of its compounds (households covered and their share …); grids holding no
    /// compound have zeros and a null share.
    public static func gridCoverage(_ report: CoverageReport, store: any StoreReader, to path: String, options: ExportOptions = .init()) throws -> ExportSummary {
        var groups = [String: CoverageGroup]()
        for g in report.groups(by: .grid) { groups[g.key] = g }
        let writer = try ExportFormat.sink(path: path, options: options,
                                       members: try header("doorstep coverage by grid", "coverage-grid",
                                                           credits: store.credits(of: [.grids] + creditedLayers(report)))
                                           + reportMembers(report))
        try store.forEachFeature(of: .layer(.grids)) { id, properties, geometry in
            var p = properties
            let columns = Set(p.map(\.0))
            let summary = groups[id]?.properties ?? CoverageGroup(level: .grid, key: id, name: "").properties
            p += summary.filter { !["level", "key", "name"].contains($0.0) && !columns.contains($0.0) }
            if options.style {
                var share: Double?
                if case .number(let v)? = summary.first(where: { $0.0 == "households_covered_pct" })?.1 { share = v }
                p += Simplestyle.grid(householdsCoveredPercent: share)
            }
            try writer.write(geometry: geometry, properties: p, id: id)
        }
        return try ExportSummary(path: path, sink: writer)
    }

    /// The members before the features: name, content and the credits of the data in the file (none when the
    /// layers were imported before credits were recorded).
    package static func header(_ name: String, _ content: String, credits: [String]) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("name", .string(name)), ("doorstep:content", .string(content))]
        if let line = Credits.line(credits) { members.append(("attribution", .string(line))) }
        return members
    }

    /// The layers a coverage result is made of: compounds (and their entrances), the stations, and the ways when
    /// it walked.
    public static func creditedLayers(_ report: CoverageReport) -> [Layer] {
        [.compounds, .entrances, .stations] + (report.options.walk ? [.ways] : [])
    }

    package static func reportMembers(_ report: CoverageReport) -> [(String, JSONValue)] {
        var reach: JSONValue
        switch report.options.reach {
        case .uniform(let r): reach = .number(r)
        case .perStation(let f): reach = .string("radius_m of each station, else \(Int(f)) m")
        }
        let t = report.total
        return [("doorstep:coverage", .object([
            ("mode", .string(report.options.walk ? "walking" : "straight")), ("radius_m", reach),
            ("speed_m_s", .number(report.options.speed)), ("qualifying_stations", .number(Double(report.qualifyingStations))),
            ("compounds", .number(Double(t.compounds))), ("compounds_covered", .number(Double(t.compoundsCovered))),
            ("households", .number(Double(t.households))), ("households_covered", .number(Double(t.householdsCovered))),
            ("households_covered_pct", Share.json(t.householdsCoveredPercent)),
        ]))]
    }
}

extension Geometry {
    package var isPoint: Bool {
        switch self {
        case .point, .multiPoint: return true
        default: return false
        }
    }
}

/// simplestyle-spec 1.1.0 properties (https://github.com/mapbox/simplestyle-spec), in the colours the rendered
/// map uses, so an exported file and the map read the same.
public enum Simplestyle {
    /// Status colours: covered green, uncovered red, no path orange, unreachable grey.
    public static func colour(of status: CompoundCoverage.Status) -> String {
        switch status {
        case .covered: return "#1a9850"
        case .uncovered: return "#d73027"
        case .noPath: return "#f46d43"
        case .unreachable: return "#8c8c8c"
        }
    }

    /// Station kinds: centre, station, post, other.
    public static func colour(ofKind kind: String?) -> String {
        switch kind {
        case "center": return "#b2182b"
        case "station": return "#2166ac"
        case "post": return "#e08214"
        default: return "#6a3d9a"
        }
    }

    /// A sequential palette (light to dark purple, as on the map) for the share of households covered, 5 classes of 20 %.
    public static let shareClasses = MapRenderer.shareClasses
    public static let noDataColour = "#d9d9d9"

    public static func shareColour(_ percent: Double?) -> String {
        guard let percent else { return noDataColour }
        return shareClasses[min(4, max(0, Int(percent / 20)))]
    }

    package static func compound(_ c: CompoundCoverage, isPoint: Bool) -> [(String, JSONValue)] {
        let colour = colour(of: c.status)
        let title = "\(c.site.name) — \(c.status.rawValue)"
        if isPoint {
            return [("marker-color", .string(colour)), ("marker-size", .string("small")),
                    ("marker-symbol", .string(c.isCovered ? "circle" : "cross")), ("title", .string(title))]
        }
        return [("fill", .string(colour)), ("fill-opacity", .number(0.6)), ("stroke", .string(colour)),
                ("stroke-width", .number(1)), ("stroke-opacity", .number(1)), ("title", .string(title))]
    }

    package static func grid(householdsCoveredPercent: Double?) -> [(String, JSONValue)] {
        [("fill", .string(shareColour(householdsCoveredPercent))), ("fill-opacity", .number(0.6)),
         ("stroke", .string("#525252")), ("stroke-width", .number(1.5)), ("stroke-opacity", .number(0.8))]
    }

    package static func feature(of layer: Layer, properties: [(String, JSONValue)]) -> [(String, JSONValue)] {
        func text(_ key: String) -> String? {
            if case .string(let s)? = properties.first(where: { $0.0 == key })?.1 { return s } else { return nil }
        }
        switch layer {
        case .stations:
            let kind = text("kind")
            let symbol: String
            switch kind {
            case "center": symbol = "town-hall"
            case "station": symbol = "building"
            case "post": symbol = "shelter"
            default: symbol = "marker"
            }
            return [("marker-color", .string(colour(ofKind: kind))), ("marker-symbol", .string(symbol)),
                    ("marker-size", .string(kind == "center" ? "large" : kind == "post" ? "small" : "medium")),
                    ("title", .string(text("name") ?? ""))]
        case .compounds:
            return [("fill", .string("#fdae61")), ("fill-opacity", .number(0.5)), ("stroke", .string("#a6611a")),
                    ("stroke-width", .number(1)), ("marker-color", .string("#fdae61")), ("marker-size", .string("small")),
                    ("title", .string(text("name") ?? ""))]
        case .entrances:
            return [("marker-color", .string("#4d4d4d")), ("marker-size", .string("small")), ("marker-symbol", .string("entrance"))]
        case .grids:
            return [("fill", .string("#f7f7f7")), ("fill-opacity", .number(0.3)), ("stroke", .string("#525252")),
                    ("stroke-width", .number(1.5)), ("title", .string(text("name") ?? ""))]
        case .ways:
            let major = ["primary", "secondary", "trunk", "tertiary"].contains(text("highway") ?? "")
            return [("stroke", .string(text("foot") == "no" ? "#e41a1c" : "#737373")), ("stroke-width", .number(major ? 2.5 : 1)),
                    ("stroke-opacity", .number(0.8))]
        }
    }
}
