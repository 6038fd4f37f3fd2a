import Foundation
import XCTest
@testable import DoorstepGeo

/// The `doorstep` executable itself (built with the tests by `swift build --build-tests`), run as a user would.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-cli-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// Runs `doorstep` with `arguments`; returns the exit status, standard output and standard error.
    func doorstep(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let binary = CLITests.root.appendingPathComponent(".build/debug/doorstep")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("no .build/debug/doorstep (build with `swift build --build-tests`)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = work.appendingPathComponent("out-\(UUID()).txt"), err = work.appendingPathComponent("err-\(UUID()).txt")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        // Decoded as is: Foundation's String(contentsOf:encoding:) would drop a byte-order mark.
        return (process.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self),
                String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }

    func sampleDatabase() throws -> String {
        let db = work.appendingPathComponent("city.sqlite").path
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let file = CLITests.root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer).geojson").path
            let r = try doorstep(["import", layer, file, "--db", db])
            XCTAssertEqual(r.status, 0, r.err)
        }
        return db
    }

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
}
