import DoorstepGeo
@testable import DoorstepHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// The planners' workbench at `/planner`: served with the page's policy, and in a real browser (headless Chromium) its
/// numbers are the API's — coverage, a what-if scenario (stations added and closed), coverage at a time of day — and
/// its summary table (summed in the page) adds up to them. 1440×900 screenshots go to .build/artifacts/.
final class PlannerPageTests: XCTestCase {
    func testPlannerPageAndAssets() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let page = try await client.request("/planner?add=118.78,32.04&lang=en")
            XCTAssertEqual(page.status, .ok)
            XCTAssertEqual(page.contentType, "text/html; charset=utf-8")
            XCTAssertTrue(page.text.contains("<html lang=\"zh-CN\">"), "Chinese by default")
            XCTAssertTrue(page.text.contains("src=\"/static/planner.js\""))
            XCTAssertTrue(page.text.contains("href=\"/static/planner.css\""))
            XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page must fetch nothing from the internet")
            let policy = try XCTUnwrap(page.headers[.contentSecurityPolicy])
            XCTAssertTrue(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), policy)
            XCTAssertEqual(page.headers[HTTPField.Name("X-Frame-Options")!], "DENY")
            for (path, type) in [("/static/planner.js", "text/javascript; charset=utf-8"), ("/static/planner.css", "text/css; charset=utf-8")] {
                let asset = try await client.request(path)
                XCTAssertEqual(asset.status, .ok, path)
                XCTAssertEqual(asset.contentType, type, path)
                XCTAssertEqual(asset.headers[.xContentTypeOptions], "nosniff")
            }
            // The script uses no HTML parser for data: no innerHTML, no string tooltips or popups.
            XCTAssertFalse(PlannerAssets.script.contains("innerHTML"))
            XCTAssertFalse(PlannerAssets.script.contains("insertAdjacentHTML"))
            let post = try await client.request("/planner", .post)
            XCTAssertEqual(post.status, .methodNotAllowed)
        }
    }

    func testBrowserShowsTheAPIsNumbers() async throws {
        guard let chromium = findProgram("chromium") ?? findProgram("chromium-browser") else {
            throw XCTSkip("chromium (Debian chromium) is not installed; `make deps` installs it")
        }
        guard WebPageTests.leafletInstalled else { throw XCTSkip("libjs-leaflet is not installed; `make deps` installs it") }
        let dir = try temporaryDirectory(self)
        let (app, _) = try makeApp(try sampleDatabase(self), refresh: .milliseconds(500))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let common = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars", "--window-size=1440,900",
                          "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--virtual-time-budget=20000"]

            // A site at the biggest gap's compound (walking, 10 minutes) and the station nearest to the city's middle closed:
            // the scenario the page is given in its URL, as a planner's shared link gives it.
            let gaps = try await client.request("/v1/gaps?walk=true&preset=10min&limit=1&format=geojson")
            let gap = try XCTUnwrap(gaps.body()["features"]?.array?.first)
            let site = try XCTUnwrap(Self.firstPosition(gap["geometry"]))
            let stations = try await client.request("/v1/nearest?lon=118.779&lat=32.044&k=1")
            let closed = try XCTUnwrap(stations.body()["stations"]?.array?.first?["id"]?.string)
            let add = String(format: "%.6f,%.6f", site.0, site.1)
            let expectations: [(page: String, api: String, delta: Bool)] = [
                ("walk=true&reach=10min", "/v1/coverage?walk=true&preset=10min", false),
                ("walk=true&reach=10min&add=\(add)&close=\(closed)", "/v1/whatif?walk=true&preset=10min&add=\(add)&close=\(closed)", true),
                ("walk=false&reach=5min&add=\(add)", "/v1/whatif?walk=false&preset=5min&add=\(add)", true),
                // Only the stations open on Monday at 21:00 count (the page's day and hour).
                ("walk=true&reach=10min&day=Mo&hour=21", "/v1/coverage?walk=true&preset=10min&open_at=Mo%2021:00", false),
            ]
            // The API's answers first (the test client's idle connection would time out while Chromium runs).
            var answers = [JSONValue]()
            for e in expectations {
                let reply = try await client.request(e.api)
                XCTAssertEqual(reply.status, .ok, "\(e.api): \(reply.text.prefix(300))")
                answers.append(try reply.body())
            }
            for (e, answer) in zip(expectations, answers) {
                let (status, dom) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/planner?\(e.page)"])
                XCTAssertEqual(status, 0, String(dom.suffix(2000)))
                XCTAssertTrue(dom.contains("data-state=\"done\""), "the page did not finish (\(e.page)):\n\(dom.suffix(3000))")
                XCTAssertEqual(Self.element("errors", in: dom), "", "the page shows errors (\(e.page))")
                let summary = try XCTUnwrap(answer["summary"])
                let covered = try XCTUnwrap(summary["households_covered"]?.int)
                XCTAssertEqual(Self.number(Self.element("total-households-covered", in: dom)), covered, e.page)
                XCTAssertEqual(Self.number(Self.element("total-households", in: dom)), summary["households"]?.int, e.page)
                // The page sums its table itself: its total row must come to the API's total.
                let totalRow = Self.cells(Self.element("summary-total", in: dom))
                XCTAssertEqual(totalRow.count, 5, e.page)
                if totalRow.count == 5 {
                    XCTAssertEqual(Self.number(totalRow[3]), covered, "summary table total (\(e.page))")
                    XCTAssertEqual(Self.number(totalRow[2]), summary["households"]?.int)
                }
                // Gaps: the API's uncovered compounds, most households first.
                let rows = try XCTUnwrap(answer["rows"]?.array)
                let listed = WebPageTests.matches(#"data-compound-id="([^"]+)""#, in: dom)
                let uncovered = rows.filter { $0["covered"]?.bool == false }
                XCTAssertEqual(listed.count, min(100, uncovered.count), e.page)
                XCTAssertEqual(Set(listed).subtracting(uncovered.compactMap { $0["id"]?.string }), [], "a listed gap is covered")
                if e.delta {
                    let changes = try XCTUnwrap(answer["changes"])
                    let delta = try XCTUnwrap(changes["households_delta"]?.int)
                    XCTAssertEqual(Self.number(Self.element("delta-households", in: dom)), delta, e.page)
                    let items = WebPageTests.matches(#"<ol id="changes">(.*?)</ol>"#, in: dom).first ?? ""
                    XCTAssertEqual(items.components(separatedBy: "<li").count - 1, e.page.contains("close=") ? 2 : 1, "the list of changes")
                }
            }
            // English, at a time of day, then the screenshots.
            let (_, english) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/planner?lang=en&walk=true&reach=10min&add=\(add)"])
            XCTAssertTrue(english.contains("<html lang=\"en\""))
            XCTAssertTrue(english.contains("Export scenario"))

            let artifacts = packageRoot.appendingPathComponent(".build/artifacts")
            try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
            for (name, query) in [("planner-coverage", "walk=true&reach=10min"), ("planner-whatif", expectations[1].page)] {
                let shot = artifacts.appendingPathComponent("\(name)-1440x900.png")
                try? FileManager.default.removeItem(at: shot)
                let (status, output) = try await runProgram(chromium, common + ["--screenshot=\(shot.path)", "\(base)/planner?\(query)"])
                XCTAssertEqual(status, 0, output)
                let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
                XCTAssertGreaterThan(size, 20_000, "screenshot missing or empty")
                print("planner screenshot (1440×900): \(shot.path)")
            }
        }
    }

    /// A planner's click: headless Chromium driven over the DevTools protocol (`tools/browser/planner_click.py`) presses
    /// "add a station" and clicks the map; the site the page added (it writes it into its URL) is then asked of
    /// `/v1/whatif` directly, and the page must show that answer's numbers: households covered, the change, its own
    /// table's total. A 1440×900 screenshot of the page after the click is kept.
    func testClickingTheMapAddsAStationWithTheAPIsNumbers() async throws {
        guard let chromium = findProgram("chromium") ?? findProgram("chromium-browser") else {
            throw XCTSkip("chromium (Debian chromium) is not installed; `make deps` installs it")
        }
        guard WebPageTests.leafletInstalled else { throw XCTSkip("libjs-leaflet is not installed; `make deps` installs it") }
        let python = try XCTUnwrap(findProgram("python3"), "python3 is needed to drive the browser")
        let (app, _) = try makeApp(try sampleDatabase(self), refresh: .milliseconds(500))
        let artifacts = packageRoot.appendingPathComponent(".build/artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let shot = artifacts.appendingPathComponent("planner-click-1440x900.png")
        try? FileManager.default.removeItem(at: shot)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let script = packageRoot.appendingPathComponent("tools/browser/planner_click.py").path
            let (status, output) = try await runProgram(python, [script, chromium, base, "walk=true&reach=10min", shot.path])
            XCTAssertEqual(status, 0, output)
            let shown = try JSONValue.parse(try XCTUnwrap(output.split(separator: "\n").last.map(String.init)))
            XCTAssertEqual(shown["state"]?.string, "done")
            XCTAssertEqual(shown["errors"]?.string, "", "the page shows errors")
            XCTAssertEqual(shown["changes"]?.number, 1, "one change listed")
            // The site the click made, as the page put it into its URL.
            let search = try XCTUnwrap(shown["search"]?.string)
            let add = try XCTUnwrap(URLComponents(string: "/planner" + search)?.queryItems?.first { $0.name == "add" }?.value)
            let coordinates = add.split(separator: ",").compactMap { Double($0) }
            XCTAssertEqual(coordinates.count, 2, add)
            let answer = try await client.request("/v1/whatif?walk=true&preset=10min&add=\(add)").body()
            let covered = try XCTUnwrap(answer["summary"]?["households_covered"]?.int)
            XCTAssertEqual(Self.number(shown["covered"]?.string ?? ""), covered, "headline vs /v1/whatif")
            XCTAssertEqual(Self.number(shown["delta"]?.string ?? ""), answer["changes"]?["households_delta"]?.int, "change vs /v1/whatif")
            let total = shown["total"]?.array?.compactMap(\.string) ?? []
            XCTAssertEqual(total.count, 5)
            if total.count == 5 { XCTAssertEqual(Self.number(total[3]), covered, "the page's summed table vs /v1/whatif") }
            // The click did change something to compare: a station at that place covers compounds.
            XCTAssertGreaterThan(answer["changes"]?["added"]?.array?.first?["covers"]?.array?.count ?? 0, 0, "the click's site covers nothing")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 20_000, "screenshot missing or empty")
        print("planner screenshot after a click (1440×900): \(shot.path)")
    }

    /// The first position of a GeoJSON geometry (a polygon's first vertex).
    static func firstPosition(_ geometry: JSONValue?) -> (Double, Double)? {
        var value = geometry?["coordinates"]
        while let first = value?.array?.first {
            if let lon = first.number, let lat = value?.array?.dropFirst().first?.number { return (lon, lat) }
            value = first
        }
        return nil
    }

    /// The text inside the element with `id` (its markup, for rows).
    static func element(_ id: String, in dom: String) -> String {
        WebPageTests.matches(#"id="\#(id)"[^>]*>(.*?)</(?:span|strong|div|tr|p)>"#, in: dom).first ?? "(no #\(id))"
    }

    static func cells(_ row: String) -> [String] { WebPageTests.matches(#"<td>(.*?)</td>"#, in: row) }

    /// "12,345" or "+1,234" as a number.
    static func number(_ text: String) -> Int? { Int(text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "+", with: "")) }
}
