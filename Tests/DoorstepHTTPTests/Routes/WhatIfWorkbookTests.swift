import DoorstepGeo
import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// A what-if scenario as a workbook (`GET /v1/whatif?format=xlsx`, `doorstep whatif --out x.xlsx`), read back by GDAL's
/// own XLSX driver (`ogr2ogr … CSV`): its changes sheet lists exactly the JSON answer's changes, and its compounds sheet
/// adds up to the answer's households covered.
final class WhatIfWorkbookTests: XCTestCase {
    func testScenarioWorkbookHoldsTheAnswer() async throws {
        guard let ogr2ogr = findProgram("ogr2ogr") else { throw XCTSkip("ogr2ogr (Debian gdal-bin) is not installed; `make deps` installs it") }
        let dir = try temporaryDirectory(self)
        let db = try sampleDatabase(self)
        let (app, _) = try makeApp(db)
        let scenario = "add=118.771096,32.051318;118.7835,32.0425&close=S025&preset=10min&walk=true"
        try await app.test(.router) { client in
            let answer = try await client.request("/v1/whatif?\(scenario)").body()
            let changes = try XCTUnwrap(answer["changes"])
            let summary = try XCTUnwrap(answer["summary"])
            for lang in ["en", "zh"] {
                let reply = try await client.request("/v1/whatif?\(scenario)&format=xlsx&lang=\(lang)")
                XCTAssertEqual(reply.status, .ok, reply.text.prefix(300).description)
                XCTAssertEqual(reply.contentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                let file = dir.appendingPathComponent("scenario-\(lang).xlsx")
                XCTAssertEqual(Array(reply.bytes.prefix(2)), Array("PK".utf8), "an XLSX file is a zip")
                try Data(reply.bytes).write(to: file)
                let sheets = lang == "en" ? ("scenario changes", "compounds") : ("方案变化", "小区")
                let changeRows = try await Self.sheet(ogr2ogr, file, sheets.0, dir)
                let added = changes["added"]?.array ?? [], closed = changes["closed"]?.array ?? []
                let newly = (changes["newly_covered"]?.array ?? []).compactMap(\.string)
                let gone = (changes["newly_uncovered"]?.array ?? []).compactMap(\.string)
                XCTAssertEqual(changeRows.count, added.count + closed.count + newly.count + gone.count, lang)
                guard lang == "en" else { continue }
                XCTAssertEqual(changeRows.filter { $0["change"] == "added" }.compactMap { $0["id"] }, added.compactMap { $0["id"]?.string })
                XCTAssertEqual(changeRows.filter { $0["change"] == "closed" }.compactMap { $0["id"] }, ["S025"])
                XCTAssertEqual(Set(changeRows.filter { $0["change"] == "newly_covered" }.compactMap { $0["id"] }), Set(newly))
                XCTAssertEqual(Set(changeRows.filter { $0["change"] == "newly_uncovered" }.compactMap { $0["id"] }), Set(gone))
                for (row, site) in zip(changeRows.filter { $0["change"] == "added" }, added) {
                    XCTAssertEqual(row["covers"].flatMap { Int($0) }, site["covers"]?.array?.count)
                    XCTAssertEqual(row["households"].flatMap { Int($0) }, site["households"]?.int)
                    XCTAssertEqual(row["lon"].flatMap { Double($0) }, site["lon"]?.number)
                }
                // The compounds sheet is the world after the change: its covered households are the answer's.
                let compounds = try await Self.sheet(ogr2ogr, file, sheets.1, dir)
                XCTAssertEqual(compounds.count, answer["rows"]?.array?.count)
                let covered = compounds.filter { $0["covered"] == "1" || $0["covered"] == "true" }.reduce(0) { $0 + (Int($1["households"] ?? "") ?? 0) }
                XCTAssertEqual(covered, summary["households_covered"]?.int)
            }
            let bad = try await client.request("/v1/whatif?\(scenario)&format=xlsx&lang=fr")
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertEqual(try bad.body()["code"]?.string, "invalid_parameter")
            XCTAssertTrue(try bad.body()["description"]?.string?.hasPrefix("lang:") == true, bad.text)
        }
        // The CLI writes the same workbook; a file that is no workbook is refused naming --out.
        let out = dir.appendingPathComponent("cli.xlsx")
        let (status, output) = try await runProgram(try TestProducts.doorstep().path, ["whatif", "--db", db, "--add", "118.771096,32.051318", "--close", "S025",
                                                                         "--preset", "10min", "--walk", "--out", out.path, "--lang", "en", "--format", "json"])
        XCTAssertEqual(status, 0, output)
        let cliChanges = try await Self.sheet(ogr2ogr, out, "scenario changes", dir)
        XCTAssertEqual(cliChanges.filter { $0["change"] == "closed" }.count, 1)
        let (refused, message) = try await runProgram(try TestProducts.doorstep().path, ["whatif", "--db", db, "--add", "118.77,32.05", "--out", dir.appendingPathComponent("x.csv").path])
        XCTAssertNotEqual(refused, 0)
        XCTAssertTrue(message.contains("--out"), message)
    }

    /// A sheet of a workbook as rows of text by header, read by GDAL.
    static func sheet(_ ogr2ogr: String, _ file: URL, _ name: String, _ dir: URL) async throws -> [[String: String]] {
        let csv = dir.appendingPathComponent("sheet-\(UUID().uuidString).csv")
        let (status, output) = try await runProgram(ogr2ogr, ["-f", "CSV", csv.path, file.path, name])
        XCTAssertEqual(status, 0, output)
        let lines = (try? String(contentsOf: csv, encoding: .utf8))?.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) ?? []
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else { return [] }
        return lines.dropFirst().map { line in
            // Sample-city names hold no commas; quoted fields are unquoted.
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            return Dictionary(zip(header, cells).map { ($0, $1) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
