import DoorstepGeo
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `/v1/coverage`, `/v1/gaps`, `/v1/areas`, `/v1/plan` and the `coverage` and `service-areas` collections: each answer
/// equals what the CLI's library calls give on the same database, and every bad parameter is a JSON 400 or 422.
final class PlannersRouteTests: XCTestCase {
    /// The JSON an array of rows becomes after a trip through text (numbers as served).
    private static func rows(_ rows: [[(String, JSONValue)]]) throws -> JSONValue {
        try JSONValue.parse(JSONValue.array(rows.map { .object($0) }).jsonText)
    }

    private func library(_ path: String, _ options: CoverageOptions) throws -> CoverageReport {
        let store = try StoreBackends.open(path, readOnly: true)
        let network = options.walk ? try WalkingNetwork.load(from: store) : nil
        return try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(), network: network, options: options)
    }

    func testCoverageAndGapsEqualTheLibrary() async throws {
        let path = try sampleDatabase(self)
        let straight = try library(path, CoverageOptions(reach: .uniform(500)))
        let walking = try library(path, CoverageOptions(reach: .uniform(300), walk: true))
        let perStation = try library(path, CoverageOptions(reach: .perStation(fallback: 500), filter: StationFilter(kinds: ["station"])))
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let a = try await client.request("/v1/coverage?preset=10min")
            XCTAssertEqual(a.status, .ok, a.text)
            XCTAssertEqual(try a.body()["rows"], try Self.rows(straight.compounds.map { $0.properties(speed: 1.2) }))
            XCTAssertEqual(try a.body()["summary"]?["households_covered"]?.int, straight.total.householdsCovered)

            let b = try await client.request("/v1/coverage?radius=300&walk=true&by=community")
            XCTAssertEqual(b.status, .ok, b.text)
            XCTAssertEqual(try b.body()["rows"], try Self.rows(walking.groups(by: .community).map(\.properties)))

            let c = try await client.request("/v1/coverage?kind=station&by=grid&format=geojson")
            XCTAssertEqual(c.status, .ok, c.text)
            XCTAssertEqual(c.contentType, "application/geo+json")
            let features = try c.body()["features"]?.array ?? []
            XCTAssertEqual(features.compactMap { $0["properties"] }, try Self.rows(perStation.groups(by: .grid).map(\.properties)).array)
            XCTAssertTrue(features.contains { $0["geometry"]?.isNull == false }, "grid rows carry grid geometry")

            let g = try await client.request("/v1/gaps?preset=5min&walk=true&limit=3")
            XCTAssertEqual(g.status, .ok, g.text)
            let expected = walking.gaps.prefix(3).enumerated().map { [("rank", JSONValue.number(Double($0.offset + 1)))] + $0.element.properties(speed: 1.2) }
            XCTAssertEqual(try g.body()["gaps"], try Self.rows(expected))
            XCTAssertEqual(try g.body()["count"]?.int, min(3, walking.gaps.count))
        }
    }

    func testAreasEqualTheLibrary() async throws {
        let path = try sampleDatabase(self)
        let store = try StoreBackends.open(path, readOnly: true)
        let stations = try store.stations()
        let picked = Array(stations.prefix(2))
        let network = try WalkingNetwork.load(from: store)
        let zone = network.zone
        let walking = try ServiceAreas.make(stations: picked, bands: [300, 500], network: network, zone: zone)
        let circles = try ServiceAreas.make(stations: stations, bands: [500], network: nil,
                                            zone: try store.info().metricZone ?? zone)
        @Sendable func features(_ areas: [ServiceArea]) throws -> JSONValue {
            try JSONValue.parse(JSONValue.array(areas.map { .object([("type", "Feature"), ("geometry", $0.geometry.geoJSON), ("properties", .object($0.properties))]) }).jsonText)
        }
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let ids = picked.map(\.id).joined(separator: ",")
            let w = try await client.request("/v1/areas?walk=true&bands=500,300&station=\(ids)")
            XCTAssertEqual(w.status, .ok, w.text)
            XCTAssertEqual(w.contentType, "application/geo+json")
            XCTAssertEqual(try w.body()["features"], try features(walking.areas))

            let c = try await client.request("/v1/areas?preset=10min")
            XCTAssertEqual(c.status, .ok)
            XCTAssertEqual(try c.body()["features"], try features(circles.areas))
        }
    }

    func testPlanEqualsTheLibrary() async throws {
        let path = try sampleDatabase(self)
        let store = try StoreBackends.open(path, readOnly: true)
        let network = try WalkingNetwork.load(from: store)
        func plan(_ options: PlanOptions) throws -> PlanReport {
            var r = try CoveragePlanner.run(stations: try store.stations(), compounds: try store.compoundSites(),
                                            candidates: .generated(spacing: 100), network: network, options: options)
            try r.assignGrids(store.grids(containing:))
            return r
        }
        let add = try plan(PlanOptions(coverage: CoverageOptions(reach: .uniform(300), walk: true), objective: .add(3)))
        let target = try plan(PlanOptions(coverage: CoverageOptions(reach: .uniform(300)), objective: .target(0.98), weight: .population))
        let geoCount = add.features(compoundGeometries: try store.geometries(of: .compounds)).count
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let a = try await client.request("/v1/plan?add=3&preset=5min&walk=true")
            XCTAssertEqual(a.status, .ok, a.text)
            let expected = try JSONValue.parse(add.json.jsonText)
            for key in expected.keys { XCTAssertEqual(try a.body()[key], expected[key], key) }
            XCTAssertEqual(try a.body()["sites"]?.array?.count, 3)

            let t = try await client.request("/v1/plan?target=98%25&radius=300&weight=population")
            XCTAssertEqual(t.status, .ok, t.text)
            let expectedT = try JSONValue.parse(target.json.jsonText)
            for key in expectedT.keys { XCTAssertEqual(try t.body()[key], expectedT[key], key) }

            let g = try await client.request("/v1/plan?add=3&preset=5min&walk=true&format=geojson")
            XCTAssertEqual(g.status, .ok)
            XCTAssertEqual(try g.body()["features"]?.array?.count, geoCount)
        }
    }

    func testEveryBadParameterIsAJSONError() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        let cases: [(String, HTTPResponse.Status, String)] = [
            ("/v1/coverage?radius=abc", .badRequest, "invalid_parameter"),
            ("/v1/coverage?radius=0", .unprocessableContent, "out_of_range"),
            ("/v1/coverage?radius=1e9", .unprocessableContent, "out_of_range"),
            ("/v1/coverage?radius=nan", .badRequest, "invalid_parameter"),
            ("/v1/coverage?radius=300&preset=5min", .badRequest, "invalid_parameter"),
            ("/v1/coverage?preset=20min", .badRequest, "invalid_parameter"),
            ("/v1/coverage?by=planet", .badRequest, "invalid_parameter"),
            ("/v1/coverage?format=csv", .badRequest, "invalid_parameter"),
            ("/v1/coverage?walk=perhaps", .badRequest, "invalid_parameter"),
            ("/v1/coverage?speed=50", .unprocessableContent, "out_of_range"),
            ("/v1/coverage?limit=3", .badRequest, "unknown_parameter"),
            ("/v1/coverage?kind=" + String(repeating: "x", count: 100), .unprocessableContent, "out_of_range"),
            ("/v1/gaps?limit=-1", .unprocessableContent, "out_of_range"),
            ("/v1/gaps?limit=2.5", .badRequest, "invalid_parameter"),
            ("/v1/areas?bands=300,abc", .badRequest, "invalid_parameter"),
            ("/v1/areas?bands=300,50000", .unprocessableContent, "out_of_range"),
            ("/v1/areas?bands=1,2,3,4,5,6,7,8,9,10,11", .unprocessableContent, "out_of_range"),
            ("/v1/areas?radius=300&bands=300,500", .badRequest, "invalid_parameter"),
            ("/v1/areas?lateral=500", .unprocessableContent, "out_of_range"),
            ("/v1/areas?station=nope", .unprocessableContent, "unknown_station"),
            ("/v1/areas?format=json", .badRequest, "invalid_parameter"),
            ("/v1/plan", .badRequest, "invalid_parameter"),
            ("/v1/plan?add=2&target=95%25", .badRequest, "invalid_parameter"),
            ("/v1/plan?add=0", .unprocessableContent, "out_of_range"),
            ("/v1/plan?add=51", .unprocessableContent, "out_of_range"),
            ("/v1/plan?add=1000000", .unprocessableContent, "out_of_range"),
            ("/v1/plan?target=150%25", .unprocessableContent, "out_of_range"),
            ("/v1/plan?target=lots", .badRequest, "invalid_parameter"),
            ("/v1/plan?add=2&spacing=10", .unprocessableContent, "out_of_range"),
            ("/v1/plan?add=2&weight=area", .badRequest, "invalid_parameter"),
        ]
        try await app.test(.router) { client in
            for (uri, status, code) in cases {
                let r = try await client.request(uri)
                XCTAssertEqual(r.status, status, "\(uri): \(r.text)")
                XCTAssertEqual(r.json?["code"]?.string, code, "\(uri): \(r.text)")
            }
            let post = try await client.request("/v1/plan?add=1", .post)
            XCTAssertEqual(post.status, .methodNotAllowed)
        }
    }

    /// More stations than the areas cap: 422 unless they are named.
    func testAreasAreCapped() async throws {
        let dir = try temporaryDirectory(self)
        let path = try TestStores.fresh(self, name: "many")
        let file = dir.appendingPathComponent("stations.geojson")
        try writeStations(250, prefix: "s", to: file)
        try importInto(path, ImportOptions(layer: .stations, file: file))
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let r = try await client.request("/v1/areas?radius=300")
            XCTAssertEqual(r.status, .unprocessableContent)
            XCTAssertEqual(r.json?["code"]?.string, "too_many_stations")
            let named = try await client.request("/v1/areas?radius=300&station=s1,s2")
            XCTAssertEqual(named.status, .ok, named.text)
            XCTAssertEqual(try named.body()["features"]?.array?.count, 2)
            // No walkable ways: walking answers are 501.
            let walk = try await client.request("/v1/coverage?walk=true")
            XCTAssertEqual(walk.status, .notImplemented)
        }
    }

    func testAnalysisCollections() async throws {
        let path = try sampleDatabase(self)
        let straight = try library(path, CoverageOptions(reach: .uniform(500)))
        let summaries = try StoreBackends.open(path, readOnly: true).layerSummaries()
        let compounds = summaries.first { $0.layer == .compounds }!.count
        let stations = summaries.first { $0.layer == .stations }!.count
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let list = try await client.request("/collections")
            let ids = try list.body()["collections"]?.array?.compactMap { $0["id"]?.string } ?? []
            XCTAssertTrue(ids.contains("coverage") && ids.contains("service-areas"), "\(ids)")

            let page = try await client.request("/collections/coverage/items?limit=5&offset=2")
            XCTAssertEqual(page.status, .ok, page.text)
            XCTAssertEqual(try page.body()["numberMatched"]?.int, compounds)
            XCTAssertEqual(try page.body()["numberReturned"]?.int, 5)
            for feature in try page.body()["features"]?.array ?? [] {
                let id = feature["id"]?.string ?? ""
                let row = try XCTUnwrap(straight.compounds.first { $0.site.id == id })
                XCTAssertEqual(feature["properties"]?["covered"]?.bool, row.isCovered)
                XCTAssertEqual(feature["properties"]?["nearest_station"]?.string, row.nearestStraight?.stationID)
                XCTAssertFalse(feature["geometry"]?.isNull ?? true)
            }
            let one = try await client.request("/collections/coverage/items/\(straight.compounds[0].site.id)")
            XCTAssertEqual(one.status, .ok)
            XCTAssertEqual(try one.body()["properties"]?["status"]?.string, straight.compounds[0].status.rawValue)

            let areas = try await client.request("/collections/service-areas/items?limit=100")
            XCTAssertEqual(try areas.body()["numberMatched"]?.int, stations)
            XCTAssertEqual(try areas.body()["features"]?.array?.first?["geometry"]?["type"]?.string, "Polygon")
            // A box far from every station matches nothing; a box around one station matches it.
            let none = try await client.request("/collections/service-areas/items?bbox=100,10,100.1,10.1")
            XCTAssertEqual(try none.body()["numberMatched"]?.int, 0)
            let s = try StoreBackends.open(path, readOnly: true).stations()[0]
            let box = "\(s.location.lon - 0.001),\(s.location.lat - 0.001),\(s.location.lon + 0.001),\(s.location.lat + 0.001)"
            let near = try await client.request("/collections/service-areas/items?bbox=\(box)&limit=100")
            XCTAssertTrue(try near.body()["features"]?.array?.contains { $0["id"]?.string == s.id } ?? false)
            let missing = try await client.request("/collections/service-areas/items/nope")
            XCTAssertEqual(missing.status, .notFound)
        }
    }
}
