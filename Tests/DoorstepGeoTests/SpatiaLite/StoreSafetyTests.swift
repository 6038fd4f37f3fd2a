import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// The store itself: text never cut at a NUL, only Doorstep databases written, nothing left by a failed creation.
final class StoreSafetyTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-store-safety-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func companions(_ path: String) -> [String] {
        DatabaseFile.companions(path).filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Two ids that differ only after a NUL stay two rows, through a bare statement and through the layer writer, and
    /// read back byte for byte — whatever path a NUL might take past the import checks.
    func testIdsDifferingAfterANULNeverBecomeOneRow() throws {
        let store = try Store(path: path("nul.sqlite"))
        let db = store.database
        let insert = try db.prepare("INSERT INTO doorstep_meta(key, value) VALUES(?, ?)")
        try insert.run([.text("X\u{0}1"), .text("a\u{0}b")])
        try insert.run([.text("X\u{0}2"), .text("")])
        var keys = [String: String]()
        try db.prepare("SELECT key, value, length(CAST(key AS BLOB)) FROM doorstep_meta WHERE key LIKE 'X%'").forEach {
            keys[$0.text(0)] = $0.text(1)
            XCTAssertEqual($0.int(2), 3)
        }
        XCTAssertEqual(keys, ["X\u{0}1": "a\u{0}b", "X\u{0}2": ""])
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM doorstep_meta WHERE value = ''"), 1, "an empty text is text, not NULL")

        let records = ["X\u{0}1", "X\u{0}2"].enumerated().map { i, id in
            FeatureRecord(id: id, geometry: .point(Coordinate(lon: 118.78, lat: 32.04)),
                          values: [.text("站\u{0}\(i)")] + Array(repeating: SQLValue.null, count: Layer.stations.fields.count - 1),
                          extraProperties: nil, location: .feature(index: i + 1, id: nil))
        }
        try store.importing(.stations, replace: false) { writer in
            for record in records { _ = try writer.write(record) }
        }
        XCTAssertEqual(try store.count(.stations), 2)
        XCTAssertEqual(try store.stations().map(\.id).sorted(), ["X\u{0}1", "X\u{0}2"])
        XCTAssertEqual(try store.stations().map(\.name).sorted(), ["站\u{0}0", "站\u{0}1"])
    }

    /// Files that are not Doorstep databases: refused for writing and for reading with a message naming the file,
    /// byte for byte as they were, with nothing beside them.
    func testForeignFilesAreRefusedAndLeftByteIdentical() throws {
        let plain = path("plain.sqlite")
        do {
            let db = try Database(path: plain, readOnly: false)
            try db.execute("PRAGMA journal_mode = DELETE; CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES('王')")
        }
        let other = path("other-app.sqlite")
        do {
            let db = try Database(path: other, readOnly: false)
            try db.execute("PRAGMA journal_mode = DELETE; PRAGMA application_id = 1196444487") // GeoPackage's "GPKG"
        }
        let noTables = path("no-tables.sqlite")
        do {
            let db = try Database(path: noTables, readOnly: false)
            try db.execute("PRAGMA journal_mode = DELETE; CREATE TABLE x(a); DROP TABLE x")
        }
        let text = path("notes.sqlite")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: text))
        let zeros = path("zeros.sqlite")
        try Data(count: 4096).write(to: URL(fileURLWithPath: zeros))
        let cases: [(String, String)] = [(plain, "tables customers"), (other, "0x47504B47"), (noTables, "without tables"),
                                         (text, "not even an SQLite file"), (zeros, "not even an SQLite file")]
        for (file, words) in cases {
            XCTAssertTrue(companions(file).isEmpty)
            let before = try Data(contentsOf: URL(fileURLWithPath: file))
            for readOnly in [false, true] {
                XCTAssertThrowsError(try Store(path: file, readOnly: readOnly)) { error in
                    let message = "\(error)"
                    XCTAssertTrue(error is StoreError, message)
                    XCTAssertTrue(message.hasPrefix(file) && message.contains("not a Doorstep database") && message.contains(words), message)
                }
            }
            XCTAssertThrowsError(try Store.writing(path: file) { _ in XCTFail("opened \(file)") })
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "\(file) changed")
            XCTAssertEqual(companions(file), [], "files left beside \(file)")
        }
    }

    /// New databases carry Doorstep's application_id; a database of an earlier Doorstep (application_id 0,
    /// recognised by its schema) is read and written, and stamped when written.
    func testDoorstepDatabasesAreStampedAndOlderOnesAccepted() throws {
        let file = path("city.sqlite")
        do {
            let store = try Store(path: file)
            XCTAssertEqual(try store.database.scalarInt("PRAGMA application_id"), Int64(DatabaseFile.applicationID))
            try store.database.execute("PRAGMA application_id = 0") // as an earlier Doorstep left it
        }
        XCTAssertEqual(try Store(path: file, readOnly: true).schemaVersion, Schema.currentVersion)
        let store = try Store(path: file)
        XCTAssertEqual(try store.database.scalarInt("PRAGMA application_id"), Int64(DatabaseFile.applicationID))
    }

    /// A database of a newer schema says so, for reading and for writing, and is left as it is.
    func testNewerSchemaIsNamed() throws {
        let file = path("newer.sqlite")
        do {
            let store = try Store(path: file)
            try store.database.execute("PRAGMA user_version = \(Schema.currentVersion + 7)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        for readOnly in [true, false] {
            XCTAssertThrowsError(try Store(path: file, readOnly: readOnly)) { error in
                XCTAssertTrue("\(error)".contains("newer Doorstep (schema version \(Schema.currentVersion + 7)"), "\(error)")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before)
    }

    /// A failed import into a path that did not exist leaves nothing there; into a zero-length file, a zero-length file.
    func testFailedImportLeavesNoNewDatabaseBehind() throws {
        let input = directory.appendingPathComponent("bad.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"S1"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}]}"#
            .write(to: input, atomically: true, encoding: .utf8)
        let fresh = path("fresh.sqlite")
        let empty = path("empty.sqlite")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: nil))
        for file in [fresh, empty] {
            XCTAssertThrowsError(try Store.writing(path: file) { store in
                try Importer.run(ImportOptions(layer: .stations, file: input), into: store)
            }) { XCTAssertTrue($0 is ImportError, "\($0)") }
            XCTAssertEqual(companions(file), [])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int, 0)

        // The same import with the name given succeeds, and the file stays.
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"S1","name":"站"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}]}"#
            .write(to: input, atomically: true, encoding: .utf8)
        let summary = try Store.writing(path: fresh) { try Importer.run(ImportOptions(layer: .stations, file: input), into: $0) }
        XCTAssertEqual(summary.layerCount, 1)
        XCTAssertEqual(try Store(path: fresh, readOnly: true).count(.stations), 1)
    }
}
