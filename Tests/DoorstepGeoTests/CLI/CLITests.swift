import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// The `doorstep` executable itself (this build's, built first when missing or stale: `TestProducts.doorstep()`),
/// run as a user would.
final class CLITests: XCTestCase {
    static let root = packageRoot

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-cli-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// Runs `doorstep` with `arguments`; returns the exit status, standard output and standard error.
    func doorstep(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try runProcess(try TestProducts.doorstep(), arguments)
        return (r.status, r.out, r.err)
    }

    func sampleDatabase() throws -> String {
        let db = try TestStores.fresh(self, in: work)
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let file = CLITests.root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer).geojson").path
            let r = try doorstep(["import", layer, file, "--db", db])
            XCTAssertEqual(r.status, 0, r.err)
        }
        return db
    }

    /// Warnings of an import go to stderr and the import succeeds; `info` reports entrances left without a compound.
    func testImportWarningsAndOrphanEntrancesInInfo() throws {
        let db = try sampleDatabase()
        let stations = work.appendingPathComponent("s.csv")
        try Data("id,name,lon,lat,services\nX1,站,118.78,32.04,\"rest;(7:rest\"\n".utf8).write(to: stations)
        let s = try doorstep(["import", "stations", stations.path, "--db", db])
        XCTAssertEqual(s.status, 0, s.err)
        XCTAssertTrue(s.err.contains(#"warning: stations: 1 station has services Doorstep does not know: "(7:rest" (1)"#), s.err)

        // Compounds replaced by one that has no entrances: every sample entrance is left without its compound.
        let one = work.appendingPathComponent("one.geojson")
        try Data(#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "NEW1", "name": "新小区"}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}]}"#.utf8).write(to: one)
        let entrances = try store(db) { try $0.count(.entrances) }
        let r = try doorstep(["import", "compounds", one.path, "--replace", "--db", db])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("warning: compounds: \(entrances) entrances now point at compounds that no longer exist"), r.err)
        XCTAssertTrue(r.err.contains("compounds had a household count and now have none"), r.err)
        let info = try doorstep(["info", "--db", db])
        XCTAssertTrue(info.out.contains("\(entrances) entrances point at compounds that do not exist"), info.out)
        let json = try doorstep(["info", "--db", db, "--format", "json"])
        XCTAssertTrue(json.out.contains(#""orphan_entrances":{"count":\#(entrances)"#), json.out)
    }

    private func store<T>(_ path: String, _ body: (any StoreReader) throws -> T) throws -> T { try body(try StoreBackends.open(path, readOnly: true)) }

    /// Columns of a table line up in a terminal although names are Chinese (two columns a character): every row's
    /// cells start at the same terminal column as the header's.
    func testTablesLineUpWithChineseText() throws {
        let db = try sampleDatabase()
        let r = try doorstep(["coverage", "--db", db, "--preset", "10min", "--by", "community"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        XCTAssertGreaterThan(lines.count, 3)
        func wide(_ s: Unicode.Scalar) -> Bool { (0x4E00...0x9FFF).contains(s.value) || (0xFF00...0xFF60).contains(s.value) }
        /// Terminal columns at which each cell after the first starts (cells are separated by at least two spaces).
        func starts(_ line: String) -> [Int] {
            var column = 0, spaces = 0, result = [Int]()
            for s in line.unicodeScalars {
                if s == " " { spaces += 1 } else {
                    if spaces >= 2 { result.append(column) }
                    spaces = 0
                }
                column += wide(s) ? 2 : 1
            }
            return result
        }
        let header = starts(lines[0])
        let rows = lines.dropFirst().filter { $0.unicodeScalars.contains(where: wide) }
        XCTAssertFalse(rows.isEmpty, "no row with Chinese text:\n\(r.out)")
        for row in rows {
            // Empty cells leave wider gaps, so compare the cells a row has against the header's positions.
            for s in starts(row) { XCTAssertTrue(header.contains(s), "cell at column \(s) is not under a header:\n\(lines[0])\n\(row)") }
        }
    }

    /// A bad file: a non-zero exit, a message naming the file, the feature and the field, and nothing stored.
    func testFailedImportExitsNonZeroNamingTheProblem() throws {
        let db = try sampleDatabase()
        let bad = work.appendingPathComponent("bad.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"X1","name":"好站"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}},{"type":"Feature","properties":{"id":"X2","name":"坏站"},"geometry":{"type":"Point","coordinates":[118.78,95]}}]}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let r = try doorstep(["import", "stations", bad.path, "--db", db])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("bad.geojson"), r.err)
        XCTAssertTrue(r.err.contains("X2"), r.err)
        let info = try doorstep(["info", "--db", db])
        XCTAssertTrue(info.out.contains("stations           34"), info.out)
    }

    private func companions(_ path: String) -> [String] {
        ["-wal", "-shm", "-journal"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    private var stations: String { CLITests.root.appendingPathComponent("geodata/nanjing-xinjiekou/stations.geojson").path }

    /// Someone else's SQLite file, a text file and a file of zeros given as --db: refused naming the file, byte for
    /// byte unchanged, no -wal/-shm beside it.
    func testImportRefusesFilesThatAreNotDoorstepDatabases() throws {
        try TestStores.requireSpatiaLite("files that are not SpatiaLite databases given as --db")
        let plain = work.appendingPathComponent("shop.db").path
        do {
            let db = try Database(path: plain)
            try db.execute("PRAGMA journal_mode = DELETE; CREATE TABLE orders(id INTEGER, item TEXT); INSERT INTO orders VALUES(1, '茶')")
        }
        let text = work.appendingPathComponent("notes.sqlite").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: text))
        let zeros = work.appendingPathComponent("zeros.sqlite").path
        try Data(count: 12_288).write(to: URL(fileURLWithPath: zeros))
        for file in [plain, text, zeros] {
            let before = try Data(contentsOf: URL(fileURLWithPath: file))
            for arguments in [["import", "stations", stations, "--db", file], ["info", "--db", file]] {
                let r = try doorstep(arguments)
                XCTAssertNotEqual(r.status, 0)
                XCTAssertTrue(r.err.contains("\(file): ") && r.err.contains("not a Doorstep database"), r.err)
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "\(file) changed")
            XCTAssertEqual(companions(file), [])
        }
    }

    /// A failed import into a new path leaves no file; the first good one creates it.
    func testFailedImportIntoANewPathLeavesNoFile() throws {
        let db = try TestStores.fresh(self, name: "new", in: work)
        let bad = work.appendingPathComponent("bad.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"S1"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}]}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        let r = try doorstep(["import", "stations", bad.path, "--db", db])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("name: missing"), r.err)
        XCTAssertFalse(StoreBackends.exists(db))
        XCTAssertEqual(companions(db), [])
        XCTAssertEqual(try doorstep(["import", "stations", stations, "--db", db]).status, 0)
        XCTAssertTrue(StoreBackends.exists(db))
    }

    /// Inputs that are not regular files, a newer database, 3-D CRSs, an unknown CRS: each says what it is, and
    /// nothing else reaches the terminal (PROJ used to print `proj_create: crs not found` on its own).
    func testClearMessages() throws {
        let db = try TestStores.fresh(self, in: work)
        XCTAssertEqual(try doorstep(["import", "stations", stations, "--db", db]).status, 0)
        let fifo = work.appendingPathComponent("pipe.geojson").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let checks: [([String], [String])] = [
            (["import", "stations", fifo, "--db", db], ["pipe.geojson", "FIFO", "not a regular file"]),
            (["import", "stations", "/dev/zero", "--db", db], ["/dev/zero", "device", "not a regular file"]),
            (["import", "stations", work.path, "--db", db], ["is a directory"]),
            (["import", "stations", stations, "--db", db, "--crs", "EPSG:4978"], ["EPSG:4978", "geocentric"]),
            (["import", "stations", stations, "--db", db, "--crs", "EPSG:4979"], ["EPSG:4979", "3-D CRS"]),
            (["import", "stations", stations, "--db", db, "--crs", "EPSG:999999"], ["EPSG:999999", "PROJ: proj_create: crs not found"]),
        ]
        for (arguments, words) in checks {
            let r = try doorstep(arguments)
            XCTAssertNotEqual(r.status, 0)
            for w in words { XCTAssertTrue(r.err.contains(w), "\(arguments): \(r.err)") }
            XCTAssertFalse(r.err.split(separator: "\n").contains { $0.hasPrefix("proj_") }, r.err)
        }
        // A store of a newer schema: made by setting SQLite's user_version, so on SpatiaLite only.
        guard !TestStores.isPostGIS else { return }
        do {
            let store = try Store(path: db)
            try store.database.execute("PRAGMA user_version = 99")
        }
        for arguments in [["info", "--db", db], ["import", "stations", stations, "--db", db], ["nearest", "--db", db, "--lon", "118.78", "--lat", "32.04"]] {
            let r = try doorstep(arguments)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.err.contains("newer Doorstep (schema version 99"), "\(arguments): \(r.err)")
        }
    }

    /// A full file system: the message says so first and alone (no SpatiaLite cascade), for a new database and for
    /// an import into an existing one, and a new database is not left behind. Needs root for a small tmpfs.
    func testDiskFullIsReportedFirstAndAlone() throws {
        try TestStores.requireSpatiaLite("a full file system under a SpatiaLite file")
        let mountPoint = work.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mountPoint.path]
        mount.standardError = FileHandle.nullDevice
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here (not root?)") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let db = mountPoint.appendingPathComponent("city.sqlite").path
        XCTAssertEqual(try doorstep(["import", "stations", stations, "--db", db]).status, 0)
        // Fill what is left but about 200 KB.
        let filler = mountPoint.appendingPathComponent("filler")
        var info = statvfs()
        XCTAssertEqual(statvfs(mountPoint.path, &info), 0)
        let free = Int(info.f_bavail) * Int(info.f_frsize)
        try Data(count: free - 200_000).write(to: filler)
        let many = work.appendingPathComponent("many.geojson")
        let features = (1...3000).map { #"{"type":"Feature","properties":{"id":"F\#($0)","name":"站\#($0)","address":"\#(String(repeating: "路", count: 300))"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}"# }
        try #"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.write(to: many, atomically: true, encoding: .utf8)
        let r = try doorstep(["import", "stations", many.path, "--db", db])
        XCTAssertNotEqual(r.status, 0)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.err)
        XCTAssertTrue(lines.first?.contains("\(db): the disk is full") ?? false, r.err)
        try FileManager.default.removeItem(at: filler)
        let info2 = try doorstep(["info", "--db", db])
        XCTAssertTrue(info2.out.contains("stations           34"), info2.out + info2.err)

        // A new database on a file system with too little room: one message, no file.
        try Data(count: free - 4_000_000).write(to: filler)
        let fresh = mountPoint.appendingPathComponent("fresh.sqlite").path
        let r2 = try doorstep(["import", "stations", stations, "--db", fresh])
        XCTAssertNotEqual(r2.status, 0)
        XCTAssertEqual(r2.err.split(separator: "\n").count, 1, r2.err)
        XCTAssertTrue(r2.err.contains("\(fresh): the disk is full"), r2.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        XCTAssertEqual(companions(fresh), [])
    }
}
