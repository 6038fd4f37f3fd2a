import CityGen
import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// `doorstep areas` streams its file from worker threads into a temporary file renamed into place (issue 15): the
/// file is GeoJSON GDAL reads, the same bytes as standard output, and an interrupted run leaves the previous file or
/// none, and no temporary file.
final class AreasStreamTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-areas-stream-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func doorstep(_ arguments: [String]) throws -> ProcessResult { try runProcess(try TestProducts.doorstep(), arguments) }

    /// A database of `layers` from `directory`, imported in process.
    func database(_ directory: URL, _ layers: [String]) throws -> String {
        let path = work.appendingPathComponent("city-\(UUID()).sqlite").path
        let store = try Store(path: path)
        for layer in layers {
            _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: directory.appendingPathComponent("\(layer).geojson")),
                                 into: store)
        }
        return path
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasSuffix(".partial") }
    }

    func ogrinfo(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["ogrinfo", "-ro", "-so", "-al", path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        return text
    }

    func testStreamedFileIsTheAnswerAndGDALReadsIt() throws {
        let db = try database(packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou"), ["ways", "stations"])
        let file = work.appendingPathComponent("areas.geojson").path
        let r = try doorstep(["areas", "--walk", "--bands", "300,1000", "--out", file, "--db", db])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(try leftovers(), [])
        let stations = try Store(path: db).stations()
        // Independent of the stream: the collection as the use case builds it whole, in memory (the HTTP answer).
        let whole = try AreasUseCase.run(try AreasUseCase.Options(bands: "300,1000", walk: true),
                                         on: DatabaseSource(try Store(path: db))).json.jsonText
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertEqual(text, whole, "the streamed file is the whole answer, byte for byte")
        let stdout = try doorstep(["areas", "--walk", "--bands", "300,1000", "--out", "-", "--db", db])
        XCTAssertEqual(stdout.out, whole + "\n")
        let parsed = try JSONValue.parse(text)
        guard case .array(let features)? = parsed["features"] else { return XCTFail("no features") }
        let areas = stations.count * 2
        XCTAssertEqual(features.count, areas)
        let info = try ogrinfo(file)
        XCTAssertTrue(info.contains("Feature Count: \(areas)"), info)
        XCTAssertTrue(info.contains("Polygon"), info)
    }

    /// Ctrl-C in the middle of a long run: the target is as it was (absent, or the previous file) and the
    /// temporary file is gone; the exit status says the signal (128 + 2).
    func testInterruptedRunLeavesThePreviousFileOrNone() throws {
        let cityDir = work.appendingPathComponent("city")
        _ = try SyntheticCity(stations: 3000, compounds: 0, waysGrid: 120, seed: 5).write(to: cityDir)
        let db = try database(cityDir, ["ways", "stations"])
        let target = work.appendingPathComponent("areas.geojson")
        for previous in [nil, "{\"previous\":true}"] {
            if let previous { try Data(previous.utf8).write(to: target) }
            let p = Process()
            p.executableURL = try TestProducts.doorstep()
            p.arguments = ["areas", "--walk", "--bands", "500,1000,2000", "--out", target.path, "--db", db]
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait until Features are being written into the temporary file, then interrupt.
            let deadline = Date().addingTimeInterval(120)
            var partialSize = 0
            while Date() < deadline, p.isRunning {
                if let name = try leftovers().first,
                   // AtomicOutput's hidden folder beside the target, holding the file under its own name.
                   let size = try? FileManager.default.attributesOfItem(atPath: work.appendingPathComponent(name)
                       .appendingPathComponent(target.lastPathComponent).path)[.size] as? Int,
                   size > 100_000 {
                    partialSize = size
                    break
                }
                usleep(20_000)
            }
            XCTAssertTrue(p.isRunning, "the run finished before it could be interrupted: make the input bigger")
            XCTAssertGreaterThan(partialSize, 100_000)
            p.interrupt()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 130)
            XCTAssertEqual(try leftovers(), [], "the temporary folder is removed")
            if let previous {
                XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), previous, "the previous file is untouched")
            } else {
                XCTAssertFalse(FileManager.default.fileExists(atPath: target.path), "no target file")
            }
        }
    }

    func testAFailedRunLeavesNoFile() throws {
        let db = try database(packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou"), ["ways", "stations"])
        let target = work.appendingPathComponent("areas.geojson")
        let r = try doorstep(["areas", "--walk", "--station", "NO-SUCH", "--out", target.path, "--db", db])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("NO-SUCH"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
        XCTAssertEqual(try leftovers(), [])
        let missing = try doorstep(["areas", "--out", work.appendingPathComponent("no/such/dir/a.geojson").path, "--db", db])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("no/such/dir/a.geojson") && missing.err.contains("folder exists"), missing.err)
    }
}
