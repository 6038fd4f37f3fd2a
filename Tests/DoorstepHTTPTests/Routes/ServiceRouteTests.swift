import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import XCTest

/// `/health`, `/api`, methods, CORS, limits and the promise that no input produces a 500.
final class ServiceRouteTests: XCTestCase {
    static let routes = ["/", "/conformance", "/collections", "/collections/stations", "/collections/stations/items",
                         "/collections/stations/items/S001", "/v1/nearest?lon=118.78&lat=32.04", "/api", "/health"]

    func testHealth() async throws {
        let path = try sampleDatabase(self)
        let generation = try StoreBackends.open(path, readOnly: true).generation()
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let reply = try await client.request("/health")
            XCTAssertEqual(reply.status, .ok)
            let body = try reply.body()
            XCTAssertEqual(body["status"]?.string, "ok")
            XCTAssertEqual(body["generation"]?.int, generation)
            XCTAssertEqual(body["stations"]?.int, 34)
            XCTAssertEqual(body["compounds"]?.int, 29)
            XCTAssertEqual(body["entrances"]?.int, 16)
            XCTAssertEqual(body["grids"]?.int, 28)
            XCTAssertEqual(body["ways"]?.int, 383)
            XCTAssertEqual(body["walking"]?.bool, true)
            XCTAssertEqual(body["version"]?.string, DoorstepVersion.string)
            let api = try await client.request("/api").body()
            XCTAssertEqual(api["info"]?["version"]?.string, DoorstepVersion.string)
        }
    }

    func testEveryRouteAnswersGetHeadOptionsAndRefusesWrites() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            for route in Self.routes {
                let get = try await client.request(route, headers: [.origin: "https://map.example"])
                XCTAssertEqual(get.status, .ok, "\(route): \(get.text)")
                XCTAssertEqual(get.headers[.accessControlAllowOrigin], "*", route)

                let head = try await client.request(route, .head)
                XCTAssertEqual(head.status, .ok, route)
                XCTAssertTrue(head.text.isEmpty, route)

                let preflight = try await client.request(route, .options, headers: [
                    .origin: "https://map.example", .accessControlRequestMethod: "GET",
                ])
                XCTAssertEqual(preflight.status, .noContent, route)
                XCTAssertEqual(preflight.headers[.accessControlAllowOrigin], "*", route)
                XCTAssertEqual(preflight.headers[.accessControlAllowMethods], "GET, HEAD, OPTIONS", route)
                XCTAssertNotNil(preflight.headers[.accessControlAllowHeaders], route)

                for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
                    let reply = try await client.request(route, method, body: ByteBuffer(string: "{}"))
                    XCTAssertEqual(reply.status, .methodNotAllowed, "\(method) \(route)")
                    XCTAssertEqual(reply.headers[.allow], "GET, HEAD, OPTIONS")
                    XCTAssertEqual(try reply.body()["code"]?.string, "method_not_allowed")
                    XCTAssertEqual(reply.headers[.accessControlAllowOrigin], "*")
                }
            }
        }
    }

    func testUnknownRoutesAreJSON404() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            for uri in ["/nope", "/v1", "/v1/nearby", "/collections/stations/things", "/v2/nearest?lon=1&lat=2"] {
                let reply = try await client.request(uri)
                XCTAssertEqual(reply.status, .notFound, uri)
                XCTAssertEqual(reply.contentType, "application/json")
                XCTAssertEqual(try reply.body()["code"]?.string, "not_found", uri)
                XCTAssertEqual(reply.headers[.accessControlAllowOrigin], "*")
            }
            for uri in ["/health?verbose=1", "/api?x=1", "/collections?bbox=1,2,3,4", "/?limit=1"] {
                let reply = try await client.request(uri)
                XCTAssertEqual(reply.status, .badRequest, uri)
                XCTAssertEqual(try reply.body()["code"]?.string, "unknown_parameter", uri)
            }
        }
    }

    func testRequestSizeLimits() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let long = try await client.request("/v1/nearest?lon=118.78&lat=32.04&kind=" + String(repeating: "a", count: 9000))
            XCTAssertEqual(long.status, .uriTooLong)
            XCTAssertEqual(try long.body()["code"]?.string, "uri_too_long")
            let big = try await client.request("/health", .get, body: ByteBuffer(repeating: 0x41, count: 100_000))
            XCTAssertEqual(big.status, .contentTooLarge)
            XCTAssertEqual(try big.body()["code"]?.string, "payload_too_large")
            // Methods come first: a large POST is refused for its method.
            let post = try await client.request("/health", .post, body: ByteBuffer(repeating: 0x41, count: 100_000))
            XCTAssertEqual(post.status, .methodNotAllowed)
        }
    }

    /// Hostile and odd input on every route: never a 500, always a JSON answer.
    func testNoInputProducesA500() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        let nasty = ["'", "\"", "';DROP TABLE stations;--", "%00", "%FF%FE", "%", "%E4%B8", "1e308", "-1e308", "1e-400",
                     "NaN", "-0", "99999999999999999999", "%E9%A9%BF%E7%AB%99", "null", "[]", "{}", "..%2F..%2Fetc%2Fpasswd",
                     String(repeating: "9", count: 400), "1,2,3,4,5,6,7", ",,,", "+1", "0x10"]
        try await app.test(.router) { client in
            var uris = [String]()
            for v in nasty {
                for p in ["lon", "lat", "k", "kind", "service", "crs", "open_at", "open_now", "tz", "walk", "speed"] {
                    uris.append("/v1/nearest?lon=118.78&lat=32.04&\(p)=\(v)")
                }
                for p in ["bbox", "limit", "offset", "f"] { uris.append("/collections/compounds/items?\(p)=\(v)") }
                uris.append("/collections/\(v)/items")
                uris.append("/collections/ways/items/\(v)")
                uris.append("/\(v)")
            }
            for uri in uris {
                let reply = try await client.request(uri)
                XCTAssertLessThan(reply.status.code, 500, "\(uri): \(reply.text)")
                XCTAssertNotNil(reply.json, "\(uri): not JSON: \(reply.text.prefix(200))")
            }
            // The database is untouched.
            let health = try await client.request("/health")
            XCTAssertEqual(try health.body()["stations"]?.int, 34)
        }
    }

    func testManyConcurrentRequestsShareTheIndexAndPool() async throws {
        let (app, data) = try makeApp(try sampleDatabase(self), refresh: .milliseconds(500))
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let uri = i % 2 == 0 ? "/v1/nearest?lon=\(118.77 + Double(i) * 0.0001)&lat=32.04&k=3"
                            : "/collections/compounds/items?limit=5&offset=\(i % 29)"
                        let reply = try await client.request(uri)
                        return (i, Int(reply.status.code))
                    }
                }
                for try await (i, status) in group { XCTAssertEqual(status, 200, "request \(i)") }
            }
        }
        guard !TestStores.isPostGIS else { return } // SpatiaLite's connection pool
        let pool = try XCTUnwrap(data.pool as? StorePool)
        XCTAssertLessThanOrEqual(pool.idleCount, pool.maxIdle)
    }
}
