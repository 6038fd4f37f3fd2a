import DoorstepModel
import Foundation

/// Conversions between WGS84 and the two obfuscated datums used by Chinese web maps:
/// GCJ-02 (国测局坐标, "Mars coordinates": Amap/高德, Tencent/腾讯, WeChat) and BD-09 (Baidu/百度).
/// PROJ knows neither, so Doorstep converts them itself before anything reaches the store.
///
/// ## Method
///
/// GCJ-02 is not a datum in the geodetic sense but an officially unpublished, deliberately nonlinear offset. The
/// formulas here are the widely published reverse-engineered algorithm (circulated since about 2009 as the
/// "eviltransform" / `coordtransform` family of ports) that reproduces the official offsets to the precision of the
/// official tables:
///
/// With x = lon − 105 and y = lat − 35 (degrees),
///
///     T_lat(x, y) = −100 + 2x + 3y + 0.2y² + 0.1xy + 0.2√|x|
///                 + ⅔(20 sin 6πx + 20 sin 2πx) + ⅔(20 sin πy + 40 sin πy/3) + ⅔(160 sin πy/12 + 320 sin πy/30)
///     T_lon(x, y) =  300 + x + 2y + 0.1x² + 0.1xy + 0.1√|x|
///                 + ⅔(20 sin 6πx + 20 sin 2πx) + ⅔(20 sin πx + 40 sin πx/3) + ⅔(150 sin πx/12 + 300 sin πx/30)
///
/// are offsets in metre-like units, turned into degrees on the Krasovsky 1940 ellipsoid (a = 6378245.0,
/// e² = 0.00669342162296594323) at the point's latitude φ, with W = 1 − e² sin²φ:
///
///     Δlat = T_lat · 180 / (π · a(1 − e²) / W^{3/2})      (meridional radius of curvature)
///     Δlon = T_lon · 180 / (π · a / √W · cos φ)            (parallel radius)
///     GCJ-02 = WGS84 + (Δlon, Δlat)
///
/// The offset is only applied inside the conventional rectangle lon 72.004–137.8347, lat 0.8293–55.8271
/// (see ``isInsideChina(_:)``); outside it GCJ-02 equals WGS84. The shift is a few hundred metres in the eastern
/// cities (about 540 m at Nanjing), at most about 700 m, and only tens of metres in parts of Qinghai.
///
/// BD-09 is Baidu's further rotation-and-scaling of GCJ-02 (x, y in degrees), with x_π = π · 3000 / 180:
///
///     z = √(x² + y²) + 0.00002 sin(y x_π)
///     θ = atan2(y, x) + 0.000003 cos(x x_π)
///     BD-09 = (z cos θ + 0.0065, z sin θ + 0.006)
///
/// BD-09 is always this step on top of GCJ-02, so a BD-09 point outside China is still shifted (by the BD step
/// alone) — that is what Baidu's API does.
///
/// ## Inverses and accuracy
///
/// Neither forward map has a closed-form inverse. The common "one-step" inverse (subtract the shift evaluated at
/// the shifted point) is off by metres for GCJ-02 — commonly quoted as up to 1.7 m, and up to about 4.5 m near
/// the rectangle's northern edge by our own grid check — which is more than a doorstep is worth. Here the
/// inverse is a fixed-point iteration w ← w − (F(w) − g): the shift's derivative is of order 10⁻⁵, so each
/// round gains about five digits and two or three rounds reach machine precision. It stops when the forward image
/// matches the input to better than 10⁻¹² degrees (about 0.1 µm), or after a bounded number of rounds. The
/// round trip forward(inverse(p)) is therefore exact to well under a millimetre, as is inverse(forward(p)).
///
/// Near the rectangle's edge the forward map is discontinuous (the shift switches off), so some GCJ-02 positions
/// have no WGS84 pre-image; for those the inverse returns the pre-image under the unclipped shift, the continuous
/// answer. A GCJ-02 position outside the rectangle is returned unchanged.
public enum ChinaShift {
    // Krasovsky 1940 ellipsoid, which the published algorithm uses (not WGS84's).
    private static let a = 6378245.0
    private static let ee = 0.00669342162296594323
    private static let xPi = Double.pi * 3000.0 / 180.0

    // 1e-12° is ~0.1 µm: far below anything measurable, yet above the rounding noise of the forward formula
    // (~1e-14° at lon 130), so the loop terminates on convergence rather than on the round limit.
    private static let tolerance = 1e-12
    // Convergence is ~1e-5 per round except right at lon 105, where √|x| has an unbounded derivative and a round
    // can gain fewer digits; 30 rounds is ample there and costs nothing elsewhere.
    private static let maxRounds = 30

    /// Whether a position lies in the conventional rectangle where GCJ-02 differs from WGS84
    /// (lon 72.004–137.8347, lat 0.8293–55.8271, inclusive). It also covers neighbouring countries' border areas
    /// and sea; that is the convention every GCJ-02 implementation shares, so it is kept as is.
    public static func isInsideChina(_ c: Coordinate) -> Bool {
        c.lon >= 72.004 && c.lon <= 137.8347 && c.lat >= 0.8293 && c.lat <= 55.8271
    }

    /// WGS84 → GCJ-02. Identity outside ``isInsideChina(_:)``.
    public static func wgs84ToGCJ02(_ c: Coordinate) -> Coordinate {
        guard isInsideChina(c) else { return c }
        let d = gcjOffset(c)
        return Coordinate(lon: c.lon + d.lon, lat: c.lat + d.lat)
    }

    /// GCJ-02 → WGS84, solved iteratively so that `wgs84ToGCJ02(gcj02ToWGS84(g))` equals `g` to about 10⁻¹²°.
    /// Identity when `c` is outside ``isInsideChina(_:)``.
    public static func gcj02ToWGS84(_ c: Coordinate) -> Coordinate {
        guard isInsideChina(c), c.lon.isFinite, c.lat.isFinite else { return c }
        // The one-step inverse is the starting point; it is already within ~2 m.
        let d0 = gcjOffset(c)
        var w = Coordinate(lon: c.lon - d0.lon, lat: c.lat - d0.lat)
        for _ in 0..<maxRounds {
            // Unclipped shift on purpose: clipping would make the iteration oscillate at the rectangle's edge.
            let d = gcjOffset(w)
            let eLon = w.lon + d.lon - c.lon
            let eLat = w.lat + d.lat - c.lat
            w.lon -= eLon
            w.lat -= eLat
            if abs(eLon) < tolerance && abs(eLat) < tolerance { break }
        }
        return w
    }

    /// GCJ-02 → BD-09 (Baidu's step; applied everywhere, inside China or not).
    public static func gcj02ToBD09(_ c: Coordinate) -> Coordinate {
        let x = c.lon, y = c.lat
        let z = (x * x + y * y).squareRoot() + 0.00002 * sin(y * xPi)
        let theta = atan2(y, x) + 0.000003 * cos(x * xPi)
        return Coordinate(lon: z * cos(theta) + 0.0065, lat: z * sin(theta) + 0.006)
    }

    /// BD-09 → GCJ-02, solved iteratively so that `gcj02ToBD09(bd09ToGCJ02(b))` equals `b` to about 10⁻¹²°.
    public static func bd09ToGCJ02(_ c: Coordinate) -> Coordinate {
        guard c.lon.isFinite, c.lat.isFinite else { return c }
        // The published one-step inverse (signs of the perturbations flipped) is the starting point.
        let x = c.lon - 0.0065, y = c.lat - 0.006
        let z = (x * x + y * y).squareRoot() - 0.00002 * sin(y * xPi)
        let theta = atan2(y, x) - 0.000003 * cos(x * xPi)
        var g = Coordinate(lon: z * cos(theta), lat: z * sin(theta))
        for _ in 0..<maxRounds {
            let b = gcj02ToBD09(g)
            let eLon = b.lon - c.lon
            let eLat = b.lat - c.lat
            g.lon -= eLon
            g.lat -= eLat
            if abs(eLon) < tolerance && abs(eLat) < tolerance { break }
        }
        return g
    }

    /// WGS84 → BD-09: GCJ-02 first (identity outside China), then Baidu's step.
    public static func wgs84ToBD09(_ c: Coordinate) -> Coordinate {
        gcj02ToBD09(wgs84ToGCJ02(c))
    }

    /// BD-09 → WGS84: both steps inverted iteratively.
    public static func bd09ToWGS84(_ c: Coordinate) -> Coordinate {
        gcj02ToWGS84(bd09ToGCJ02(c))
    }

    // MARK: - The published polynomials

    /// The GCJ-02 shift at `c` in degrees, without the rectangle test.
    private static func gcjOffset(_ c: Coordinate) -> (lon: Double, lat: Double) {
        let x = c.lon - 105.0, y = c.lat - 35.0
        let tLat = transformLat(x, y)
        let tLon = transformLon(x, y)
        let radLat = c.lat / 180.0 * Double.pi
        let s = sin(radLat)
        let magic = 1 - ee * s * s
        let sqrtMagic = magic.squareRoot()
        let dLat = (tLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Double.pi)
        let dLon = (tLon * 180.0) / (a / sqrtMagic * cos(radLat) * Double.pi)
        return (dLon, dLat)
    }

    private static func transformLat(_ x: Double, _ y: Double) -> Double {
        var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        r += (20.0 * sin(6.0 * x * Double.pi) + 20.0 * sin(2.0 * x * Double.pi)) * 2.0 / 3.0
        r += (20.0 * sin(y * Double.pi) + 40.0 * sin(y / 3.0 * Double.pi)) * 2.0 / 3.0
        r += (160.0 * sin(y / 12.0 * Double.pi) + 320.0 * sin(y * Double.pi / 30.0)) * 2.0 / 3.0
        return r
    }

    private static func transformLon(_ x: Double, _ y: Double) -> Double {
        var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        r += (20.0 * sin(6.0 * x * Double.pi) + 20.0 * sin(2.0 * x * Double.pi)) * 2.0 / 3.0
        r += (20.0 * sin(x * Double.pi) + 40.0 * sin(x / 3.0 * Double.pi)) * 2.0 / 3.0
        r += (150.0 * sin(x / 12.0 * Double.pi) + 300.0 * sin(x / 30.0 * Double.pi)) * 2.0 / 3.0
        return r
    }
}
