import DoorstepModel
import Foundation

/// Distances and bearings on the WGS84 ellipsoid (DESIGN.md: "straight distance is geodesic").
///
/// Vincenty's inverse method (1975): accurate to about 0.5 mm, the same ellipsoidal distance SpatiaLite's
/// `ST_Distance(a, b, 1)` gives. For the nearly antipodal pairs where it does not converge (never within a city) it
/// falls back to the great-circle distance on the mean-radius sphere.
public enum Geodesic {
    public static let a = 6_378_137.0
    public static let f = 1 / 298.257223563
    public static let b = a * (1 - f)
    /// Mean radius (2a + b) / 3, for spherical bounds.
    public static let meanRadius = (2 * a + b) / 3

    /// Geodesic distance in metres.
    public static func distance(_ p: Coordinate, _ q: Coordinate) -> Double {
        inverse(p, q).distance
    }

    /// Distance in metres and initial bearing in degrees clockwise from north (0..<360) from `p` towards `q`.
    public static func inverse(_ p: Coordinate, _ q: Coordinate) -> (distance: Double, bearing: Double) {
        if p == q { return (0, 0) }
        let rad = Double.pi / 180
        let L = (q.lon - p.lon) * rad
        let U1 = atan((1 - f) * tan(p.lat * rad))
        let U2 = atan((1 - f) * tan(q.lat * rad))
        let sinU1 = sin(U1), cosU1 = cos(U1), sinU2 = sin(U2), cosU2 = cos(U2)
        var lambda = L
        var iterations = 0
        var sinSigma = 0.0, cosSigma = 0.0, sigma = 0.0, cosSqAlpha = 0.0, cos2SigmaM = 0.0
        var sinLambda = 0.0, cosLambda = 0.0
        while true {
            sinLambda = sin(lambda)
            cosLambda = cos(lambda)
            let t1 = cosU2 * sinLambda
            let t2 = cosU1 * sinU2 - sinU1 * cosU2 * cosLambda
            sinSigma = (t1 * t1 + t2 * t2).squareRoot()
            if sinSigma == 0 { return (0, 0) }
            cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda
            sigma = atan2(sinSigma, cosSigma)
            let sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma
            cosSqAlpha = 1 - sinAlpha * sinAlpha
            cos2SigmaM = cosSqAlpha != 0 ? cosSigma - 2 * sinU1 * sinU2 / cosSqAlpha : 0
            let C = f / 16 * cosSqAlpha * (4 + f * (4 - 3 * cosSqAlpha))
            let previous = lambda
            lambda = L + (1 - C) * f * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)))
            iterations += 1
            if abs(lambda - previous) < 1e-12 { break }
            if iterations >= 200 { return greatCircle(p, q) }
        }
        let uSq = cosSqAlpha * (a * a - b * b) / (b * b)
        let A = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)))
        let B = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)))
        let deltaSigma = B * sinSigma * (cos2SigmaM + B / 4 * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
            - B / 6 * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)))
        let distance = b * A * (sigma - deltaSigma)
        var bearing = atan2(cosU2 * sinLambda, cosU1 * sinU2 - sinU1 * cosU2 * cosLambda) / rad
        if bearing < 0 { bearing += 360 }
        return (distance, bearing)
    }

    /// Haversine distance and initial bearing on the mean-radius sphere.
    package static func greatCircle(_ p: Coordinate, _ q: Coordinate) -> (distance: Double, bearing: Double) {
        let rad = Double.pi / 180
        let phi1 = p.lat * rad, phi2 = q.lat * rad
        let dphi = phi2 - phi1, dl = (q.lon - p.lon) * rad
        let h = sin(dphi / 2) * sin(dphi / 2) + cos(phi1) * cos(phi2) * sin(dl / 2) * sin(dl / 2)
        let d = 2 * meanRadius * asin(min(1, h.squareRoot()))
        var bearing = atan2(sin(dl) * cos(phi2), cos(phi1) * sin(phi2) - sin(phi1) * cos(phi2) * cos(dl)) / rad
        if bearing < 0 { bearing += 360 }
        return (d, bearing)
    }

    /// The eight-point compass name of a bearing (N, NE, E …), for listings.
    public static func compassPoint(_ bearing: Double) -> String {
        let names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
        return names[Int(((bearing.truncatingRemainder(dividingBy: 360) + 360 + 22.5) / 45).rounded(.down)) % 8]
    }
}
