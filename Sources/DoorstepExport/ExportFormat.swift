import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// The file formats `export` writes, chosen by the output file's extension as ogr2ogr users expect.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// `.geojson`, `.json` and `-` (standard output): streaming RFC 7946 GeoJSON.
    case geojson
    /// `.gpkg`: a GeoPackage through GDAL, with QGIS styles in its `layer_styles` table.
    case gpkg
    /// `.xlsx`: a workbook through GDAL (a sheet per level for coverage), Chinese headers unless asked otherwise.
    case xlsx
    /// `.shp`: a Shapefile set beside it (.shp .shx .dbf .prj .cpg).
    case shp
    /// `.zip` / `.shp.zip`: the Shapefile set zipped, as planners mail them.
    case shpZip
    /// `.csv`: UTF-8 with a byte-order mark, lon/lat on every row that has a place.
    case csv

    /// The format an output path asks for, nil for an extension Doorstep does not write.
    public init?(path: String) {
        if path == "-" { self = .geojson; return }
        let lower = path.lowercased()
        switch URL(fileURLWithPath: lower).pathExtension {
        case "geojson", "json": self = .geojson
        case "gpkg": self = .gpkg
        case "xlsx": self = .xlsx
        case "shp": self = .shp
        case "zip": self = .shpZip
        case "csv": self = .csv
        default: return nil
        }
    }

    /// The extensions `init(path:)` knows, for messages.
    public static let extensions = ".geojson/.json, .gpkg, .xlsx, .shp, .zip (zipped Shapefile), .csv"
}

/// The language of a workbook's or CSV's headers and sheet names.
public enum ExportLanguage: String, Sendable, CaseIterable {
    case zh, en
}

/// Where an export's features go: the GeoJSON writer streams them; the other formats collect them and write at
/// `finish` (their schema, typed fields, is known only once every feature has been seen).
public protocol FeatureSink: AnyObject {
    func write(geometry: Geometry?, properties: [(String, JSONValue)], id: String?) throws
    var featureCount: Int { get }
    /// Ends the file; returns the extent of the positions written.
    @discardableResult func finish() throws -> BoundingBox?
    /// What the reader should know about the file (fields renamed to fit a format …).
    var notes: [String] { get }
}

extension GeoJSONWriter: FeatureSink {
    public var notes: [String] { [] }
}

/// What an export is, for the formats that need to know more than GeoJSON's top-level members: its name, the
/// credits of its data and the QGIS style it gets.
package struct ExportHeader {
    /// What is exported (`coverage`, `stations` …): the layer's name in a GeoPackage or Shapefile.
    package var content: String
    package var title: String
    package var credits: String?

    package init(members: [(String, JSONValue)]) {
        func text(_ key: String) -> String? {
            if case .string(let s)? = members.first(where: { $0.0 == key })?.1 { return s } else { return nil }
        }
        content = text("doorstep:content") ?? "features"
        title = text("name") ?? "doorstep \(content)"
        credits = text("attribution")
    }
}

extension ExportFormat {
    /// The sink for `path` in the format its extension asks for. `members` are the GeoJSON top-level members
    /// (name, `doorstep:content`, `attribution` …); the other formats take the name, content and credits from them.
    public static func sink(path: String, options: ExportOptions, members: [(String, JSONValue)]) throws -> any FeatureSink {
        guard let format = ExportFormat(path: path) else {
            throw ExportError("cannot tell the format of \(path) from its extension; give one of \(extensions)")
        }
        let header = ExportHeader(members: members)
        let progress = "export \(header.content): writing \(format.rawValue)"
        if format == .geojson { return ProgressSink(try GeoJSONWriter(path: path, crs: options.crs, members: members), task: progress) }
        guard options.crs == .wgs84 else {
            throw ExportError("--crs \(options.crs.rawValue) is for GeoJSON overlays on Chinese basemaps; \(format.rawValue) files are written in WGS84 (EPSG:4326)")
        }
        if format == .csv { return ProgressSink(try CSVFeatureWriter(path: path, header: header, options: options), task: progress) }
        return ProgressSink(try OGRFeatureWriter(path: path, format: format, header: header, options: options), task: progress)
    }
}

/// A sink that counts its features on the progress line (`WorkProgress`), then hands them on.
final class ProgressSink: FeatureSink {
    private let sink: any FeatureSink
    private let progress: WorkProgress

    init(_ sink: any FeatureSink, task: String) {
        self.sink = sink
        progress = WorkProgress.begin(task, unit: "features")
    }

    deinit { progress.finish() }

    func write(geometry: Geometry?, properties: [(String, JSONValue)], id: String?) throws {
        try sink.write(geometry: geometry, properties: properties, id: id)
        progress.advance()
    }

    var featureCount: Int { sink.featureCount }
    var notes: [String] { sink.notes }

    func finish() throws -> BoundingBox? {
        defer { progress.finish() }
        return try sink.finish()
    }
}

// MARK: CSV

/// The CSV conventions of every table Doorstep writes (the CLI's `--format csv` and `export … --out x.csv`): UTF-8
/// with a byte-order mark, so Excel on Chinese Windows does not read it as GBK; numbers in full as JSON writes them
/// (lon/lat with their 7 decimals), never a table's one decimal; booleans yes/no; arrays and objects as JSON text.
public enum CSVText {
    public static let byteOrderMark = "\u{FEFF}"

    /// One cell's text, quoted when it must be.
    public static func cell(_ value: JSONValue?) -> String {
        let s: String
        switch value {
        case .string(let t)?: s = t
        case .number(let n)?: s = JSONValue.number(n).jsonText
        case .bool(let b)?: s = b ? "yes" : "no"
        case .null?, nil: s = ""
        case let other?: s = other.jsonText
        }
        return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// One row (without its line end).
    public static func line(_ values: [JSONValue?]) -> String { values.map(cell).joined(separator: ",") }

    /// The header and the rows, BOM first, each row's values taken by the header's names.
    public static func document(_ rows: [[(String, JSONValue)]]) -> String {
        guard let first = rows.first else { return "" }
        var names = first.map(\.0)
        var seen = Set(names)
        for row in rows.dropFirst() { for (k, _) in row where seen.insert(k).inserted { names.append(k) } }
        var out = byteOrderMark + line(names.map { .string($0) }) + "\n"
        for row in rows {
            var byName = [String: JSONValue]()
            for (k, v) in row where byName[k] == nil { byName[k] = v }
            out += line(names.map { byName[$0] }) + "\n"
        }
        return out
    }
}

/// `.csv`: every feature a row, its properties as columns (the union, in order of first appearance), then `lon`/`lat`
/// (7 decimals) where the feature has a place — a point's position, a polygon's point on surface — and `wkt` for
/// lines; the credits in an `attribution` column.
package final class CSVFeatureWriter: FeatureSink {
    private let path: String
    private let header: ExportHeader
    private var rows = [[(String, JSONValue)]]()
    private var box = BoxAccumulator()
    package private(set) var featureCount = 0
    package var notes: [String] { [] }

    package init(path: String, header: ExportHeader, options: ExportOptions) throws {
        self.path = path
        self.header = header
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ExportError("cannot create \(path): check that the folder exists and is writable")
        }
    }

    package func write(geometry: Geometry?, properties: [(String, JSONValue)], id: String?) throws {
        var row = properties
        if let id, !row.contains(where: { $0.0 == "id" }) { row.insert(("id", .string(id)), at: 0) }
        let place = try geometry.map(ExportPlace.of)
        if let g = geometry { box.add(g) }
        row.append(("lon", place?.point.map { .number(ExportPlace.round7($0.lon)) } ?? .null))
        row.append(("lat", place?.point.map { .number(ExportPlace.round7($0.lat)) } ?? .null))
        if let wkt = place?.wkt { row.append(("wkt", .string(wkt))) }
        if let credits = header.credits { row.append(("attribution", .string(credits))) }
        rows.append(row)
        featureCount += 1
    }

    package func finish() throws -> BoundingBox? {
        var text = CSVText.document(rows)
        if rows.isEmpty {
            text = CSVText.byteOrderMark + "id,lon,lat" + (header.credits.map { _ in ",attribution" } ?? "") + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return box.box
    }
}

/// The extent of the positions written, rounded as written.
package struct BoxAccumulator {
    package var west = Double.infinity, south = Double.infinity, east = -Double.infinity, north = -Double.infinity

    package mutating func add(_ c: Coordinate) {
        let lon = ExportPlace.round7(c.lon), lat = ExportPlace.round7(c.lat)
        west = min(west, lon); east = max(east, lon); south = min(south, lat); north = max(north, lat)
    }

    package mutating func add(_ g: Geometry) {
        switch g {
        case .point(let c): add(c)
        case .lineString(let cs), .multiPoint(let cs): cs.forEach { add($0) }
        case .polygon(let rs), .multiLineString(let rs): rs.forEach { $0.forEach { add($0) } }
        case .multiPolygon(let ps): ps.forEach { $0.forEach { $0.forEach { add($0) } } }
        }
    }

    package var box: BoundingBox? { west <= east ? BoundingBox(west: west, south: south, east: east, north: north) : nil }
}
