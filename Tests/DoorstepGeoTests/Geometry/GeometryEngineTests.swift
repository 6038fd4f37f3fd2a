import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// GEOS called directly (`GeometryEngine`) answers as SpatiaLite's SQL functions over the same GEOS did before the
/// work moved out of the store: SpatiaLite is the independent computation here.
final class GeometryEngineTests: XCTestCase {
    /// Compounds' reference points, worked out by the import with GEOS PointOnSurface, are SpatiaLite's
    /// ST_PointOnSurface of the stored geometry, for every compound of the sample city.
    func testReferencePointsAreSpatiaLitesPointOnSurface() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("geos-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try Store(path: path)
        _ = try Importer.run(ImportOptions(layer: .compounds, file: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/compounds.geojson")),
                             into: store)
        var rows = 0
        try store.database.prepare("SELECT id, ref_lon, ref_lat, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM compounds")
            .forEach([]) { row in
                rows += 1
                XCTAssertEqual(row.double(1), row.double(3), accuracy: 1e-12, row.text(0))
                XCTAssertEqual(row.double(2), row.double(4), accuracy: 1e-12, row.text(0))
            }
        XCTAssertEqual(rows, 29, "the sample city's compounds")
    }

    /// A bow-tie: GEOS's reason is SpatiaLite's ST_IsValidReason; the repair keeps both triangles (area 2 × 0.25 of
    /// the unit square), as ST_MakeValid does.
    func testValidityAndRepairOfABowTie() throws {
        let ring = [Coordinate(lon: 0, lat: 0), Coordinate(lon: 1, lat: 1), Coordinate(lon: 1, lat: 0), Coordinate(lon: 0, lat: 1),
                    Coordinate(lon: 0, lat: 0)]
        let bowTie = Geometry.polygon([ring])
        let check = try XCTUnwrap(try GeometryEngine.validity(of: bowTie))
        XCTAssertFalse(check.valid)
        let store = try Store(path: ":memory:")
        let s = try store.database.prepare("SELECT ST_IsValidReason(GeomFromWKB(?1, 4326)), ST_Area(ST_MakeValid(GeomFromWKB(?1, 4326)))")
        try s.bind([.blob(bowTie.wkb)])
        XCTAssertTrue(try s.step())
        XCTAssertEqual(check.reason, s.text(0))
        let repaired = try XCTUnwrap(try GeometryEngine.validPolygons(bowTie))
        guard case .multiPolygon(let parts) = repaired else { return XCTFail("\(repaired)") }
        XCTAssertEqual(parts.count, 2)
        let area = try XCTUnwrap(try GeometryEngine.validity(of: repaired)).area
        XCTAssertEqual(area, 0.5, accuracy: 1e-12)
        XCTAssertEqual(area, s.double(1), accuracy: 1e-12)
        // A point is its own point on the surface; a polygon's is inside it.
        XCTAssertEqual(try GeometryEngine.pointOnSurface(.point(Coordinate(lon: 3, lat: 4))), Coordinate(lon: 3, lat: 4))
        let square = Geometry.polygon([[Coordinate(lon: 0, lat: 0), Coordinate(lon: 2, lat: 0), Coordinate(lon: 2, lat: 2),
                                        Coordinate(lon: 0, lat: 2), Coordinate(lon: 0, lat: 0)]])
        let inside = try XCTUnwrap(try GeometryEngine.pointOnSurface(square))
        XCTAssertTrue(inside.lon > 0 && inside.lon < 2 && inside.lat > 0 && inside.lat < 2, "\(inside)")
    }

    /// The walking buffer is GEOS's buffer of the merged lines: a 10 m line buffered by 1 m has the area of a
    /// rectangle and two half-discs of 16-gon rounding.
    func testBufferOfALine() throws {
        let g = try XCTUnwrap(try GeometryEngine.buffer(planeLines: [[Coordinate(lon: 0, lat: 0), Coordinate(lon: 10, lat: 0)]], width: 1))
        let area = try XCTUnwrap(try GeometryEngine.validity(of: g)).area
        // A 16-gon of radius 1 has area 8 · sin(π/4)… = 16/2 · sin(2π/16).
        XCTAssertEqual(area, 20 + 8 * sin(2 * .pi / 16), accuracy: 1e-9)
        XCTAssertNil(try GeometryEngine.buffer(planeLines: [[Coordinate(lon: 0, lat: 0)]], width: 1), "no line, no area")
    }
}
