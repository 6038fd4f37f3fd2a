import DoorstepGeo
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `/api`: an OpenAPI 3.0 document of every route and parameter, valid by `openapi-spec-validator`.
final class OpenAPITests: XCTestCase {
    func testDocumentsEveryRouteAndParameter() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let reply = try await client.request("/api")
            XCTAssertEqual(reply.status, .ok)
            XCTAssertEqual(reply.contentType, "application/vnd.oai.openapi+json;version=3.0")
            let doc = try reply.body()
            XCTAssertEqual(doc["openapi"]?.string, "3.0.3")
            let paths = doc["paths"]?.keys ?? []
            for p in ["/", "/conformance", "/collections", "/collections/{collectionId}", "/collections/{collectionId}/items",
                      "/collections/{collectionId}/items/{featureId}", "/v1/nearest", "/api", "/health",
                      "/v1/coverage", "/v1/coverage/hours", "/v1/gaps", "/v1/areas", "/v1/plan", "/v1/access", "/v1/whatif", "/livez"] {
                XCTAssertTrue(paths.contains(p), "missing path \(p)")
            }
            // Query parameters (If-None-Match is a $ref to a header parameter).
            func names(_ p: String) -> Set<String> {
                Set(doc["paths"]?[p]?["get"]?["parameters"]?.array?.compactMap { $0["name"]?.string } ?? [])
            }
            XCTAssertEqual(names("/v1/nearest"), ["lon", "lat", "crs", "k", "kind", "service", "open_now", "open_at", "tz", "walk", "speed", "route"])
            XCTAssertEqual(names("/v1/coverage"), ["radius", "preset", "walk", "kind", "service", "open_at", "speed", "by", "format"])
            XCTAssertEqual(names("/v1/coverage/hours"), ["radius", "preset", "walk", "kind", "service", "speed", "day"])
            XCTAssertEqual(names("/v1/gaps"), ["radius", "preset", "walk", "kind", "service", "open_at", "speed", "limit", "format"])
            XCTAssertEqual(names("/v1/areas"), ["radius", "preset", "bands", "walk", "station", "kind", "service", "open_at", "lateral", "format"])
            XCTAssertEqual(names("/v1/plan"), ["radius", "preset", "walk", "kind", "service", "open_at", "speed", "add", "target", "weight", "spacing", "format"])
            XCTAssertEqual(names("/v1/access"), ["radius", "preset", "walk", "kind", "service", "open_at", "speed", "by", "weight", "format"])
            XCTAssertEqual(names("/v1/whatif"), ["radius", "preset", "walk", "kind", "service", "open_at", "speed", "add", "close", "add_kind", "by", "format", "lang"])
            let components = doc["components"]?["parameters"]
            XCTAssertEqual(components?["collectionId"]?["schema"]?["enum"]?.array?.compactMap(\.string),
                           ["stations", "compounds", "grids", "ways", "entrances", "coverage", "service-areas"])
            // limit above 10,000 is clamped by the server, not refused: no maximum, and the description says so.
            XCTAssertNil(components?["limit"]?["schema"]?["maximum"])
            XCTAssertTrue(components?["limit"]?["description"]?.string?.contains("clamped to 10000") == true)
            XCTAssertEqual(components?["limit"]?["schema"]?["default"]?.int, 10)
        }
    }

    /// Every status a route can answer is documented, every error with the one Error schema.
    func testDocumentsEveryStatus() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let doc = try await client.request("/api").body()
            let responses = doc["components"]?["responses"]
            func resolved(_ r: JSONValue?) -> JSONValue? {
                guard let target = r?["$ref"]?.string else { return r }
                return responses?[String(target.split(separator: "/").last!)]
            }
            let analysis: Set<String> = ["/v1/coverage", "/v1/coverage/hours", "/v1/gaps", "/v1/areas", "/v1/plan", "/v1/access", "/v1/whatif"]
            let readsData: Set<String> = analysis.union(["/collections", "/collections/{collectionId}", "/collections/{collectionId}/items",
                                                         "/collections/{collectionId}/items/{featureId}", "/v1/nearest", "/health"])
            for path in doc["paths"]?.keys ?? [] {
                let codes = doc["paths"]?[path]?["get"]?["responses"]
                let statuses = Set(codes?.keys ?? [])
                XCTAssertTrue(statuses.isSuperset(of: ["200", "400", "405", "413", "414"]), "\(path): \(statuses.sorted())")
                XCTAssertEqual(statuses.contains("503"), readsData.contains(path), "\(path): 503 where data is read")
                XCTAssertEqual(statuses.contains("304"), !["/health", "/livez", "/metrics"].contains(path), "\(path): 304 on the API GETs")
                XCTAssertEqual(statuses.contains("422"), path.hasPrefix("/v1/") || path.hasSuffix("/items"), path)
                XCTAssertNotNil(resolved(codes?["405"])?["headers"]?["Allow"], path)
                for code in statuses where code.hasPrefix("4") || (code.hasPrefix("5") && path != "/health") {
                    XCTAssertEqual(resolved(codes?[code])?["content"]?["application/json"]?["schema"]?["$ref"]?.string,
                                   "#/components/schemas/Error", "\(path) \(code)")
                }
                if analysis.contains(path) {
                    XCTAssertNotNil(resolved(codes?["503"])?["headers"]?["Retry-After"], path)
                    XCTAssertTrue(resolved(codes?["503"])?["description"]?.string?.contains("budget_exceeded") == true, path)
                }
            }
            let budgets = doc["tags"]?.array?.first { $0["name"]?.string == "Planners" }?["description"]?.string ?? ""
            for cap in ["bands ≤ 10", "lateral 1…200", "radius ≤ 100000", "areas 20000", "≤ 200", "add ≤ 50", "spacing ≥ 50", "what-if add ≤ 50 sites, close ≤ 500 ids",
                        "serve --analysis-budget, default 30 s", "as many analysis requests at once as cores", "503 busy with Retry-After"] {
                XCTAssertTrue(budgets.contains(cap), "Planners tag lacks \(cap): \(budgets)")
            }
            XCTAssertTrue(doc["paths"]?["/v1/areas"]?["get"]?["description"]?.string?.contains("radius, preset and bands exclude each other") == true)
        }
    }

    func testPassesOpenAPISpecValidator() async throws {
        guard let validator = findProgram("openapi-spec-validator") else {
            throw XCTSkip("openapi-spec-validator is not installed (pip install openapi-spec-validator; `make deps` does it)")
        }
        let dir = try temporaryDirectory(self)
        let (app, _) = try makeApp(try sampleDatabase(self))
        let text = try await app.test(.router) { client in try await client.request("/api").text }
        let file = dir.appendingPathComponent("openapi.json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let (status, output) = try await runProgram(validator, [file.path])
        XCTAssertEqual(status, 0, "openapi-spec-validator: \(output)")
        XCTAssertTrue(output.contains("OK"), output)
    }
}
