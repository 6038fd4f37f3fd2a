import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Good GeoJSON imports: every layer, every field, read back by SQL.
final class GeoJSONImportTests: ImportTestCase {
    func testStationsFromGeoJSONStoreEveryField() throws {
        let url = try write("stations.geojson", collection([
            feature(#"{"id": "S0001", "name": "新街口社区党群服务中心", "kind": "党群服务中心", "services": ["Rest", "饮水", "charging", "rest"], "address": "中山路1号", "phone": "025-84561234", "hours": "Mo-Fr 08:30-17:30; Sa 09:00-12:00", "radius_m": 800, "capacity": "40", "operator": "鼓楼区", "floor": 2}"#,
                    point(118.7812345, 32.0412345)),
            feature(#"{"id": "S0002", "name": "华侨路党群服务站", "kind": "党群服务站", "services": "休息、饮水"}"#, point(118.7745, 32.0456)),
            feature(#"{"id": "S0003", "name": "汉中门红色驿站", "kind": "红色驿站"}"#, point(118.7691, 32.0402)),
            feature(#"{"id": 4, "name": "便民服务点", "kind": "社区便民点"}"#, point(118.79, 32.05)),
        ]))
        let summary = try importFile(.stations, url)
        XCTAssertEqual(summary.features, 4)
        XCTAssertEqual(summary.updated, 0)
        XCTAssertEqual(summary.layerCount, 4)
        XCTAssertEqual(summary.format, "GeoJSON")
        XCTAssertEqual(summary.crs, .wgs84)
        XCTAssertTrue(summary.repairs.isEmpty)
        XCTAssertEqual(try count("stations"), 4)

        let s1 = try row("""
            SELECT name, kind, services, address, phone, hours, radius_m, capacity, properties, ST_X(geom), ST_Y(geom), ST_SRID(geom)
            FROM stations WHERE id = 'S0001'
            """)
        XCTAssertEqual(s1[0], .text("新街口社区党群服务中心"))
        XCTAssertEqual(s1[1], .text("center"))
        XCTAssertEqual(s1[2], .text(#"["rest","water","charging"]"#), "services lowercased, Chinese mapped, duplicates dropped")
        XCTAssertEqual(s1[3], .text("中山路1号"))
        XCTAssertEqual(s1[4], .text("025-84561234"))
        XCTAssertEqual(s1[5], .text("Mo-Fr 08:30-17:30; Sa 09:00-12:00"))
        XCTAssertEqual(s1[6], .double(800))
        XCTAssertEqual(s1[7], .int(40), "numeric string capacity is a number")
        XCTAssertEqual(s1[8], .text(#"{"operator":"鼓楼区","floor":2}"#), "properties outside the contract are kept")
        XCTAssertEqual(s1[9], .double(118.7812345))
        XCTAssertEqual(s1[10], .double(32.0412345))
        XCTAssertEqual(s1[11], .int(4326))

        XCTAssertEqual(try text("SELECT kind FROM stations WHERE id = 'S0002'"), "station")
        XCTAssertEqual(try text("SELECT services FROM stations WHERE id = 'S0002'"), #"["rest","water"]"#)
        XCTAssertEqual(try text("SELECT kind FROM stations WHERE id = 'S0003'"), "post")
        XCTAssertEqual(try text("SELECT kind FROM stations WHERE id = '4'"), "社区便民点", "other kinds are kept as text")
        let s3 = try row("SELECT services, hours, radius_m, capacity, properties FROM stations WHERE id = 'S0003'")
        XCTAssertEqual(s3, [.null, .null, .null, .null, .null])
        let p2 = try stationPoint("S0002")
        XCTAssertEqual(p2.lon, 118.7745, accuracy: 1e-12)
        XCTAssertEqual(p2.lat, 32.0456, accuracy: 1e-12)

        // Stored rows are what Store reads back for the nearest index.
        let stations = try store.stations()
        XCTAssertEqual(stations.map(\.id), ["S0001", "S0002", "S0003", "4"])
        XCTAssertEqual(stations[0].services, ["rest", "water", "charging"])

        // One log entry and one generation step per committed import.
        let log = try row("SELECT layer, file, features, crs, replaced, repaired FROM import_log")
        XCTAssertEqual(log, [.text("stations"), .text(url.path), .int(4), .text("EPSG:4326"), .int(0), .int(0)])
        XCTAssertEqual(try store.generation(), 1)
    }

    func testCompoundsPolygonMultiPolygonAndPointWithHouseholds() throws {
        let summary = try importText(.compounds, "compounds.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵世纪花园", "households": "300", "population": 900, "kind": "商品房", "grid_id": "G7"}"#,
                    polygon([square(118.780, 32.040)])),
            // An L-shaped block and a separate square: the point on surface must fall inside one of the parts.
            feature(#"{"id": "C2", "name": "龙江小区", "households": 1200, "population": "3,400", "kind": "老旧小区"}"#,
                    multiPolygon([
                        [[(118.790, 32.050), (118.794, 32.050), (118.794, 32.051), (118.791, 32.051), (118.791, 32.054), (118.790, 32.054), (118.790, 32.050)]],
                        [square(118.800, 32.060, 0.001)],
                    ])),
            feature(#"{"id": "C3", "name": "南湖还房小区", "households": 0}"#, point(118.7655, 32.0311)),
            // A polygon with a hole: the reference point must avoid the hole.
            feature(#"{"id": "C4", "name": "回字小区"}"#,
                    polygon([square(118.810, 32.070, 0.004), Array(square(118.8105, 32.0705, 0.003).reversed())])),
        ]))
        XCTAssertEqual(summary.features, 4)
        XCTAssertEqual(summary.layerCount, 4)

        let c1 = try row("SELECT name, households, typeof(households), population, kind, grid_id, GeometryType(geom) FROM compounds WHERE id = 'C1'")
        XCTAssertEqual(c1, [.text("金陵世纪花园"), .int(300), .text("integer"), .int(900), .text("商品房"), .text("G7"), .text("POLYGON")])
        let c2 = try row("SELECT households, population, GeometryType(geom), ST_NumGeometries(geom) FROM compounds WHERE id = 'C2'")
        XCTAssertEqual(c2, [.int(1200), .int(3400), .text("MULTIPOLYGON"), .int(2)])
        let c3 = try row("SELECT households, population, GeometryType(geom), ref_lon, ref_lat FROM compounds WHERE id = 'C3'")
        XCTAssertEqual(c3, [.int(0), .null, .text("POINT"), .double(118.7655), .double(32.0311)])
        XCTAssertEqual(try row("SELECT households, population FROM compounds WHERE id = 'C4'"), [.null, .null])

        // Reference points: set for every compound, inside the polygon (not on its edge, not in a hole).
        XCTAssertEqual(try count("compounds"), 4)
        XCTAssertEqual(try int("SELECT count(*) FROM compounds WHERE ref_lon IS NULL OR ref_lat IS NULL"), 0)
        for id in ["C1", "C2", "C4"] {
            XCTAssertEqual(try int("SELECT ST_Contains(geom, MakePoint(ref_lon, ref_lat, 4326)) FROM compounds WHERE id = ?", [.text(id)]), 1,
                           "reference point of \(id) is not inside it")
        }
        let hole = "GeomFromText('POLYGON((118.8105 32.0705, 118.8135 32.0705, 118.8135 32.0735, 118.8105 32.0735, 118.8105 32.0705))', 4326)"
        XCTAssertEqual(try int("SELECT ST_Contains(\(hole), MakePoint(ref_lon, ref_lat, 4326)) FROM compounds WHERE id = 'C4'"), 0)
    }

    func testEntrancesReferenceCompoundsAndGetStableIDs() throws {
        try importText(.compounds, "compounds.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵小区"}"#, polygon([square(118.780, 32.040)])),
            feature(#"{"id": "C2", "name": "银城小区"}"#, polygon([square(118.790, 32.040)])),
        ]))
        let url = try write("gates.geojson", collection([
            feature(#"{"compound_id": "C1", "name": "北门"}"#, point(118.781, 32.042)),
            feature(#"{"compound_id": "C1", "name": "南门"}"#, point(118.781, 32.040)),
            feature(#"{"id": "E9", "compound_id": "C2"}"#, point(118.791, 32.040)),
        ]))
        let summary = try importFile(.entrances, url)
        XCTAssertEqual(summary.features, 3)
        XCTAssertEqual(try count("entrances"), 3)
        XCTAssertEqual(try row("SELECT compound_id, name, ST_X(geom), ST_Y(geom) FROM entrances WHERE id = 'gates#1'"),
                       [.text("C1"), .text("北门"), .double(118.781), .double(32.042)])
        XCTAssertEqual(try row("SELECT compound_id, name FROM entrances WHERE id = 'gates#2'"), [.text("C1"), .text("南门")])
        XCTAssertEqual(try row("SELECT compound_id, name FROM entrances WHERE id = 'E9'"), [.text("C2"), .null])

        // The made-up ids are stable: importing the same file again updates, it does not duplicate.
        let again = try importFile(.entrances, url)
        XCTAssertEqual(again.updated, 3)
        XCTAssertEqual(try count("entrances"), 3)
    }

    func testGridsAreStoredAsMultiPolygons() throws {
        let summary = try importText(.grids, "grids.geojson", collection([
            feature(#"{"id": "G1", "name": "华侨路第一网格", "community": "华侨路社区", "street": "华侨路街道", "district": "鼓楼区"}"#,
                    polygon([square(118.77, 32.03, 0.01)])),
            feature(#"{"id": "G2", "name": "第二网格"}"#,
                    multiPolygon([[square(118.80, 32.03, 0.01)], [square(118.82, 32.03, 0.01)]])),
        ]))
        XCTAssertEqual(summary.features, 2)
        XCTAssertEqual(try row("SELECT name, community, street, district, GeometryType(geom), ST_NumGeometries(geom) FROM grids WHERE id = 'G1'"),
                       [.text("华侨路第一网格"), .text("华侨路社区"), .text("华侨路街道"), .text("鼓楼区"), .text("MULTIPOLYGON"), .int(1)])
        XCTAssertEqual(try row("SELECT community, GeometryType(geom), ST_NumGeometries(geom), ST_IsValid(geom) FROM grids WHERE id = 'G2'"),
                       [.null, .text("MULTIPOLYGON"), .int(2), .int(1)])
        let area = try double("SELECT ST_Area(geom) FROM grids WHERE id = 'G2'") ?? 0
        XCTAssertEqual(area, 2 * 0.01 * 0.01, accuracy: 1e-12)
    }

    func testWaysLineStringAndMultiLineString() throws {
        let summary = try importText(.ways, "ways.geojson", collection([
            feature(#"{"id": "W1", "highway": "footway", "name": "中山路人行道"}"#,
                    lineString([(118.780, 32.040), (118.781, 32.040), (118.781, 32.040), (118.782, 32.041)])),
            feature(#"{"highway": "service", "foot": "no"}"#,
                    multiLineString([[(118.79, 32.04), (118.79, 32.05)], [(118.80, 32.04), (118.80, 32.05), (118.81, 32.05)]])),
        ]))
        XCTAssertEqual(summary.features, 2)
        XCTAssertEqual(try row("SELECT highway, name, foot, GeometryType(geom), ST_NumGeometries(geom), ST_NPoints(geom) FROM ways WHERE id = 'W1'"),
                       [.text("footway"), .text("中山路人行道"), .null, .text("MULTILINESTRING"), .int(1), .int(3)],
                       "consecutive duplicate vertices are dropped")
        XCTAssertEqual(try row("SELECT highway, foot, GeometryType(geom), ST_NumGeometries(geom), ST_NPoints(geom) FROM ways WHERE id = 'ways#2'"),
                       [.text("service"), .text("no"), .text("MULTILINESTRING"), .int(2), .int(5)])
    }
}
