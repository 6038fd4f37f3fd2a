import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Limits and hostile input: text that looks like SQL, a big file, NUL and control characters, overlong CSV records,
/// sparse files, directories, FIFOs and devices.
final class HostileInputTests: ImportTestCase {
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
        print("HostileInputTests.testBigFile: \(size / 1_000_000) MB, \(count) stations in \(String(format: "%.1f", seconds)) s")
        XCTAssertEqual(summary.features, count)
        XCTAssertEqual(summary.layerCount, count)
        XCTAssertEqual(try self.count("stations"), Int64(count))
        XCTAssertEqual(try row("SELECT name, ST_X(geom), ST_Y(geom), properties FROM stations WHERE id = 'B123456'"),
                       [.text("站点123456"), .double(118.5 + 456 * 0.0005), .double(31.8 + 123 * 0.0005), .text(#"{"padding":"\#(padding)"}"#)])
        XCTAssertEqual(try int("SELECT count(*) FROM stations WHERE kind = 'station'"), Int64(count))
    }

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
}
