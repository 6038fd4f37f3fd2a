import DoorstepGeo
import Foundation
import HTTPTypes
import Hummingbird

/// Refuses, before any route runs, what no route should see:
///
/// - a method other than GET, HEAD, OPTIONS (405 with `Allow`, on every path: the API only reads; also `QUERY`,
///   `CONNECT` and invented methods, which the router would otherwise answer 404);
/// - a request target over `maxURILength` bytes (414);
/// - a NUL byte in the path or query, raw or as `%00` (400): text is never cut at NUL, and no identifier contains one;
/// - a body on GET or HEAD (400 `body_not_allowed`; the connection is closed after the answer, so the body is never
///   read — `HTTP1RequestGuard`), and a declared body over `maxBodyLength` on any method (413).
///
/// Header size is bounded below this by SwiftNIO's HTTP parser (80 KB).
struct RequestGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    var maxURILength = 8192
    var maxBodyLength = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method
        guard method == .get || method == .head || method == .options else {
            throw APIError.methodNotAllowed(method, request.uri.path)
        }
        let target = request.uri.string.utf8
        if target.count > maxURILength {
            throw APIError(.uriTooLong, code: "uri_too_long", "the request target is longer than \(maxURILength) bytes")
        }
        if Self.containsNUL(target) {
            throw APIError(.badRequest, code: "invalid_parameter", "the request target contains a NUL character (%00)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), length > maxBodyLength {
            throw APIError(.contentTooLarge, code: "payload_too_large", "request bodies are limited to \(maxBodyLength) bytes")
        }
        let declaresBody = request.headers[.transferEncoding] != nil
            || request.headers[.contentLength].map { $0.trimmingCharacters(in: .whitespaces) != "0" } ?? false
        if declaresBody && method != .options {
            throw APIError(.badRequest, code: "body_not_allowed", "\(method.rawValue) requests carry no body")
        }
        return try await next(request, context)
    }

    /// A raw NUL or `%00` anywhere in the target.
    static func containsNUL(_ target: String.UTF8View) -> Bool {
        var percent = 0 // 0: outside an escape; 1: after `%`; 2: after `%0`
        for b in target {
            if b == 0 { return true }
            switch (percent, b) {
            case (_, UInt8(ascii: "%")): percent = 1
            case (1, UInt8(ascii: "0")): percent = 2
            case (2, UInt8(ascii: "0")): return true
            default: percent = 0
            }
        }
        return false
    }
}

/// `ETag` on every successful GET/HEAD answer that depends only on the database generation (and the representation),
/// and `304 Not Modified` when the client's `If-None-Match` already holds it. Left out where the answer depends on
/// the clock: `/health`, `/livez`, `/metrics`, and `/v1/nearest` unless `open_at` fixes the time (its `open` field is evaluated
/// now). The tag is weak (`W/"g<generation>-<representation>"`): features pages carry a `timeStamp` of their own.
/// When an import commits while the answer is made, the answer gets no tag.
struct GenerationETagMiddleware<Context: RequestContext>: RouterMiddleware {
    let data: any DoorstepData

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head, Self.taggable(request) else {
            return try await next(request, context)
        }
        let before = try await data.snapshot()
        var response = try await next(request, context)
        guard response.status == .ok, response.headers[.eTag] == nil else { return response }
        let after = try await data.snapshot()
        guard before.generation == after.generation, before.source == after.source else { return response }
        let tag = Self.tag(generation: after.generation, source: after.source, response: response)
        response.headers[.eTag] = tag
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-cache" }
        if let wanted = request.headers[.ifNoneMatch], Self.matches(wanted, tag) {
            var headers = HTTPFields()
            for name in [HTTPField.Name.eTag, .cacheControl, .vary, .contentLocation, .accessControlAllowOrigin] {
                if let value = response.headers[name] { headers[name] = value }
            }
            return Response(status: .notModified, headers: headers)
        }
        return response
    }

    static func taggable(_ request: Request) -> Bool {
        let path = request.uri.path
        if path == "/health" || path == "/livez" || path == "/metrics" { return false }
        if path == "/v1/nearest" {
            return request.uri.queryParameters["open_at"] != nil
        }
        return true
    }

    /// The tag of a response of `generation` read from the file `source`, made by this process: the representation
    /// (type and encoding) is part of it, so the HTML and JSON forms of `/` never share a tag; the file, so a database
    /// replaced by another of the same generation does not either; and the process, so a restart with other options
    /// or a new Doorstep (the page, its script, `/api`) does not answer 304 for what it no longer serves.
    static func tag(generation: Int, source: String, response: Response) -> String {
        var hash: UInt32 = 2_166_136_261 // FNV-1a
        for b in (response.headers[.contentType] ?? "").utf8 + [0] + (response.headers[.contentEncoding] ?? "").utf8 + [0]
            + source.utf8 + [0] + serverProcessToken.utf8 {
            hash = (hash ^ UInt32(b)) &* 16_777_619
        }
        return "W/\"g\(generation)-\(String(hash, radix: 16))\""
    }


    /// `If-None-Match`: `*`, or a list of tags compared weakly (RFC 9110 §13.1.2).
    static func matches(_ header: String, _ tag: String) -> Bool {
        func opaque(_ t: Substring) -> Substring {
            let trimmed = t.drop { $0 == " " || $0 == "\t" }
            return trimmed.hasPrefix("W/") ? trimmed.dropFirst(2) : trimmed
        }
        let mine = String(opaque(Substring(tag)))
        for part in header.split(separator: ",") {
            let p = opaque(part).trimmingCharacters(in: .whitespaces)
            if p == "*" || p == mine { return true }
        }
        return false
    }
}

/// Makes `pool` the analysis pool of the requests of one router (`AnalysisPool.current`) — only on the paths that
/// analyse (`/v1/…` but nearest, `/collections/coverage…`, `/collections/service-areas…`), so `/v1/nearest` and pages pay nothing for it.
struct AnalysisPoolMiddleware<Context: RequestContext>: RouterMiddleware {
    let pool: AnalysisPool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let analyses = (path.hasPrefix("/v1/") && path != "/v1/nearest") || path.hasPrefix("/collections/coverage")
            || path.hasPrefix("/collections/service-areas")
        guard analyses, pool !== AnalysisPool.shared || AnalysisPool.current !== AnalysisPool.shared else {
            return try await next(request, context)
        }
        return try await AnalysisPool.$current.withValue(pool) { try await next(request, context) }
    }
}

/// Differs between runs of the server (ETags).
let serverProcessToken = String(UInt64.random(in: 0...UInt64.max), radix: 36)
