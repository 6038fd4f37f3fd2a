import Foundation
import HTTPTypes
import Hummingbird

/// Security headers of the service's responses ("Safe in front of the public", part 3).
///
/// Every response: `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`. The residents' page (the one
/// HTML response) also: a `Content-Security-Policy` that lets scripts come only from the server (`/static/…`, no inline
/// script, no eval), styles only from the server (`/static/doorstep.css`, no inline styles), images from the server,
/// `data:` and the basemap's host, requests only to the server; and no framing (`frame-ancestors 'none'` and
/// `X-Frame-Options: DENY`).
enum SecurityHeaders {
    /// The headers every response carries.
    static let common: HTTPFields = [
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
    ]

    /// The headers of an HTML page with the basemap of `options`.
    static func page(_ options: WebOptions) -> HTTPFields {
        var fields = common
        fields[.contentSecurityPolicy] = contentSecurityPolicy(tiles: options.tiles)
        fields[.xFrameOptions] = "DENY"
        return fields
    }

    /// The page's policy. `tiles` adds the basemap's origin to `img-src`.
    static func contentSecurityPolicy(tiles: String?) -> String {
        var images = ["'self'", "data:"]
        if let tiles, let source = tileSource(tiles) { images.append(source) }
        return [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + images.joined(separator: " "),
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// The CSP source expression of a Leaflet tile URL template's origin: `https://{s}.tile.example/{z}/{x}/{y}.png` →
    /// `https://*.tile.example`; `https://webrd0{s}.is.autonavi.com/…` → `https://*.is.autonavi.com` (a template in
    /// a host label makes that label and those left of it `*`, CSP's only host wildcard). Nil for a relative template
    /// (the server's own: `'self'` covers it) and for anything not a plain scheme://host[:port], so no text of the
    /// option can add a directive to the policy.
    static func tileSource(_ template: String) -> String? {
        guard let schemeEnd = template.range(of: "://") else { return nil }
        let scheme = template[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        let rest = template[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return nil }
        var host = Substring(authority), port: Substring?
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        var labels = host.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let last = labels.lastIndex(where: { $0.contains("{") || $0.contains("}") }) {
            guard last < labels.count - 2 else { return nil } // `*` must leave at least a domain and its top level
            labels = ["*"] + labels[(last + 1)...]
        }
        let hostChars = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        for (i, label) in labels.enumerated() {
            guard !label.isEmpty, label == "*" ? i == 0 : label.allSatisfy(hostChars.contains) else { return nil }
        }
        var source = scheme + "://" + labels.joined(separator: ".")
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber) else { return nil }
            source += ":" + port
        }
        return source
    }
}

/// Adds ``SecurityHeaders/common`` (`nosniff`, `Referrer-Policy`) to every response, and to an HTML response that has
/// no policy of its own (none does today: the page sets its own) a policy that allows nothing but itself.
/// Belongs in `buildRouter` before `ErrorMiddleware`, so JSON errors carry the headers too, and before the routes
/// (Hummingbird wraps a route only in the middleware added before it).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var fallbackHTMLPolicy: String { "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in SecurityHeaders.common where response.headers[field.name] == nil {
            response.headers.append(field)
        }
        if response.headers[.contentSecurityPolicy] == nil,
           response.headers[.contentType]?.lowercased().hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] = Self.fallbackHTMLPolicy
            response.headers[.xFrameOptions] = "DENY"
        }
        return response
    }
}

// fileprivate: another file may declare the same names without a clash.
fileprivate extension HTTPField.Name {
    static var xFrameOptions: Self { Self("X-Frame-Options")! }
    static var referrerPolicy: Self { Self("Referrer-Policy")! }
}
