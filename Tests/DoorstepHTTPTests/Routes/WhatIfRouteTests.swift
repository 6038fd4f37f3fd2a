import DoorstepGeo
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `/v1/whatif` against an independent computation: the full coverage (`CoverageAnalysis.run`, not the incremental
/// what-if) of a copy of the database where the added stations were imported and the closed ones removed.
final class WhatIfRouteTests: XCTestCase {
    /// A copy of `path` (the sample city, imported again into a store of its own: a PostGIS schema cannot be copied
    /// as a file) with `added` stations imported (kind given) and the stations `closed` removed (the stations
    /// re-imported without them, `--replace`).
    private func changedCopy(of path: String, added: [(lon: Double, lat: Double)], kind: String? = nil, closed: Set<String> = []) throws -> String {
        let dir = try temporaryDirectory(self)
        let copy = try sampleDatabase(self)
        let counts = { (address: String) in try Layer.allCases.map { try StoreBackends.open(address, readOnly: true).count($0) } }
        XCTAssertEqual(try counts(copy), try counts(path), "the copy holds what \(path) holds")
        try StoreBackends.writing(copy) { store in
        if !closed.isEmpty {
            let all = try JSONSerialization.jsonObject(with: Data(contentsOf: sampleCity.appendingPathComponent("stations.geojson"))) as! [String: Any]
            var kept = all
            kept["features"] = (all["features"] as! [[String: Any]]).filter {
                !closed.contains(($0["properties"] as! [String: Any])["id"] as! String)
            }
            let file = dir.appendingPathComponent("kept.geojson")
            try JSONSerialization.data(withJSONObject: kept).write(to: file)
            var options = ImportOptions(layer: .stations, file: file)
            options.replace = true
            _ = try Importer.run(options, into: store)
        }
        if !added.isEmpty {
            let features = added.enumerated().map { i, p -> String in
                let k = kind.map { ",\"kind\":\"\($0)\"" } ?? ""
                return "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[\(p.lon),\(p.lat)]},"
                    + "\"properties\":{\"id\":\"whatif-\(i + 1)\",\"name\":\"what-if \(i + 1)\"\(k)}}"
            }
            let file = dir.appendingPathComponent("added.geojson")
            try Data("{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}".utf8).write(to: file)
            _ = try Importer.run(ImportOptions(layer: .stations, file: file), into: store)
        }
        }
        return copy
    }

    /// Coverage computed in full on `path`.
    private static func full(_ path: String, _ options: CoverageOptions) throws -> CoverageReport {
        let store = try StoreBackends.open(path, readOnly: true)
        let network = options.walk ? try WalkingNetwork.load(from: store) : nil
        return try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(), network: network, options: options)
    }

    /// The JSON of rows after a trip through text (numbers as served).
    private static func json(_ row: [(String, JSONValue)]) throws -> JSONValue { try JSONValue.parse(JSONValue.object(row).jsonText) }

    /// Every compound's status in `answer` is the full run's; the rows whose status changed equal the full run's rows
    /// (nearest stations included); newly_covered/newly_uncovered and the totals are the difference of the full runs.
    private static func assertEqual(_ answer: JSONValue, after: CoverageReport, before: CoverageReport, _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let rows = answer["rows"]?.array ?? []
        XCTAssertEqual(rows.count, after.compounds.count, label, file: file, line: line)
        let byID = Dictionary(rows.map { ($0["id"]?.string ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let beforeByID = Dictionary(before.compounds.map { ($0.site.id, $0) }, uniquingKeysWith: { a, _ in a })
        var covered = [String](), uncovered = [String]()
        for c in after.compounds {
            let row = byID[c.site.id]
            XCTAssertEqual(row?["status"]?.string, c.status.rawValue, "\(label): \(c.site.id)", file: file, line: line)
            let was = beforeByID[c.site.id]!
            if was.status != c.status {
                XCTAssertEqual(row, try Self.json(c.properties(speed: 1.2)), "\(label): changed row \(c.site.id)", file: file, line: line)
            }
            if c.isCovered && !was.isCovered { covered.append(c.site.id) }
            if !c.isCovered && was.isCovered { uncovered.append(c.site.id) }
        }
        let changes = answer["changes"]
        XCTAssertEqual(changes?["newly_covered"]?.array?.compactMap(\.string), covered, label, file: file, line: line)
        XCTAssertEqual(changes?["newly_uncovered"]?.array?.compactMap(\.string), uncovered, label, file: file, line: line)
        XCTAssertEqual(answer["summary"]?["households_covered"]?.int, after.total.householdsCovered, label, file: file, line: line)
        XCTAssertEqual(changes?["before"]?["households_covered"]?.int, before.total.householdsCovered, label, file: file, line: line)
        XCTAssertEqual(changes?["after"]?["population_covered"]?.int, after.total.populationCovered, label, file: file, line: line)
        XCTAssertEqual(changes?["households_delta"]?.int, after.total.householdsCovered - before.total.householdsCovered, label, file: file, line: line)
        XCTAssertEqual(answer["summary"]?["qualifying_stations"]?.int, after.qualifyingStations, label, file: file, line: line)
    }

    /// Two sites beside compounds that are not covered (chosen from the full run, so that they do cover something)
    /// and one 100 km away.
    private static func sites(near report: CoverageReport) -> [(lon: Double, lat: Double)] {
        let uncovered = report.compounds.filter { $0.status == .uncovered }
        let gaps = uncovered.isEmpty ? report.compounds : uncovered
        let picked = [gaps.first!, gaps.last!].map { $0.site.referencePoints[0] }
        return picked.map { (lon: $0.lon + 0.0004, lat: $0.lat - 0.0003) } + [(lon: 119.7, lat: 32.9)]
    }

    private static func addParameter(_ sites: [(lon: Double, lat: Double)], separator: String = "%3B") -> String {
        sites.map { "\($0.lon),\($0.lat)" }.joined(separator: separator)
    }

    /// A question and the full runs it must equal.
    struct Case: Sendable {
        let uri: String
        let before: CoverageReport
        let after: CoverageReport
        /// Per added site that covers something, the compounds it covers alone (a copy where it is the only
        /// qualifying station).
        var alone: [[String]] = []
    }

    func testAddedSitesEqualCoverageWithThemImported() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        let questions: [(query: String, options: CoverageOptions, kind: String?)] = [
            ("preset=5min&walk=true", CoverageOptions(reach: .uniform(300), walk: true), nil),
            ("radius=120", CoverageOptions(reach: .uniform(120)), nil),
            ("radius=250", CoverageOptions(reach: .uniform(250)), nil),
            ("walk=true", CoverageOptions(reach: .perStation(fallback: 500), walk: true), nil),
            // Added sites qualify whatever the filter: in the copy they are of that kind.
            ("preset=5min&walk=true&kind=post&add_kind=post", CoverageOptions(reach: .uniform(300), walk: true, filter: StationFilter(kinds: ["post"])), "post"),
        ]
        var cases = [Case]()
        for c in questions {
            let before = try Self.full(path, c.options)
            let sites = Self.sites(near: before)
            let after = try Self.full(try changedCopy(of: path, added: sites, kind: c.kind), c.options)
            XCTAssertGreaterThan(after.total.compoundsCovered, before.total.compoundsCovered, "\(c.query): the sites cover something new")
            var q = Case(uri: "/v1/whatif?\(c.query)&add=\(Self.addParameter(sites))", before: before, after: after)
            for site in sites.prefix(2) {
                let only = try Self.full(try changedCopy(of: path, added: [site], kind: "only-this"), CoverageOptions(
                    reach: c.options.reach, walk: c.options.walk, filter: StationFilter(kinds: ["only-this"])))
                q.alone.append(only.compounds.filter(\.isCovered).map(\.site.id))
            }
            cases.append(q)
        }
        let straight = try Self.full(path, CoverageOptions(reach: .uniform(500)))
        let raw = "/v1/whatif?preset=10min&add=\(Self.addParameter(Self.sites(near: straight), separator: ";"))"
        let questionsAsked = cases
        try await app.test(.router) { client in
            for c in questionsAsked {
                let r = try await client.request(c.uri)
                XCTAssertEqual(r.status, .ok, r.text)
                let answer = try r.body()
                try Self.assertEqual(answer, after: c.after, before: c.before, c.uri)
                let added = answer["changes"]?["added"]?.array ?? []
                XCTAssertEqual(added.compactMap { $0["id"]?.string }, ["whatif-1", "whatif-2", "whatif-3"])
                XCTAssertEqual(added.last?["covers"]?.array, [], "the far site covers nothing")
                for (k, alone) in c.alone.enumerated() {
                    XCTAssertEqual(added[k]["covers"]?.array?.compactMap(\.string), alone, "\(c.uri) site \(k + 1)")
                }
                // Households of a site: those of the compounds it newly covers.
                let households = Dictionary(c.before.compounds.map { ($0.site.id, $0.site.households ?? 0) }, uniquingKeysWith: { a, _ in a })
                for a in added {
                    XCTAssertEqual(a["households"]?.int, (a["newly_covered"]?.array ?? []).compactMap { households[$0.string ?? ""] }.reduce(0, +))
                }
            }
            // ';' unencoded works as well.
            let r = try await client.request(raw)
            XCTAssertEqual(r.status, .ok, r.text)
            XCTAssertEqual(r.json?["changes"]?["added"]?.array?.count, 3)
        }
    }

    func testClosingEqualsCoverageWithTheStationRemoved() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        var cases = [(Case, [String])]()
        for (query, options) in [("preset=10min&walk=true", CoverageOptions(reach: .uniform(500), walk: true)),
                                 ("radius=150", CoverageOptions(reach: .uniform(150))),
                                 ("walk=true", CoverageOptions(reach: .perStation(fallback: 500), walk: true))] {
            let before = try Self.full(path, options)
            // The stations nearest to covered compounds: closing them uncovers something (or moves the nearest).
            let nearest = before.compounds.filter(\.isCovered).compactMap { options.walk ? $0.nearestWalking?.stationID : $0.nearestStraight?.stationID }
            let closed = Array(Array(Set(nearest)).sorted().prefix(3))
            let after = try Self.full(try changedCopy(of: path, added: [], closed: Set(closed)), options)
            XCTAssertNotEqual(after.total.householdsCovered, before.total.householdsCovered, "\(query): closing changes something")
            cases.append((Case(uri: "/v1/whatif?\(query)&close=\(closed.joined(separator: ","))", before: before, after: after), closed))
        }
        let questionsAsked = cases
        try await app.test(.router) { client in
            for (c, closed) in questionsAsked {
                let r = try await client.request(c.uri)
                XCTAssertEqual(r.status, .ok, r.text)
                let answer = try r.body()
                try Self.assertEqual(answer, after: c.after, before: c.before, c.uri)
                XCTAssertEqual(answer["changes"]?["closed"]?.array?.compactMap { $0["id"]?.string }, closed)
            }
        }
    }

    func testAddAndCloseTogether() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        var cases = [(json: Case, geojson: String)]()
        for (query, options) in [("preset=5min&walk=true", CoverageOptions(reach: .uniform(300), walk: true)),
                                 ("preset=5min", CoverageOptions(reach: .uniform(300)))] {
            let before = try Self.full(path, options)
            let sites = Self.sites(near: before)
            let nearest = before.compounds.filter(\.isCovered).compactMap { options.walk ? $0.nearestWalking?.stationID : $0.nearestStraight?.stationID }
            let closed = Array(Set(nearest)).sorted().suffix(2)
            let after = try Self.full(try changedCopy(of: path, added: sites, closed: Set(closed)), options)
            let uri = "/v1/whatif?\(query)&add=\(Self.addParameter(sites))&close=\(closed.joined(separator: ","))"
            cases.append((Case(uri: uri + "&by=compound", before: before, after: after), uri + "&format=geojson"))
        }
        let before = try Self.full(path, CoverageOptions(reach: .uniform(300)))
        let sites = Self.sites(near: before)
        let after = try Self.full(try changedCopy(of: path, added: sites), CoverageOptions(reach: .uniform(300)))
        let groups = try JSONValue.parse(JSONValue.array(after.groups(by: .community).map { .object($0.properties) }).jsonText)
        let byCommunity = "/v1/whatif?preset=5min&by=community&add=\(Self.addParameter(sites))"
        let questionsAsked = cases
        try await app.test(.router) { client in
            for (c, geojson) in questionsAsked {
                let r = try await client.request(c.uri)
                XCTAssertEqual(r.status, .ok, r.text)
                try Self.assertEqual(try r.body(), after: c.after, before: c.before, c.uri)

                // The scenario: the sites and the compounds whose status changed, with their change.
                let g = try await client.request(geojson)
                XCTAssertEqual(g.status, .ok, g.text)
                XCTAssertEqual(g.contentType, "application/geo+json")
                let features = try g.body()["features"]?.array ?? []
                XCTAssertEqual(features.prefix(3).compactMap { $0["geometry"]?["type"]?.string }, ["Point", "Point", "Point"])
                let changed = Dictionary(features.dropFirst(3).map { ($0["properties"]?["id"]?.string ?? "", $0["properties"]?["change"]?.string ?? "") },
                                         uniquingKeysWith: { a, _ in a })
                let beforeByID = Dictionary(c.before.compounds.map { ($0.site.id, $0.isCovered) }, uniquingKeysWith: { a, _ in a })
                var expected = [String: String]()
                for row in c.after.compounds where row.isCovered != beforeByID[row.site.id] {
                    expected[row.site.id] = row.isCovered ? "newly_covered" : "newly_uncovered"
                }
                XCTAssertEqual(changed, expected, c.uri)
                XCTAssertFalse(expected.isEmpty, c.uri)
                XCTAssertTrue(features.dropFirst(3).allSatisfy { $0["geometry"]?.isNull == false }, "changed compounds carry their geometry")
            }
            // At a group level the rows are groups, and the changes are still per compound.
            let r = try await client.request(byCommunity)
            XCTAssertEqual(r.status, .ok, r.text)
            XCTAssertEqual(try r.body()["rows"], groups)
        }
    }

    func testNoChangesIsTheCoverage() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let w = try await client.request("/v1/whatif?preset=10min&walk=true")
            let c = try await client.request("/v1/coverage?preset=10min&walk=true")
            XCTAssertEqual(w.status, .ok, w.text)
            XCTAssertEqual(try w.body()["rows"], try c.body()["rows"])
            XCTAssertEqual(try w.body()["summary"], try c.body()["summary"])
            XCTAssertEqual(try w.body()["changes"]?["added"]?.array, [])
            XCTAssertEqual(try w.body()["changes"]?["households_delta"]?.int, 0)
        }
    }

    func testBadInputIsA400NamingTheParameter() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        let fiftyOne = (0..<51).map { "118.78,32.0\($0 % 10)" }.joined(separator: "%3B")
        let fifty = (0..<50).map { "118.78,32.0\($0 % 10)" }.joined(separator: "%3B")
        let cases: [(String, String, String)] = [
            ("/v1/whatif?add=1000,2", "add", "1000"),
            ("/v1/whatif?add=118.78,91", "add", "91"),
            ("/v1/whatif?add=nan,1", "add", "nan"),
            ("/v1/whatif?add=inf,1", "add", "inf"),
            ("/v1/whatif?add=0x10,1", "add", "0x10"),
            ("/v1/whatif?add=118.78", "add", "lon,lat"),
            ("/v1/whatif?add=118.78,32.04,7", "add", "lon,lat"),
            ("/v1/whatif?add=118.78,32.04%3B", "add", "site 2"),
            ("/v1/whatif?add=%3B", "add", "site 1"),
            ("/v1/whatif?add=", "add", "empty"),
            ("/v1/whatif?add=" + fiftyOne, "add", "51"),
            ("/v1/whatif?add=%27%3BDROP%20TABLE%20stations", "add", "site 1"),
            ("/v1/whatif?add=<script>,1", "add", "script"),
            ("/v1/whatif?close=", "close", "empty"),
            ("/v1/whatif?close=S001,,S002", "close", "empty"),
            ("/v1/whatif?close=nope", "close", "nope"),
            ("/v1/whatif?close=S001,%27%20OR%201=1--", "close", "OR 1=1"),
            ("/v1/whatif?close=" + (0..<501).map { "S\($0)" }.joined(separator: ","), "close", "501"),
            ("/v1/whatif?add_kind=" + String(repeating: "x", count: 100), "add_kind", "x"),
            ("/v1/whatif?add=118.78,32.04&add=118.79,32.04", "add", "2 times"),
            ("/v1/whatif?radius=300&preset=5min", "radius", "preset"),
            ("/v1/whatif?format=csv", "format", "csv"),
        ]
        try await app.test(.router) { client in
            for (uri, parameter, text) in cases {
                let r = try await client.request(uri)
                XCTAssertEqual(r.status, .badRequest, "\(uri): \(r.text)")
                XCTAssertEqual(r.json?["code"]?.string, "invalid_parameter", "\(uri): \(r.text)")
                let message = r.json?["message"]?.string ?? r.json?["detail"]?.string ?? r.text
                XCTAssertTrue(r.text.contains(parameter) && message.contains(text), "\(uri): \(r.text)")
            }
            let unknown = try await client.request("/v1/whatif?remove=S001")
            XCTAssertEqual(unknown.status, .badRequest)
            XCTAssertEqual(unknown.json?["code"]?.string, "unknown_parameter")
            // Exactly at the caps: answered.
            let ok = try await client.request("/v1/whatif?preset=5min&add=" + fifty)
            XCTAssertEqual(ok.status, .ok, ok.text)
            XCTAssertEqual(try ok.body()["changes"]?["added"]?.array?.count, 50)
            XCTAssertEqual(try ok.body()["changes"]?["added"]?.array?.last?["id"]?.string, "whatif-50")
        }
    }

    /// Nothing is written: the database file and its generation are as before.
    func testNothingIsWritten() async throws {
        let path = try sampleDatabase(self)
        let generation = try StoreBackends.open(path, readOnly: true).generation()
        let stations = try StoreBackends.open(path, readOnly: true).stations().count
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let r = try await client.request("/v1/whatif?walk=true&add=118.78,32.04&close=S001")
            XCTAssertEqual(r.status, .ok, r.text)
        }
        XCTAssertEqual(try StoreBackends.open(path, readOnly: true).generation(), generation)
        XCTAssertEqual(try StoreBackends.open(path, readOnly: true).stations().count, stations)
    }
}
