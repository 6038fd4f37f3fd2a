import DoorstepGeo
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Options of the residents' web page served at `/` (`doorstep serve --tiles … --tiles-crs …`).
public struct WebOptions: Sendable {
    /// The coordinate system a basemap's tiles are drawn in.
    public enum TileCRS: String, Sendable, CaseIterable {
        /// OpenStreetMap and most of the world: WGS84 (Web Mercator on WGS84).
        case wgs84
        /// Chinese basemaps (Amap/高德, Tencent, Google China): GCJ-02. The page then shifts its own overlay
        /// (stations, route, position, grids …) into GCJ-02 so it lies on the tiles; clicks are shifted back.
        case gcj02
    }

    /// A Leaflet tile URL template (`https://tile.example/{z}/{x}/{y}.png`), or nil for no basemap: the page then
    /// draws only Doorstep's own GeoJSON (ways, grids, compounds, stations).
    public var tiles: String?
    public var tilesCRS: TileCRS
    /// Attribution shown under the map for the basemap.
    public var tilesAttribution: String?
    /// Where Debian's `libjs-leaflet` installs Leaflet.
    public var leafletDirectory: String

    public init(tiles: String? = nil, tilesCRS: TileCRS = .wgs84, tilesAttribution: String? = nil,
                leafletDirectory: String = "/usr/share/javascript/leaflet") {
        self.tiles = tiles
        self.tilesCRS = tilesCRS
        self.tilesAttribution = tilesAttribution
        self.leafletDirectory = leafletDirectory
    }
}

/// The page and its assets.
public enum WebPage {
    /// Media types of the page's files.
    static let html = "text/html; charset=utf-8", javascript = "text/javascript; charset=utf-8", css = "text/css; charset=utf-8"

    /// The page with `options` written into it (the page reads them from `<script type="application/json"
    /// id="doorstep-config">`, a data block the browser never runs; the policy allows no inline script).
    public static func html(_ options: WebOptions) -> String { html(WebAssets.html, options) }

    /// The planners' workbench (`/planner`) with `options` written into it, the same way.
    public static func plannerHTML(_ options: WebOptions) -> String { html(PlannerAssets.html, options) }

    static func html(_ template: String, _ options: WebOptions) -> String {
        let config = JSONValue.object([
            ("tiles", options.tiles.map(JSONValue.string) ?? .null),
            ("tilesCRS", .string(options.tilesCRS.rawValue)),
            ("attribution", options.tilesAttribution.map(JSONValue.string) ?? .null),
        ])
        // Inside <script>, `<` must not start `</script>`: \u003c is the same JSON string.
        let text = config.jsonText.replacingOccurrences(of: "<", with: "\\u003c")
        return template.replacingOccurrences(of: "{{CONFIG}}", with: text)
    }

    /// Whether `GET /` should answer with the page: `?f=html`, or an `Accept` preferring HTML to JSON (a browser
    /// sends `text/html,…,*/*;q=0.8`). `?f=json`, no `Accept`, `*/*` or `application/json` keep the OGC API landing JSON.
    static func wantsHTML(_ request: Request) -> Bool {
        for (key, value) in request.uri.queryParameters where key == "f" {
            return value == "html"
        }
        guard let accept = request.headers[.accept] else { return false }
        var html = 0.0, json = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first else { continue }
            var q = 1.0
            for p in parts.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
            switch type {
            case "text/html", "application/xhtml+xml": html = max(html, q)
            case "application/json", "application/geo+json": json = max(json, q)
            default: break
            }
        }
        return html > 0 && html >= json
    }

    /// URL name under /static/leaflet/ → file in the package (the minified build, 140 KB; 40 KB gzipped).
    static let leafletFiles: [(String, String, String)] = [
        ("leaflet.js", "leaflet.min.js", "text/javascript; charset=utf-8"),
        ("leaflet.css", "leaflet.css", "text/css; charset=utf-8"),
        ("images/layers.png", "images/layers.png", "image/png"),
        ("images/layers-2x.png", "images/layers-2x.png", "image/png"),
        ("images/marker-icon.png", "images/marker-icon.png", "image/png"),
        ("images/marker-icon-2x.png", "images/marker-icon-2x.png", "image/png"),
        ("images/marker-shadow.png", "images/marker-shadow.png", "image/png"),
    ]
}

/// Answers `GET /` with the page when the client prefers HTML; everything else goes on to the routes (the OGC API
/// landing page among them). Added to the router before the routes, so it wraps them.
struct WebPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let page: ByteBuffer
    /// The page's Content-Security-Policy and the other security headers (SecurityHeaders.swift), set here so the
    /// page has them whatever middleware the router has.
    let securityHeaders: HTTPFields

    init(options: WebOptions) {
        page = ByteBuffer(string: WebPage.html(options))
        securityHeaders = SecurityHeaders.page(options)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == "/", request.method == .get || request.method == .head else {
            return try await next(request, context)
        }
        guard WebPage.wantsHTML(request) else {
            var response = try await next(request, context)
            response.headers[.vary] = "Accept"
            return response
        }
        var headers: HTTPFields = [.contentType: WebPage.html, .vary: "Accept", .cacheControl: "no-cache"]
        headers.append(contentsOf: securityHeaders)
        headers[.contentLength] = String(page.readableBytes)
        return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: page))
    }
}

/// `/static/doorstep.js` (the page's script), `/static/doorstep.css` (its styles) and `/static/leaflet/…` (Leaflet from Debian's `libjs-leaflet`, read
/// once from `WebOptions.leafletDirectory`; only the files named here are served, so no path reaches the disk).
struct WebController<Context: RequestContext>: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let body: ByteBuffer
        /// The `.gz` the Debian package ships next to it, served to clients accepting gzip.
        let gzip: ByteBuffer?
    }

    let script: Asset
    let stylesheet: Asset
    /// The planners' workbench: its page (served with the page's security headers) and its script and styles.
    let plannerPage: ByteBuffer
    let plannerHeaders: HTTPFields
    let plannerScript: Asset
    let plannerStylesheet: Asset
    let leaflet: [String: Asset]
    let leafletDirectory: String

    init(options: WebOptions) {
        script = Asset(contentType: WebPage.javascript, body: ByteBuffer(string: WebAssets.script), gzip: nil)
        stylesheet = Asset(contentType: WebPage.css, body: ByteBuffer(string: WebAssets.css), gzip: nil)
        plannerPage = ByteBuffer(string: WebPage.plannerHTML(options))
        var headers: HTTPFields = [.contentType: WebPage.html, .cacheControl: "no-cache"]
        headers.append(contentsOf: SecurityHeaders.page(options))
        plannerHeaders = headers
        plannerScript = Asset(contentType: WebPage.javascript, body: ByteBuffer(string: PlannerAssets.script), gzip: nil)
        plannerStylesheet = Asset(contentType: WebPage.css, body: ByteBuffer(string: PlannerAssets.css), gzip: nil)
        var files: [String: Asset] = [:]
        let dir = URL(fileURLWithPath: options.leafletDirectory)
        for (name, file, type) in WebPage.leafletFiles {
            guard let data = try? Data(contentsOf: dir.appendingPathComponent(file)) else { continue }
            let gz = type.hasPrefix("image/") ? nil : try? Data(contentsOf: dir.appendingPathComponent(file + ".gz"))
            files[name] = Asset(contentType: type, body: ByteBuffer(bytes: data), gzip: gz.map { ByteBuffer(bytes: $0) })
        }
        leaflet = files
        leafletDirectory = options.leafletDirectory
    }

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("/static/doorstep.js") { request, _ in
            _ = try QueryParameters(request, allowed: ["v"])
            return Self.serve(script, request, maxAge: 300)
        }
        routes.readOnly("/static/doorstep.css") { request, _ in
            _ = try QueryParameters(request, allowed: ["v"])
            return Self.serve(stylesheet, request, maxAge: 300)
        }
        routes.readOnly("/planner") { request, _ in
            // The page reads its own query (options and scenario); the server accepts any.
            var headers = plannerHeaders
            headers[.contentLength] = String(plannerPage.readableBytes)
            return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: plannerPage))
        }
        routes.readOnly("/static/planner.js") { request, _ in
            _ = try QueryParameters(request, allowed: ["v"])
            return Self.serve(plannerScript, request, maxAge: 300)
        }
        routes.readOnly("/static/planner.css") { request, _ in
            _ = try QueryParameters(request, allowed: ["v"])
            return Self.serve(plannerStylesheet, request, maxAge: 300)
        }
        routes.readOnly("/static/leaflet/**") { request, context in
            let name = context.parameters.getCatchAll().joined(separator: "/")
            guard let asset = leaflet[name] else {
                let known = WebPage.leafletFiles.contains { $0.0 == name }
                throw APIError(.notFound, code: "not_found", known
                    ? "Leaflet is not installed at \(leafletDirectory): install Debian's libjs-leaflet (make deps)"
                    : "no such file: /static/leaflet/\(QueryParameters.clip(name))")
            }
            return Self.serve(asset, request, maxAge: 86_400)
        }
        return routes
    }

    static func serve(_ asset: Asset, _ request: Request, maxAge: Int) -> Response {
        var headers: HTTPFields = [.contentType: asset.contentType, .cacheControl: "public, max-age=\(maxAge)"]
        headers.append(contentsOf: SecurityHeaders.common) // nosniff: a script or stylesheet only as what it says it is
        var body = asset.body
        if let gz = asset.gzip {
            headers[.vary] = "Accept-Encoding"
            if request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true {
                headers[.contentEncoding] = "gzip"
                body = gz
            }
        }
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : .init(byteBuffer: body))
    }
}
