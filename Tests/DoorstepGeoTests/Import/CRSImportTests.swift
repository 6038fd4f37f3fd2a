import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Coordinate reference systems on import: CGCS2000, Gauss-Krüger zones, the legacy `crs` member, GCJ-02, BD-09,
/// and CRSs that are unknown, 3-D or geocentric, or coordinates that do not fit the one given.
final class CRSImportTests: ImportTestCase {
    /// Gauss-Krüger (transverse Mercator, k0 = 1, false easting 500 000 m, no zone prefix) on the CGCS2000
    /// ellipsoid, by the textbook series (Snyder, Map Projections — A Working Manual, eqs. 3-21, 8-9, 8-10).
    private static func gaussKruger(_ p: Coordinate, centralMeridian: Double) -> (easting: Double, northing: Double) {
        let a = 6_378_137.0, f = 1 / 298.257222101
        let e2 = f * (2 - f), e4 = e2 * e2, e6 = e4 * e2
        let ep2 = e2 / (1 - e2)
        let phi = p.lat * .pi / 180
        let sinPhi = sin(phi), cosPhi = cos(phi), tanPhi = tan(phi)
        let n = a / (1 - e2 * sinPhi * sinPhi).squareRoot()
        let t = tanPhi * tanPhi, c = ep2 * cosPhi * cosPhi
        let aa = (p.lon - centralMeridian) * .pi / 180 * cosPhi
        let m = a * ((1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
            - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * sin(2 * phi)
            + (15 * e4 / 256 + 45 * e6 / 1024) * sin(4 * phi)
            - (35 * e6 / 3072) * sin(6 * phi))
        let x = n * (aa + (1 - t + c) * pow(aa, 3) / 6 + (5 - 18 * t + t * t + 72 * c - 58 * ep2) * pow(aa, 5) / 120)
        let y = m + n * tanPhi * (aa * aa / 2 + (5 - t + 9 * c + 4 * c * c) * pow(aa, 4) / 24
            + (61 - 58 * t + t * t + 600 * c - 330 * ep2) * pow(aa, 6) / 720)
        return (500_000 + x, y)
    }

    private let nanjing = Coordinate(lon: 118.78, lat: 32.04)

    func testGaussKrugerSeriesMatchesPROJ() {
        // `echo "32.04 118.78" | cs2cs EPSG:4490 EPSG:4549 -f %.4f` → 3546938.8412 384764.6068 (PROJ 9.1.1).
        let gk = Self.gaussKruger(nanjing, centralMeridian: 120)
        XCTAssertEqual(gk.easting, 384_764.6068, accuracy: 0.002)
        XCTAssertEqual(gk.northing, 3_546_938.8412, accuracy: 0.002)
    }

    func testCGCS2000GeographicEPSG4490() throws {
        let summary = try importText(.stations, "cgcs.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(nanjing.lon, nanjing.lat)),
        ]), crs: .epsg(4490))
        XCTAssertEqual(summary.crs, .epsg(4490))
        XCTAssertEqual(Geodesic.distance(try stationPoint("S1"), nanjing), 0, accuracy: 0.01)
        XCTAssertEqual(try text("SELECT crs FROM import_log"), "EPSG:4490")
    }

    func testGaussKrugerZoneEPSG4549() throws {
        let gk = Self.gaussKruger(nanjing, centralMeridian: 120)
        XCTAssertLessThan(gk.easting, 500_000, "west of the central meridian")
        XCTAssertLessThan(gk.easting, 1_000_000, "EPSG:4549 has no zone number in front of the easting")
        let other = Coordinate(lon: 120.9, lat: 31.3)
        let gk2 = Self.gaussKruger(other, centralMeridian: 120)
        let summary = try importText(.stations, "gk.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(gk.easting, gk.northing)),
            feature(#"{"id": "S2", "name": "昆山"}"#, point(gk2.easting, gk2.northing)),
        ]), crs: .epsg(4549))
        XCTAssertEqual(summary.crs, .epsg(4549))
        let stored = try stationPoint("S1")
        XCTAssertEqual(Geodesic.distance(stored, nanjing), 0, accuracy: 0.01, "stored \(stored)")
        XCTAssertEqual(Geodesic.distance(try stationPoint("S2"), other), 0, accuracy: 0.01)
    }

    func testSwappedEastingAndNorthingInAProjectedCRS() throws {
        let gk = Self.gaussKruger(nanjing, centralMeridian: 120)
        // PROJ transforms the swapped pair without complaint, to about 146°E 3°N in the Pacific; the CRS's area of
        // use (118.5–121.5°E) is what gives it away.
        let error = try assertTextFails(.stations, "gk-swapped.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(gk.northing, gk.easting)),
        ]), crs: .epsg(4549))
        assertProblem(error, file: "gk-swapped.geojson", at: .feature(index: 1, id: "S1"), field: "geometry",
                      ["outside the area of EPSG:4549", "easting and northing look swapped"])
    }

    func testLegacyCRSMemberIsHonoured() throws {
        let gk = Self.gaussKruger(nanjing, centralMeridian: 120)
        let crsMember = #" "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},"#
        let summary = try importText(.stations, "legacy.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(gk.easting, gk.northing)),
        ], members: crsMember))
        XCTAssertEqual(summary.crs, .epsg(4549))
        XCTAssertEqual(Geodesic.distance(try stationPoint("S1"), nanjing), 0, accuracy: 0.01)
        XCTAssertEqual(try text("SELECT crs FROM import_log"), "EPSG:4549")

        // The CRS84 URN means plain lon/lat.
        let crs84 = #" "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},"#
        let plain = try importText(.stations, "crs84.geojson", collection([
            feature(#"{"id": "S2", "name": "汉中门"}"#, point(118.77, 32.038)),
        ], members: crs84))
        XCTAssertEqual(plain.crs, .wgs84)
        XCTAssertEqual(try row("SELECT ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S2'"), [.double(118.77), .double(32.038)])
    }

    func testUnknownLegacyCRSMemberIsAnError() throws {
        try seedCity()
        let member = #" "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}},"#
        let error = try assertTextFails(.stations, "unknown-crs.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(118.78, 32.04)),
        ], members: member))
        assertProblem(error, file: "unknown-crs.geojson", at: .file, field: "crs", ["EPSG:999999"])

        let linked = #" "crs": {"type": "link", "properties": {"href": "http://example.com/crs"}},"#
        let error2 = try assertTextFails(.stations, "link-crs.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(118.78, 32.04)),
        ], members: linked))
        assertProblem(error2, file: "link-crs.geojson", at: .file, field: "crs", ["only named CRS"])
    }

    func testGCJ02Import() throws {
        let points = [nanjing, Coordinate(lon: 116.404, lat: 39.915), Coordinate(lon: 113.2644, lat: 23.1291)]
        let shifted = points.map(ChinaShift.wgs84ToGCJ02)
        for (p, s) in zip(points, shifted) { XCTAssertGreaterThan(Geodesic.distance(p, s), 100, "GCJ-02 must shift the test points") }
        let summary = try importText(.stations, "amap.geojson", collection(shifted.enumerated().map { i, s in
            feature(#"{"id": "S\#(i)", "name": "站\#(i)"}"#, point(s.lon, s.lat))
        }), crs: .gcj02)
        XCTAssertEqual(summary.crs, .gcj02)
        for (i, p) in points.enumerated() {
            XCTAssertEqual(Geodesic.distance(try stationPoint("S\(i)"), p), 0, accuracy: 0.5)
        }
        XCTAssertEqual(try text("SELECT crs FROM import_log"), "gcj02")
    }

    func testBD09Import() throws {
        let points = [nanjing, Coordinate(lon: 121.4737, lat: 31.2304)]
        let shifted = points.map(ChinaShift.wgs84ToBD09)
        for (p, s) in zip(points, shifted) { XCTAssertGreaterThan(Geodesic.distance(p, s), 500, "BD-09 must shift the test points") }
        try importText(.stations, "baidu.geojson", collection(shifted.enumerated().map { i, s in
            feature(#"{"id": "S\#(i)", "name": "站\#(i)"}"#, point(s.lon, s.lat))
        }), crs: .bd09)
        for (i, p) in points.enumerated() {
            XCTAssertEqual(Geodesic.distance(try stationPoint("S\(i)"), p), 0, accuracy: 0.5)
        }
        // BD-09 polygons are converted vertex by vertex.
        let ring = square(118.78, 32.04).map { ChinaShift.wgs84ToBD09(Coordinate(lon: $0.0, lat: $0.1)) }.map { ($0.lon, $0.lat) }
        try importText(.compounds, "baidu-c.geojson", collection([feature(#"{"id": "C1", "name": "百度小区"}"#, polygon([ring]))]), crs: .bd09)
        let corner = try row("SELECT ST_X(ST_PointN(ST_ExteriorRing(geom), 3)), ST_Y(ST_PointN(ST_ExteriorRing(geom), 3)) FROM compounds")
        guard case .double(let x) = corner[0], case .double(let y) = corner[1] else { return XCTFail("no corner") }
        XCTAssertEqual(Geodesic.distance(Coordinate(lon: x, lat: y), Coordinate(lon: 118.782, lat: 32.042)), 0, accuracy: 0.5)
    }

    func testCSVWithGCJ02Coordinates() throws {
        let s = ChinaShift.wgs84ToGCJ02(nanjing)
        let url = try write("amap.csv", "id,name,lng,lat\nS1,高德站,\(s.lon),\(s.lat)\n")
        try importFile(.stations, url, crs: .gcj02)
        XCTAssertEqual(Geodesic.distance(try stationPoint("S1"), nanjing), 0, accuracy: 0.5)
    }

    func testUnknownEPSGCodeIsAClearError() throws {
        try seedCity()
        let url = try write("where.geojson", collection([feature(#"{"id": "S1", "name": "新街口"}"#, point(118.78, 32.04))]))
        let error = try assertImportFails(.stations, url, crs: .epsg(999_999))
        assertProblem(error, file: "where.geojson", at: .file, field: "crs", ["EPSG:999999"])
        XCTAssertNil(InputCRS("EPSG:abc"))
        XCTAssertEqual(InputCRS("urn:ogc:def:crs:EPSG::4549"), .epsg(4549))
    }

    func testProjectedCoordinatesGivenWithoutCRS() throws {
        try seedCity()
        let gk = Self.gaussKruger(nanjing, centralMeridian: 120)
        // Metres in a file without a CRS: the message suggests --crs.
        let error2 = try assertTextFails(.stations, "metres.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口"}"#, point(gk.easting, gk.northing)),
        ]))
        assertProblem(error2, file: "metres.geojson", at: .feature(index: 1, id: "S1"), field: "geometry", ["out of range", "--crs"])
    }

    /// 3-D and geocentric CRSs are refused for 2-D positions (CRSError, which the HTTP service returns as a 400); an
    /// unknown code carries PROJ's own words instead of PROJ printing them.
    func testGeocentricAnd3DCRSAreRefused() throws {
        for (code, words) in [(4978, "geocentric"), (4979, "3-D CRS"), (5773, "not a geographic or projected 2-D CRS")] {
            XCTAssertThrowsError(try CoordinateTransformer(from: .epsg(code))) { error in
                let message = (error as? CRSError)?.message ?? "\(error)"
                XCTAssertTrue(message.contains("EPSG:\(code)") && message.contains(words), message)
            }
        }
        XCTAssertThrowsError(try CoordinateTransformer(from: .epsg(999_999))) { error in
            XCTAssertTrue("\(error)".contains("PROJ: proj_create: crs not found"), "\(error)")
        }
        XCTAssertNotNil(try CoordinateTransformer(from: .epsg(4548)).toWGS84(Coordinate(lon: 500_000, lat: 3_550_000)))
        try seedCity()
        let error = try assertTextFails(.stations, "geocentric.geojson", collection([
            feature(#"{"id": "S5", "name": "站"}"#, point(-2_600_000, 4_700_000)),
        ]), crs: .epsg(4978))
        assertProblem(error, file: "geocentric.geojson", at: .file, field: "crs", ["geocentric"])
    }
}
