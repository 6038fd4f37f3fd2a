import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// The fixture of the import tests (`doorstep import` end to end: files on disk → `Importer` → a real store, checked
/// by SQL), shared by the topic classes in Import/ and by SpatiaLite/StoredGeometryTests.
///
/// Every test runs on a fresh store (`TestStores`: a SpatiaLite file in its own temporary directory, or a PostGIS
/// schema), opened through `StoreBackends`. Failed imports are checked to leave the store exactly as it was
/// (`snapshot`), and on SpatiaLite every test checks at tear-down that no prepared statement leaked. The SQL of the
/// checks is SpatiaLite's; on PostGIS it runs through psql (`PostGISQuery`), translated where the dialects differ.
class ImportTestCase: XCTestCase {
    var directory: URL!
    var store: (any StoreWriter)!
    /// The address of `store` (a file path or a postgresql:// URL).
    var address: String!
    /// The SpatiaLite store under `store`, or nil on PostGIS: for checks of SQLite itself.
    var file: Store? { store as? Store }

    /// Raised by a helper when an expectation already reported with XCTFail makes going on pointless.
    private struct Unexpected: Error, CustomStringConvertible { let description: String }

    // MARK: - Set-up and tear-down

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try makeStore()
    }

    override func tearDownWithError() throws {
        if let file {
            // The store keeps some statements prepared on purpose (Database.cached); drop those, then nothing
            // prepared by an import (LayerWriter, readers) or by this test may still be open.
            file.database.clearStatementCache()
            XCTAssertEqual(file.database.openStatements, [], "prepared statements leaked on the connection")
        }
        store = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
        directory = nil
        try super.tearDownWithError()
    }

    /// Puts a fresh, empty store in the place of `store` (the old one is removed when the test ends).
    func resetStore() throws {
        let old = directory
        addTeardownBlock { if let old { try? FileManager.default.removeItem(at: old) } }
        store = try makeStore()
    }

    /// Opens a fresh Doorstep store (a file in a new temporary directory, which also holds the test's input files).
    private func makeStore() throws -> any StoreWriter {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("doorstep-import-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        directory = dir
        let (fresh, address) = try freshStore(self, in: dir)
        self.address = address
        guard let store = fresh as? Store else { return fresh }
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
    func snapshot(_ store: any StoreReader) throws -> [String] {
        guard let store = store as? Store else { return try PostGISQuery.snapshot(address, tables: Self.snapshotTables) }
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
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    func gbk(_ text: String) throws -> Data {
        guard let data = text.data(using: Self.gb18030) else { throw Unexpected(description: "cannot encode as GBK") }
        return data
    }

    // MARK: - GeoJSON text

    private func num(_ x: Double) -> String { "\(x)" }

    func point(_ lon: Double, _ lat: Double) -> String {
        #"{"type": "Point", "coordinates": [\#(num(lon)), \#(num(lat))]}"#
    }

    private func positions(_ ps: [(Double, Double)]) -> String {
        "[" + ps.map { "[\(num($0.0)), \(num($0.1))]" }.joined(separator: ", ") + "]"
    }

    func polygon(_ rings: [[(Double, Double)]]) -> String {
        #"{"type": "Polygon", "coordinates": [\#(rings.map(positions).joined(separator: ", "))]}"#
    }

    func multiPolygon(_ polygons: [[[(Double, Double)]]]) -> String {
        let parts = polygons.map { "[" + $0.map(positions).joined(separator: ", ") + "]" }
        return #"{"type": "MultiPolygon", "coordinates": [\#(parts.joined(separator: ", "))]}"#
    }

    func lineString(_ ps: [(Double, Double)]) -> String {
        #"{"type": "LineString", "coordinates": \#(positions(ps))}"#
    }

    func multiLineString(_ lines: [[(Double, Double)]]) -> String {
        #"{"type": "MultiLineString", "coordinates": [\#(lines.map(positions).joined(separator: ", "))]}"#
    }

    /// A Feature with `properties` given as JSON object text (or nil for `"properties": null`).
    func feature(_ properties: String?, _ geometry: String, id: String? = nil) -> String {
        let idMember = id.map { #""id": \#($0), "# } ?? ""
        return #"{"type": "Feature", \#(idMember)"properties": \#(properties ?? "null"), "geometry": \#(geometry)}"#
    }

    /// A FeatureCollection, one feature per line (so syntax errors have predictable line numbers).
    func collection(_ features: [String], members: String = "") -> String {
        "{\"type\": \"FeatureCollection\",\(members)\n\"features\": [\n" + features.joined(separator: ",\n") + "\n]}\n"
    }

    /// A closed square ring, `size` degrees a side, south-west corner at (lon, lat), counter-clockwise.
    func square(_ lon: Double, _ lat: Double, _ size: Double = 0.002) -> [(Double, Double)] {
        [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat)]
    }

    // MARK: - Running imports

    @discardableResult
    func importFile(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil,
                            replace: Bool = false, makeValid: Bool = false) throws -> ImportSummary {
        try Importer.run(ImportOptions(layer: layer, file: url, crs: crs, encoding: encoding, replace: replace,
                                       makeValid: makeValid), into: store)
    }

    @discardableResult
    func importText(_ layer: Layer, _ name: String, _ text: String, crs: InputCRS? = nil,
                            replace: Bool = false, makeValid: Bool = false) throws -> ImportSummary {
        try importFile(layer, try write(name, text), crs: crs, replace: replace, makeValid: makeValid)
    }

    /// Imports a small good city into every layer, so a snapshot taken afterwards covers every table.
    func seedCity() throws {
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
    func assertImportFails(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil,
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
    func assertTextFails(_ layer: Layer, _ name: String, _ text: String, crs: InputCRS? = nil,
                                 makeValid: Bool = false,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> ImportError {
        try assertImportFails(layer, try write(name, text), crs: crs, makeValid: makeValid, file: file, line: line)
    }

    /// Asserts the error names `fileName`, and holds a problem at `location` about `field` whose message contains
    /// every fragment — both in the structured problem and in the user-facing text.
    func assertProblem(_ error: ImportError, file fileName: String, at location: InputLocation, field: String?,
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

    func row(_ sql: String, _ arguments: [SQLValue] = []) throws -> [SQLValue] {
        guard let file else {
            guard let first = try PostGISQuery.rows(address, sql, arguments).first else {
                throw Unexpected(description: "no row for \(sql) \(arguments)")
            }
            return first
        }
        let statement = try file.database.prepare(sql)
        var out: [SQLValue]?
        try statement.forEach(arguments) { s in
            if out == nil { out = (0..<s.columnCount).map { s.value($0) } }
        }
        guard let out else { throw Unexpected(description: "no row for \(sql) \(arguments)") }
        return out
    }

    /// The first column of every row of `sql`, as text.
    func texts(_ sql: String) throws -> [String] {
        guard let file else {
            return try PostGISQuery.rows(address, sql).map { if case .text(let s) = $0.first { s } else { "\($0)" } }
        }
        var out = [String]()
        try file.database.prepare(sql).forEach { out.append($0.text(0)) }
        return out
    }

    func int(_ sql: String, _ arguments: [SQLValue] = []) throws -> Int64? {
        if case .int(let v) = try row(sql, arguments)[0] { return v }
        return nil
    }

    func text(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        if case .text(let v) = try row(sql, arguments)[0] { return v }
        return nil
    }

    func double(_ sql: String, _ arguments: [SQLValue] = []) throws -> Double? {
        switch try row(sql, arguments)[0] {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    func stationPoint(_ id: String) throws -> Coordinate {
        let r = try row("SELECT ST_X(geom), ST_Y(geom) FROM stations WHERE id = ?", [.text(id)])
        guard case .double(let x) = r[0], case .double(let y) = r[1] else { throw Unexpected(description: "no point for \(id)") }
        return Coordinate(lon: x, lat: y)
    }

    func count(_ table: String) throws -> Int64 {
        try int("SELECT count(*) FROM \(table)") ?? -1
    }
}
