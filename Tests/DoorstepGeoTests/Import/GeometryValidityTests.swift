import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Geometries that are out of range, swapped, of a type the layer does not take, self-intersecting, unclosed or
/// degenerate: refused with the feature named, or repaired with `--make-valid`.
final class GeometryValidityTests: ImportTestCase {
    func testCoordinatesOutOfRange() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "range.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S6", "name": "六号站"}"#, point(218.78, 32.04)),
            feature(#"{"id": "S7", "name": "七号站"}"#, point(118.78, -95)),
        ]))
        assertProblem(error, file: "range.geojson", at: .feature(index: 2, id: "S6"), field: "geometry",
                      ["longitude 218.78 is out of range"])
        assertProblem(error, file: "range.geojson", at: .feature(index: 3, id: "S7"), field: "geometry",
                      ["latitude -95.0 is out of range"])

        // In a polygon the message says which position.
        let error2 = try assertTextFails(.compounds, "range-poly.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([[(118.78, 32.04), (118.79, 32.04), (118.79, 92.05), (118.78, 32.04)]])),
        ]))
        assertProblem(error2, file: "range-poly.geojson", at: .feature(index: 1, id: "C5"), field: "geometry",
                      ["position 3", "latitude 92.05"])
    }

    func testLatitudeAndLongitudeSwapped() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "swapped.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(32.04, 118.78)),
        ]))
        assertProblem(error, file: "swapped.geojson", at: .feature(index: 1, id: "S5"), field: "geometry",
                      ["latitude 118.78 is out of range", "look swapped"])

        let csv = try write("swapped.csv", "id,name,lat,lon\nS5,五号站,118.78,32.04\n")
        let error2 = try assertImportFails(.stations, csv)
        assertProblem(error2, file: "swapped.csv", at: .line(2, id: "S5"), field: "geometry", ["look swapped"])
    }

    func testSelfIntersectingPolygonIsRefused() throws {
        try seedCity()
        let bowTie = [(118.78, 32.04), (118.79, 32.05), (118.79, 32.04), (118.78, 32.05), (118.78, 32.04)]
        let error = try assertTextFails(.compounds, "bowtie.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([square(118.80, 32.04)])),
            feature(#"{"id": "C6", "name": "蝴蝶小区"}"#, polygon([bowTie])),
        ]))
        assertProblem(error, file: "bowtie.geojson", at: .feature(index: 2, id: "C6"), field: "geometry",
                      ["invalid polygon", "Self-intersection", "--make-valid"])
        let grid = try assertTextFails(.grids, "bowtie-grid.geojson", collection([
            feature(#"{"id": "G5", "name": "蝴蝶网格"}"#, multiPolygon([[bowTie]])),
        ]))
        assertProblem(grid, file: "bowtie-grid.geojson", at: .feature(index: 1, id: "G5"), field: "geometry", ["Self-intersection"])
    }

    func testSelfIntersectingPolygonIsRepairedWithMakeValid() throws {
        try seedCity()
        let bowTie = [(118.78, 32.04), (118.79, 32.05), (118.79, 32.04), (118.78, 32.05), (118.78, 32.04)]
        let summary = try importText(.compounds, "bowtie.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([square(118.80, 32.04)])),
            feature(#"{"id": "C6", "name": "蝴蝶小区", "households": 50}"#, polygon([bowTie])),
        ]), makeValid: true)
        XCTAssertEqual(summary.features, 2)
        XCTAssertEqual(summary.repairs.count, 1)
        XCTAssertEqual(summary.repairs.first?.location, .feature(index: 2, id: "C6"))
        XCTAssertEqual(summary.repairs.first?.field, "geometry")
        XCTAssertTrue(summary.repairs.first?.message.contains("ST_MakeValid") ?? false)
        XCTAssertTrue(summary.repairs.first?.message.contains("Self-intersection") ?? false)
        XCTAssertEqual(try row("SELECT ST_IsValid(geom), GeometryType(geom), ST_NumGeometries(geom), households FROM compounds WHERE id = 'C6'"),
                       [.int(1), .text("MULTIPOLYGON"), .int(2), .int(50)])
        XCTAssertEqual(try double("SELECT ST_Area(geom) FROM compounds WHERE id = 'C6'") ?? 0, 2 * 0.01 * 0.005 / 2, accuracy: 1e-12)
        XCTAssertEqual(try int("SELECT ST_Contains(geom, MakePoint(ref_lon, ref_lat, 4326)) FROM compounds WHERE id = 'C6'"), 1)
        XCTAssertEqual(try text("SELECT GeometryType(geom) FROM compounds WHERE id = 'C5'"), "POLYGON", "valid polygons are left alone")
        XCTAssertEqual(try int("SELECT repaired FROM import_log ORDER BY seq DESC LIMIT 1"), 1)
    }

    func testUnclosedRing() throws {
        try seedCity()
        let open = [(118.78, 32.04), (118.79, 32.04), (118.79, 32.05), (118.78, 32.05)]
        let error = try assertTextFails(.compounds, "open.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([open])),
        ]))
        assertProblem(error, file: "open.geojson", at: .feature(index: 1, id: "C5"), field: "geometry", ["ring 1 is not closed"])

        let summary = try importText(.compounds, "open.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([open])),
        ]), makeValid: true)
        XCTAssertEqual(summary.repairs.map(\.location), [.feature(index: 1, id: "C5")])
        XCTAssertTrue(summary.repairs.first?.message.contains("not closed") ?? false, "\(summary.repairs)")
        XCTAssertEqual(try row("SELECT ST_IsValid(geom), ST_NPoints(geom), ST_IsClosed(ST_ExteriorRing(geom)) FROM compounds WHERE id = 'C5'"),
                       [.int(1), .int(5), .int(1)])
        XCTAssertEqual(try double("SELECT ST_Area(geom) FROM compounds WHERE id = 'C5'") ?? 0, 0.0001, accuracy: 1e-12)
    }

    func testDegeneratePolygons() throws {
        try seedCity()
        let error = try assertTextFails(.compounds, "degenerate.geojson", collection([
            // Checked by GEOS when written; written only while the import is still clean, so it comes first.
            feature(#"{"id": "C6", "name": "一线小区"}"#, polygon([[(118.78, 32.04), (118.79, 32.05), (118.80, 32.06), (118.78, 32.04)]])),
            feature(#"{"id": "C5", "name": "三点小区"}"#, polygon([[(118.78, 32.04), (118.79, 32.04), (118.78, 32.04)]])),
            feature(#"{"id": "C7", "name": "空小区"}"#, #"{"type": "Polygon", "coordinates": []}"#),
        ]))
        assertProblem(error, file: "degenerate.geojson", at: .feature(index: 2, id: "C5"), field: "geometry", ["degenerate", "3 positions"])
        assertProblem(error, file: "degenerate.geojson", at: .feature(index: 1, id: "C6"), field: "geometry", ["invalid polygon"])
        assertProblem(error, file: "degenerate.geojson", at: .feature(index: 3, id: "C7"), field: "geometry", ["at least one ring"])

        // --make-valid cannot conjure an area out of a line.
        let error2 = try assertTextFails(.compounds, "line.geojson", collection([
            feature(#"{"id": "C6", "name": "一线小区"}"#, polygon([[(118.78, 32.04), (118.79, 32.05), (118.80, 32.06), (118.78, 32.04)]])),
        ]), makeValid: true)
        assertProblem(error2, file: "line.geojson", at: .feature(index: 1, id: "C6"), field: "geometry", ["no area"])
    }

    func testGeometryTypeTheLayerDoesNotTake() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "line-station.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S6", "name": "线站"}"#, lineString([(118.78, 32.04), (118.79, 32.05)])),
        ]))
        assertProblem(error, file: "line-station.geojson", at: .feature(index: 2, id: "S6"), field: "geometry",
                      ["LineString is not allowed in stations", "Point"])

        let error2 = try assertTextFails(.ways, "point-way.geojson", collection([
            feature(#"{"id": "W5"}"#, point(118.78, 32.04)),
        ]))
        assertProblem(error2, file: "point-way.geojson", at: .feature(index: 1, id: "W5"), field: "geometry",
                      ["Point is not allowed in ways"])

        let error3 = try assertTextFails(.stations, "nogeom.geojson", collection([
            feature(#"{"id": "S7", "name": "无点站"}"#, "null"),
        ]))
        assertProblem(error3, file: "nogeom.geojson", at: .feature(index: 1, id: "S7"), field: "geometry", ["missing"])
    }
}
