import DoorstepGeo
import Foundation
import HTTPTypes
import Hummingbird

/// A JSON response.
func jsonResponse(_ value: JSONValue, contentType: String = MediaTypes.json, status: HTTPResponse.Status = .ok) -> Response {
    var out = JSONBytes(capacity: 2048)
    out.value(value)
    return jsonResponse(out, contentType: contentType, status: status)
}

/// A response holding JSON text already written.
func jsonResponse(_ json: JSONBytes, contentType: String = MediaTypes.json, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
}

extension RouterMethods {
    /// Registers a read-only route: `handler` for GET (HEAD comes from the router's `autoGenerateHeadEndpoints`), an
    /// OPTIONS answer for CORS preflight, and 405 with `Allow` for the methods that would change something.
    @discardableResult
    func readOnly(_ path: RouterPath, use handler: @Sendable @escaping (Request, Context) async throws -> Response) -> Self {
        get(path, use: handler)
        on(path, method: .options) { _, _ in
            Response(status: .noContent, headers: [.allow: APIError.allowedMethods])
        }
        for method in [HTTPRequest.Method.post, .put, .delete, .patch, .trace] {
            on(path, method: method) { request, _ -> Response in
                throw APIError.methodNotAllowed(request.method, request.uri.path)
            }
        }
        return self
    }
}

/// Absolute links for the features API: OGC clients (GDAL, QGIS) follow `href`s as given.
struct LinkBuilder {
    /// `http://host:port` as the client addressed the server.
    let base: String

    /// The base from the request's Host (validated: a host name or address and a port, nothing else), else `fallback`.
    init(request: Request, fallback: String) {
        self.init(authority: request.head.authority, fallback: fallback)
    }

    init(authority host: String?, fallback: String) {
        if let host, !host.isEmpty, host.utf8.count <= 255, host.utf8.allSatisfy(LinkBuilder.isHostByte) {
            base = "http://" + host
        } else {
            base = fallback
        }
    }

    /// Letters, digits and `.-:[]`: a host name or address and a port, nothing else.
    private static func isHostByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"): return true
        default: return false
        }
    }

    init(base: String) { self.base = base }

    /// `base` + `path` (already encoded) + the query made of `query` (encoded here).
    func url(_ path: String, query: [(String, String)] = []) -> String {
        var out = base + path
        if !query.isEmpty {
            out += "?" + query.map { "\(LinkBuilder.encode($0.0))=\(LinkBuilder.encode($0.1, keepCommas: true))" }.joined(separator: "&")
        }
        return out
    }

    /// Percent-encodes a path segment or query component: everything but RFC 3986 unreserved characters, so a way id
    /// `way/27811140` becomes `way%2F27811140` and an entrance id `entrances#3` becomes `entrances%233`.
    /// `keepCommas` leaves `,` as is in query values (`bbox=118.77,32.03,…` stays readable; RFC 3986 allows it there).
    static func encode(_ text: String, keepCommas: Bool = false) -> String {
        func unreserved(_ b: UInt8) -> Bool {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): return true
            case UInt8(ascii: ","): return keepCommas
            default: return false
            }
        }
        if text.utf8.allSatisfy(unreserved) { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count * 3)
        for b in text.utf8 {
            if unreserved(b) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func link(_ href: String, rel: String, type: String, title: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("href", .string(href)), ("rel", .string(rel)), ("type", .string(type))]
        if let title { members.append(("title", .string(title))) }
        return .object(members)
    }
}
