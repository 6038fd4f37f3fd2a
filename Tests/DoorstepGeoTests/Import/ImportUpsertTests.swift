import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport

/// Importing into a database that already holds data: upsert by id, `--replace`, feature ids, and failed or
/// interrupted imports that leave the database exactly as it was (and the snapshot that checks it).
final class ImportUpsertTests: ImportTestCase {
    func testSnapshotSeesAChangeInEveryTable() throws {
        try seedCity()
        let before = try snapshot(store)
        XCTAssertEqual(before.filter { $0.hasPrefix("stations: ") }.count, 2)
        let changes = [
            "UPDATE stations SET phone = '1' WHERE id = 'S2'",
            "UPDATE compounds SET ref_lat = ref_lat + 1e-9",
            "UPDATE entrances SET geom = MakePoint(118.7821, 32.043, 4326)",
            "UPDATE grids SET district = '鼓楼区'",
            "UPDATE ways SET foot = 'yes'",
            "UPDATE doorstep_meta SET value = '99'",
            "UPDATE import_log SET repaired = 1 WHERE seq = 1",
        ]
        guard let file else {
            // PostGIS: each change committed (by psql) to a store seeded afresh. The tables' trigger counts such a
            // change in doorstep_meta, so that table is left out but for the change to it: the snapshot must see the
            // changed row itself.
            XCTAssertTrue(before.contains { $0.hasPrefix("ways: ") && $0.contains("[[118.775, 32.035], [118.785, 32.045]]") },
                          "geometry is dumped (as GeoJSON)")
            for change in changes {
                try resetStore()
                try seedCity()
                let meta = change.contains("doorstep_meta")
                func lines() throws -> [String] { try snapshot(store).filter { meta || !$0.hasPrefix("doorstep_meta: ") } }
                let seeded = try lines()
                try PostGISQuery.execute(address, change)
                XCTAssertNotEqual(try lines(), seeded, change)
            }
            return
        }
        XCTAssertTrue(before.contains { $0.hasPrefix("ways: ") && $0.contains("geom='MULTILINESTRING((118.775 32.035, 118.785 32.045))'") },
                      "geometry is dumped as WKT")
        for change in changes {
            try file.database.transaction {
                try file.database.execute(change)
                XCTAssertNotEqual(try snapshot(store), before, change)
                try file.database.execute("ROLLBACK")
                try file.database.execute("BEGIN") // transaction() commits this empty one
            }
            XCTAssertEqual(try snapshot(store), before)
        }
    }

    func testReimportUpsertsByID() throws {
        try importText(.stations, "a.geojson", collection([
            feature(#"{"id": "S1", "name": "一号站", "kind": "station"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S2", "name": "二号站", "capacity": 10}"#, point(118.79, 32.05)),
        ]))
        let fid = try int("SELECT fid FROM stations WHERE id = 'S2'")
        let summary = try importText(.stations, "b.geojson", collection([
            feature(#"{"id": "S2", "name": "二号站（新址）"}"#, point(118.795, 32.055)),
            feature(#"{"id": "S3", "name": "三号站"}"#, point(118.80, 32.06)),
        ]))
        XCTAssertEqual(summary.features, 2)
        XCTAssertEqual(summary.updated, 1)
        XCTAssertEqual(summary.layerCount, 3)
        XCTAssertEqual(try count("stations"), 3)
        XCTAssertEqual(try row("SELECT name, capacity, ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S2'"),
                       [.text("二号站（新址）"), .null, .double(118.795), .double(32.055)],
                       "an upsert replaces every field, including ones the new file leaves out")
        XCTAssertEqual(try int("SELECT fid FROM stations WHERE id = 'S2'"), fid, "an upsert keeps the row")
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S1'"), "一号站", "features not in the new file stay")
        XCTAssertEqual(try store.generation(), 2)
        XCTAssertEqual(try count("import_log"), 2)
        // The spatial index follows the moved point.
        XCTAssertEqual(try int("""
            SELECT count(*) FROM SpatialIndex WHERE f_table_name = 'stations' AND f_geometry_column = 'geom'
            AND search_frame = BuildMbr(118.7949, 32.0549, 118.7951, 32.0551, 4326)
            """), 1)
        XCTAssertEqual(try int("""
            SELECT count(*) FROM SpatialIndex WHERE f_table_name = 'stations' AND f_geometry_column = 'geom'
            AND search_frame = BuildMbr(118.7899, 32.0499, 118.7901, 32.0501, 4326)
            """), 0)
    }

    func testReimportedCompoundGetsANewReferencePoint() throws {
        try importText(.compounds, "c.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵小区", "households": 100}"#, polygon([square(118.780, 32.040)])),
        ]))
        let before = try row("SELECT ref_lon, ref_lat FROM compounds WHERE id = 'C1'")
        try importText(.compounds, "c2.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵小区", "households": 120}"#, polygon([square(118.900, 32.100)])),
        ]))
        let after = try row("SELECT ref_lon, ref_lat, households FROM compounds WHERE id = 'C1'")
        XCTAssertNotEqual(Array(after.prefix(2)), before)
        XCTAssertEqual(after[2], .int(120))
        XCTAssertEqual(try int("SELECT ST_Contains(geom, MakePoint(ref_lon, ref_lat, 4326)) FROM compounds WHERE id = 'C1'"), 1)
    }

    func testReplaceReplacesTheLayer() throws {
        try importText(.stations, "a.geojson", collection([
            feature(#"{"id": "S1", "name": "一号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S2", "name": "二号站"}"#, point(118.79, 32.05)),
            feature(#"{"id": "S3", "name": "三号站"}"#, point(118.80, 32.06)),
        ]))
        try importText(.compounds, "c.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵小区"}"#, polygon([square(118.780, 32.040)])),
        ]))
        let summary = try importText(.stations, "b.geojson", collection([
            feature(#"{"id": "S2", "name": "二号站（新）"}"#, point(118.70, 32.00)),
            feature(#"{"id": "S9", "name": "九号站"}"#, point(118.71, 32.01)),
        ]), replace: true)
        XCTAssertEqual(summary.features, 2)
        XCTAssertEqual(summary.updated, 0)
        XCTAssertEqual(summary.layerCount, 2)
        let ids = try texts("SELECT id FROM stations ORDER BY id")
        XCTAssertEqual(ids, ["S2", "S9"])
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S2'"), "二号站（新）")
        XCTAssertEqual(try count("compounds"), 1, "--replace touches only its layer")
        XCTAssertEqual(try row("SELECT replaced, features FROM import_log ORDER BY seq DESC LIMIT 1"), [.int(1), .int(2)])
        // The spatial index holds only the new rows.
        XCTAssertEqual(try int("""
            SELECT count(*) FROM SpatialIndex WHERE f_table_name = 'stations' AND f_geometry_column = 'geom'
            AND search_frame = BuildMbr(118.0, 31.0, 119.0, 33.0, 4326)
            """), 2)
    }

    func testFailedReplaceKeepsTheOldLayer() throws {
        try seedCity()
        let url = try write("bad-replace.geojson", collection([
            feature(#"{"id": "S7", "name": "七号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S8"}"#, point(118.78, 32.04)),
        ]))
        let error = try assertImportFails(.stations, url, replace: true)
        assertProblem(error, file: "bad-replace.geojson", at: .feature(index: 2, id: "S8"), field: "name", ["missing"])
        XCTAssertEqual(try count("stations"), 2, "the DELETE of --replace is rolled back too")
    }

    func testFeatureLevelIDIsUsedWhenPropertiesHaveNone() throws {
        try importText(.stations, "fid.geojson", collection([
            feature(#"{"name": "七号站"}"#, point(118.78, 32.04), id: #""S7""#),
            feature(#"{"name": "四十二号站"}"#, point(118.79, 32.05), id: "42"),
            feature(#"{"id": "S8", "name": "八号站"}"#, point(118.80, 32.06), id: #""S8""#),
            feature(#"{"id": 9, "name": "九号站"}"#, point(118.81, 32.07), id: #""9""#),
        ]))
        let ids = try texts("SELECT id FROM stations ORDER BY fid")
        XCTAssertEqual(ids, ["S7", "42", "S8", "9"])
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S7'"), "七号站")
    }

    func testDifferingFeatureAndPropertyIDsAreAnError() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "ids.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S6", "name": "六号站"}"#, point(118.79, 32.05), id: #""S60""#),
        ]))
        assertProblem(error, file: "ids.geojson", at: .feature(index: 2, id: "S6"), field: "id", ["\"S6\"", "\"S60\"", "differs"])
        XCTAssertEqual(error.problems.count, 1)
    }

    /// A full disk (here SQLite's page limit) during an import is reported as that, alone, and nothing is stored.
    func testDiskFullIsReportedAlone() throws {
        try TestStores.requireSpatiaLite("a full SQLite file (PRAGMA max_page_count)")
        try seedCity()
        let before = try snapshot(store)
        let pages = try XCTUnwrap(try file!.database.scalarInt("PRAGMA page_count"))
        try file!.database.execute("PRAGMA max_page_count = \(pages + 8)")
        let features = (1...3000).map { feature(#"{"id": "F\#($0)", "name": "站\#($0)", "address": "\#(String(repeating: "路", count: 200))"}"#, point(118.78, 32.04)) }
        XCTAssertThrowsError(try importText(.stations, "many.geojson", collection(features))) { error in
            XCTAssertTrue(error is StoreError, "\(type(of: error)): \(error)")
            XCTAssertTrue("\(error)".contains("the disk is full") && "\(error)".contains("city.sqlite"), "\(error)")
        }
        XCTAssertEqual(try snapshot(store), before)
    }
}
