import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// `doorstep import` end to end: files on disk → `Importer` → a real SpatiaLite file, checked by SQL.
///
/// Every test runs on a fresh database in its own temporary directory. Failed imports are checked to leave the
/// database exactly as it was (`snapshot`), and every test checks at tear-down that no prepared statement leaked.
final class ImportTests: XCTestCase {
    private var directory: URL!
    private var store: Store!

    /// Raised by a helper when an expectation already reported with XCTFail makes going on pointless.
    private struct Unexpected: Error, CustomStringConvertible { let description: String }

    // MARK: - Set-up and tear-down

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try makeStore()
    }

    override func tearDownWithError() throws {
        if let store {
            // The store keeps some statements prepared on purpose (Database.cached); drop those, then nothing
            // prepared by an import (LayerWriter, readers) or by this test may still be open.
            store.database.clearStatementCache()
            XCTAssertEqual(store.database.openStatements, [], "prepared statements leaked on the connection")
        }
        store = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
        directory = nil
        try super.tearDownWithError()
    }

    /// Opens a fresh Doorstep database in a new temporary directory (which also holds the test's input files).
    private func makeStore() throws -> Store {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("doorstep-import-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = dir
        let store = try Store(path: dir.appendingPathComponent("city.sqlite").path)
        // The R*Tree module's own statements are left out of `openStatements`; touching every spatial index here
        // shows that, and that a fresh connection holds nothing else.
        for layer in Layer.allCases {
            try store.database.prepare("SELECT count(*) FROM idx_\(layer.rawValue)_geom").forEach { _ in }
        }
        store.database.clearStatementCache()
        XCTAssertEqual(store.database.openStatements, [])
        return store
    }

    // MARK: - Snapshot

    private static let snapshotTables = ["stations", "compounds", "entrances", "grids", "ways", "doorstep_meta", "import_log"]

    /// Every row of every layer table (all columns, geometry as WKT), `doorstep_meta` and `import_log`, plus the
    /// names of all schema objects, as sorted text lines: equal snapshots mean an identical database.
    private func snapshot(_ store: Store) throws -> [String] {
        var lines = [String]()
        try store.database.prepare("SELECT type, name FROM sqlite_master").forEach { row in
            lines.append("schema: \(row.text(0)) \(row.text(1))")
        }
        for table in Self.snapshotTables {
            var columns = [String]()
            try store.database.prepare("PRAGMA table_info(\(table))").forEach { columns.append($0.text(1)) }
            XCTAssertFalse(columns.isEmpty, "table \(table) is missing")
            let select = columns.map { $0 == "geom" ? "AsText(geom)" : "\"\($0)\"" }.joined(separator: ", ")
            try store.database.prepare("SELECT \(select) FROM \(table)").forEach { row in
                var cells = [String]()
                for (i, column) in columns.enumerated() { cells.append("\(column)=\(Self.render(row.value(Int32(i))))") }
                lines.append("\(table): " + cells.joined(separator: " | "))
            }
        }
        return lines.sorted()
    }

    private static func render(_ value: SQLValue) -> String {
        switch value {
        case .null: return "NULL"
        case .int(let v): return "\(v)"
        case .double(let v): return "\(v)"
        case .text(let s): return "'\(s)'"
        case .blob(let b): return "x'" + b.map { String(format: "%02x", $0) }.joined() + "'"
        }
    }

    // MARK: - Files

    @discardableResult
    private func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    private func write(_ name: String, _ data: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    private func gbk(_ text: String) throws -> Data {
        guard let data = text.data(using: Self.gb18030) else { throw Unexpected(description: "cannot encode as GBK") }
        return data
    }

    // MARK: - GeoJSON text

    private func num(_ x: Double) -> String { "\(x)" }

    private func point(_ lon: Double, _ lat: Double) -> String {
        #"{"type": "Point", "coordinates": [\#(num(lon)), \#(num(lat))]}"#
    }

    private func positions(_ ps: [(Double, Double)]) -> String {
        "[" + ps.map { "[\(num($0.0)), \(num($0.1))]" }.joined(separator: ", ") + "]"
    }

    private func polygon(_ rings: [[(Double, Double)]]) -> String {
        #"{"type": "Polygon", "coordinates": [\#(rings.map(positions).joined(separator: ", "))]}"#
    }

    private func multiPolygon(_ polygons: [[[(Double, Double)]]]) -> String {
        let parts = polygons.map { "[" + $0.map(positions).joined(separator: ", ") + "]" }
        return #"{"type": "MultiPolygon", "coordinates": [\#(parts.joined(separator: ", "))]}"#
    }

    private func lineString(_ ps: [(Double, Double)]) -> String {
        #"{"type": "LineString", "coordinates": \#(positions(ps))}"#
    }

    private func multiLineString(_ lines: [[(Double, Double)]]) -> String {
        #"{"type": "MultiLineString", "coordinates": [\#(lines.map(positions).joined(separator: ", "))]}"#
    }

    /// A Feature with `properties` given as JSON object text (or nil for `"properties": null`).
    private func feature(_ properties: String?, _ geometry: String, id: String? = nil) -> String {
        let idMember = id.map { #""id": \#($0), "# } ?? ""
        return #"{"type": "Feature", \#(idMember)"properties": \#(properties ?? "null"), "geometry": \#(geometry)}"#
    }

    /// A FeatureCollection, one feature per line (so syntax errors have predictable line numbers).
    private func collection(_ features: [String], members: String = "") -> String {
        "{\"type\": \"FeatureCollection\",\(members)\n\"features\": [\n" + features.joined(separator: ",\n") + "\n]}\n"
    }

    /// A closed square ring, `size` degrees a side, south-west corner at (lon, lat), counter-clockwise.
    private func square(_ lon: Double, _ lat: Double, _ size: Double = 0.002) -> [(Double, Double)] {
        [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat)]
    }

    // MARK: - Running imports

    @discardableResult
    private func importFile(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil,
                            replace: Bool = false, makeValid: Bool = false) throws -> ImportSummary {
        try Importer.run(ImportOptions(layer: layer, file: url, crs: crs, encoding: encoding, replace: replace,
                                       makeValid: makeValid), into: store)
    }

    @discardableResult
    private func importText(_ layer: Layer, _ name: String, _ text: String, crs: InputCRS? = nil,
                            replace: Bool = false, makeValid: Bool = false) throws -> ImportSummary {
        try importFile(layer, try write(name, text), crs: crs, replace: replace, makeValid: makeValid)
    }

    /// Imports a small good city into every layer, so a snapshot taken afterwards covers every table.
    private func seedCity() throws {
        try importText(.stations, "seed-stations.geojson", collection([
            feature(#"{"id": "S1", "name": "新街口党群服务中心", "kind": "center", "services": ["rest", "water"]}"#, point(118.7800, 32.0400)),
            feature(#"{"id": "S2", "name": "汉中门驿站", "kind": "post"}"#, point(118.7700, 32.0380)),
        ]))
        try importText(.compounds, "seed-compounds.geojson", collection([
            feature(#"{"id": "C1", "name": "金陵小区", "households": 300}"#, polygon([square(118.781, 32.041)])),
        ]))
        try importText(.entrances, "seed-entrances.geojson", collection([
            feature(#"{"compound_id": "C1", "name": "北门"}"#, point(118.782, 32.043)),
        ]))
        try importText(.grids, "seed-grids.geojson", collection([
            feature(#"{"id": "G1", "name": "第一网格", "community": "华侨路社区"}"#, polygon([square(118.77, 32.03, 0.02)])),
        ]))
        try importText(.ways, "seed-ways.geojson", collection([
            feature(#"{"id": "W1", "highway": "footway"}"#, lineString([(118.775, 32.035), (118.785, 32.045)])),
        ]))
    }

    /// Runs an import that must fail; asserts it throws `ImportError` and leaves the database exactly as it was.
    @discardableResult
    private func assertImportFails(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil,
                                   replace: Bool = false, makeValid: Bool = false,
                                   file: StaticString = #filePath, line: UInt = #line) throws -> ImportError {
        let before = try snapshot(store)
        let generation = try store.generation()
        do {
            let summary = try importFile(layer, url, crs: crs, encoding: encoding, replace: replace, makeValid: makeValid)
            XCTFail("the import should have failed but stored \(summary.features) features", file: file, line: line)
            throw Unexpected(description: "import succeeded")
        } catch let error as ImportError {
            let after = try snapshot(store)
            XCTAssertEqual(after, before, "a failed import changed the database", file: file, line: line)
            XCTAssertEqual(try store.generation(), generation, file: file, line: line)
            XCTAssertTrue(error.description.hasSuffix("nothing was imported"), error.description, file: file, line: line)
            return error
        }
    }

    @discardableResult
    private func assertTextFails(_ layer: Layer, _ name: String, _ text: String, crs: InputCRS? = nil,
                                 makeValid: Bool = false,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> ImportError {
        try assertImportFails(layer, try write(name, text), crs: crs, makeValid: makeValid, file: file, line: line)
    }

    /// Asserts the error names `fileName`, and holds a problem at `location` about `field` whose message contains
    /// every fragment — both in the structured problem and in the user-facing text.
    private func assertProblem(_ error: ImportError, file fileName: String, at location: InputLocation, field: String?,
                               _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(error.file, fileName, file: file, line: line)
        guard let problem = error.problems.first(where: { $0.location == location && $0.field == field }) else {
            XCTFail("no problem at \(location) on field \(field ?? "-"); got \(error.problems)", file: file, line: line)
            return
        }
        for fragment in fragments {
            XCTAssertTrue(problem.message.contains(fragment), "\"\(problem.message)\" lacks \"\(fragment)\"", file: file, line: line)
        }
        let text = error.description
        let expectedLine = "\(fileName): " + problem.description
        XCTAssertTrue(text.contains(expectedLine), "\(text) lacks \(expectedLine)", file: file, line: line)
        XCTAssertTrue(text.contains(fileName), file: file, line: line)
        if location != .file { XCTAssertTrue(text.contains(location.description), text, file: file, line: line) }
        if let field { XCTAssertTrue(text.contains(": \(field): "), text, file: file, line: line) }
        for fragment in fragments { XCTAssertTrue(text.contains(fragment), text, file: file, line: line) }
    }

    // MARK: - Reading back

    private func row(_ sql: String, _ arguments: [SQLValue] = []) throws -> [SQLValue] {
        let statement = try store.database.prepare(sql)
        var out: [SQLValue]?
        try statement.forEach(arguments) { s in
            if out == nil { out = (0..<s.columnCount).map { s.value($0) } }
        }
        guard let out else { throw Unexpected(description: "no row for \(sql) \(arguments)") }
        return out
    }

    private func int(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int64? {
        if case .int(let v) = try row(sql, arguments)[0] { return v }
        return nil
    }

    private func text(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        if case .text(let v) = try row(sql, arguments)[0] { return v }
        return nil
    }

    private func double(_ sql: String, _ arguments: [SQLValue] = []) throws -> Double? {
        switch try row(sql, arguments)[0] {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    private func stationPoint(_ id: String) throws -> Coordinate {
        let r = try row("SELECT ST_X(geom), ST_Y(geom) FROM stations WHERE id = ?", [.text(id)])
        guard case .double(let x) = r[0], case .double(let y) = r[1] else { throw Unexpected(description: "no point for \(id)") }
        return Coordinate(lon: x, lat: y)
    }

    private func count(_ table: String) throws -> Int64 {
        try int("SELECT count(*) FROM \(table)") ?? -1
    }

    // MARK: - The helpers themselves

    func testSnapshotSeesAChangeInEveryTable() throws {
        try seedCity()
        let before = try snapshot(store)
        XCTAssertEqual(before.filter { $0.hasPrefix("stations: ") }.count, 2)
        XCTAssertTrue(before.contains { $0.hasPrefix("ways: ") && $0.contains("geom='MULTILINESTRING((118.775 32.035, 118.785 32.045))'") },
                      "geometry is dumped as WKT")
        let changes = [
            "UPDATE stations SET phone = '1' WHERE id = 'S2'",
            "UPDATE compounds SET ref_lat = ref_lat + 1e-9",
            "UPDATE entrances SET geom = MakePoint(118.7821, 32.043, 4326)",
            "UPDATE grids SET district = '鼓楼区'",
            "UPDATE ways SET foot = 'yes'",
            "UPDATE doorstep_meta SET value = '99'",
            "UPDATE import_log SET repaired = 1 WHERE seq = 1",
        ]
        for change in changes {
            try store.database.transaction {
                try store.database.execute(change)
                XCTAssertNotEqual(try snapshot(store), before, change)
                try store.database.execute("ROLLBACK")
                try store.database.execute("BEGIN") // transaction() commits this empty one
            }
            XCTAssertEqual(try snapshot(store), before)
        }
    }

    // MARK: - Good imports: every layer from GeoJSON

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

    // MARK: - Re-import, replace, ids

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

    /// The R*Tree is built three ways (whole index packed at once when an import writes the whole layer or a quarter
    /// of it, entry by entry for a few rows added to a large layer). After each: SQLite's own `rtreecheck` passes, and
    /// 40 random boxes find through the index exactly the stations a full scan of the table finds.
    func testSpatialIndexIsRightAfterEveryKindOfImport() throws {
        var rng = SystemRandomNumberGenerator()
        func stations(_ ids: Range<Int>, prefix: String = "S") -> String {
            collection(ids.map { i in
                feature(#"{"id": "\#(prefix)\#(i)", "name": "站\#(i)"}"#,
                        point(118.70 + Double.random(in: 0..<0.2, using: &rng), 31.95 + Double.random(in: 0..<0.2, using: &rng)))
            })
        }
        func check(_ when: String) throws {
            XCTAssertEqual(try text("SELECT rtreecheck('idx_stations_geom')"), "ok", when)
            XCTAssertEqual(try int("SELECT count(*) FROM idx_stations_geom"), try int("SELECT count(*) FROM stations"), when)
            for _ in 0..<40 {
                let w = 118.70 + Double.random(in: 0..<0.19, using: &rng), s = 31.95 + Double.random(in: 0..<0.19, using: &rng)
                let box: [SQLValue] = [.double(w), .double(s), .double(w + Double.random(in: 0.001..<0.05, using: &rng)),
                                       .double(s + Double.random(in: 0.001..<0.05, using: &rng))]
                var viaIndex = Set<String>(), viaScan = Set<String>()
                try store.database.prepare("""
                    SELECT id FROM stations WHERE fid IN (SELECT pkid FROM idx_stations_geom
                        WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
                    AND ST_X(geom) BETWEEN ?1 AND ?3 AND ST_Y(geom) BETWEEN ?2 AND ?4
                    """).forEach(box) { viaIndex.insert($0.text(0)) }
                try store.database.prepare("SELECT id FROM stations WHERE ST_X(geom) BETWEEN ?1 AND ?3 AND ST_Y(geom) BETWEEN ?2 AND ?4")
                    .forEach(box) { viaScan.insert($0.text(0)) }
                XCTAssertEqual(viaIndex, viaScan, when)
            }
        }
        try importText(.stations, "all.geojson", stations(0..<3000)) // packed: 3,000 entries, three levels
        try check("after a first import")
        try importText(.stations, "few.geojson", stations(0..<60)) // 60 moved of 3,000: entry by entry
        try check("after moving a few")
        try importText(.stations, "more.geojson", stations(2500..<3900)) // 1,400 of 3,900: packed from the table
        try check("after a large upsert")
        try importText(.stations, "replace.geojson", stations(0..<40, prefix: "R"), replace: true) // one node, the root
        try check("after --replace")
        XCTAssertEqual(try int("SELECT count(*) FROM stations"), 40)
    }

    /// SpatiaLite's geometry blobs read in Swift give what SpatiaLite's own `AsBinary` gives, for every feature of
    /// the sample city and for Z/M/ZM forms; compressed blobs and collections are left to SQL (nil).
    func testGeometryBlobsReadAsSpatiaLiteReadsThem() throws {
        let root = packageRoot
        for layer in Layer.allCases {
            _ = try Importer.run(ImportOptions(layer: layer, file: root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer.rawValue).geojson")),
                                 into: store)
        }
        var compared = 0
        for layer in Layer.allCases {
            try store.database.prepare("SELECT geom, AsBinary(geom) FROM \(layer.rawValue)").forEach { row in
                let mine = row.withBlob(0) { Geometry(spatiaLiteBlob: $0) }
                XCTAssertNotNil(mine, layer.rawValue)
                XCTAssertEqual(mine, Geometry(wkb: row.blob(1)), layer.rawValue)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 400)
        let cases: [(String, Geometry?)] = [
            ("MakePointZ(118.5, 32.5, 7, 4326)", .point(Coordinate(lon: 118.5, lat: 32.5))),
            ("GeomFromText('LINESTRINGM(1 2 9, 3 4 9)', 4326)", .lineString([Coordinate(lon: 1, lat: 2), Coordinate(lon: 3, lat: 4)])),
            ("GeomFromText('MULTIPOLYGONZM(((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2)))', 4326)",
             .multiPolygon([[[Coordinate(lon: 0, lat: 0), Coordinate(lon: 1, lat: 0), Coordinate(lon: 1, lat: 1), Coordinate(lon: 0, lat: 0)]]])),
            ("GeomFromText('MULTIPOINT(1 2, 3 4)', 4326)", .multiPoint([Coordinate(lon: 1, lat: 2), Coordinate(lon: 3, lat: 4)])),
            ("CompressGeometry(GeomFromText('LINESTRING(1 2, 3 4, 5 6)', 4326))", nil),
            ("GeomFromText('GEOMETRYCOLLECTION(POINT(1 2))', 4326)", nil),
        ]
        for (sql, expected) in cases {
            try store.database.prepare("SELECT \(sql)").forEach { row in
                XCTAssertEqual(row.withBlob(0) { Geometry(spatiaLiteBlob: $0) }, expected, sql)
            }
        }
        // WKB by hand: big-endian, ISO Z, parts in mixed byte orders; truncated or with bytes left over: nil.
        func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func be64(_ d: Double) -> [UInt8] { withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) } }
        func le64(_ d: Double) -> [UInt8] { withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } }
        let bigPoint: [UInt8] = [0] + be32(1) + be64(118.5) + be64(32.25)
        XCTAssertEqual(Geometry(wkb: bigPoint), .point(Coordinate(lon: 118.5, lat: 32.25)))
        let zPoint: [UInt8] = [1] + le32(1001) + le64(1) + le64(2) + le64(99)
        XCTAssertEqual(Geometry(wkb: zPoint), .point(Coordinate(lon: 1, lat: 2)))
        let mixed: [UInt8] = [1] + le32(4) + le32(2) + bigPoint + [1] + le32(1) + le64(3) + le64(4)
        XCTAssertEqual(Geometry(wkb: mixed), .multiPoint([Coordinate(lon: 118.5, lat: 32.25), Coordinate(lon: 3, lat: 4)]))
        XCTAssertNil(Geometry(wkb: Array(mixed.dropLast())))
        XCTAssertNil(Geometry(wkb: bigPoint + [0]))
        XCTAssertNil(Geometry(wkb: [1] + le32(2) + le32(0xFFFF_FFFF)), "a count far beyond the bytes")
        // Truncated and garbage blobs are nil, not a crash.
        try store.database.prepare("SELECT geom FROM compounds LIMIT 1").forEach { row in
            let bytes = row.blob(0)
            for cut in [0, 1, 10, 39, 43, bytes.count / 2, bytes.count - 1] {
                XCTAssertNil(bytes.prefix(cut).withUnsafeBytes { Geometry(spatiaLiteBlob: $0) }, "cut at \(cut)")
            }
            var corrupt = bytes
            corrupt[43] = 0xFF // the ring count's high byte
            XCTAssertNil(corrupt.withUnsafeBytes { Geometry(spatiaLiteBlob: $0) })
        }
    }

    /// The features API's bbox filter (R*Tree, then `Planar.intersects` in Swift) selects what GEOS's `ST_Intersects`
    /// selects, for every layer of the sample city, over random boxes from 20 m to 2 km wide and boxes that only graze
    /// a feature's corner.
    func testBBoxFilterAgreesWithGEOS() throws {
        let root = packageRoot
        for layer in Layer.allCases {
            _ = try Importer.run(ImportOptions(layer: layer, file: root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer.rawValue).geojson")),
                                 into: store)
        }
        var rng = SystemRandomNumberGenerator()
        var boxes = (0..<150).map { _ -> BoundingBox in
            let w = Double.random(in: 118.760...118.800, using: &rng), s = Double.random(in: 32.033...32.054, using: &rng)
            let size = pow(10, Double.random(in: -3.7 ... -1.7, using: &rng))
            return BoundingBox(west: w, south: s, east: w + size, north: s + size * 0.85)
        }
        // Boxes whose corner sits exactly on a compound's vertex: touching counts as intersecting.
        try store.database.prepare("SELECT ST_X(ST_PointN(ST_ExteriorRing(geom), 1)), ST_Y(ST_PointN(ST_ExteriorRing(geom), 1)) FROM compounds WHERE GeometryType(geom) = 'POLYGON' LIMIT 10").forEach {
            let x = $0.double(0), y = $0.double(1)
            boxes.append(BoundingBox(west: x, south: y, east: x + 0.001, north: y + 0.001))
            boxes.append(BoundingBox(west: x - 0.001, south: y - 0.001, east: x, north: y))
        }
        var nonEmpty = 0
        for layer in Layer.allCases {
            for box in boxes {
                let page = try store.features(of: layer, bbox: box, limit: 10_000, offset: 0)
                var expected = Set<String>()
                try store.database.prepare("SELECT id FROM \(layer.rawValue) WHERE ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 4326))")
                    .forEach([.double(box.west), .double(box.south), .double(box.east), .double(box.north)]) { expected.insert($0.text(0)) }
                XCTAssertEqual(Set(page.features.map(\.id)), expected, "\(layer.rawValue) \(box)")
                XCTAssertEqual(page.numberMatched, expected.count)
                if !expected.isEmpty { nonEmpty += 1 }
            }
        }
        XCTAssertGreaterThan(nonEmpty, 300)
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
        var ids = [String]()
        try store.database.prepare("SELECT id FROM stations ORDER BY id").forEach { ids.append($0.text(0)) }
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
        var ids = [String]()
        try store.database.prepare("SELECT id FROM stations ORDER BY fid").forEach { ids.append($0.text(0)) }
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

    // MARK: - CSV

    func testCSVUTF8WithQuotedCommasAndNewlines() throws {
        let csv = #"""
            id,name,kind,lon,lat,services,hours,address,note
            S1,"Xinjiekou Center, Gulou",center,118.7812,32.0441,rest;water,"Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00","1 Zhongshan Rd
            Floor 2, Room ""A""",plain
            S2,Hanzhongmen,驿站, 118.7691 ,32.0402,,,,

            S3,Huaqiao,station,118.7745,32.0456,"meal, elderly",24/7,x,"y"

            """#
        let url = try write("stations.csv", csv)
        let summary = try importFile(.stations, url)
        XCTAssertEqual(summary.format, "CSV")
        XCTAssertEqual(summary.encoding, "UTF-8")
        XCTAssertEqual(summary.features, 3)
        XCTAssertEqual(try count("stations"), 3)
        XCTAssertEqual(try row("SELECT name, kind, services, hours, address, properties FROM stations WHERE id = 'S1'"),
                       [.text("Xinjiekou Center, Gulou"), .text("center"), .text(#"["rest","water"]"#),
                        .text("Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00"), .text("1 Zhongshan Rd\nFloor 2, Room \"A\""),
                        .text(#"{"note":"plain"}"#)])
        XCTAssertEqual(try row("SELECT kind, services, hours, address, ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S2'"),
                       [.text("post"), .null, .null, .null, .double(118.7691), .double(32.0402)])
        XCTAssertEqual(try text("SELECT services FROM stations WHERE id = 'S3'"), #"["meal","elderly"]"#)
    }

    func testCSVUTF8WithBOM() throws {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data("id,名称,类型,经度,纬度\nS1,新街口党群服务站,党群服务站,118.78,32.04\n".utf8))
        let summary = try importFile(.stations, try write("bom.csv", data))
        XCTAssertEqual(summary.encoding, "UTF-8 (BOM)")
        XCTAssertEqual(try row("SELECT id, name, kind, properties FROM stations"),
                       [.text("S1"), .text("新街口党群服务站"), .text("station"), .null],
                       "the BOM must not stick to the first header name")
    }

    private let gbkHeader = "编号,名称,类型,经度,纬度,户数,人口,地址,电话,开放时间,服务"

    private var gbkRows: [String] {
        [
            #"S101,新街口社区党群服务中心,党群服务中心,118.7812,32.0441,1200,3400,"中山路1号,2楼",025-84561234,Mo-Fr 08:30-17:30,休息、饮水、充电"#,
            "S102,华侨路党群服务站,党群服务站,118.7745,32.0456,800,2100,\"华侨路\n18号\",,Mo-Su 09:00-21:00,热饭、养老",
            "S103,汉中门红色驿站,红色驿站,118.7691,32.0402,,,,,24/7,饮水、如厕",
        ]
    }

    func testCSVGBKWithChineseHeadersIsDetected() throws {
        // Windows tools write GBK with CRLF line ends.
        let csvText = ([gbkHeader] + gbkRows).joined(separator: "\r\n") + "\r\n"
        let url = try write("站点.csv", try gbk(csvText))
        let summary = try importFile(.stations, url)
        XCTAssertEqual(summary.encoding, "GB18030 (detected)")
        XCTAssertEqual(summary.features, 3)
        XCTAssertEqual(try row("SELECT name, kind, services, address, phone, hours, properties FROM stations WHERE id = 'S101'"),
                       [.text("新街口社区党群服务中心"), .text("center"), .text(#"["rest","water","charging"]"#), .text("中山路1号,2楼"),
                        .text("025-84561234"), .text("Mo-Fr 08:30-17:30"), .text(#"{"户数":"1200","人口":"3400"}"#)])
        XCTAssertEqual(try row("SELECT kind, services, address, phone FROM stations WHERE id = 'S102'"),
                       [.text("station"), .text(#"["meal","elderly"]"#), .text("华侨路\n18号"), .null])
        XCTAssertEqual(try row("SELECT kind, services, hours FROM stations WHERE id = 'S103'"),
                       [.text("post"), .text(#"["water","toilet"]"#), .text("24/7")])
        XCTAssertEqual(try row("SELECT ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S103'"), [.double(118.7691), .double(32.0402)])

        // The same file as compounds: 户数 and 人口 are now contract fields, the station columns are extras.
        let compounds = try importFile(.compounds, url)
        XCTAssertEqual(compounds.features, 3)
        XCTAssertEqual(try row("SELECT name, households, population, kind FROM compounds WHERE id = 'S101'"),
                       [.text("新街口社区党群服务中心"), .int(1200), .int(3400), .text("党群服务中心")])
        XCTAssertEqual(try row("SELECT households, population, ref_lon, ref_lat FROM compounds WHERE id = 'S103'"),
                       [.null, .null, .double(118.7691), .double(32.0402)])
        XCTAssertEqual(try text("SELECT json_extract(properties, '$.\"服务\"') FROM compounds WHERE id = 'S101'"), "休息、饮水、充电")
    }

    func testCSVEncodingGivenExplicitly() throws {
        let url = try write("gbk.csv", try gbk(([gbkHeader] + gbkRows).joined(separator: "\n")))
        let summary = try importFile(.stations, url, encoding: .gb18030)
        XCTAssertEqual(summary.encoding, "GB18030")
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S102'"), "华侨路党群服务站")
        XCTAssertEqual(TextEncodingChoice(name: "GBK"), .gb18030)
        XCTAssertEqual(TextEncodingChoice(name: "utf8"), .utf8)
        XCTAssertNil(TextEncodingChoice(name: "latin1"))

        let utf8 = try write("utf8.csv", ([gbkHeader] + gbkRows).joined(separator: "\n"))
        let second = try importFile(.stations, utf8, encoding: .utf8)
        XCTAssertEqual(second.encoding, "UTF-8")
        XCTAssertEqual(second.updated, 3)
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S102'"), "华侨路党群服务站")
    }

    func testCSVInvalidUTF8GivenAsUTF8IsAClearError() throws {
        try seedCity()
        var data = Data("id,name,lon,lat\nS1,ok,118.78,32.04\n".utf8)
        data.append(try gbk("S2,华侨路站,118.79,32.05\n"))
        let url = try write("mixed.csv", data)
        let error = try assertImportFails(.stations, url, encoding: .utf8)
        assertProblem(error, file: "mixed.csv", at: .line(3, id: nil), field: nil, ["invalid UTF-8", "--encoding gbk"])
    }

    func testCSVLineNumbersCountTheHeaderAndMultiLineFields() throws {
        try seedCity()
        // line 1 header; lines 2–4 one record with a field spanning three lines; line 5 fine; line 6 bad.
        let csv = #"""
            id,name,lon,lat,households,address
            C10,"Jinling, East",118.78,32.04,300,"Building 1
            Building 2
            Building 3"
            C11,Yincheng,118.79,32.05,"1,200",x
            C12,Longjiang,118.80,32.06,约300户,y
            C13,Nanhu,118.81,abc,5,z

            """#
        let url = try write("compounds.csv", csv)
        let error = try assertImportFails(.compounds, url)
        assertProblem(error, file: "compounds.csv", at: .line(6, id: "C12"), field: "households", [#"not a number: "约300户""#])
        assertProblem(error, file: "compounds.csv", at: .line(7, id: "C13"), field: "lat", [#"not a finite number: "abc""#])
        XCTAssertEqual(error.problems.count, 2)
        XCTAssertTrue(error.description.contains("compounds.csv: line 6 (id C12): households: not a number"), error.description)
    }

    func testCSVDuplicateIDsAndFieldCountErrorsNameTheLines() throws {
        try seedCity()
        let dup = try write("dup.csv", "id,name,lon,lat\nS5,a,118.78,32.04\nS6,b,118.78,32.04\nS5,c,118.78,32.04\n")
        let error = try assertImportFails(.stations, dup)
        assertProblem(error, file: "dup.csv", at: .line(4, id: "S5"), field: "id", [#"duplicate id "S5""#, "line 2 (id S5)"])

        let ragged = try write("ragged.csv", "id,name,lon,lat\nS5,a,118.78,32.04\nS6,b,118.78\n")
        let error2 = try assertImportFails(.stations, ragged)
        assertProblem(error2, file: "ragged.csv", at: .line(3, id: nil), field: nil, ["3 fields", "header has 4"])

        let unterminated = try write("quote.csv", "id,name,lon,lat\nS5,\"a,118.78,32.04\nS6,b,118.78,32.04\n")
        let error3 = try assertImportFails(.stations, unterminated)
        assertProblem(error3, file: "quote.csv", at: .line(2, id: nil), field: nil, ["unterminated quoted field"])
    }

    func testCSVIsRefusedForLayersThatAreNotPoints() throws {
        try seedCity()
        let url = try write("grids.csv", "id,name,lon,lat\nG1,a,118.78,32.04\n")
        let error = try assertImportFails(.grids, url)
        assertProblem(error, file: "grids.csv", at: .file, field: nil, ["grids layer needs GeoJSON"])
    }

    // MARK: - CRS

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

    // MARK: - Bad input

    func testMalformedJSON() throws {
        try seedCity()
        let text = """
            {"type": "FeatureCollection",
             "features": [
              {"type": "Feature", "properties": {"id": "S9" "name": "x"}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}
             ]}
            """
        let error = try assertTextFails(.stations, "broken.geojson", text)
        let thirdLine = text.split(separator: "\n", omittingEmptySubsequences: false)[2]
        let column = thirdLine[..<thirdLine.range(of: #""name""#)!.lowerBound].utf8.count + 1
        assertProblem(error, file: "broken.geojson", at: .position(line: 3, column: column), field: nil, ["expected ',' or '}'"])
        XCTAssertTrue(error.description.contains("broken.geojson: line 3, column \(column): "), error.description)
    }

    func testTruncatedJSON() throws {
        try seedCity()
        let full = collection((1...20).map { i in
            feature(#"{"id": "T\#(i)", "name": "站\#(i)", "address": "中山路\#(i)号"}"#, point(118.78 + Double(i) / 1000, 32.04))
        })
        let bytes = Array(full.utf8)
        for cut in [bytes.count / 2, bytes.count / 3, bytes.count - 3] {
            let url = try write("truncated-\(cut).geojson", Data(bytes[0..<cut]))
            let error = try assertImportFails(.stations, url)
            XCTAssertEqual(error.problems.count, 1)
            guard case .position(let line, _)? = error.problems.first?.location else {
                XCTFail("a truncated file is a syntax error at a position: \(error)"); continue
            }
            XCTAssertGreaterThanOrEqual(line, 2)
            XCTAssertTrue(error.problems[0].message.contains("truncated"), error.description)
            XCTAssertTrue(error.description.contains("truncated-\(cut).geojson: line \(line), column"), error.description)
        }
    }

    func testMissingID() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "noid.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
            feature(#"{"name": "无名站"}"#, point(118.79, 32.05)),
            feature(#"{"id": "", "name": "空号站"}"#, point(118.79, 32.05)),
            feature(#"{"id": true, "name": "真站"}"#, point(118.79, 32.05)),
        ]))
        assertProblem(error, file: "noid.geojson", at: .feature(index: 2, id: nil), field: "id", ["missing"])
        assertProblem(error, file: "noid.geojson", at: .feature(index: 3, id: nil), field: "id", ["missing"])
        assertProblem(error, file: "noid.geojson", at: .feature(index: 4, id: nil), field: "id", ["boolean"])
        XCTAssertTrue(error.description.contains("noid.geojson: feature 2: id: missing"), error.description)
    }

    func testMissingName() throws {
        try seedCity()
        let error = try assertTextFails(.compounds, "noname.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([square(118.78, 32.04)])),
            feature(#"{"id": "C6", "name": "  "}"#, polygon([square(118.79, 32.04)])),
            feature(#"{"id": "C7"}"#, polygon([square(118.80, 32.04)])),
        ]))
        assertProblem(error, file: "noname.geojson", at: .feature(index: 2, id: "C6"), field: "name", ["missing"])
        assertProblem(error, file: "noname.geojson", at: .feature(index: 3, id: "C7"), field: "name", ["missing"])
        XCTAssertTrue(error.description.contains("noname.geojson: feature 3 (id C7): name: missing"), error.description)
    }

    func testDuplicateIDsWithinOneFile() throws {
        try seedCity()
        // S1 is already in the database (that would be an upsert), but twice in one file is an error.
        let error = try assertTextFails(.stations, "dups.geojson", collection([
            feature(#"{"id": "S1", "name": "一号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.79, 32.05)),
            feature(#"{"name": "一号站副本"}"#, point(118.80, 32.06), id: #""S1""#),
            feature(#"{"id": "S1", "name": "一号站又一个副本"}"#, point(118.81, 32.07)),
        ]))
        assertProblem(error, file: "dups.geojson", at: .feature(index: 3, id: "S1"), field: "id",
                      [#"duplicate id "S1""#, "first at feature 1 (id S1)"])
        // A third copy still points at the first one.
        assertProblem(error, file: "dups.geojson", at: .feature(index: 4, id: "S1"), field: "id",
                      [#"duplicate id "S1""#, "first at feature 1 (id S1)"])
        XCTAssertEqual(error.problems.count, 2)
    }

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

    func testNaNAndInfinityInCoordinates() throws {
        try seedCity()
        for bad in ["NaN", "Infinity", "-Infinity"] {
            let text = collection([
                feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
                #"{"type": "Feature", "properties": {"id": "S6", "name": "六号站"}, "geometry": {"type": "Point", "coordinates": [118.78, \#(bad)]}}"#,
            ])
            let error = try assertTextFails(.stations, "nan.geojson", text)
            let line = text.split(separator: "\n", omittingEmptySubsequences: false)[3]
            // Columns count bytes (UTF-8), like the offsets they come from.
            let column = line[..<line.range(of: bad)!.lowerBound].utf8.count + 1
            assertProblem(error, file: "nan.geojson", at: .position(line: 4, column: column), field: nil,
                          ["NaN and Infinity are not numbers in JSON"])
        }
        // Numbers that overflow a double are no better.
        let error = try assertTextFails(.stations, "huge.geojson", collection([
            #"{"type": "Feature", "properties": {"id": "S6", "name": "六号站"}, "geometry": {"type": "Point", "coordinates": [1e999, 32.04]}}"#,
        ]))
        XCTAssertEqual(error.problems.first?.message, "number out of range")
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

    func testNegativeHouseholds() throws {
        try seedCity()
        // Many good features first: they are written before the bad one is met, and must be rolled back.
        var features = (1...500).map { i in
            feature(#"{"id": "N\#(i)", "name": "小区\#(i)", "households": \#(i)}"#, polygon([square(118.70 + Double(i) * 0.003, 32.0)]))
        }
        features.append(feature(#"{"id": "N501", "name": "负数小区", "households": -5}"#, polygon([square(118.5, 32.0)])))
        let error = try assertTextFails(.compounds, "negative.geojson", collection(features))
        assertProblem(error, file: "negative.geojson", at: .feature(index: 501, id: "N501"), field: "households",
                      ["must not be negative", "-5"])
        XCTAssertEqual(try count("compounds"), 1)
    }

    func testNonNumericHouseholds() throws {
        try seedCity()
        let error = try assertTextFails(.compounds, "approx.geojson", collection([
            feature(#"{"id": "C5", "name": "约数小区", "households": "约300户"}"#, polygon([square(118.78, 32.04)])),
            feature(#"{"id": "C6", "name": "小数小区", "households": 12.5, "population": true}"#, polygon([square(118.79, 32.04)])),
        ]))
        assertProblem(error, file: "approx.geojson", at: .feature(index: 1, id: "C5"), field: "households", [#"not a number: "约300户""#])
        assertProblem(error, file: "approx.geojson", at: .feature(index: 2, id: "C6"), field: "households", ["whole number", "12.5"])
        assertProblem(error, file: "approx.geojson", at: .feature(index: 2, id: "C6"), field: "population", ["expected a number", "boolean"])
    }

    func testInvalidUTF8InAGeoJSONString() throws {
        try seedCity()
        var data = Data(#"{"type": "FeatureCollection", "features": ["#.utf8)
        data.append(Data("\n".utf8))
        data.append(Data(#"{"type": "Feature", "properties": {"id": "S5", "name": ""#.utf8))
        data.append(try gbk("华侨路站"))
        data.append(Data(#""}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}]}"#.utf8))
        let error = try assertImportFails(.stations, try write("gbk.geojson", data))
        let column = #"{"type": "Feature", "properties": {"id": "S5", "name": ""#.utf8.count // the opening quote
        assertProblem(error, file: "gbk.geojson", at: .position(line: 2, column: column), field: nil,
                      ["invalid UTF-8", "GeoJSON must be UTF-8"])

        // A lone invalid byte in an escaped string is caught too.
        var data2 = Data(#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "S5", "name": "a\n"#.utf8)
        data2.append(contentsOf: [0xFF])
        data2.append(Data(#""}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}]}"#.utf8))
        let error2 = try assertImportFails(.stations, try write("ff.geojson", data2))
        XCTAssertTrue(error2.problems.first?.message.contains("invalid UTF-8") ?? false, error2.description)
    }

    func testAbsurdlyDeepNestingIsACleanError() throws {
        try seedCity()
        let depth = 100_000
        var text = #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "S5", "name": "深"}, "geometry": {"type": "Point", "coordinates": "#
        text += String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}]}"
        let error = try assertTextFails(.stations, "deep.geojson", text)
        XCTAssertEqual(error.problems.count, 1)
        XCTAssertTrue(error.problems[0].message.contains("nesting deeper than"), error.description)
        guard case .position(line: 1, _)? = error.problems.first?.location else { return XCTFail("\(error)") }

        // Unclosed, in the properties, and at the top level: same clean answer, no crash.
        let unclosed = #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "#
            + String(repeating: "{\"a\":", count: depth)
        let error2 = try assertTextFails(.stations, "deep2.geojson", unclosed)
        XCTAssertTrue(error2.problems.first?.message.contains("nesting deeper than") ?? false, error2.description)
        let error3 = try assertTextFails(.stations, "deep3.geojson", String(repeating: "[", count: depth))
        XCTAssertTrue(error3.problems.first?.message.contains("FeatureCollection") ?? false, error3.description)
        // JSONValue.parse (request bodies) has the same limit.
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
    }

    func testEmptyFile() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "empty.geojson", "")
        assertProblem(error, file: "empty.geojson", at: .position(line: 1, column: 1), field: nil, ["empty"])
        let blank = try assertTextFails(.stations, "blank.geojson", "  \n\n ")
        XCTAssertTrue(blank.problems.first?.message.contains("empty") ?? false, blank.description)
        let noFeatures = try assertTextFails(.stations, "none.geojson", collection([]))
        assertProblem(noFeatures, file: "none.geojson", at: .file, field: nil, ["no features"])
        let emptyCSV = try assertImportFails(.stations, try write("empty.csv", ""))
        assertProblem(emptyCSV, file: "empty.csv", at: .file, field: nil, ["empty"])
        let headerOnly = try assertImportFails(.stations, try write("header.csv", "id,name,lon,lat\n"))
        assertProblem(headerOnly, file: "header.csv", at: .file, field: nil, ["no features"])
    }

    func testMissingFile() throws {
        try seedCity()
        let url = directory.appendingPathComponent("nowhere.geojson")
        let error = try assertImportFails(.stations, url)
        XCTAssertTrue(error.description.contains("nowhere.geojson"), error.description)
        XCTAssertEqual(error.problems.first?.location, .file)
    }

    func testTopLevelFeatureInsteadOfFeatureCollection() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "single.geojson",
                                        feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)))
        XCTAssertEqual(error.problems.count, 1)
        let message = error.problems[0].message
        XCTAssertTrue(message.contains("FeatureCollection") && message.contains("\"Feature\""), message)
        XCTAssertTrue(error.description.contains("single.geojson"), error.description)

        // A bare geometry, and a collection holding something that is not a Feature.
        let geometry = try assertTextFails(.stations, "geometry.geojson", point(118.78, 32.04))
        XCTAssertTrue(geometry.problems[0].message.contains("FeatureCollection"), geometry.description)
        let notFeature = try assertTextFails(.stations, "mixed.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)), point(118.78, 32.04),
        ]))
        assertProblem(notFeature, file: "mixed.geojson", at: .feature(index: 2, id: nil), field: nil, ["expected a Feature object", "Point"])
    }

    func testEntranceOfAnUnknownCompound() throws {
        try seedCity()
        let error = try assertTextFails(.entrances, "gates.geojson", collection([
            feature(#"{"compound_id": "C1", "name": "东门"}"#, point(118.783, 32.042)),
            feature(#"{"compound_id": "C404", "name": "西门"}"#, point(118.780, 32.042)),
            feature(#"{"name": "无主门"}"#, point(118.780, 32.042)),
        ]))
        assertProblem(error, file: "gates.geojson", at: .feature(index: 2, id: "gates#2"), field: "compound_id",
                      [#"no compound with id "C404""#])
        assertProblem(error, file: "gates.geojson", at: .feature(index: 3, id: "gates#3"), field: "compound_id", ["missing"])
    }

    func testTextThatLooksLikeSQLIsStoredLiterally() throws {
        let evil = "'); DROP TABLE stations; --"
        let json = #"'); DROP TABLE stations; --"#
        try importText(.stations, "evil.geojson", collection([
            feature(#"{"id": "S1'; DELETE FROM compounds; --", "name": "\#(json)", "address": "\"; DROP TABLE grids; --", "note": "Robert'); DROP TABLE ways;--"}"#,
                    point(118.78, 32.04)),
        ]))
        try importText(.stations, "evil2.geojson", collection([
            feature(#"{"id": "S2", "name": "ok", "x'); DROP TABLE compounds; --": 1}"#, point(118.79, 32.05)),
        ]))
        XCTAssertEqual(try row("SELECT id, name, address FROM stations WHERE fid = 1"),
                       [.text("S1'; DELETE FROM compounds; --"), .text(evil), .text("\"; DROP TABLE grids; --")])
        XCTAssertEqual(try text("SELECT json_extract(properties, '$.note') FROM stations WHERE fid = 1"), "Robert'); DROP TABLE ways;--")
        XCTAssertEqual(try text("SELECT properties FROM stations WHERE id = 'S2'"), #"{"x'); DROP TABLE compounds; --":1}"#)
        for table in ["stations", "compounds", "entrances", "grids", "ways", "import_log", "doorstep_meta"] {
            XCTAssertEqual(try int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(table)]), 1, table)
        }
        XCTAssertEqual(try count("stations"), 2)

        // Through CSV too.
        let csv = try write("evil.csv", "id,name,lon,lat\nS3,\"\(evil.replacingOccurrences(of: "\"", with: "\"\""))\",118.8,32.06\n")
        try importFile(.stations, csv)
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S3'"), evil)
        XCTAssertEqual(try count("stations"), 3)
    }

    func testInvalidOpeningHoursNameTheFeature() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "hours.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站", "hours": "Mo-Fr 08:00-17:00; PH off"}"#, point(118.78, 32.04)),
        ]))
        assertProblem(error, file: "hours.geojson", at: .feature(index: 1, id: "S5"), field: "hours", ["PH"])
    }

    func testManyProblemsAreCappedAndCounted() throws {
        try seedCity()
        let features = (1...30).map { i in feature(#"{"id": "M\#(i)"}"#, point(118.78, 32.04)) }
        let error = try assertTextFails(.stations, "many.geojson", collection(features))
        XCTAssertEqual(error.problems.count, ProblemLog.limit)
        XCTAssertEqual(error.more, 30 - ProblemLog.limit)
        XCTAssertEqual(error.problems.last?.location, .feature(index: ProblemLog.limit, id: "M\(ProblemLog.limit)"))
        XCTAssertTrue(error.description.contains("and \(30 - ProblemLog.limit) more problems"), error.description)
    }

    // MARK: - A big file

    func testBigFile() throws {
        let count = 250_000
        let url = directory.appendingPathComponent("big.geojson")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        let padding = String(repeating: "x", count: 50)
        var chunk = "{\"type\": \"FeatureCollection\", \"features\": [\n"
        for i in 1...count {
            let lon = 118.5 + Double(i % 1000) * 0.0005, lat = 31.8 + Double(i / 1000) * 0.0005
            chunk += #"{"type":"Feature","properties":{"id":"B\#(i)","name":"站点\#(i)","kind":"station","padding":"\#(padding)"},"geometry":{"type":"Point","coordinates":[\#(lon),\#(lat)]}}"#
            chunk += i == count ? "\n]}\n" : ",\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
        try handle.close()
        let size = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 40_000_000)

        let start = Date()
        let summary = try importFile(.stations, url)
        let seconds = Date().timeIntervalSince(start)
        print("ImportTests.testBigFile: \(size / 1_000_000) MB, \(count) stations in \(String(format: "%.1f", seconds)) s")
        XCTAssertEqual(summary.features, count)
        XCTAssertEqual(summary.layerCount, count)
        XCTAssertEqual(try self.count("stations"), Int64(count))
        XCTAssertEqual(try row("SELECT name, ST_X(geom), ST_Y(geom), properties FROM stations WHERE id = 'B123456'"),
                       [.text("站点123456"), .double(118.5 + 456 * 0.0005), .double(31.8 + 123 * 0.0005), .text(#"{"padding":"\#(padding)"}"#)])
        XCTAssertEqual(try int("SELECT count(*) FROM stations WHERE kind = 'station'"), Int64(count))
    }

    // MARK: - NUL, control characters, limits, files that are not files

    /// `\u0000` in an id, a name, an extra property's value or name: an error naming the feature and the field, and
    /// nothing stored (before, "S1\u0000x" silently overwrote S1, and X\u00001 and X\u00002 became one row).
    func testNULInGeoJSONTextIsAnErrorNamingFeatureAndField() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "nul.geojson", collection([
            feature(#"{"id": "S1\u0000x", "name": "覆盖"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S7", "name": "新\u0000站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S8", "name": "好站", "note": ["ok", "a\u0000b"]}"#, point(118.78, 32.04)),
            feature(#"{"id": "S9", "name": "好站", "no\u0000te": "x"}"#, point(118.78, 32.04)),
            feature(#"{"id": "X\u00001", "name": "甲"}"#, point(118.78, 32.04)),
            feature(#"{"id": "X\u00002", "name": "乙"}"#, point(118.78, 32.04)),
        ]))
        assertProblem(error, file: "nul.geojson", at: .feature(index: 1, id: #"S1\u{0}x"#), field: "id", ["NUL character (U+0000)", "character 3"])
        assertProblem(error, file: "nul.geojson", at: .feature(index: 2, id: "S7"), field: "name", ["NUL character (U+0000)"])
        assertProblem(error, file: "nul.geojson", at: .feature(index: 3, id: "S8"), field: "note", ["NUL character"])
        assertProblem(error, file: "nul.geojson", at: .feature(index: 4, id: "S9"), field: #"no\u{0}te"#, ["property name", "NUL character"])
        assertProblem(error, file: "nul.geojson", at: .feature(index: 5, id: #"X\u{0}1"#), field: "id", ["NUL"])
        assertProblem(error, file: "nul.geojson", at: .feature(index: 6, id: #"X\u{0}2"#), field: "id", ["NUL"])
        XCTAssertFalse(error.description.contains("\u{0}"), "the message itself must not carry the NUL")
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S1'"), "新街口党群服务中心")
    }

    /// A raw NUL byte in a CSV is refused as the reader meets it, naming the line and the column.
    func testNULByteInCSVIsRefusedWithLineAndField() throws {
        try seedCity()
        var data = Data("id,name,lon,lat\nS5,ok,118.78,32.04\nS6,na".utf8)
        data.append(0)
        data.append(Data("me,118.78,32.04\n".utf8))
        let error = try assertImportFails(.stations, try write("nul.csv", data))
        assertProblem(error, file: "nul.csv", at: .line(3, id: nil), field: "name", ["NUL byte (0x00)"])
        XCTAssertEqual(error.problems.count, 1)
    }

    /// Ids refuse every control character; free text keeps tab and line breaks and refuses the others (ESC, BEL, C1).
    func testControlCharactersInIdsAndText() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "controls.geojson", collection([
            feature(#"{"id": "S\u001b[31m", "name": "红"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S\t7", "name": "站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S8", "name": "铃\u0007"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S9", "name": "站", "address": "x\u009by"}"#, point(118.78, 32.04)),
        ]))
        assertProblem(error, file: "controls.geojson", at: .feature(index: 1, id: #"S\u{1B}[31m"#), field: "id", ["U+001B", "ids"])
        assertProblem(error, file: "controls.geojson", at: .feature(index: 2, id: #"S\u{9}7"#), field: "id", ["U+0009"])
        assertProblem(error, file: "controls.geojson", at: .feature(index: 3, id: "S8"), field: "name", ["U+0007", "tab and line breaks"])
        assertProblem(error, file: "controls.geojson", at: .feature(index: 4, id: "S9"), field: "address", ["U+009B"])
        XCTAssertEqual(error.problems.count, 4)

        try importText(.stations, "ok.geojson", collection([
            feature(#"{"id": "S10", "name": "两行\t站", "address": "中山路1号\r\n2楼"}"#, point(118.78, 32.04)),
        ]))
        XCTAssertEqual(try row("SELECT name, address FROM stations WHERE id = 'S10'"), [.text("两行\t站"), .text("中山路1号\r\n2楼")])
    }

    /// A record past the CSV limit (1 MiB) is refused with its line, after reading about that much, not the file.
    func testOverlongCSVRecordIsRefused() throws {
        try seedCity()
        let long = String(repeating: "长", count: 400_000) // 1.2 MB of UTF-8
        let error = try assertImportFails(.stations, try write("long.csv", "id,name,lon,lat\nS5,ok,118.78,32.04\nS6,\(long),118.78,32.04\nS7,ok,118.78,32.04\n"))
        assertProblem(error, file: "long.csv", at: .line(3, id: nil), field: nil, ["longer than 1 MiB"])
        let quote = try assertImportFails(.stations, try write("quote.csv", "id,name,lon,lat\nS5,\"open" + String(repeating: "\nS6,x,118.78,32.04", count: 70_000)))
        assertProblem(quote, file: "quote.csv", at: .line(2, id: nil), field: nil, ["longer than 1 MiB", "never closed"])
    }

    /// Records, a quoted field with line breaks and CR LF line ends across the reader's 1 MiB chunks, and an encoding
    /// settled by a GBK record that comes after the first chunk.
    func testCSVIsStreamedAcrossChunks() throws {
        var text = "id,name,lon,lat,address\r\n"
        var n = 0
        while text.utf8.count < 3 << 20 {
            n += 1
            text += "S\(n),station \(n),118.78,32.04,\"line one\r\nline two, \"\"quoted\"\"\"\r\n"
        }
        var data = Data(text.utf8)
        data.append(try gbk("S\(n + 1),新街口站,118.79,32.05,中山路\r\n"))
        let summary = try importFile(.stations, try write("stream.csv", data))
        XCTAssertEqual(summary.features, n + 1)
        XCTAssertEqual(summary.encoding, "GB18030 (detected)")
        XCTAssertEqual(try row("SELECT name, address FROM stations WHERE id = ?", [.text("S\(n / 2)")]),
                       [.text("station \(n / 2)"), .text("line one\r\nline two, \"quoted\"")])
        XCTAssertEqual(try row("SELECT name, address FROM stations WHERE id = ?", [.text("S\(n + 1)")]), [.text("新街口站"), .text("中山路")])
    }

    /// Sparse files (no disk used): 2 GiB is refused by size at once; under the limit, zeros are refused at the
    /// first byte — a NUL for CSV, not JSON for GeoJSON — without reading the rest.
    func testSparseFilesAreRefusedAtOnce() throws {
        try seedCity()
        func sparse(_ name: String, _ size: Int) throws -> URL {
            let url = directory.appendingPathComponent(name)
            XCTAssertTrue(FileManager.default.createFile(atPath: url.path, contents: nil))
            XCTAssertEqual(truncate(url.path, off_t(size)), 0)
            return url
        }
        let start = Date()
        for name in ["big.csv", "big.geojson"] {
            let error = try assertImportFails(.stations, try sparse(name, 2 << 30))
            assertProblem(error, file: name, at: .file, field: nil, ["is 2 GiB", "up to 1 GiB"])
        }
        let csv = try assertImportFails(.stations, try sparse("zeros.csv", 900 << 20))
        assertProblem(csv, file: "zeros.csv", at: .line(1, id: nil), field: "header", ["NUL byte"])
        let json = try assertImportFails(.stations, try sparse("zeros.geojson", 900 << 20))
        assertProblem(json, file: "zeros.geojson", at: .position(line: 1, column: 1), field: nil, ["byte 0x00"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "refusals read the whole file")
    }

    func testDirectoryFIFOAndDeviceAreNotRegularFiles() throws {
        try seedCity()
        let folder = directory.appendingPathComponent("layer.geojson")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        assertProblem(try assertImportFails(.stations, folder), file: folder.path, at: .file, field: nil, ["is a directory"])
        let fifo = directory.appendingPathComponent("pipe.csv")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        assertProblem(try assertImportFails(.stations, fifo), file: fifo.path, at: .file, field: nil, ["FIFO", "not a regular file"])
        let zero = URL(fileURLWithPath: "/dev/zero")
        assertProblem(try assertImportFails(.stations, zero), file: "/dev/zero", at: .file, field: nil, ["device", "not a regular file"])
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

    /// A full disk (here SQLite's page limit) during an import is reported as that, alone, and nothing is stored.
    func testDiskFullIsReportedAlone() throws {
        try seedCity()
        let before = try snapshot(store)
        let pages = try XCTUnwrap(try store.database.scalarInt("PRAGMA page_count"))
        try store.database.execute("PRAGMA max_page_count = \(pages + 8)")
        let features = (1...3000).map { feature(#"{"id": "F\#($0)", "name": "站\#($0)", "address": "\#(String(repeating: "路", count: 200))"}"#, point(118.78, 32.04)) }
        XCTAssertThrowsError(try importText(.stations, "many.geojson", collection(features))) { error in
            XCTAssertTrue(error is StoreError, "\(type(of: error)): \(error)")
            XCTAssertTrue("\(error)".contains("the disk is full") && "\(error)".contains("city.sqlite"), "\(error)")
        }
        XCTAssertEqual(try snapshot(store), before)
    }
}
