import Foundation
import XCTest
@testable import DoorstepGeo
@testable import DoorstepAnalysis
@testable import DoorstepModel
import DoorstepSpatiaLite

/// Outputs that must not mislead: CSV coordinates in full, a byte-order mark for Excel, places on every CSV row that
/// has one, shares never rounded to 100 % while anything is left out.
extension CLITests {
    /// Rows of a CSV (no quoted commas in the sample city's numeric columns we read).
    private func csv(_ text: String) throws -> (bom: Bool, header: [String], rows: [[String: String]]) {
        let bom = text.hasPrefix("\u{FEFF}")
        let lines = text.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first).replacingOccurrences(of: "\u{FEFF}", with: "").split(separator: ",").map(String.init)
        let rows = lines.dropFirst().map { line -> [String: String] in
            var cells = [String](), cell = "", quoted = false
            for ch in line {
                if ch == "\"" { quoted.toggle() } else if ch == "," && !quoted { cells.append(cell); cell = "" } else { cell.append(ch) }
            }
            cells.append(cell)
            return Dictionary(zip(header, cells), uniquingKeysWith: { a, _ in a })
        }
        return (bom, header, rows)
    }

    func testPlanCSVCarriesTheSameCoordinatesAsJSON() throws {
        let db = try sampleDatabase()
        let j = try doorstep(["plan", "--add", "4", "--preset", "5min", "--format", "json", "--db", db])
        XCTAssertEqual(j.status, 0, j.err)
        let c = try doorstep(["plan", "--add", "4", "--preset", "5min", "--format", "csv", "--db", db])
        XCTAssertEqual(c.status, 0, c.err)
        let table = try csv(c.out)
        XCTAssertTrue(table.bom, "no byte-order mark: Excel on Chinese Windows would read GBK")
        let sites = try XCTUnwrap(JSONValue.parse(j.out)["sites"].flatMap { if case .array(let a) = $0 { return a } else { return nil } })
        XCTAssertEqual(table.rows.count, sites.count)
        XCTAssertGreaterThan(sites.count, 0)
        for (row, site) in zip(table.rows, sites) {
            guard case .number(let lon)? = site["lon"], case .number(let lat)? = site["lat"] else { return XCTFail("no lon/lat in JSON") }
            let csvLon = try XCTUnwrap(Double(row["lon"] ?? "")), csvLat = try XCTUnwrap(Double(row["lat"] ?? ""))
            XCTAssertEqual(csvLon, lon, "CSV lon \(row["lon"] ?? "") differs from JSON")
            XCTAssertEqual(csvLat, lat)
            // Not the one decimal of old (10 km off): the sample city sits well inside one 0.1° cell.
            XCTAssertNotEqual(csvLon, (lon * 10).rounded() / 10)
        }
    }

    func testGapsCSVHasEachCompoundsPlace() throws {
        let db = try sampleDatabase()
        let r = try doorstep(["gaps", "--preset", "5min", "--format", "csv", "--db", db])
        XCTAssertEqual(r.status, 0, r.err)
        let table = try csv(r.out)
        XCTAssertTrue(table.bom)
        XCTAssertTrue(table.header.contains("lon") && table.header.contains("lat"), "\(table.header)")
        let sites = Dictionary(uniqueKeysWithValues: try StoreBackends.open(db, readOnly: true).compoundSites().map { ($0.id, $0) })
        XCTAssertGreaterThan(table.rows.count, 0)
        for row in table.rows {
            let site = try XCTUnwrap(sites[row["id"] ?? ""], "unknown id \(row["id"] ?? "")")
            let p = try XCTUnwrap(site.referencePoints.first)
            XCTAssertEqual(try XCTUnwrap(Double(row["lon"] ?? "")), p.lon, accuracy: 1e-7)
            XCTAssertEqual(try XCTUnwrap(Double(row["lat"] ?? "")), p.lat, accuracy: 1e-7)
        }
    }
}

final class ShareTests: XCTestCase {
    func testSharesNeverRoundToAllOrNothingWhileSomethingIsLeft() {
        XCTAssertEqual(Share.rounded(100 * 9_038.0 / 9_041.0), 99.9)   // 99.967: was shown as 100
        XCTAssertEqual(Share.rounded(100 * 1.0 / 100_000.0), 0.1)      // 0.001: was shown as 0
        XCTAssertEqual(Share.rounded(100), 100)
        XCTAssertEqual(Share.rounded(0), 0)
        XCTAssertEqual(Share.rounded(99.94), 99.9)
        XCTAssertEqual(Share.rounded(42.25), 42.3)
        XCTAssertEqual(Share.text(100 * 9_038.0 / 9_041.0), "99.9%")
        XCTAssertEqual(Share.text(nil), "—")
    }

    /// A group with all but a few households covered reports 99.9, the same through every path that writes it.
    func testCoverageGroupShare() {
        var g = CoverageGroup(level: .district, key: "d", name: "d")
        g.households = 9_041
        g.householdsCovered = 9_038
        let pct = g.properties.first { $0.0 == "households_covered_pct" }?.1
        XCTAssertEqual(pct, .number(99.9))
    }
}

/// The JSON answer written in pieces on every core (`CoverageRows.writeJSON`) is byte for byte the answer made as one
/// value (`json.jsonText`), across the pieces' and batches' seams, for coverage rows and ranked gaps.
final class StreamedJSONTests: XCTestCase {
    func testRowsEncodedOnEveryCoreAreTheAnswerAsOneValue() throws {
        // More rows than one batch (32,768) and not a whole number of pieces (512), with hostile names.
        let count = 70_001
        let compounds = (0..<count).map { i -> CompoundCoverage in
            let site = CompoundSite(id: "C\(i)", name: i % 7 == 0 ? "<img onerror=\"x\">\u{1}\n小区\(i)" : "小区\(i)", households: i % 11 == 0 ? nil : i % 500,
                                    population: i % 1300, kind: nil, referencePoints: [Coordinate(lon: 118.7 + Double(i) * 1e-7, lat: 32.04)],
                                    hasEntrances: false, gridID: "G\(i % 97)", gridName: nil, community: "社区\(i % 13)", street: nil, district: "区")
            let near = StationDistance(stationID: "S\(i % 301)", stationName: "站\\\(i % 301)", metres: Double(i) / 3)
            // Every kind of row: walking (covered or not), unreachable, no path, and straight (no walking members).
            let statuses: [CompoundCoverage.Status] = [.covered, .uncovered, .unreachable, .noPath, .covered]
            let status = statuses[i % 5]
            let walking = status == .covered && i % 5 == 0 || status == .uncovered
                ? StationDistance(stationID: "S\(i % 301)", stationName: "", metres: 12.34 + Double(i)) : nil
            var row = CompoundCoverage(site: site, status: status, nearestStraight: near, nearestWalking: walking)
            if status == .unreachable || status == .noPath { row.reason = "no \"street\"\t\(i)" }
            return row
        }
        let report = CoverageReport(options: CoverageOptions(reach: .uniform(500)), compounds: compounds, qualifyingStations: 301,
                                    stationsOffNetwork: [])
        let analysis = try AnalysisOptions(radius: 500)
        let coverage = CoverageUseCase.Result(options: try CoverageUseCase.Options(analysis), generation: 7, report: report)
        let gaps = GapsUseCase.Result(options: try GapsUseCase.Options(analysis), generation: 7, report: report, gaps: report.gaps)
        XCTAssertNotNil(coverage.rowWriter)
        XCTAssertNotNil(gaps.rowWriter)
        XCTAssertGreaterThan(gaps.rowCount, 512)
        for (name, rows) in [("coverage", coverage as any CoverageRows), ("gaps", gaps)] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("streamed-\(name)-\(UUID().uuidString).json").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let out = try BufferedOutput(path: path)
            try rows.writeJSON(to: out)
            try out.close()
            let written = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertEqual(written, rows.json.jsonText, name)
            // One row as written by hand: the members, their order and their escapes.
            let first = #"{"id":"C0","name":"<img onerror=\"x\">\u0001\n小区0","households":null,"households_unknown":true,"#
                + #""population":0,"grid_id":"G0","grid":null,"community":"社区0","street":null,"district":"区","status":"covered","#
                + #""covered":true,"unreachable":false,"nearest_station":"S0","nearest_station_name":"站\\0","straight_m":0,"#
                + #""nearest_walking_station":"S0","walking_m":12.3,"walking_min":0.2,"reason":null,"reference":"point_on_surface"}"#
            if name == "coverage" { XCTAssertTrue(written.contains("[" + first), "the first row as written by hand") }
            guard case .array(let parsed)? = try JSONValue.parse(written)[rows.rowsName] else { return XCTFail("\(name): no rows") }
            XCTAssertEqual(parsed.count, rows.rowCount, name)
        }
    }
}
