import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepTestSupport

extension CLITests {
    /// `info --format json` carries the walking network as the table does, with the edges and pieces that
    /// `network_edges` holds (counted here with SQL, independently of `Store.networkInfo`).
    func testInfoJSONReportsTheNetwork() throws {
        let db = try sampleDatabase()
        let r = try doorstep(["info", "--db", db, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let doc = try JSONValue.parse(r.out)
        func sql(_ query: String) throws -> String? { try engineScalar(db, spatiaLite: query, postGIS: query) }
        let edges = try XCTUnwrap(sql("SELECT count(*) FROM network_edges").flatMap { Int64($0) })
        let pieces = try XCTUnwrap(sql("SELECT count(DISTINCT component) FROM network_edges").flatMap { Int64($0) })
        let length = try XCTUnwrap(Double(engineScalar(db, spatiaLite: "SELECT total(length_m) FROM network_edges",
                                                       postGIS: "SELECT sum(length_m) FROM network_edges") ?? ""))
        XCTAssertGreaterThan(edges, 100)
        XCTAssertEqual(doc["network"]?["edges"], .number(Double(edges)))
        XCTAssertEqual(doc["network"]?["pieces"], .number(Double(pieces)))
        guard case .number(let metres)? = doc["network"]?["length_m"] else { return XCTFail(r.out) }
        XCTAssertEqual(metres, length, accuracy: 0.1)
        XCTAssertEqual(doc["network"]?["stale"], .bool(false))
    }

    /// A database that holds only grids has no metric plane to measure in: `areas` says the database is empty
    /// instead of measuring in some assumed city.
    func testAnEmptyStoreSaysSo() throws {
        let db = try TestStores.fresh(self, name: "grids-only", in: work)
        let grids = CLITests.root.appendingPathComponent("geodata/nanjing-xinjiekou/grids.geojson").path
        XCTAssertEqual(try doorstep(["import", "grids", grids, "--db", db]).status, 0)
        let r = try doorstep(["areas", "--db", db, "--radius", "300", "--out", work.appendingPathComponent("areas.geojson").path])
        XCTAssertNotEqual(r.status, 0, r.out)
        XCTAssertTrue(r.err.contains("the database is empty"), r.err)
    }
}
