import DoorstepModel
import CPROJ
import Foundation

/// A coordinate reference system input can be given in.
public enum InputCRS: Hashable, Sendable, CustomStringConvertible {
    /// WGS84 longitude/latitude (EPSG:4326, OGC CRS84): what Doorstep stores.
    case wgs84
    /// GCJ-02, the shifted datum of Amap, Tencent and WeChat maps.
    case gcj02
    /// BD-09, Baidu's shift on top of GCJ-02.
    case bd09
    /// Any EPSG code PROJ knows (CGCS2000 EPSG:4490, its Gauss-Kruger zones EPSG:4513–4554, UTM …).
    case epsg(Int)

    /// Parses `wgs84`, `gcj02`, `bd09`, `EPSG:n`, `n`, OGC URNs such as `urn:ogc:def:crs:EPSG::4548` and `CRS84`.
    public init?(_ text: String) {
        let t = text.trimmed.lowercased()
        switch t {
        case "wgs84", "wgs-84", "crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "epsg:4326", "4326":
            self = .wgs84
            return
        case "gcj02", "gcj-02", "gcj", "amap", "tencent":
            self = .gcj02
            return
        case "bd09", "bd-09", "baidu":
            self = .bd09
            return
        default: break
        }
        var digits = Substring(t)
        for prefix in ["urn:ogc:def:crs:epsg::", "urn:ogc:def:crs:epsg:", "epsg:", "epsg::"] where digits.hasPrefix(prefix) {
            digits = digits.dropFirst(prefix.count)
            break
        }
        // urn:ogc:def:crs:EPSG:9.1:4548 carries a version before the code.
        if let colon = digits.lastIndex(of: ":") { digits = digits[digits.index(after: colon)...] }
        guard let code = Int(digits), code > 0, code < 1_000_000 else { return nil }
        self = code == 4326 ? .wgs84 : .epsg(code)
    }

    public var description: String {
        switch self {
        case .wgs84: return "EPSG:4326"
        case .gcj02: return "gcj02"
        case .bd09: return "bd09"
        case .epsg(let n): return "EPSG:\(n)"
        }
    }

    /// Whether coordinates are in metres (easting, northing) rather than degrees.
    public var isProjected: Bool {
        if case .epsg(let n) = self { return !Self.geographicCodes.contains(n) }
        return false
    }

    private static let geographicCodes: Set<Int> = [4326, 4490, 4214, 4610, 4479, 4480, 4258, 4269, 4283, 4167]
}

/// Converts coordinates from an input CRS to WGS84 longitude/latitude.
///
/// PROJ does EPSG codes (axis order normalised to easting/northing and lon/lat, as GDAL reads GeoJSON);
/// GCJ-02 and BD-09 are Doorstep's own (`ChinaShift`). Not `Sendable`: it owns a PROJ context.
public final class CoordinateTransformer {
    public let crs: InputCRS
    private var context: PROJContext?
    private var transformation: OpaquePointer?
    /// Where the CRS is meant to be used (west, south, east, north in degrees), from PROJ's database.
    public private(set) var areaOfUse: BoundingBox?

    /// Throws `CRSError` when PROJ does not know the code, or when the CRS is not two-dimensional (geocentric
    /// EPSG:4978, geographic 3-D EPSG:4979, compound or vertical CRSs): imported positions and the coordinates of
    /// queries are 2-D, and a third coordinate of 0 would silently put them on the ellipsoid or the Earth's centre.
    public init(from crs: InputCRS) throws {
        self.crs = crs
        guard case .epsg(let code) = crs else { return }
        let context = PROJContext()
        let ctx = context.handle
        guard let source = proj_create(ctx, "EPSG:\(code)") else {
            throw CRSError(message: "PROJ does not know EPSG:\(code)\(context.takeMessages())")
        }
        defer { proj_destroy(source) }
        let kind = proj_get_type(source)
        let coordinateSystem = proj_crs_get_coordinate_system(ctx, source)
        let axes = coordinateSystem.map { proj_cs_get_axis_count(ctx, $0) } ?? -1
        proj_destroy(coordinateSystem)
        let name = proj_get_name(source).map { String(cString: $0) } ?? "EPSG:\(code)"
        switch kind {
        case PJ_TYPE_GEOCENTRIC_CRS:
            throw CRSError(message: "EPSG:\(code) (\(name)) is a geocentric CRS (X, Y, Z from the Earth's centre); Doorstep takes 2-D positions: give a geographic (EPSG:4326, EPSG:4490) or projected CRS")
        case PJ_TYPE_GEOGRAPHIC_2D_CRS, PJ_TYPE_PROJECTED_CRS where axes == 2:
            break
        case PJ_TYPE_GEOGRAPHIC_2D_CRS, PJ_TYPE_PROJECTED_CRS, PJ_TYPE_GEOGRAPHIC_3D_CRS, PJ_TYPE_COMPOUND_CRS:
            throw CRSError(message: "EPSG:\(code) (\(name)) is a 3-D CRS (\(axes) axes); Doorstep takes 2-D positions: give its 2-D form (e.g. EPSG:4326 for EPSG:4979, EPSG:4490 for EPSG:4480)")
        default:
            throw CRSError(message: "EPSG:\(code) (\(name)) is not a geographic or projected 2-D CRS; Doorstep takes longitude/latitude or easting/northing")
        }
        guard let pj = proj_create_crs_to_crs(ctx, "EPSG:\(code)", "EPSG:4326", nil) else {
            throw CRSError(message: "PROJ cannot transform EPSG:\(code) to WGS84\(context.takeMessages())")
        }
        let normalized = proj_normalize_for_visualization(ctx, pj)
        proj_destroy(pj)
        guard let normalized else {
            throw CRSError(message: "PROJ cannot set the axis order of EPSG:\(code)\(context.takeMessages())")
        }
        transformation = normalized
        var w = 0.0, so = 0.0, e = 0.0, n = 0.0
        if proj_get_area_of_use(ctx, source, &w, &so, &e, &n, nil) == 1, w > -1000 {
            areaOfUse = BoundingBox(west: w, south: so, east: e, north: n)
        }
        _ = context.takeMessages()
        self.context = context
    }

    /// Whether a WGS84 position lies within the CRS's area of use widened by `margin` degrees (projected data is
    /// often used a little past its zone; a point far outside it is a wrong CRS or swapped axes).
    public func isPlausible(_ c: Coordinate, margin: Double = 3) -> Bool {
        guard let a = areaOfUse else { return true }
        let east = a.east < a.west ? a.east + 360 : a.east
        let lon = c.lon < a.west - margin ? c.lon + 360 : c.lon
        return lon >= a.west - margin && lon <= east + margin && c.lat >= a.south - margin && c.lat <= a.north + margin
    }

    deinit {
        // Before the context it belongs to.
        if let transformation { proj_destroy(transformation) }
    }

    /// The WGS84 position of `c` (x/easting/longitude first), or nil when PROJ cannot transform it.
    public func toWGS84(_ c: Coordinate) -> Coordinate? {
        switch crs {
        case .wgs84: return c
        case .gcj02: return ChinaShift.gcj02ToWGS84(c)
        case .bd09: return ChinaShift.bd09ToWGS84(c)
        case .epsg:
            guard let transformation else { return nil }
            let out = proj_trans(transformation, PJ_FWD, proj_coord(c.lon, c.lat, 0, 0))
            let x = out.xy.x, y = out.xy.y
            guard x.isFinite, y.isFinite, abs(x) < 1e10 else { return nil }
            return Coordinate(lon: x, lat: y)
        }
    }
}

@available(*, unavailable)
extension CoordinateTransformer: Sendable {}

/// A CRS that cannot be used.
public struct CRSError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// The plane in which Doorstep measures metres: a CGCS2000 3-degree Gauss-Kruger zone in China, else UTM.
public struct MetricZone: Hashable, Sendable, CustomStringConvertible {
    public let epsg: Int

    /// The zone for data centred at `center` (DESIGN.md: EPSG:4534 + floor((lon − 75) / 3 + 0.5) inside China).
    public init(center: Coordinate) {
        if ChinaShift.isInsideChina(center), center.lon >= 75, center.lon <= 135 {
            epsg = 4534 + Int(((center.lon - 75) / 3 + 0.5).rounded(.down))
        } else {
            let zone = min(60, max(1, Int(((center.lon + 180) / 6).rounded(.down)) + 1))
            epsg = (center.lat >= 0 ? 32600 : 32700) + zone
        }
    }

    public var description: String { "EPSG:\(epsg)" }
}
