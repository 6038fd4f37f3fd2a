import DoorstepGeo
import Foundation

/// How the point layers (stations, compounds) are written; the other layers are always GeoJSON.
public enum PointLayerFormat: String, CaseIterable, Sendable {
    /// `stations.geojson`, `compounds.geojson`.
    case geojson
    /// `stations.csv`, `compounds.csv` (compounds as their representative points).
    case csv
}

/// Output choices shared by the sample and synthetic cities.
public struct OutputOptions: Sendable {
    /// GeoJSON or CSV for stations and compounds.
    public var pointFormat: PointLayerFormat
    /// CSV only: Chinese column names (名称, 类型, 经度, 纬度, 户数, 人口, 地址, 电话, 开放时间, 服务), Chinese kind
    /// names, and services joined by "、" instead of ";".
    public var chineseHeaders: Bool

    public init(pointFormat: PointLayerFormat = .geojson, chineseHeaders: Bool = false) {
        self.pointFormat = pointFormat
        self.chineseHeaders = chineseHeaders
    }
}

/// One file written: its layer, location and number of features (CSV rows).
public struct LayerSummary: Sendable, CustomStringConvertible {
    /// "stations", "compounds", "entrances", "ways" or "grids".
    public var layer: String
    /// The file written.
    public var url: URL
    /// Features (or CSV rows) in it.
    public var count: Int

    public var description: String { "\(url.lastPathComponent): \(count) \(layer)" }
}

/// Why CityGen could not read or write a city.
public enum CityGenError: Error, CustomStringConvertible {
    /// A file could not be created.
    case cannotWrite(String)
    /// An input extract is missing or not what the sample expects.
    case badInput(file: String, message: String)

    public var description: String {
        switch self {
        case .cannotWrite(let path): "cannot write \(path)"
        case .badInput(let file, let message): "\(file): \(message)"
        }
    }
}

// MARK: - GeoJSON

/// A record that can be a GeoJSON Feature: its geometry and its properties in a fixed order.
protocol FeatureRecord {
    var featureGeometry: CityData.Geometry { get }
    func writeProperties(_ properties: inout FeatureProperties)
}

/// Writes the members of a Feature's `properties` object; absent (nil) values are left out.
struct FeatureProperties {
    fileprivate var out = OutputBytes()
    fileprivate var first = true

    private mutating func key(_ key: StaticString) {
        out.raw(first ? "\"" : ",\"")
        out.raw(key)
        out.raw("\":")
        first = false
    }

    mutating func add(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        out.jsonString(value)
    }

    mutating func add(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        out.int(value)
    }

    mutating func add(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        out.raw(value ? "true" : "false")
    }

    mutating func add(_ name: StaticString, _ values: [String]) {
        key(name)
        out.byte(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.jsonString(value)
        }
        out.byte(UInt8(ascii: "]"))
    }
}

/// Streams a FeatureCollection to a file, one Feature per line, with a `name` and a `metadata` member (string
/// values) that GDAL and Doorstep ignore as foreign members.
final class GeoJSONLayerWriter {
    private let file: BufferedFile
    private let layer: String
    private var out = OutputBytes()
    private var count = 0

    init(directory: URL, layer: String, metadata: [(String, String)]) throws {
        self.layer = layer
        file = try BufferedFile(url: directory.appendingPathComponent(layer + ".geojson"))
        out.raw("{\"type\":\"FeatureCollection\",\"name\":")
        out.jsonString(layer)
        out.raw(",\"metadata\":{")
        for (i, (key, value)) in metadata.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.jsonString(key)
            out.byte(UInt8(ascii: ":"))
            out.jsonString(value)
        }
        out.raw("},\"features\":[\n")
    }

    func write(_ record: some FeatureRecord) throws {
        if count > 0 { out.raw(",\n") }
        count += 1
        out.raw("{\"type\":\"Feature\",\"geometry\":")
        writeGeometry(record.featureGeometry)
        out.raw(",\"properties\":{")
        var properties = FeatureProperties()
        swap(&out, &properties.out)  // lend the buffer without copying it
        record.writeProperties(&properties)
        swap(&out, &properties.out)
        out.raw("}}")
        try file.drain(&out)
    }

    func finish() throws -> LayerSummary {
        out.raw("\n]}\n")
        try file.commit(&out)
        return LayerSummary(layer: layer, url: file.url, count: count)
    }

    private func writeGeometry(_ geometry: CityData.Geometry) {
        switch geometry {
        case .point(let c):
            out.raw("{\"type\":\"Point\",\"coordinates\":")
            position(c)
        case .lineString(let line):
            out.raw("{\"type\":\"LineString\",\"coordinates\":")
            positions(line)
        case .multiLineString(let lines):
            out.raw("{\"type\":\"MultiLineString\",\"coordinates\":")
            list(lines) { positions($0) }
        case .polygon(let rings):
            out.raw("{\"type\":\"Polygon\",\"coordinates\":")
            list(rings) { positions($0) }
        case .multiPolygon(let polygons):
            out.raw("{\"type\":\"MultiPolygon\",\"coordinates\":")
            list(polygons) { polygon in list(polygon) { positions($0) } }
        }
        out.byte(UInt8(ascii: "}"))
    }

    private func list<T>(_ items: [T], _ element: (T) -> Void) {
        out.byte(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            element(item)
        }
        out.byte(UInt8(ascii: "]"))
    }

    private func positions(_ coordinates: [Coordinate]) {
        list(coordinates) { position($0) }
    }

    private func position(_ c: Coordinate) {
        out.byte(UInt8(ascii: "["))
        out.coordinate(c.lon)
        out.byte(UInt8(ascii: ","))
        out.coordinate(c.lat)
        out.byte(UInt8(ascii: "]"))
    }
}

extension CityData.Station: FeatureRecord {
    var featureGeometry: CityData.Geometry { .point(location) }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("name", name)
        p.add("kind", kind.rawValue)
        p.add("services", services.map(\.rawValue))
        p.add("hours", hours)
        p.add("address", address)
        p.add("phone", phone)
        p.add("radius_m", radiusMetres)
        p.add("capacity", capacity)
        p.add("synthetic", synthetic)
        p.add("osm_id", osmID)
    }
}

extension CityData.Compound: FeatureRecord {
    var featureGeometry: CityData.Geometry { geometry }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("name", name)
        p.add("name_source", nameSource?.rawValue)
        p.add("kind", kind.rawValue)
        p.add("households", households)
        p.add("population", population)
        p.add("grid_id", gridID)
        p.add("osm_id", osmID)
    }
}

extension CityData.Entrance: FeatureRecord {
    var featureGeometry: CityData.Geometry { .point(location) }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("compound_id", compoundID)
        p.add("name", name)
    }
}

extension CityData.Grid: FeatureRecord {
    var featureGeometry: CityData.Geometry { .polygon([ring]) }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("name", name)
        p.add("community", community)
        p.add("street", street)
        p.add("district", district)
    }
}

extension CityData.Way: FeatureRecord {
    var featureGeometry: CityData.Geometry { geometry }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("highway", highway)
        p.add("name", name)
        p.add("foot", foot)
        p.add("bridge", bridge)
        p.add("tunnel", tunnel)
        p.add("layer", layer)
    }
}

extension CityData.Water: FeatureRecord {
    var featureGeometry: CityData.Geometry { geometry }

    func writeProperties(_ p: inout FeatureProperties) {
        p.add("id", id)
        p.add("name", name)
        p.add("water", "canal")
    }
}

// MARK: - CSV

/// A record that can be a CSV row of a point layer.
protocol CSVRecord {
    static func csvHeader(chinese: Bool) -> [String]
    func writeCSVFields(_ row: inout CSVRow, chinese: Bool)
}

/// Writes the fields of one CSV row; nil values are empty fields.
struct CSVRow {
    fileprivate var out = OutputBytes()
    fileprivate var first = true

    private mutating func separator() {
        if !first { out.byte(UInt8(ascii: ",")) }
        first = false
    }

    mutating func add(_ value: String?) {
        separator()
        if let value { out.csvField(value) }
    }

    mutating func add(_ value: Int?) {
        separator()
        if let value { out.int(value) }
    }

    mutating func add(coordinate value: Double) {
        separator()
        out.coordinate(value)
    }
}

/// Streams a UTF-8 CSV file (header row, CRLF line ends as in RFC 4180).
final class CSVLayerWriter<Record: CSVRecord> {
    private let file: BufferedFile
    private let layer: String
    private let chinese: Bool
    private var out = OutputBytes()
    private var count = 0

    init(directory: URL, layer: String, chineseHeaders: Bool) throws {
        self.layer = layer
        chinese = chineseHeaders
        file = try BufferedFile(url: directory.appendingPathComponent(layer + ".csv"))
        for (i, name) in Record.csvHeader(chinese: chinese).enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.csvField(name)
        }
        out.raw("\r\n")
    }

    func write(_ record: Record) throws {
        count += 1
        var row = CSVRow()
        swap(&out, &row.out)
        record.writeCSVFields(&row, chinese: chinese)
        swap(&out, &row.out)
        out.raw("\r\n")
        try file.drain(&out)
    }

    func finish() throws -> LayerSummary {
        try file.commit(&out)
        return LayerSummary(layer: layer, url: file.url, count: count)
    }
}

extension CityData.Station: CSVRecord {
    static func csvHeader(chinese: Bool) -> [String] {
        chinese
            ? ["id", "名称", "类型", "经度", "纬度", "服务", "开放时间", "地址", "电话", "radius_m", "capacity"]
            : ["id", "name", "kind", "lon", "lat", "services", "hours", "address", "phone", "radius_m", "capacity"]
    }

    func writeCSVFields(_ row: inout CSVRow, chinese: Bool) {
        row.add(id)
        row.add(name)
        row.add(chinese ? chineseKindName : kind.rawValue)
        row.add(coordinate: lon)
        row.add(coordinate: lat)
        row.add(services.map(\.rawValue).joined(separator: chinese ? "、" : ";"))
        row.add(hours)
        row.add(address)
        row.add(phone)
        row.add(radiusMetres)
        row.add(capacity)
    }

    /// Posts alternate between the three names the contract maps to `post`, so a CSV exercises all of them.
    private var chineseKindName: String {
        guard kind == .post else { return kind.chineseName }
        let names = ["红色驿站", "驿站", "党员驿站"]
        return names[id.utf8.reduce(0) { $0 &+ Int($1) } % names.count]
    }
}

extension CityData.Compound: CSVRecord {
    static func csvHeader(chinese: Bool) -> [String] {
        chinese
            ? ["id", "名称", "类型", "经度", "纬度", "户数", "人口", "grid_id"]
            : ["id", "name", "kind", "lon", "lat", "households", "population", "grid_id"]
    }

    func writeCSVFields(_ row: inout CSVRow, chinese: Bool) {
        row.add(id)
        row.add(name)
        row.add(kind.rawValue)
        row.add(coordinate: representativePoint.lon)
        row.add(coordinate: representativePoint.lat)
        row.add(households)
        row.add(population)
        row.add(gridID)
    }
}

/// The writer for a point layer in the chosen format.
enum PointLayerWriter<Record: FeatureRecord & CSVRecord> {
    case geojson(GeoJSONLayerWriter)
    case csv(CSVLayerWriter<Record>)

    init(directory: URL, layer: String, options: OutputOptions, metadata: [(String, String)]) throws {
        switch options.pointFormat {
        case .geojson: self = .geojson(try GeoJSONLayerWriter(directory: directory, layer: layer, metadata: metadata))
        case .csv: self = .csv(try CSVLayerWriter(directory: directory, layer: layer, chineseHeaders: options.chineseHeaders))
        }
    }

    func write(_ record: Record) throws {
        switch self {
        case .geojson(let writer): try writer.write(record)
        case .csv(let writer): try writer.write(record)
        }
    }

    func finish() throws -> LayerSummary {
        switch self {
        case .geojson(let writer): try writer.finish()
        case .csv(let writer): try writer.finish()
        }
    }
}

/// Writes a whole layer held in memory.
func writeLayer<R: FeatureRecord>(_ records: [R], layer: String, to directory: URL, metadata: [(String, String)]) throws -> LayerSummary {
    let writer = try GeoJSONLayerWriter(directory: directory, layer: layer, metadata: metadata)
    for record in records { try writer.write(record) }
    return try writer.finish()
}

func writePointLayer<R: FeatureRecord & CSVRecord>(
    _ records: [R], layer: String, to directory: URL, options: OutputOptions, metadata: [(String, String)]
) throws -> LayerSummary {
    let writer = try PointLayerWriter<R>(directory: directory, layer: layer, options: options, metadata: metadata)
    for record in records { try writer.write(record) }
    return try writer.finish()
}
