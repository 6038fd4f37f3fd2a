import DoorstepGeo
import Hummingbird
@testable import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `/metrics` (Prometheus text) counts what was asked, by route template and status, times it, bounds its label set
/// against scans, says the generation and store failures; `serve --access-log json` writes one parseable JSON line per
/// request, hostile targets included.
final class MetricsTests: XCTestCase {
    /// The samples of a scrape: `name{labels}` → value.
    static func samples(_ text: String) -> [String: Double] {
        var out = [String: Double]()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    func testCountsTimesAndBoundsTheLabels() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            for _ in 0..<3 { _ = try await client.request("/v1/nearest?lon=118.78&lat=32.04") }
            for _ in 0..<2 { _ = try await client.request("/v1/coverage?radius=abc") }
            _ = try await client.request("/v1/coverage?preset=10min")
            // A scan of random paths and hostile targets: one series, however many paths.
            for i in 0..<200 { _ = try await client.request("/scan-\(i)/%3Cimg%20onerror%3Dx%3E") }
            _ = try await client.request("/collections/stations/items?limit=1")
            _ = try await client.request("/collections/compounds/items?limit=1")
            let health = try await client.request("/health").body()

            let scrape = try await client.request("/metrics")
            XCTAssertEqual(scrape.status, .ok)
            XCTAssertTrue(scrape.contentType?.hasPrefix("text/plain") == true)
            XCTAssertNil(scrape.headers[.eTag], "a scrape depends on the clock")
            let s = Self.samples(scrape.text)
            func requests(_ route: String, _ status: Int) -> Double? {
                s["doorstep_http_requests_total{route=\"\(route)\",method=\"GET\",status=\"\(status)\"}"]
            }
            XCTAssertEqual(requests("/v1/nearest", 200), 3)
            XCTAssertEqual(requests("/v1/coverage", 400), 2)
            XCTAssertEqual(requests("/v1/coverage", 200), 1)
            XCTAssertEqual(requests("NotFound", 404), 200)
            XCTAssertEqual(requests("/collections/{collectionId}/items", 200), 2, "one series per route template, not per path")
            XCTAssertEqual(s["doorstep_http_request_duration_seconds_count{route=\"/v1/nearest\"}"], 3)
            XCTAssertEqual(s["doorstep_http_request_duration_seconds_count{route=\"/v1/coverage\"}"], 3)
            XCTAssertEqual(s["doorstep_http_request_duration_seconds_bucket{route=\"/v1/nearest\",le=\"+Inf\"}"], 3)
            XCTAssertEqual(s["doorstep_data_generation"], health["generation"]?.number)
            XCTAssertEqual(s["doorstep_analysis_running"], 0)
            XCTAssertEqual(s["doorstep_analysis_queued"], 0)
            XCTAssertEqual(s["doorstep_store_errors_total"], 0, scrape.text.split(separator: "\n").filter { $0.hasPrefix("doorstep_http_requests_total") }.joined(separator: "\n"))
            XCTAssertLessThan(scrape.text.split(separator: "\n").count, 200, "the scan must not have grown the label set")
            XCTAssertFalse(scrape.text.contains("onerror"))

        }
    }

    /// A request the store cannot answer is a 503 `unavailable` and one more `doorstep_store_errors_total`; other
    /// errors are not store errors. (Through the service's own metrics and error middleware, on a route that fails as
    /// a store does: a real file cannot be made to fail on demand under the pool's cached pages.)
    func testStoreFailuresAreCounted() async throws {
        let metrics = ServiceMetrics()
        let router = Router()
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(metrics: metrics))
        router.get("/fails") { _, _ -> Response in throw StoreUnavailable("disk gone") }
        router.get("/bad") { _, _ -> Response in throw APIError.invalid("x", "bad") }
        let app = Application(router: router)
        try await app.test(.router) { client in
            for _ in 0..<3 {
                let failed = try await client.request("/fails")
                XCTAssertEqual(failed.status, .serviceUnavailable)
                XCTAssertEqual(try failed.body()["code"]?.string, "unavailable")
            }
            let bad = try await client.request("/bad")
            XCTAssertEqual(bad.status, .badRequest)
        }
        let s = Self.samples(String(decoding: metrics.scrape(generation: 7, pool: AnalysisPool(.init(workers: 3))), as: UTF8.self))
        XCTAssertEqual(s["doorstep_store_errors_total"], 3)
        XCTAssertEqual(s["doorstep_http_requests_total{route=\"/fails\",method=\"GET\",status=\"503\"}"], 3)
        XCTAssertEqual(s["doorstep_http_requests_total{route=\"/bad\",method=\"GET\",status=\"400\"}"], 1)
        XCTAssertEqual(s["doorstep_data_generation"], 7)
        XCTAssertEqual(s["doorstep_analysis_workers"], 3)
    }

    func testJSONAccessLogLines() async throws {
        let db = try sampleDatabase(self)
        let binary = try TestProducts.doorstep()
        let dir = try temporaryDirectory(self)
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--db", db, "--port", "0", "--access-log", "json"]
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        var port: Int?
        for _ in 0..<100 where port == nil {
            try await Task.sleep(for: .milliseconds(100))
            let text = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)
            }
        }
        let base = "http://127.0.0.1:\(try XCTUnwrap(port, "the server did not say where it listens"))"
        let targets = ["/v1/nearest?lon=118.78&lat=32.04", "/x%22%0A%7B%22status%22:200%7D", "/v1/coverage?preset=10min", "/livez"]
        let curl = try XCTUnwrap(findProgram("curl"), "curl (Debian curl) is needed; `make deps` installs it")
        for target in targets {
            _ = try await runProgram(curl, ["-s", "-o", "/dev/null", "--path-as-is", base + target])
        }
        try await Task.sleep(for: .milliseconds(300))
        let lines = ((try? String(contentsOf: out, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, targets.count, "one line per request:\n\(lines.joined(separator: "\n"))")
        for (line, target) in zip(lines, targets) {
            let entry = try JSONValue.parse(line)
            XCTAssertEqual(entry["target"]?.string, target, "the target as sent, escaped, on one line")
            XCTAssertEqual(entry["method"]?.string, "GET")
            XCTAssertNotNil(entry["ms"]?.number)
            XCTAssertTrue(entry["time"]?.string?.hasSuffix("Z") == true)
        }
        XCTAssertEqual(try JSONValue.parse(lines[0])["route"]?.string, "/v1/nearest")
        XCTAssertEqual(try JSONValue.parse(lines[0])["status"]?.number, 200)
        XCTAssertEqual(try JSONValue.parse(lines[1])["status"]?.number, 404)
        XCTAssertEqual(try JSONValue.parse(lines[1])["route"]?.string, "NotFound")
        XCTAssertFalse(((try? String(contentsOf: err, encoding: .utf8)) ?? "").contains("GET /livez"), "no text access log beside the JSON one")
    }
}
