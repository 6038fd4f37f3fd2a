import Foundation
import XCTest
@testable import DoorstepGeo

final class ChinaShiftTests: XCTestCase {
    // MARK: - Helpers

    /// Metres between two nearby points, equirectangular on a sphere: plenty for errors of millimetres to metres.
    private func metres(_ a: Coordinate, _ b: Coordinate) -> Double {
        let r = 6_371_008.8
        let midLat = (a.lat + b.lat) / 2 * .pi / 180
        let dx = (a.lon - b.lon) * .pi / 180 * cos(midLat) * r
        let dy = (a.lat - b.lat) * .pi / 180 * r
        return (dx * dx + dy * dy).squareRoot()
    }

    /// A grid over the whole "inside China" rectangle, kept slightly inside its edges.
    private var chinaGrid: [Coordinate] {
        var points: [Coordinate] = []
        for lon in stride(from: 72.5, through: 137.5, by: 0.73) {
            for lat in stride(from: 1.0, through: 55.5, by: 0.61) {
                points.append(Coordinate(lon: lon, lat: lat))
            }
        }
        return points
    }

    /// The published GCJ-02 algorithm written out independently of the production code: coefficients pre-folded,
    /// and the degree conversion done through the meridional (M) and prime-vertical (N) radii of Krasovsky 1940.
    private func referenceGCJ02(_ p: Coordinate) -> Coordinate {
        let a = 6_378_245.0, e2 = 0.00669342162296594323
        let x = p.lon - 105, y = p.lat - 35
        let pi = Double.pi
        let shared = 40.0 / 3 * (sin(6 * pi * x) + sin(2 * pi * x))
        let north = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot() + shared
            + 40.0 / 3 * sin(pi * y) + 80.0 / 3 * sin(pi * y / 3)
            + 320.0 / 3 * sin(pi * y / 12) + 640.0 / 3 * sin(pi * y / 30)
        let east = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot() + shared
            + 40.0 / 3 * sin(pi * x) + 80.0 / 3 * sin(pi * x / 3)
            + 100 * sin(pi * x / 12) + 200 * sin(pi * x / 30)
        let phi = p.lat * pi / 180
        let w = 1 - e2 * sin(phi) * sin(phi)
        let m = a * (1 - e2) / pow(w, 1.5)
        let n = a / w.squareRoot()
        return Coordinate(lon: p.lon + east / (n * cos(phi)) * 180 / pi, lat: p.lat + north / m * 180 / pi)
    }

    // MARK: - Published reference values

    func testWGS84ToGCJ02MatchesPublishedBeijingPair() {
        // wandergis/coordtransform README: wgs84togcj02(116.404, 39.915) → [116.41024449916938, 39.91640428150164]
        let g = ChinaShift.wgs84ToGCJ02(Coordinate(lon: 116.404, lat: 39.915))
        XCTAssertEqual(g.lon, 116.41024449916938, accuracy: 1e-11)
        XCTAssertEqual(g.lat, 39.91640428150164, accuracy: 1e-11)
    }

    func testWGS84ToGCJ02MatchesPublishedSecondPair() {
        // wandergis/coordTransform_py README, input (128.543, 37.065):
        // wgs84togcj02 → [128.54820547949757, 37.065651049489816]
        let g = ChinaShift.wgs84ToGCJ02(Coordinate(lon: 128.543, lat: 37.065))
        XCTAssertEqual(g.lon, 128.54820547949757, accuracy: 1e-11)
        XCTAssertEqual(g.lat, 37.065651049489816, accuracy: 1e-11)
    }

    func testGCJ02ToBD09MatchesPublishedPairs() {
        // wandergis/coordtransform README: gcj02tobd09(116.404, 39.915) → [116.41036949371029, 39.92133699351021]
        let b1 = ChinaShift.gcj02ToBD09(Coordinate(lon: 116.404, lat: 39.915))
        XCTAssertEqual(b1.lon, 116.41036949371029, accuracy: 1e-11)
        XCTAssertEqual(b1.lat, 39.92133699351021, accuracy: 1e-11)
        // wandergis/coordTransform_py README: gcj02tobd09(128.543, 37.065) → [128.54944656269413, 37.07113427883019]
        let b2 = ChinaShift.gcj02ToBD09(Coordinate(lon: 128.543, lat: 37.065))
        XCTAssertEqual(b2.lon, 128.54944656269413, accuracy: 1e-11)
        XCTAssertEqual(b2.lat, 37.07113427883019, accuracy: 1e-11)
    }

    func testWGS84ToBD09MatchesPublishedPair() {
        // Published composition wgs84 → gcj02 → bd09 of (116.404, 39.915): (116.41662724378733, 39.922699552216216)
        let b = ChinaShift.wgs84ToBD09(Coordinate(lon: 116.404, lat: 39.915))
        XCTAssertEqual(b.lon, 116.41662724378733, accuracy: 1e-11)
        XCTAssertEqual(b.lat, 39.922699552216216, accuracy: 1e-11)
    }

    func testIterativeInversesAgreeWithPublishedOneStepValuesToCentimetres() {
        // The published one-step inverses of (116.404, 39.915) are approximations; near Beijing they are within a
        // few centimetres of the exact answer, so ours must be close to them but need not be equal.
        let w = ChinaShift.gcj02ToWGS84(Coordinate(lon: 116.404, lat: 39.915))
        XCTAssertLessThan(metres(w, Coordinate(lon: 116.39775550083061, lat: 39.91359571849836)), 0.2)
        let g = ChinaShift.bd09ToGCJ02(Coordinate(lon: 116.404, lat: 39.915))
        XCTAssertLessThan(metres(g, Coordinate(lon: 116.39762729119315, lat: 39.90865673957631)), 0.2)
    }

    // MARK: - Independent formula and magnitudes

    func testForwardAgreesWithIndependentImplementationAcrossChina() {
        for p in chinaGrid {
            let ours = ChinaShift.wgs84ToGCJ02(p)
            let ref = referenceGCJ02(p)
            XCTAssertEqual(ours.lon, ref.lon, accuracy: 1e-9, "\(p)")
            XCTAssertEqual(ours.lat, ref.lat, accuracy: 1e-9, "\(p)")
        }
    }

    func testShiftNearNanjingIsAFewHundredMetres() {
        let nanjing = Coordinate(lon: 118.78, lat: 32.04)
        let shift = metres(nanjing, ChinaShift.wgs84ToGCJ02(nanjing))
        XCTAssertGreaterThan(shift, 300)
        XCTAssertLessThan(shift, 600)
        // Mostly eastward in eastern China (the north-south part changes sign between Nanjing and Beijing).
        let g = ChinaShift.wgs84ToGCJ02(nanjing)
        XCTAssertGreaterThan(g.lon - nanjing.lon, 0.004)
        XCTAssertGreaterThan(g.lon - nanjing.lon, abs(g.lat - nanjing.lat))
    }

    func testShiftNeverExceedsASaneBoundInsideChina() {
        for p in chinaGrid {
            let s = metres(p, ChinaShift.wgs84ToGCJ02(p))
            XCTAssertGreaterThan(s, 1, "\(p)")
            XCTAssertLessThan(s, 800, "\(p)")
        }
    }

    // MARK: - Outside China

    func testGCJ02IsIdentityOutsideChina() {
        let outside = [
            Coordinate(lon: 2.3522, lat: 48.8566),     // Paris
            Coordinate(lon: -74.006, lat: 40.7128),    // New York
            Coordinate(lon: 139.6917, lat: 35.6895),   // Tokyo, east of 137.8347
            Coordinate(lon: 71.9, lat: 39.0),          // just west of the rectangle
            Coordinate(lon: 116.4, lat: 56.0),         // just north of it
            Coordinate(lon: 110.0, lat: 0.5),          // just south of it
        ]
        for p in outside {
            XCTAssertFalse(ChinaShift.isInsideChina(p), "\(p)")
            XCTAssertEqual(ChinaShift.wgs84ToGCJ02(p), p, "\(p)")
            XCTAssertEqual(ChinaShift.gcj02ToWGS84(p), p, "\(p)")
        }
    }

    func testIsInsideChinaRectangle() {
        XCTAssertTrue(ChinaShift.isInsideChina(Coordinate(lon: 116.404, lat: 39.915)))
        XCTAssertTrue(ChinaShift.isInsideChina(Coordinate(lon: 72.004, lat: 0.8293)))
        XCTAssertTrue(ChinaShift.isInsideChina(Coordinate(lon: 137.8347, lat: 55.8271)))
        XCTAssertFalse(ChinaShift.isInsideChina(Coordinate(lon: 72.0039, lat: 30)))
        XCTAssertFalse(ChinaShift.isInsideChina(Coordinate(lon: 137.8348, lat: 30)))
        XCTAssertFalse(ChinaShift.isInsideChina(Coordinate(lon: 100, lat: 0.8292)))
        XCTAssertFalse(ChinaShift.isInsideChina(Coordinate(lon: 100, lat: 55.8272)))
    }

    func testBD09StepStillAppliesOutsideChina() {
        let paris = Coordinate(lon: 2.3522, lat: 48.8566)
        let b = ChinaShift.wgs84ToBD09(paris)
        // Only Baidu's step applies: 0.0065° east and 0.006° north plus the small rotation, several hundred metres.
        XCTAssertGreaterThan(metres(paris, b), 300)
        XCTAssertEqual(b, ChinaShift.gcj02ToBD09(paris))
        XCTAssertLessThan(metres(ChinaShift.bd09ToWGS84(b), paris), 0.01)
    }

    // MARK: - Round trips

    func testGCJ02RoundTripAcrossChinaIsUnderOneCentimetre() {
        for p in chinaGrid {
            let back = ChinaShift.gcj02ToWGS84(ChinaShift.wgs84ToGCJ02(p))
            XCTAssertLessThan(metres(back, p), 0.01, "\(p)")
        }
    }

    func testBD09RoundTripAcrossChinaIsUnderOneCentimetre() {
        for p in chinaGrid {
            let back = ChinaShift.bd09ToWGS84(ChinaShift.wgs84ToBD09(p))
            XCTAssertLessThan(metres(back, p), 0.01, "\(p)")
        }
    }

    func testInversesAreExactPreimages() {
        // Starting from the obfuscated side: the forward image of the inverse must give the input back.
        for p in chinaGrid {
            let w = ChinaShift.gcj02ToWGS84(p)
            XCTAssertLessThan(metres(ChinaShift.wgs84ToGCJ02(w), p), 0.01, "\(p)")
            let g = ChinaShift.bd09ToGCJ02(p)
            XCTAssertLessThan(metres(ChinaShift.gcj02ToBD09(g), p), 0.01, "\(p)")
        }
    }

    func testIterativeInverseBeatsOneStepWhereOneStepIsOffByMetres() {
        // Near the rectangle's northern edge the one-step inverse (subtract the shift at the shifted point) errs by
        // metres; the iterative inverse must not.
        let truth = Coordinate(lon: 116.99, lat: 52.97)
        let g = ChinaShift.wgs84ToGCJ02(truth)
        let again = ChinaShift.wgs84ToGCJ02(g)
        let oneStep = Coordinate(lon: 2 * g.lon - again.lon, lat: 2 * g.lat - again.lat)
        XCTAssertGreaterThan(metres(oneStep, truth), 1)
        XCTAssertLessThan(metres(ChinaShift.gcj02ToWGS84(g), truth), 0.01)
    }

    func testInverseConvergesAtLongitude105() {
        // √|lon − 105| has an unbounded derivative there, the one place a fixed-point iteration could stall.
        for lon in [104.999999, 105.0, 105.000001] {
            let p = Coordinate(lon: lon, lat: 30)
            XCTAssertLessThan(metres(ChinaShift.gcj02ToWGS84(ChinaShift.wgs84ToGCJ02(p)), p), 0.01)
            XCTAssertLessThan(metres(ChinaShift.wgs84ToGCJ02(ChinaShift.gcj02ToWGS84(p)), p), 0.01)
        }
    }
}
