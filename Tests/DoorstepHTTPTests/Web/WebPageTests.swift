import DoorstepGeo
@testable import DoorstepHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// The residents' web page: `/` content negotiation, its static assets, `/v1/nearest?route=true`, and a real browser
/// (headless Chromium) searching the sample city.
final class WebPageTests: XCTestCase {
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
    static let leafletInstalled = FileManager.default.fileExists(atPath: "/usr/share/javascript/leaflet/leaflet.min.js")

    func testRootNegotiatesHTMLOrLandingJSON() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let page = try await client.request("/", headers: [.accept: Self.browserAccept])
            XCTAssertEqual(page.status, .ok)
            XCTAssertEqual(page.contentType, "text/html; charset=utf-8")
            XCTAssertEqual(page.headers[.vary], "Accept")
            XCTAssertTrue(page.text.hasPrefix("<!doctype html>"))
            XCTAssertTrue(page.text.contains("<html lang=\"zh-CN\">"))
            XCTAssertTrue(page.text.contains("src=\"/static/leaflet/leaflet.js\""))
            XCTAssertTrue(page.text.contains("src=\"/static/doorstep.js\""))
            XCTAssertTrue(page.text.contains("href=\"/static/doorstep.css\""))
            XCTAssertTrue(page.text.contains("{\"tiles\":null,\"tilesCRS\":\"wgs84\""), "config not written into the page")
            XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page must fetch nothing from the internet")

            // The page also for its own query parameters, and for ?f=html.
            let shared = try await client.request("/?lon=118.779&lat=32.044&lang=en", headers: [.accept: Self.browserAccept])
            XCTAssertEqual(shared.contentType, "text/html; charset=utf-8")
            let explicit = try await client.request("/?f=html")
            XCTAssertEqual(explicit.contentType, "text/html; charset=utf-8")
            let head = try await client.request("/", .head, headers: [.accept: Self.browserAccept])
            XCTAssertEqual(head.status, .ok)
            XCTAssertEqual(head.contentType, "text/html; charset=utf-8")
            XCTAssertEqual(head.text, "")

            // OGC API clients keep the landing JSON: no Accept, */*, application/json, ?f=json even from a browser,
            // and a client preferring JSON.
            for (uri, accept) in [("/", nil), ("/", "*/*"), ("/", "application/json"), ("/?f=json", Self.browserAccept),
                                  ("/", "application/json, text/html;q=0.5"), ("/", "text/html;q=0")] {
                var headers: HTTPFields = [:]
                if let accept { headers[.accept] = accept }
                let landing = try await client.request(uri, headers: headers)
                XCTAssertEqual(landing.status, .ok, "\(uri) \(accept ?? "-")")
                XCTAssertEqual(landing.contentType, "application/json", "\(uri) \(accept ?? "-")")
                XCTAssertNotNil(link(try landing.body(), "service-desc"))
            }
            // The landing page's own checks still apply to what is not the page.
            let unknown = try await client.request("/?nope=1")
            XCTAssertEqual(unknown.status, .badRequest)
        }
    }

    func testStaticAssetsAndBudget() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let page = try await client.request("/?f=html")
            let script = try await client.request("/static/doorstep.js")
            XCTAssertEqual(script.status, .ok)
            XCTAssertEqual(script.contentType, "text/javascript; charset=utf-8")
            XCTAssertEqual(script.headers[.xContentTypeOptions], "nosniff")
            XCTAssertTrue(script.text.contains("/v1/nearest?"))
            let css = try await client.request("/static/doorstep.css")
            XCTAssertEqual(css.status, .ok)
            XCTAssertEqual(css.contentType, "text/css; charset=utf-8")
            XCTAssertEqual(css.headers[.xContentTypeOptions], "nosniff")
            XCTAssertTrue(css.text.contains("#results"))
            let total = page.text.utf8.count + script.text.utf8.count + css.text.utf8.count
            print("web page \(page.text.utf8.count) B + doorstep.js \(script.text.utf8.count) B + doorstep.css \(css.text.utf8.count) B = \(total) B (budget 100 KB)")
            XCTAssertLessThan(total, 100_000, "page, script and styles over budget")

            for path in ["/static/leaflet/../../../etc/passwd", "/static/leaflet/leaflet-src.js", "/static/leaflet/", "/static/other.js"] {
                let r = try await client.request(path)
                XCTAssertEqual(r.status, .notFound, path)
                XCTAssertEqual(try r.body()["code"]?.string, "not_found", path)
            }
            guard Self.leafletInstalled else {
                let r = try await client.request("/static/leaflet/leaflet.js")
                XCTAssertEqual(r.status, .notFound)
                XCTAssertTrue(r.text.contains("libjs-leaflet"), r.text)
                throw XCTSkip("libjs-leaflet is not installed (make deps): Leaflet's files were not checked")
            }
            let js = try await client.request("/static/leaflet/leaflet.js")
            XCTAssertEqual(js.status, .ok)
            XCTAssertEqual(js.contentType, "text/javascript; charset=utf-8")
            XCTAssertTrue(js.text.contains("Leaflet"))
            XCTAssertNotNil(js.headers[.cacheControl])
            let gz = try await client.request("/static/leaflet/leaflet.js", headers: [.acceptEncoding: "gzip, deflate, br"])
            XCTAssertEqual(gz.headers[.contentEncoding], "gzip")
            XCTAssertLessThan(Int(gz.headers[.contentLength] ?? "") ?? .max, js.text.utf8.count / 2)
            let leafletCSS = try await client.request("/static/leaflet/leaflet.css")
            XCTAssertEqual(leafletCSS.contentType, "text/css; charset=utf-8")
            let png = try await client.request("/static/leaflet/images/layers.png")
            XCTAssertEqual(png.contentType, "image/png")
        }
    }

    func testTileOptionsAreWrittenSafely() async throws {
        let path = try sampleDatabase(self)
        let data = try StoreData(address: path, refreshInterval: .zero)
        let web = WebOptions(tiles: "https://tile.example/{z}/{x}/{y}.png?</script><b>", tilesCRS: .gcj02, tilesAttribution: "© 测试")
        let app = buildApplication(data: data, options: ServeOptions(databasePath: path, port: 0, logLevel: .warning, web: web))
        try await app.test(.router) { client in
            let page = try await client.request("/?f=html")
            XCTAssertTrue(page.text.contains("\"tilesCRS\":\"gcj02\""))
            XCTAssertTrue(page.text.contains("\\u003c/script>\\u003cb>"), "a < in the tile URL must be escaped")
            XCTAssertEqual(page.text.components(separatedBy: "</script>").count - 1, 3, "only the page's own three </script>")
        }
    }

    func testNearestWithRoutes() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let r = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&k=4&walk=true&route=true")
            XCTAssertEqual(r.status, .ok, r.text)
            let body = try r.body()
            XCTAssertEqual(body["query"]?["route"]?.bool, true)
            let stations = try XCTUnwrap(body["stations"]?.array)
            XCTAssertEqual(stations.count, 4)
            for s in stations {
                let route = try XCTUnwrap(s["route"], "no route for \(s["id"]?.string ?? "?")")
                XCTAssertEqual(route["type"]?.string, "LineString")
                let coordinates = try XCTUnwrap(route["coordinates"]?.array?.compactMap { $0.array?.compactMap(\.number) })
                XCTAssertGreaterThanOrEqual(coordinates.count, 2)
                // From the point to the station; its length is the walking distance.
                let first = Coordinate(lon: coordinates[0][0], lat: coordinates[0][1])
                let last = Coordinate(lon: coordinates.last![0], lat: coordinates.last![1])
                let station = try XCTUnwrap(s["coordinates"]?["wgs84"]?.array?.compactMap(\.number))
                XCTAssertLessThan(andoyerLambert(first, Coordinate(lon: 118.779, lat: 32.044)), 0.05)
                XCTAssertLessThan(andoyerLambert(last, Coordinate(lon: station[0], lat: station[1])), 0.05)
                var length = 0.0
                for (p, q) in zip(coordinates, coordinates.dropFirst()) {
                    length += andoyerLambert(Coordinate(lon: p[0], lat: p[1]), Coordinate(lon: q[0], lat: q[1]))
                }
                let walking = try XCTUnwrap(s["walking_m"]?.number)
                XCTAssertEqual(length, walking, accuracy: max(1, walking * 0.002), "route length vs walking_m of \(s["id"]?.string ?? "?")")
            }
            let plain = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&k=2&walk=true")
            XCTAssertNil(try plain.body()["stations"]?.array?.first?["route"], "route only when asked for")
            let bad = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&route=true")
            XCTAssertEqual(bad.status, .badRequest)
            XCTAssertEqual(try bad.body()["code"]?.string, "invalid_parameter")
        }
    }

    /// Headless Chromium loads the page from a live server at a fixed position (`?lon=&lat=`, no geolocation prompt),
    /// and the stations it lists are `/v1/nearest`'s; a phone-size screenshot is kept under .build/artifacts/.
    func testBrowserListsTheNearestStations() async throws {
        guard let chromium = findProgram("chromium") ?? findProgram("chromium-browser") else {
            throw XCTSkip("chromium (Debian chromium) is not installed; `make deps` installs it")
        }
        guard Self.leafletInstalled else { throw XCTSkip("libjs-leaflet is not installed; `make deps` installs it") }
        let dir = try temporaryDirectory(self)
        let (app, _) = try makeApp(try sampleDatabase(self), refresh: .milliseconds(500))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let common = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
                          "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--virtual-time-budget=10000"]

            // The API's answers first: the test client's connection would sit idle while Chromium runs, and the server
            // closes connections that send nothing for the header timeout.
            var expectedLists = [String: [String]]()
            for query in ["lon=118.779&lat=32.044", "lon=118.7855&lat=32.0415", "lon=118.779&lat=32.044&service=medical"] {
                let api = try await client.request("/v1/nearest?\(query)&k=8&walk=true")
                expectedLists[query] = try XCTUnwrap(api.body()["stations"]?.array).compactMap { $0["id"]?.string }
            }
            for (lang, query) in [("zh-CN", "lon=118.779&lat=32.044"), ("en", "lon=118.7855&lat=32.0415&lang=en")] {
                let (status, dom) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/?\(query)"])
                XCTAssertEqual(status, 0, String(dom.suffix(2000)))
                XCTAssertTrue(dom.contains("<html lang=\"\(lang)\""), "page language should be \(lang)")
                XCTAssertTrue(dom.contains("data-state=\"done\""), "the search did not finish:\n\(dom.suffix(3000))")
                let errors = Self.matches(#"<div id="errors"[^>]*>(.*?)</div>"#, in: dom).first ?? ""
                XCTAssertEqual(errors, "", "the page shows errors")
                let listed = Self.matches(#"data-station-id="([^"]+)""#, in: dom)
                let expected = try XCTUnwrap(expectedLists[query.replacingOccurrences(of: "&lang=en", with: "")])
                XCTAssertEqual(listed, expected, "the page's list vs /v1/nearest")
                XCTAssertEqual(listed.count, 8)
                // Walking times, phone links and the route button are shown.
                XCTAssertTrue(dom.contains("href=\"tel:"))
                XCTAssertTrue(dom.contains(lang == "en" ? "walk " : "步行 "))
                XCTAssertTrue(dom.contains("leaflet-interactive"), "the route and overlay are drawn on the map")
            }

            // Filters from the URL go into the query.
            let (_, filtered) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/?lon=118.779&lat=32.044&service=medical"])
            let listed = Self.matches(#"data-station-id="([^"]+)""#, in: filtered)
            XCTAssertEqual(listed, try XCTUnwrap(expectedLists["lon=118.779&lat=32.044&service=medical"]))

            let artifacts = packageRoot.appendingPathComponent(".build/artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            let shot = artifacts.appendingPathComponent("web-page-phone.png")
            try? FileManager.default.removeItem(at: shot)
            let (status, output) = try await runProgram(chromium, common + ["--window-size=390,844", "--screenshot=\(shot.path)",
                                                                           "\(base)/?lon=118.776&lat=32.041"])
            XCTAssertEqual(status, 0, output)
            let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 10_000, "screenshot missing or empty")
            print("web page screenshot (390×844): \(shot.path)")
        }
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }
}
