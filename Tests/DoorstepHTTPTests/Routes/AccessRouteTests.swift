import DoorstepGeo
@testable import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `GET /v1/access` and `doorstep access` (2SFCA) on the sample city: the totals against the source files, the
/// formula's conservation (Σ demand × score = the capacity someone reaches), the same bytes through the CLI and HTTP,
/// and bad parameters refused naming them.
final class AccessRouteTests: XCTestCase {
    /// The sample city's stations file, read here: capacities as given (nil when absent).
    func fileCapacities() throws -> [String: Int?] {
        let doc = try JSONValue.parse(String(contentsOf: sampleCity.appendingPathComponent("stations.geojson"), encoding: .utf8))
        var out = [String: Int?]()
        for f in doc["features"]?.array ?? [] {
            out[f["properties"]!["id"]!.string!] = f["properties"]?["capacity"]?.number.map { Int($0) }
        }
        return out
    }

    /// The checks every access answer must pass, whatever the options.
    static func checkAnswer(_ body: JSONValue, demandOf: [String: Int?], capacities: [String: Int?], file: StaticString = #filePath, line: UInt = #line) {
        let summary = body["summary"]!
        let stations = body["stations"]?.array ?? []
        XCTAssertEqual(stations.count, capacities.count, file: file, line: line)
        XCTAssertEqual(summary["stations"]?.int, capacities.count, file: file, line: line)
        XCTAssertEqual(summary["stations_without_capacity"]?.int, capacities.values.filter { $0 == nil }.count, file: file, line: line)
        let totalCapacity = capacities.values.reduce(0.0) { $0 + Double($1 ?? 1) }
        XCTAssertEqual(summary["total_capacity"]?.number, totalCapacity, file: file, line: line)
        let totalDemand = demandOf.values.reduce(0.0) { $0 + Double($1 ?? 0) }
        XCTAssertEqual(summary["total_demand"]?.number, totalDemand, file: file, line: line)
        let cityLoad = totalDemand / totalCapacity
        XCTAssertEqual(summary["city_load"]?.number ?? -1, cityLoad, accuracy: 1e-9, file: file, line: line)
        // Each station: capacity as in the file (1 when none), load = demand / capacity, r = 1 / load, overloaded
        // above the city's load; most loaded first.
        var reached = 0.0
        var previous = Double.infinity
        for s in stations {
            let id = s["id"]!.string!
            let capacity = Double((capacities[id] ?? nil) ?? 1)
            XCTAssertEqual(s["capacity"]?.number, capacity, id, file: file, line: line)
            XCTAssertEqual(s["capacity_defaulted"]?.bool, (capacities[id] ?? nil) == nil, id, file: file, line: line)
            let demand = s["demand_in_reach"]!.number!
            let load = s["load"]!.number!
            XCTAssertEqual(load, demand / capacity, accuracy: 1e-9, id, file: file, line: line)
            if demand > 0 {
                XCTAssertEqual(s["r"]!.number!, capacity / demand, accuracy: 1e-12, id, file: file, line: line)
                reached += capacity
                XCTAssertLessThanOrEqual(load, previous, "most loaded first", file: file, line: line)
                previous = load
            } else {
                XCTAssertTrue(s["r"]!.isNull, id, file: file, line: line)
                previous = -1
            }
            XCTAssertEqual(s["overloaded"]?.bool, load > cityLoad, id, file: file, line: line)
        }
        // Σ demand × score = Σ capacity of the stations someone reaches (2SFCA conserves capacity).
        let rows = body["rows"]?.array ?? []
        let weighted = rows.reduce(0.0) { $0 + Double((demandOf[$1["id"]!.string!] ?? nil) ?? 0) * $1["score"]!.number! }
        XCTAssertEqual(weighted, reached, accuracy: 1e-6 * max(1, reached), file: file, line: line)
        XCTAssertGreaterThan(reached, 0, "not an empty agreement", file: file, line: line)
    }

    func testAccessOnTheSampleCity() async throws {
        let path = try sampleDatabase(self)
        let compounds = try StoreBackends.open(path, readOnly: true).compoundSites()
        let households = Dictionary(uniqueKeysWithValues: compounds.map { ($0.id, $0.households) })
        let population = Dictionary(uniqueKeysWithValues: compounds.map { ($0.id, $0.population) })
        let capacities = try fileCapacities()
        let (app, data) = try makeApp(path)
        try await app.test(.router) { client in
            let walk = try await client.request("/v1/access?preset=10min&walk=true")
            XCTAssertEqual(walk.status, .ok, walk.text)
            let body = try walk.body()
            XCTAssertEqual(body["count"]?.int, compounds.count)
            XCTAssertEqual(body["query"]?["weight"]?.string, "households")
            XCTAssertEqual(body["summary"]?["score_unit"]?.string, "capacity per household")
            XCTAssertTrue(body["summary"]?["formula"]?.string?.contains("Luo & Wang 2003") == true)
            Self.checkAnswer(body, demandOf: households, capacities: capacities)
            // The nearest station is coverage's walking nearest.
            let coverage = try await client.request("/v1/coverage?preset=10min&walk=true").body()
            for (a, c) in zip(body["rows"]!.array!, coverage["rows"]!.array!) {
                XCTAssertEqual(a["id"], c["id"])
                XCTAssertEqual(a["nearest_station"], c["nearest_walking_station"])
                // A covered compound has a station in reach, and an uncovered one none.
                XCTAssertEqual(a["stations_in_reach"]!.number! > 0, c["covered"]?.bool, a["id"]!.string!)
            }

            let people = try await client.request("/v1/access?radius=300&weight=population")
            XCTAssertEqual(people.status, .ok, people.text)
            let pbody = try people.body()
            XCTAssertEqual(pbody["summary"]?["score_unit"]?.string, "capacity per person")
            Self.checkAnswer(pbody, demandOf: population, capacities: capacities)
            let hbody = try await client.request("/v1/access?radius=300").body()
            XCTAssertNotEqual(pbody["summary"]?["total_demand"], hbody["summary"]?["total_demand"], "population is another demand")

            // Roll-ups: the groups' demand adds up to the total row's, which carries the city's capacity.
            let grid = try await client.request("/v1/access?radius=300&by=grid")
            XCTAssertEqual(grid.status, .ok, grid.text)
            let rows = try grid.body()["rows"]!.array!
            let total = rows.last!
            XCTAssertEqual(total["key"]?.string, "total")
            XCTAssertEqual(total["total_capacity"]?.number, hbody["summary"]?["total_capacity"]?.number)
            let groups = rows.dropLast()
            XCTAssertEqual(groups.reduce(0.0) { $0 + $1["demand"]!.number! }, total["demand"]!.number!)
            XCTAssertEqual(groups.reduce(0) { $0 + $1["compounds"]!.int! }, compounds.count)
            // The total's mean score is the demand-weighted mean of the compounds' scores.
            let weighted = hbody["rows"]!.array!.reduce(0.0) { $0 + Double((households[$1["id"]!.string!] ?? nil) ?? 0) * $1["score"]!.number! }
            XCTAssertEqual(total["score"]!.number!, weighted / total["demand"]!.number!, accuracy: 1e-12)

            // One report per reach and demand, whatever the level and the format: three so far.
            let cache = try await data.snapshot().analysis
            XCTAssertEqual(cache.cachedAccessCount, 3)
            // No station qualifies: every score 0, no city load, no station.
            let none = try await client.request("/v1/access?kind=nothing-like-it")
            XCTAssertEqual(none.status, .ok, none.text)
            let nbody = try none.body()
            XCTAssertEqual(nbody["stations"]?.array?.count, 0)
            XCTAssertEqual(nbody["summary"]?["total_capacity"]?.number, 0)
            XCTAssertTrue(nbody["summary"]?["city_load"]?.isNull == true)
            XCTAssertTrue(nbody["rows"]!.array!.allSatisfy { $0["score"]?.number == 0 && $0["stations_in_reach"]?.number == 0 })

            let geo = try await client.request("/v1/access?radius=300&format=geojson")
            XCTAssertEqual(geo.status, .ok)
            XCTAssertEqual(cache.cachedAccessCount, 4, "by and format reuse the report")
            XCTAssertEqual(geo.contentType, "application/geo+json")
            XCTAssertEqual(try geo.body()["features"]?.array?.count, compounds.count)
        }
    }

    func testBadParametersAreJSONErrorsNamingThem() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        let cases: [(String, HTTPResponse.Status, String, String)] = [
            ("/v1/access?weight=area", .badRequest, "invalid_parameter", "weight: "),
            ("/v1/access?weight=", .badRequest, "invalid_parameter", "weight"),
            ("/v1/access?by=planet", .badRequest, "invalid_parameter", "by: "),
            ("/v1/access?by=compound&by=grid", .badRequest, "invalid_parameter", "by"),
            ("/v1/access?format=csv", .badRequest, "invalid_parameter", "format: "),
            ("/v1/access?limit=3", .badRequest, "unknown_parameter", "limit"),
            ("/v1/access?radius=300&preset=5min", .badRequest, "invalid_parameter", "radius,preset: "),
            ("/v1/access?radius=0", .unprocessableContent, "out_of_range", "radius: "),
            ("/v1/access?speed=9", .unprocessableContent, "out_of_range", "speed: "),
        ]
        try await app.test(.router) { client in
            for (uri, status, code, prefix) in cases {
                let r = try await client.request(uri)
                XCTAssertEqual(r.status, status, "\(uri): \(r.text)")
                XCTAssertEqual(r.json?["code"]?.string, code, "\(uri): \(r.text)")
                XCTAssertTrue(r.json?["description"]?.string?.contains(prefix) == true, "\(uri): \(r.text)")
            }
        }
    }

    /// The CLI's `--format json`/`geojson` are the API's answers byte for byte (plus a line feed); a bad `--weight` is
    /// refused naming the flag.
    func testCLIAndHTTPGiveTheSameAnswer() async throws {
        let dir = try temporaryDirectory(self)
        let db = try TestStores.fresh(self)
        let binary = try TestProducts.doorstep().path
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let r = try await runProgram(binary, ["import", layer, sampleCity.appendingPathComponent("\(layer).geojson").path, "--db", db])
            XCTAssertEqual(r.status, 0, r.output)
        }
        // Two more stations without a capacity, near compounds (each then counts as 1).
        let extra = dir.appendingPathComponent("extra.geojson")
        try Data(#"""
            {"type": "FeatureCollection", "features": [
             {"type": "Feature", "properties": {"id": "X1", "name": "无容量一", "kind": "post"}, "geometry": {"type": "Point", "coordinates": [118.7855, 32.0415]}},
             {"type": "Feature", "properties": {"id": "X2", "name": "无容量二", "kind": "post"}, "geometry": {"type": "Point", "coordinates": [118.7790, 32.0440]}}]}
            """#.utf8).write(to: extra)
        let added = try await runProgram(binary, ["import", "stations", extra.path, "--db", db])
        XCTAssertEqual(added.status, 0, added.output)
        var capacities = try fileCapacities()
        capacities["X1"] = .some(nil)
        capacities["X2"] = .some(nil)
        let households = Dictionary(uniqueKeysWithValues: try StoreBackends.open(db, readOnly: true).compoundSites().map { ($0.id, $0.households) })
        let questions: [(cli: [String], http: String)] = [
            (["access", "--preset", "10min", "--walk", "--format", "json"], "/v1/access?preset=10min&walk=true"),
            (["access", "--radius", "300", "--by", "community", "--weight", "population", "--format", "json"],
             "/v1/access?radius=300&by=community&weight=population"),
            (["access", "--preset", "5min", "--kind", "post", "--by", "grid", "--format", "geojson"], "/v1/access?preset=5min&kind=post&by=grid&format=geojson"),
        ]
        var outputs = [String]()
        for q in questions {
            let r = try await runProgram(binary, q.cli + ["--db", db], combined: false)
            XCTAssertEqual(r.status, 0, r.errors)
            outputs.append(r.output)
        }
        let (app, _) = try makeApp(db)
        let answers = outputs
        let expectedCapacities = capacities
        try await app.test(.router) { client in
            for (q, out) in zip(questions, answers) {
                let reply = try await client.request(q.http)
                XCTAssertEqual(reply.status, .ok, reply.text)
                XCTAssertEqual(out, reply.text + "\n", q.http)
            }
            let body = try await client.request(questions[0].http).body()
            XCTAssertEqual(body["summary"]?["stations_without_capacity"]?.int, 2)
            Self.checkAnswer(body, demandOf: households, capacities: expectedCapacities)
        }
        let bad = try await runProgram(binary, ["access", "--weight", "area", "--db", db], combined: false)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.errors.contains("--weight: \"area\" is not one of households, population"), bad.errors)
        let table = try await runProgram(binary, ["access", "--stations", "--radius", "300", "--db", db], combined: false)
        XCTAssertEqual(table.status, 0, table.errors)
        XCTAssertTrue(table.output.contains("overloaded") && table.output.contains("stations overloaded"), table.output)
    }
}
