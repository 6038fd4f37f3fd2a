import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo

/// `doorstep whatif` through the built binary: the answer equals `doorstep coverage` on a copy of the database where
/// the added station was imported and the closed one removed (`import stations --replace` without it); bad input
/// exits non-zero with a message naming the flag.
final class WhatIfCLITests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-whatif-cli-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func doorstep(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let r = try runProcess(try TestProducts.doorstep(), arguments)
        return (r.status, r.out, r.err)
    }

    func database(_ name: String) throws -> String {
        let db = work.appendingPathComponent(name).path
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let file = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer).geojson").path
            let r = try doorstep(["import", layer, file, "--db", db])
            XCTAssertEqual(r.status, 0, r.err)
        }
        return db
    }

    /// id → status of a coverage-shaped JSON answer.
    func statuses(_ text: String) throws -> [String: String] {
        let rows = try JSONValue.parse(text)["rows"]?.arrayValue ?? []
        var out = [String: String]()
        for row in rows { if let id = row["id"]?.stringValue { out[id] = row["status"]?.stringValue } }
        return out
    }

    func testWhatIfEqualsCoverageOfTheChangedDatabase() throws {
        let db = try database("city.sqlite")
        let copy = try database("copy.sqlite")
        // A site next to the first compound that a 5-minute walk does not cover; S003 closed.
        let before = try doorstep(["coverage", "--preset", "5min", "--walk", "--format", "json", "--db", db])
        XCTAssertEqual(before.status, 0, before.err)
        let rows = try JSONValue.parse(before.out)["rows"]?.arrayValue ?? []
        let gap = try XCTUnwrap(rows.first { $0["status"]?.stringValue == "uncovered" }?["id"]?.stringValue)
        let place = try doorstep(["coverage", "--preset", "5min", "--walk", "--format", "csv", "--db", db])
        let line = try XCTUnwrap(place.out.split(separator: "\n").first { $0.hasPrefix(gap + ",") })
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        let lon = Double(cells[cells.count - 2])! + 0.0003, lat = Double(cells[cells.count - 1])!

        let stations = try JSONSerialization.jsonObject(with: Data(contentsOf: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/stations.geojson"))) as! [String: Any]
        var features = (stations["features"] as! [[String: Any]]).filter { ($0["properties"] as! [String: Any])["id"] as? String != "S003" }
        features.append(["type": "Feature", "geometry": ["type": "Point", "coordinates": [lon, lat]], "properties": ["id": "whatif-1", "name": "what-if 1"]])
        let file = work.appendingPathComponent("changed.geojson")
        try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": features]).write(to: file)
        let imported = try doorstep(["import", "stations", file.path, "--replace", "--db", copy])
        XCTAssertEqual(imported.status, 0, imported.err)

        let full = try doorstep(["coverage", "--preset", "5min", "--walk", "--format", "json", "--db", copy])
        let whatIf = try doorstep(["whatif", "--add", "\(lon),\(lat)", "--close", "S003", "--preset", "5min", "--walk", "--format", "json", "--db", db])
        XCTAssertEqual(whatIf.status, 0, whatIf.err)
        XCTAssertEqual(try statuses(whatIf.out), try statuses(full.out))
        XCTAssertNotEqual(try statuses(whatIf.out), try statuses(before.out), "the change changes something")
        XCTAssertTrue(try JSONValue.parse(whatIf.out)["changes"]?["newly_covered"]?.arrayValue?.contains(.string(gap)) == true)

        let table = try doorstep(["whatif", "--add", "\(lon),\(lat)", "--preset", "5min", "--walk", "--db", db])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("what-if: 1 added, 0 closed"), table.out)
    }

    func testBadInputNamesTheFlag() throws {
        let db = try database("city.sqlite")
        let many = (0..<51).map { "118.78,32.0\($0 % 10)" }.joined(separator: ";")
        for (arguments, flag, text) in [(["--add", "1000,2"], "--add", "1000"), (["--add", "nan,1"], "--add", "nan"),
                                        (["--add", many], "--add", "51"), (["--add", "118.78"], "--add", "lon,lat"),
                                        (["--close", "nope"], "--close", "nope"), (["--close", "S001,,S002"], "--close", "empty"),
                                        (["--add-kind", String(repeating: "x", count: 65)], "--add-kind", "xxx")] {
            let r = try doorstep(["whatif"] + arguments + ["--db", db])
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.err.contains(flag) && r.err.contains(text), "\(arguments): \(r.err)")
        }
    }
}

private extension JSONValue {
    var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
}
