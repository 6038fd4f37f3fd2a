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
                      "/v1/coverage", "/v1/gaps", "/v1/areas", "/v1/plan"] {
                XCTAssertTrue(paths.contains(p), "missing path \(p)")
            }
            let nearest = doc["paths"]?["/v1/nearest"]?["get"]?["parameters"]?.array?.compactMap { $0["name"]?.string } ?? []
            XCTAssertEqual(Set(nearest), ["lon", "lat", "crs", "k", "kind", "service", "open_now", "open_at", "tz", "walk", "speed", "route"])
            func names(_ p: String) -> Set<String> {
                Set(doc["paths"]?[p]?["get"]?["parameters"]?.array?.compactMap { $0["name"]?.string } ?? [])
            }
            XCTAssertEqual(names("/v1/coverage"), ["radius", "preset", "walk", "kind", "service", "speed", "by", "format"])
            XCTAssertEqual(names("/v1/gaps"), ["radius", "preset", "walk", "kind", "service", "speed", "limit", "format"])
            XCTAssertEqual(names("/v1/areas"), ["radius", "preset", "bands", "walk", "station", "kind", "service", "lateral", "format"])
            XCTAssertEqual(names("/v1/plan"), ["radius", "preset", "walk", "kind", "service", "speed", "add", "target", "weight", "spacing", "format"])
            let components = doc["components"]?["parameters"]
            XCTAssertEqual(components?["collectionId"]?["schema"]?["enum"]?.array?.compactMap(\.string),
                           ["stations", "compounds", "grids", "ways", "entrances", "coverage", "service-areas"])
            XCTAssertEqual(components?["limit"]?["schema"]?["maximum"]?.int, 10_000)
            XCTAssertEqual(components?["limit"]?["schema"]?["default"]?.int, 10)
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
