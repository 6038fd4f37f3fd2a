import DoorstepPostGIS
import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo

/// What only the PostGIS store has: its address, a trigger that counts any SQL client's change as an import, imports
/// that leave nothing behind when they fail (not even a schema they created), imports queued by the schema's advisory
/// lock, and values (hostile text, coordinates at full precision, upserts) read back as the SpatiaLite file reads
/// them. The shared suite runs the rest on both stores. The tests that need a server skip unless
/// `DOORSTEP_TEST_STORE` is a postgresql:// URL (the PostGIS half of `make test`).
final class PostGISStoreTests: XCTestCase {
    var work: URL!
    var server: String!
    var schemas: [String] = []

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-postgis-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for schema in schemas { _ = try? psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }
        try? FileManager.default.removeItem(at: work)
    }

    /// The test cluster's URL, or a skip.
    func requireServer() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DOORSTEP_TEST_STORE"], PostGISAddress.isPostGIS(url) else {
            throw XCTSkip("needs PostgreSQL: DOORSTEP_TEST_STORE=postgresql://… (the PostGIS half of make test)")
        }
        server = url
        return url
    }

    /// A fresh schema's address (dropped in tearDown).
    func freshAddress() throws -> (address: String, schema: String) {
        let url = try requireServer()
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        schemas.append(String(schema))
        return (url + (url.contains("?") ? "&" : "?") + "schema=\(schema)", String(schema))
    }

    @discardableResult
    func psql(_ sql: String) throws -> String {
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/psql"), ["-qAt", "-v", "ON_ERROR_STOP=1", server, "-c", sql])
        guard r.status == 0 else { throw TestSupportError("psql failed: \(r.err)") }
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func doorstep(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try runProcess(try TestProducts.doorstep(), arguments)
        return (r.status, r.out, r.err)
    }

    func write(_ name: String, stations: [(id: String, name: String, lon: Double, lat: Double)]) throws -> String {
        let features = stations.map { s -> [String: Any] in
            ["type": "Feature", "geometry": ["type": "Point", "coordinates": [s.lon, s.lat]], "properties": ["id": s.id, "name": s.name]]
        }
        let url = work.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features]).write(to: url)
        return url.path
    }

    // MARK: The address (no server needed)

    func testAddressTakesTheSchemaAndHandsTheRestToLibpq() throws {
        let a = try PostGISAddress("postgresql://planner:s3cret@db.example:5433/city?sslmode=disable&schema=nanjing&connect_timeout=3")
        XCTAssertEqual(a.schema, "nanjing")
        XCTAssertEqual(a.conninfo, "postgresql://planner:s3cret@db.example:5433/city?sslmode=disable&connect_timeout=3")
        XCTAssertFalse(a.displayName.contains("s3cret"), a.displayName)
        XCTAssertTrue(a.displayName.contains("planner:***@db.example"), a.displayName)
        XCTAssertEqual(try PostGISAddress("postgres://localhost/city").schema, "public")
        XCTAssertEqual(try PostGISAddress("postgresql://").conninfo, "postgresql://") // all from PG* variables
        XCTAssertTrue(StoreBackends.isPostGIS("PostgreSQL://x/y"))
        XCTAssertFalse(StoreBackends.isPostGIS("postgresql.sqlite"))
        XCTAssertEqual(StoreBackends.files("postgresql://x/y"), [])
        for bad in ["Nanjing", "a;drop", "pg_catalog", "1city", "", "a b", String(repeating: "a", count: 64), "%22x%22"] {
            XCTAssertThrowsError(try PostGISAddress("postgresql://h/db?schema=\(bad)"), bad) { error in
                XCTAssertTrue("\(error)".contains("is not a plain name"), "\(error)")
            }
        }
    }

    func testUnreachableServerIsNamedWithoutItsPassword() throws {
        // Port 1 on loopback: nothing listens there.
        let r = try doorstep(["info", "--db", "postgresql://u:topsecret@127.0.0.1:1/db?schema=x"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("cannot connect to postgresql://u:***@127.0.0.1:1/db"), r.err)
        XCTAssertFalse(r.err.contains("topsecret"), r.err)
    }

    // MARK: With a server

    func testFailedFirstImportLeavesNoSchemaBehind() throws {
        let (address, schema) = try freshAddress()
        let bad = try write("bad.geojson", stations: [("S1", "ok", 118.78, 32.04), ("S2", "far away", 500, 32.04)])
        let r = try doorstep(["import", "stations", bad, "--db", address])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("bad.geojson") && r.err.contains("S2"), r.err)
        XCTAssertEqual(try psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(schema)'"), "0")
        XCTAssertFalse(StoreBackends.exists(address))
    }

    func testFailedImportKeepsWhatWasThereAndItsGeneration() throws {
        let (address, schema) = try freshAddress()
        let good = try write("good.geojson", stations: [("S1", "一号站", 118.78, 32.04), ("S2", "二号站", 118.79, 32.05)])
        XCTAssertEqual(try doorstep(["import", "stations", good, "--db", address]).status, 0)
        let generation = try psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation'")
        let bad = try write("bad.geojson", stations: [("S1", "renamed", 118.78, 32.04), ("S3", "bad", 118.78, 95)])
        let r = try doorstep(["import", "stations", bad, "--replace", "--db", address])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(try psql("SELECT string_agg(id || '=' || name, ',' ORDER BY fid) FROM \(schema).stations"), "S1=一号站,S2=二号站")
        XCTAssertEqual(try psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation'"), generation)
    }

    func testAnySQLClientsChangeCountsOnceAndDoorstepsImportsOnce() throws {
        let (address, schema) = try freshAddress()
        let file = try write("s.geojson", stations: [("S1", "a", 118.78, 32.04), ("S2", "b", 118.79, 32.05)])
        XCTAssertEqual(try doorstep(["import", "stations", file, "--db", address]).status, 0)
        func generations() throws -> (Int, Int) {
            let all = Int(try psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation'")) ?? -1
            let stations = Int(try psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation:stations'")) ?? -1
            return (all, stations)
        }
        XCTAssertEqual(try generations().1, 1) // an import of two rows counts once, not once per row or statement
        let before = try generations()
        try psql("UPDATE \(schema).stations SET name = 'changed' WHERE id = 'S1'")
        XCTAssertEqual(try generations().0, before.0 + 1)
        XCTAssertEqual(try generations().1, before.1 + 1)
        try psql("DELETE FROM \(schema).stations WHERE id = 'S2'")
        XCTAssertEqual(try generations().1, before.1 + 2)
        // Doorstep reads what the SQL client left.
        let store = try StoreBackends.open(address, readOnly: true)
        XCTAssertEqual(try store.stations().map(\.name), ["changed"])
        XCTAssertEqual(try store.generation(), before.0 + 2)
    }

    func testValuesReadBackAsTheSpatiaLiteFileReadsThem() throws {
        let (address, _) = try freshAddress()
        let sqlite = work.appendingPathComponent("same.sqlite").path
        // Hostile text, coordinates with 15 digits, and an upsert of S1 by a second import (it keeps its place).
        let hostile = "<img src=x onerror=alert(1)>'; DROP TABLE stations; --\\ \"q\" 站\t多行\n地址"
        let file = try write("s.geojson", stations: [
            ("S1", hostile, 118.123456789012345, 32.987654321098765), ("S2", "二", 118.79, 32.05),
            ("S3", "\\N", -0.000001, 1e-7),
        ])
        let again = try write("again.geojson", stations: [("S1", hostile + " again", 118.111111111111111, 32.222222222222222)])
        for db in [address, sqlite] {
            for f in [file, again] {
                let r = try doorstep(["import", "stations", f, "--db", db])
                XCTAssertEqual(r.status, 0, r.err)
            }
        }
        let pg = try StoreBackends.open(address, readOnly: true), sl = try StoreBackends.open(sqlite, readOnly: true)
        let a = try pg.stations(), b = try sl.stations()
        XCTAssertEqual(a.map(\.id), ["S1", "S2", "S3"])
        XCTAssertEqual(a.map(\.name), [hostile + " again", "二", "\\N"])
        XCTAssertEqual(a.map(\.id), b.map(\.id))
        XCTAssertEqual(a.map(\.name), b.map(\.name))
        // Bit for bit: what was given is what is read, from both stores.
        XCTAssertEqual(a.map(\.location.lon), [118.111111111111111, 118.79, -0.000001])
        XCTAssertEqual(a.map(\.location.lat), [32.222222222222222, 32.05, 1e-7])
        XCTAssertEqual(a.map(\.location.lon), b.map(\.location.lon))
        // The features API's pages: same ids, properties and geometry from both.
        let pa = try pg.features(of: .stations, bbox: nil, limit: 10, offset: 0), pb = try sl.features(of: .stations, bbox: nil, limit: 10, offset: 0)
        XCTAssertEqual(pa.numberMatched, 3)
        XCTAssertEqual(pa.features.map(\.id), pb.features.map(\.id))
        XCTAssertEqual(pa.features.map { JSONValue.object($0.properties).jsonText }, pb.features.map { JSONValue.object($0.properties).jsonText })
        XCTAssertEqual(pa.features.map(\.geometry), pb.features.map(\.geometry))
        let box = BoundingBox(west: 118.0, south: 32.0, east: 118.5, north: 33.0)
        XCTAssertEqual(try pg.features(of: .stations, bbox: box, limit: 10, offset: 0).features.map(\.id), ["S1"])
        XCTAssertEqual(try sl.features(of: .stations, bbox: box, limit: 10, offset: 0).features.map(\.id), ["S1"])
    }

    func testImportsIntoOneSchemaAtOnceQueueAndBothCount() throws {
        let (address, schema) = try freshAddress()
        let first = try write("a.geojson", stations: [("S1", "a", 118.78, 32.04)])
        XCTAssertEqual(try doorstep(["import", "stations", first, "--db", address]).status, 0)
        var files = [String]()
        for i in 0..<4 {
            var rows = [(id: String, name: String, lon: Double, lat: Double)]()
            for j in 0..<200 {
                let lon: Double = 118.7 + Double(j) * 1e-4, lat: Double = 32.0 + Double(i) * 1e-3
                rows.append((id: "P\(i)-\(j)", name: "p", lon: lon, lat: lat))
            }
            files.append(try write("s\(i).geojson", stations: rows))
        }
        let group = DispatchGroup()
        let statuses = LockedArray()
        let binary = try TestProducts.doorstep()
        for file in files {
            group.enter()
            DispatchQueue.global().async {
                let status = (try? runProcess(binary, ["import", "stations", file, "--db", address]).status) ?? -1
                statuses.append(status)
                group.leave()
            }
        }
        group.wait()
        XCTAssertEqual(statuses.values, [0, 0, 0, 0])
        XCTAssertEqual(try psql("SELECT count(*) FROM \(schema).stations"), "801")
        XCTAssertEqual(try psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation:stations'"), "5")
    }
}

private final class LockedArray: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int32] = []
    func append(_ v: Int32) { lock.withLock { items.append(v) } }
    var values: [Int32] { lock.withLock { items } }
}
