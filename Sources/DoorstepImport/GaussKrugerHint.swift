import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// Which CRS projected metres given without one are probably in, worked out from the coordinates themselves.
///
/// Chinese planners' metres are nearly always CGCS2000 Gauss-Kruger (EPSG, as PROJ's database has them):
/// - 3-degree zones 25–45 (central meridian 3 × zone) with the zone number in front of the easting
///   (x = zone × 1 000 000 + 500 000 ± …): EPSG:4513–4533; the same zones without it: EPSG:4534–4554.
/// - 6-degree zones 13–23 (central meridian 6 × zone − 3) with the zone number: EPSG:4491–4501; without: EPSG:4502–4512.
/// Zone numbers 13–23 and 25–45 do not overlap, so a prefixed easting names its zone. An easting without one
/// (0…1 000 000) fits every zone; the data already in the database (its extent) picks the zones that put the point
/// among it, else the families are listed.
public struct GaussKrugerHint: Sendable, Equatable {
    /// Suggested EPSG codes, best first.
    public let codes: [Int]
    /// The hint as the import message gives it.
    public let text: String

    /// A northing in China (0–55°N) is below about 6 100 000 m.
    package static let northings = 0.0...6_500_000
    /// An easting without zone number: 500 000 m ± half a zone (a 6-degree zone is at most about 340 km wide either side).
    package static let plainEastings = 0.0...1_000_000

    /// The hint for the first position `c` (x first) that is not longitude/latitude; `reference` is the extent of the
    /// database's layers (WGS84), when it has any.
    public static func suggest(_ c: Coordinate, reference: BoundingBox?) -> GaussKrugerHint? {
        if let hint = suggest(easting: c.lon, northing: c.lat, reference: reference) { return hint }
        // Northing first: say so as well.
        if let hint = suggest(easting: c.lat, northing: c.lon, reference: reference) {
            return GaussKrugerHint(codes: hint.codes, text: hint.text + "; the values look swapped too (easting must come first)")
        }
        return nil
    }

    package static func suggest(easting x: Double, northing y: Double, reference: BoundingBox?) -> GaussKrugerHint? {
        guard northings.contains(y), x.isFinite, x >= 0 else { return nil }
        if x >= 13_000_000, x < 46_000_000 {
            let zone = Int((x / 1_000_000).rounded(.down))
            if (25...45).contains(zone) {
                let cm = 3 * zone
                let prefixed = 4513 + zone - 25, plain = 4534 + zone - 25
                return GaussKrugerHint(codes: [prefixed, plain], text: """
                    the easting \(fmt(x)) starts with zone number \(zone): CGCS2000 3-degree Gauss-Kruger zone \(zone) \
                    (central meridian \(cm)°E) — give --crs EPSG:\(prefixed) (EPSG:\(plain) is the same zone with \
                    the \(zone) taken off the eastings)
                    """)
            }
            if (13...23).contains(zone) {
                let cm = 6 * zone - 3
                let prefixed = 4491 + zone - 13, plain = 4502 + zone - 13
                return GaussKrugerHint(codes: [prefixed, plain], text: """
                    the easting \(fmt(x)) starts with zone number \(zone): CGCS2000 6-degree Gauss-Kruger zone \(zone) \
                    (central meridian \(cm)°E) — give --crs EPSG:\(prefixed) (EPSG:\(plain) is the same zone with \
                    the \(zone) taken off the eastings)
                    """)
            }
            return nil
        }
        guard plainEastings.contains(x) else { return nil }
        let generic = """
            the easting \(fmt(x)) has no zone number in front, so the zone cannot be read from it: CGCS2000 \
            3-degree Gauss-Kruger zones without zone number are EPSG:4534–4554 (central meridians 75°E…135°E, \
            EPSG:4534 + (meridian − 75) / 3, e.g. EPSG:4549 for 120°E), 6-degree ones EPSG:4502–4512
            """
        guard let reference else { return GaussKrugerHint(codes: [], text: generic) }
        // Each zone's meridian, and whether it puts the point among the data already stored (widened by 0.5°, about 50 km).
        let near = BoundingBox(west: reference.west - 0.5, south: reference.south - 0.5,
                               east: reference.east + 0.5, north: reference.north + 0.5)
        var fits = [(code: Int, cm: Int, degrees: Int, distance: Double)]()
        let zones = (0...20).map { (4534 + $0, 75 + 3 * $0, 3) } + (0...10).map { (4502 + $0, 75 + 6 * $0, 6) }
        for (code, cm, degrees) in zones {
            guard let t = try? CoordinateTransformer(from: .epsg(code)), let p = t.toWGS84(Coordinate(lon: x, lat: y)),
                  p.lon >= near.west, p.lon <= near.east, p.lat >= near.south, p.lat <= near.north else { continue }
            fits.append((code, cm, degrees, Geodesic.distance(p, reference.center)))
        }
        guard !fits.isEmpty else {
            return GaussKrugerHint(codes: [], text: generic + String(format: "; none of them puts it near the data already in the database (lon %.2f…%.2f, lat %.2f…%.2f)",
                                                                     reference.west, reference.east, reference.south, reference.north))
        }
        fits.sort { ($0.degrees, $0.distance) < ($1.degrees, $1.distance) } // 3-degree zones are what city surveys use
        let listed = fits.map { "EPSG:\($0.code) (\($0.degrees)-degree zone, central meridian \($0.cm)°E)" }
        let near2 = String(format: "near %.2f°E, %.2f°N", reference.center.lon, reference.center.lat)
        return GaussKrugerHint(codes: fits.map(\.code), text: "the easting \(fmt(x)) has no zone number in front; with the data "
            + "already in the database (\(near2)) it fits --crs " + listed.joined(separator: " or "))
    }

    private static func fmt(_ v: Double) -> String { String(format: "%.0f", v) }
}
