import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// The coordinates an export is written in.
public enum OutputCRS: String, Sendable, CaseIterable {
    /// WGS84 longitude/latitude: RFC 7946.
    case wgs84
    /// GCJ-02 (Amap, Tencent, WeChat basemaps): outside RFC 7946, marked in the file.
    case gcj02
    /// BD-09 (Baidu basemaps): outside RFC 7946, marked in the file.
    case bd09

    /// The stored WGS84 position in this CRS.
    public func shift(_ c: Coordinate) -> Coordinate {
        switch self {
        case .wgs84: return c
        case .gcj02: return ChinaShift.wgs84ToGCJ02(c)
        case .bd09: return ChinaShift.wgs84ToBD09(c)
        }
    }
}

/// A streaming RFC 7946 GeoJSON FeatureCollection writer.
///
/// - Positions are `[lon, lat]` with at most 7 decimals (about 1 cm), as RFC 7946 §11.2 advises.
/// - Polygon rings follow the right-hand rule (RFC 7946 §3.1.6): exterior rings counter-clockwise, holes clockwise;
///   rings stored the other way round are reversed on the way out.
/// - No `crs` member. The collection's `bbox` (of the positions actually written) comes after `features`: member
///   order is not significant in JSON, and writing it last is what lets the writer stream.
/// - With a shifted ``OutputCRS`` the file carries `"doorstep:crs"` and `"doorstep:note"`: such a file is for overlay
///   on Chinese basemaps and is not RFC 7946 GeoJSON, whatever its extension says.
///
/// Features go out through a 64 KiB buffer, so memory does not grow with the output.
public final class GeoJSONWriter {
    public let crs: OutputCRS
    private let output: BufferedOutput
    private var west = Double.infinity, south = Double.infinity, east = -Double.infinity, north = -Double.infinity
    /// Features written so far.
    public private(set) var featureCount = 0
    private var finished = false

    /// Starts a FeatureCollection in the file at `path` (`-` for standard output) with extra top-level members
    /// (foreign members such as `name` or `doorstep:…`, written before `features`).
    public init(path: String, crs: OutputCRS = .wgs84, members: [(String, JSONValue)] = []) throws {
        self.crs = crs
        output = try BufferedOutput(path: path)
        output.append("{\"type\":\"FeatureCollection\"")
        var all = members
        if crs != .wgs84 {
            all.append(("doorstep:crs", .string(crs.rawValue)))
            all.append(("doorstep:note", .string(
                "Coordinates are \(crs == .gcj02 ? "GCJ-02 (Amap/Tencent)" : "BD-09 (Baidu)"), not WGS84: this file is outside RFC 7946 and is meant only for overlay on Chinese basemaps in that system. 坐标为\(crs == .gcj02 ? "GCJ-02（火星坐标）" : "BD-09（百度坐标）")，非 WGS84。")))
        }
        for (key, value) in all where key != "type" && key != "features" && key != "bbox" && key != "crs" {
            output.append(UInt8(ascii: ","))
            appendJSON(.string(key))
            output.append(UInt8(ascii: ":"))
            appendJSON(value)
        }
        output.append(",\"features\":[\n")
    }

    /// Writes one feature: its geometry (nil for a feature without one), its properties in order, and an optional
    /// feature-level `id`.
    public func write(geometry: Geometry?, properties: [(String, JSONValue)], id: String? = nil) throws {
        precondition(!finished, "write after finish")
        if featureCount > 0 { output.append(",\n") }
        output.append("{\"type\":\"Feature\"")
        if let id {
            output.append(",\"id\":")
            appendJSON(.string(id))
        }
        output.append(",\"geometry\":")
        if let geometry { appendGeometry(geometry) } else { output.append("null") }
        output.append(",\"properties\":")
        appendJSON(.object(properties))
        output.append(UInt8(ascii: "}"))
        featureCount += 1
        try output.flushIfFull()
    }

    /// Ends the collection (writing its `bbox` when any position was written) and closes the file.
    /// Returns the bbox written.
    @discardableResult
    public func finish() throws -> BoundingBox? {
        guard !finished else { return bbox }
        finished = true
        output.append("\n]")
        if let box = bbox {
            output.append(",\"bbox\":[")
            output.appendFixed(box.west); output.append(UInt8(ascii: ","))
            output.appendFixed(box.south); output.append(UInt8(ascii: ","))
            output.appendFixed(box.east); output.append(UInt8(ascii: ","))
            output.appendFixed(box.north)
            output.append(UInt8(ascii: "]"))
        }
        output.append("}\n")
        try output.close()
        return bbox
    }

    /// The extent of the positions written so far (after the CRS shift and rounding), or nil.
    public var bbox: BoundingBox? {
        west <= east ? BoundingBox(west: west, south: south, east: east, north: north) : nil
    }

    // MARK: Writing values

    private func appendJSON(_ value: JSONValue) { output.json.value(value) }

    private func appendGeometry(_ g: Geometry) {
        output.json.geometry(g) { c in
            let p = crs.shift(c)
            let lon = (p.lon * 1e7).rounded() / 1e7, lat = (p.lat * 1e7).rounded() / 1e7
            west = min(west, lon); east = max(east, lon); south = min(south, lat); north = max(north, lat)
            return Coordinate(lon: lon, lat: lat)
        }
    }
}

@available(*, unavailable)
extension GeoJSONWriter: Sendable {}

