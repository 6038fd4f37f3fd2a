import DoorstepGeo
import DoorstepTestSupport
@testable import DoorstepHTTP
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// The page treats data as text and is served with a Content-Security-Policy ("Safe in front of the public", part 3).
extension WebPageTests {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static var quietLogger: Logger { var l = Logger(label: "doorstep.http.test"); l.logLevel = .warning; return l }

    /// The directives of a Content-Security-Policy header, by name.
    static func directives(_ policy: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for part in policy.split(separator: ";") {
            let words = part.split(separator: " ").map(String.init)
            guard let name = words.first else { continue }
            out[name.lowercased()] = Array(words.dropFirst())
        }
        return out
    }

    /// The page's headers, and a page with no inline script, inline style or event-handler attribute for the policy
    /// to have to allow.
    func testPageSecurityHeaders() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            for request in [("/", HTTPRequest.Method.get), ("/", .head), ("/?f=html", .get)] {
                let page = try await client.request(request.0, request.1, headers: [.accept: Self.browserAccept])
                XCTAssertEqual(page.contentType, "text/html; charset=utf-8")
                let policy = try XCTUnwrap(page.headers[.contentSecurityPolicy], "no CSP on \(request)")
                let d = Self.directives(policy)
                XCTAssertEqual(d["script-src"], ["'self'"], policy)
                XCTAssertEqual(d["style-src"], ["'self'"], policy)
                XCTAssertEqual(d["object-src"], ["'none'"], policy)
                XCTAssertEqual(d["base-uri"], ["'none'"], policy)
                XCTAssertEqual(d["frame-ancestors"], ["'none'"], policy)
                XCTAssertEqual(d["connect-src"], ["'self'"], policy)
                XCTAssertEqual(d["default-src"], ["'none'"], policy)
                XCTAssertEqual(Set(d["img-src"] ?? []), ["'self'", "data:"], policy)
                XCTAssertFalse(policy.contains("unsafe"), policy)
                XCTAssertEqual(page.headers[.xContentTypeOptions], "nosniff")
                XCTAssertEqual(page.headers[Self.xFrameOptions], "DENY")
                XCTAssertEqual(page.headers[Self.referrerPolicy], "no-referrer")
            }
            let html = try await client.request("/?f=html").text
            // Every <script> loads a file from the server or is a JSON data block the browser does not run.
            let scripts = Self.matches(#"<script([^>]*)>"#, in: html)
            XCTAssertEqual(scripts.count, 3)
            for attributes in scripts {
                XCTAssertTrue(attributes.contains("src=\"/static/") || attributes.contains("type=\"application/json\""), attributes)
            }
            XCTAssertEqual(Self.matches(#"<script src="[^"]*">(.*?)</script>"#, in: html), ["", ""])
            XCTAssertFalse(html.contains("<style"), "inline styles would need 'unsafe-inline'")
            XCTAssertNil(html.range(of: #"\sstyle="#, options: .regularExpression), "style attributes would need 'unsafe-inline'")
            XCTAssertNil(html.range(of: #"\son[a-z]+="#, options: .regularExpression), "event-handler attributes are inline script")
        }
        // The script hands no string to an HTML parser: none of the APIs that parse HTML, no string divIcon.
        for api in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "bindPopup", "setContent", "eval(",
                    "new Function", "html: '", "html: \"", "javascript:", "setAttribute(\"style", ".cssText"] {
            XCTAssertFalse(WebAssets.script.contains(api), "doorstep.js uses \(api)")
        }
    }

    /// The basemap's origin joins img-src, and no text of the option can add a directive.
    func testTilesOriginInPolicy() {
        let cases: [(String, String?)] = [
            ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
            ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
            ("https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}", "https://*.is.autonavi.com"),
            ("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
            ("HTTPS://Tiles.Example.COM/{z}/{x}/{y}.png", "https://tiles.example.com"),
            ("/tiles/{z}/{x}/{y}.png", nil),
            ("https://a.example; script-src *; x/{z}/{x}/{y}.png", nil),
            ("https://a.example 'unsafe-inline'/{z}.png", nil),
            ("javascript:alert(1)//{z}", nil),
            ("https://user@tiles.example/{z}.png", nil),
            ("https://{s}.com/{z}.png", nil),
            ("https://tiles.example:80a/{z}.png", nil),
        ]
        for (template, expected) in cases {
            XCTAssertEqual(SecurityHeaders.tileSource(template), expected, template)
            let d = Self.directives(SecurityHeaders.contentSecurityPolicy(tiles: template))
            XCTAssertEqual(d["img-src"], ["'self'", "data:"] + (expected.map { [$0] } ?? []), template)
            XCTAssertEqual(d["script-src"], ["'self'"], template)
            XCTAssertEqual(d.count, 9, template)
        }
    }

    /// `SecurityHeadersMiddleware` as registered in front of the routes: nosniff and Referrer-Policy on JSON answers
    /// and errors, the page's own policy kept.
    func testSecurityHeadersMiddleware() async throws {
        let data = try StoreData(address: try sampleDatabase(self), refreshInterval: .zero)
        let app = Application(responder: Watched(inner: buildRouter(data: data).buildResponder(), log: RequestLog()),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.quietLogger)
        try await app.test(.router) { client in
            for (uri, status) in [("/health", HTTPResponse.Status.ok), ("/nope", .notFound), ("/v1/nearest?lon=x", .badRequest),
                                  ("/static/doorstep.js", .ok)] {
                let r = try await client.request(uri)
                XCTAssertEqual(r.status, status, uri)
                XCTAssertEqual(r.headers[.xContentTypeOptions], "nosniff", uri)
                XCTAssertEqual(r.headers[Self.referrerPolicy], "no-referrer", uri)
                XCTAssertEqual(r.headers[values: .xContentTypeOptions].count, 1, "one nosniff on \(uri)")
                XCTAssertNil(r.headers[.contentSecurityPolicy], "JSON and scripts need no policy: \(uri)")
            }
            let page = try await client.request("/", headers: [.accept: Self.browserAccept])
            XCTAssertEqual(page.headers[values: .contentSecurityPolicy], [SecurityHeaders.contentSecurityPolicy(tiles: nil)])
        }
    }

    /// Stations with hostile names, addresses, services, kinds, ids and phones, a hostile attribution and hostile
    /// URL parameters: headless Chromium shows them as text, no injected script runs (it would mark `<html>`, change
    /// the title or request `/pwned/…` from the server, which the test watches), no `javascript:` URL reaches an
    /// href, and the page reports no CSP violation.
    func testBrowserShowsHostileDataAsText() async throws {
        guard let chromium = findProgram("chromium") ?? findProgram("chromium-browser") else {
            throw XCTSkip("chromium (Debian chromium) is not installed; `make deps` installs it")
        }
        guard Self.leafletInstalled else { throw XCTSkip("libjs-leaflet is not installed; `make deps` installs it") }
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)

        func pwn(_ tag: String) -> String { "document.documentElement.setAttribute('data-pwned','\(tag)');document.title='PWNED';fetch('/pwned/\(tag)')" }
        let names = [
            "<img src=/pwned/img0 onerror=\"\(pwn("img"))\">",
            "<script>\(pwn("script"))</script>站",
            "\"><svg onload=\"\(pwn("svg"))\"><b>粗</b>",
            // (Control characters other than tab and line breaks are refused at import: HostileInputTests.)
            "'单引号' \"双引号\" \\反\\斜杠\\ \t制表\n换行 控制",
            "javascript:alert(1)",
            "</span></li><li data-station-id=\"fake\">{n} $& $' ${x}",
            "<iframe src=/pwned/iframe></iframe>",
            "<a href=\"javascript:\(pwn("a"))\">点我</a>",
            "普通站点",
        ]
        let attack = "<img src=/pwned/extra onerror=\"\(pwn("extra"))\">"
        let phones = ["javascript:\(pwn("tel"))", "025-8765 4321", "+86 (25) 1234.5678", "tel:1;javascript:alert(1)", attack]
        // Only what looks like a phone number becomes a link, with only digits, + and - in it.
        let phoneLinks = ["025-8765 4321": "tel:025-87654321", "+86 (25) 1234.5678": "tel:+862512345678"]
        var features: [JSONValue] = []
        for (i, name) in names.enumerated() {
            var properties: [(String, JSONValue)] = [
                ("id", .string(i == 2 ? "x\"><img src=/pwned/id onerror=\"\(pwn("id"))\">" : "H\(i)")),
                ("name", .string(name)),
                ("kind", .string(["center", attack, "constructor", "__proto__"][i % 4])),
                ("services", .array([.string("water"), .string(i == 1 ? attack : "toString")])),
                ("address", .string(i == 3 ? "javascript:alert(1)" : attack)),
                ("hours", .string("Mo-Su 00:00-24:00")),
            ]
            properties.append(("phone", .string(phones[i % phones.count])))
            features.append(.object([
                ("type", "Feature"),
                ("geometry", .object([("type", "Point"), ("coordinates", .array([.number(118.779 + 0.0004 * Double(i + 1)), .number(32.044 + 0.0002 * Double(i % 3))]))])),
                ("properties", .object(properties)),
            ]))
        }
        let file = dir.appendingPathComponent("hostile.geojson")
        try JSONValue.object([("type", "FeatureCollection"), ("features", .array(features))]).jsonText.write(to: file, atomically: true, encoding: .utf8)
        try importInto(path, ImportOptions(layer: .stations, file: file, replace: true))

        let attribution = "\(attack) © 测试 https://example.org/copyright & <b>bold</b>"
        let web = WebOptions(tiles: "/tiles/{z}/{x}/{y}.png", tilesAttribution: attribution)
        let data = try StoreData(address: path, refreshInterval: .zero)
        let log = RequestLog()
        let app = Application(responder: Watched(inner: buildRouter(data: data, web: web).buildResponder(), log: log),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.quietLogger)
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            let head = try await client.request("/", .head, headers: [.accept: Self.browserAccept])
            XCTAssertNotNil(head.headers[.contentSecurityPolicy], "no CSP on /")
            let common = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
                          "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--virtual-time-budget=10000"]
            let (status, dom) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/?lon=118.779&lat=32.044"])
            XCTAssertEqual(status, 0, String(dom.suffix(2000)))
            XCTAssertTrue(dom.contains("data-state=\"done\""), "the search did not finish:\n\(dom.suffix(3000))")
            Self.assertNotPwned(dom, log)
            let errors = Self.matches(#"<div id="errors"[^>]*>(.*?)</div>"#, in: dom).first ?? "?"
            XCTAssertEqual(errors, "", "the page shows errors (CSP violations among them)")

            // (b) The list: /v1/nearest's stations in its order, each name exactly as imported, as text.
            let api = try await client.request("/v1/nearest?lon=118.779&lat=32.044&k=8&walk=true")
            let expected = try XCTUnwrap(api.body()["stations"]?.array)
            let items = Self.matches(#"(<li data-station-id=.*?</li>)"#, in: dom)
            XCTAssertEqual(items.count, 8)
            XCTAssertEqual(items.compactMap { Self.matches(#"^<li data-station-id="([^"]*)""#, in: $0).first.map(Self.unescape) },
                           expected.compactMap { $0["id"]?.string })
            let listedNames = items.compactMap { Self.matches(#"<h2><span class="n">\d+\.</span><span>(.*?)</span>"#, in: $0).first.map(Self.unescape) }
            XCTAssertEqual(listedNames, expected.compactMap { $0["name"]?.string })
            XCTAssertEqual(Set(listedNames).intersection(names).count, 8, "names changed on the way: \(listedNames)")
            // Kind and services (translated only when they are the contract's: "constructor" is not), address, and a
            // phone that is no phone number shown as text, not as a link.
            for (item, station) in zip(items, expected) {
                let meta = Self.matches(#"<p class="meta">(.*?)</p>"#, in: item).map(Self.unescape)
                let i = try XCTUnwrap(names.firstIndex(of: station["name"]?.string ?? ""))
                let kind = ["服务中心", attack, "constructor", "__proto__"][i % 4]
                XCTAssertEqual(meta.first, "\(kind) | 饮水 · \(i == 1 ? attack.lowercased() : "tostring")", "station \(i)")
                XCTAssertTrue(meta.contains("地址: \(i == 3 ? "javascript:alert(1)" : attack)"), "station \(i): \(meta)")
                let phone = try XCTUnwrap(station["phone"]?.string)
                if let href = phoneLinks[phone] {
                    XCTAssertEqual(Self.matches(#"<a class="btn" href="([^"]*)""#, in: item), [href], "station \(i)")
                } else {
                    XCTAssertTrue(meta.contains("电话: \(phone)"), "station \(i): \(meta)")
                    XCTAssertEqual(Self.elements("a", in: item).count, 0, "station \(i)")
                }
            }

            // Tooltips and pins on the map: the chosen station's name (a permanent tooltip), every pin's title.
            let tooltips = Self.matches(#"<div class="leaflet-tooltip name[^"]*"[^>]*><span>(.*?)</span></div>"#, in: dom).map(Self.unescape)
            XCTAssertEqual(tooltips, [try XCTUnwrap(expected.first?["name"]?.string)])
            let titles = Self.elements("div", in: dom).filter { $0["class"]?.hasPrefix("leaflet-marker-icon") == true }.map { $0["title"] }
            XCTAssertEqual(titles.count, 9, "8 stations and the position")
            XCTAssertEqual(Set(titles.compactMap { $0 }), Set(listedNames + ["你的位置"]))

            // Links (<a> elements; text holding `<a href=…>` is text): tel: with only digits, + and -; Leaflet's zoom buttons,
            // the attribution's URLs; nothing else.
            let hrefs = Self.elements("a", in: dom).compactMap { $0["href"] }
            XCTAssertEqual(Set(hrefs.filter { $0.hasPrefix("tel:") }), Set(expected.compactMap { phoneLinks[$0["phone"]?.string ?? ""] }))
            XCTAssertFalse(hrefs.filter { $0.hasPrefix("tel:") }.isEmpty, "phone links missing")
            for href in hrefs {
                XCTAssertTrue(href.range(of: #"^tel:[0-9+\-]+$"#, options: .regularExpression) != nil || href == "#" ||
                              href == "https://leafletjs.com" || href == "https://example.org/copyright", "unexpected href \(href)")
            }
            // The attribution: the operator's text as text, its URL a link.
            let credit = try XCTUnwrap(Self.matches(#"<div class="leaflet-control-attribution[^"]*">(.*?)</div>"#, in: dom).first)
            // Then the data's own credits (the landing page's attribution), as text too.
            let landing = try await client.request("/?f=json").body()
            let dataCredit = try XCTUnwrap(landing["attribution"]?.string)
            XCTAssertTrue(dataCredit.contains("source: hostile.geojson"), dataCredit)
            XCTAssertEqual(Self.unescape(credit.replacingOccurrences(of: #"<a [^>]*>|</a>|<span [^>]*>|</span>"#, with: "", options: .regularExpression)),
                           "Leaflet | \(attribution) | \(dataCredit)")
            XCTAssertTrue(credit.contains("href=\"https://example.org/copyright\""), credit)

            // Hostile URL parameters: the page ignores what it does not know and runs nothing.
            let query = "lon=118.779&lat=32.044&lang=constructor&open_now=%3Cscript%3E&service=" +
                (attack + ",water").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (_, second) = try await runProgram(chromium, common + ["--dump-dom", "\(base)/?\(query)"])
            XCTAssertTrue(second.contains("<html lang=\"zh-CN\""), "an unknown language falls back to Chinese")
            XCTAssertTrue(second.contains("data-state=\"done\""), "the search did not finish:\n\(second.suffix(3000))")
            XCTAssertEqual(Self.matches(#"<div id="errors"[^>]*>(.*?)</div>"#, in: second).first, "")
            Self.assertNotPwned(second, log)
            XCTAssertTrue(log.paths.contains("/v1/nearest"), "the test saw no request at all: \(log.paths)")
            XCTAssertTrue(log.paths.contains { $0.hasPrefix("/tiles/") }, "the basemap was not requested (blocked by CSP?)")
        }
    }

    /// No injected script ran, no injected element exists.
    static func assertNotPwned(_ dom: String, _ log: RequestLog, file: StaticString = #filePath, line: UInt = #line) {
        let root = matches(#"(<html[^>]*>)"#, in: dom).first ?? ""
        XCTAssertFalse(root.contains("pwned"), "injected script ran: \(root)", file: file, line: line)
        XCTAssertEqual(matches(#"<title>(.*?)</title>"#, in: dom).first, "家门口 · 附近的服务站", file: file, line: line)
        XCTAssertEqual(log.paths.filter { $0.contains("pwned") }, [], "injected markup made requests", file: file, line: line)
        for element in ["<img src=\"/pwned", "<svg onload", "<iframe", "<script>", "<b>", "<li data-station-id=\"fake\""] {
            XCTAssertFalse(dom.contains(element), "data became markup: \(element)", file: file, line: line)
        }
    }

    /// The attributes of every `<tag …>` in serialized HTML (values unescaped).
    static func elements(_ tag: String, in html: String) -> [[String: String]] {
        matches(#"<\#(tag)((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*/?>"#, in: html).map { attributes in
            var out: [String: String] = [:]
            for pair in matchPairs(#"([a-zA-Z-]+)(?:="([^"]*)")?"#, in: attributes) { out[pair.0] = unescape(pair.1) }
            return out
        }
    }

    static func matchPairs(_ pattern: String, in text: String) -> [(String, String)] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            guard let name = Range(m.range(at: 1), in: text) else { return nil }
            return (String(text[name]), Range(m.range(at: 2), in: text).map { String(text[$0]) } ?? "")
        }
    }

    /// Text of serialized HTML (Chromium escapes &, <, >, " and no-break space).
    static func unescape(_ html: String) -> String {
        html.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&nbsp;", with: "\u{A0}")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// The paths of the requests a server received.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ path: String) { lock.withLock { list.append(path) } }
    var paths: [String] { lock.withLock { list } }
}

/// The service's router with `SecurityHeadersMiddleware` in front of it (as `buildRouter` registers it) and every
/// request's path logged.
struct Watched<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    let inner: Inner
    let log: RequestLog

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        log.add(request.uri.path)
        return try await SecurityHeadersMiddleware().handle(request, context: context) { try await inner.respond(to: $0, context: $1) }
    }
}
