import DoorstepGeo
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// An error the client sees as JSON `{"code": "...", "description": "..."}` with a status that says whose fault it was.
///
/// The one table from faults to statuses (STYLE.md, "one table maps domain errors to statuses"):
///
/// | fault | status | code |
/// |---|---|---|
/// | a parameter that cannot be read (`lon=abc`, `bbox` with 3 numbers, unknown parameter, `k=2.5`) | 400 | `invalid_parameter`, `missing_parameter`, `unknown_parameter` |
/// | no such route, collection or feature | 404 | `not_found` |
/// | a method other than GET, HEAD, OPTIONS on a known route | 405 | `method_not_allowed` |
/// | a readable value out of range (`lat=95`, `k=1000000`, `limit=0`) | 422 | `out_of_range` |
/// | stations that do not qualify or are too many, a point off the network, an analysis that cannot be made | 422 | `unknown_station`, `too_many_stations`, `unreachable`, `not_computable` |
/// | a request line or body over the limits | 414, 413 | `uri_too_long`, `payload_too_large` |
/// | walking distances asked before the walking network exists | 501 | `not_implemented` |
/// | the database cannot be read (being replaced, disk) | 503 | `unavailable` |
/// | a bug | 500 | `internal_error` |
public struct APIError: HTTPResponseError, CustomStringConvertible, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let description: String
    /// Extra response headers (`Allow` on 405).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ description: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response
    }

    /// The JSON response of this error.
    public var response: Response {
        let body = JSONValue.object([("code", .string(code)), ("description", .string(description))]).jsonText
        var headers = self.headers
        headers[.contentType] = MediaTypes.json
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: The cases

    /// 400: a parameter that cannot be read.
    static func invalid(_ parameter: String, _ problem: String) -> APIError {
        APIError(.badRequest, code: "invalid_parameter", "\(parameter): \(problem)")
    }

    /// 400: a required parameter is missing.
    static func missing(_ parameter: String, _ hint: String) -> APIError {
        APIError(.badRequest, code: "missing_parameter", "\(parameter) is required: \(hint)")
    }

    /// 422: a value that was read but is out of range.
    static func outOfRange(_ parameter: String, _ problem: String) -> APIError {
        APIError(.unprocessableContent, code: "out_of_range", "\(parameter): \(problem)")
    }

    /// 404.
    static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", what)
    }

    /// 405 for a route that only reads.
    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> APIError {
        APIError(.methodNotAllowed, code: "method_not_allowed",
                 "\(method.rawValue) is not allowed on \(path); this API only reads (GET, HEAD, OPTIONS)",
                 headers: [.allow: allowedMethods])
    }

    static let allowedMethods = "GET, HEAD, OPTIONS"

    /// A use case's refusal (`UseCases/`), in the table above: parameters the API names as they are.
    init(_ error: UseCaseError) {
        let text = error.message(naming: { $0 })
        switch error.kind {
        case .outOfRange: self.init(.unprocessableContent, code: "out_of_range", text)
        case .invalid, .conflict: self.init(.badRequest, code: "invalid_parameter", text)
        case .unknownStation: self.init(.unprocessableContent, code: "unknown_station", text)
        case .tooManyStations: self.init(.unprocessableContent, code: "too_many_stations", text)
        case .noWalkingNetwork: self.init(.notImplemented, code: "not_implemented", text)
        case .unreachable: self.init(.unprocessableContent, code: "unreachable", text)
        case .notComputable: self.init(.unprocessableContent, code: "not_computable", text)
        }
    }
}

/// Media types the service writes.
enum MediaTypes {
    static let json = "application/json"
    static let geoJSON = "application/geo+json"
    static let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    static let openAPI = "application/vnd.oai.openapi+json;version=3.0"
}

/// Turns every error into a JSON error response, so nothing reaches the client as Hummingbird's plain-text error or
/// a bare 500. Errors that are not the client's fault are logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where store failures are counted (`/metrics`).
    var metrics: ServiceMetrics? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as UseCaseError {
            return APIError(error).response
        } catch let error as HTTPError where error.status == .notFound {
            // Hummingbird's answer for a path no route matches.
            return APIError.notFound("no route \(request.uri.path); the API is described at /api").response
        } catch let error as any HTTPResponseError {
            return APIError(error.status, code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                            error.status.reasonPhrase).response
        } catch let error as EmptyStore {
            return APIError(.notFound, code: "empty", error.description).response
        } catch let error as any StoreFailure {
            metrics?.storeError()
            context.logger.error("database error on \(request.method) \(request.uri): \(error)")
            return APIError(.serviceUnavailable, code: "unavailable", "the database could not be read; try again").response
        } catch {
            context.logger.error("internal error on \(request.method) \(request.uri): \(error)")
            return APIError(.internalServerError, code: "internal_error", "internal error").response
        }
    }
}

/// `Access-Control-Allow-Origin: *` on every response (the API is public and read-only, so browser map tools on any
/// origin may read it), and the preflight headers on OPTIONS.
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = "*"
        if request.method == .options {
            response.headers[.accessControlAllowMethods] = APIError.allowedMethods
            response.headers[.accessControlAllowHeaders] = "Accept, Content-Type, Origin"
            response.headers[.accessControlMaxAge] = "86400"
        }
        return response
    }
}

/// How `doorstep serve` writes its access log (`--access-log`).
public enum AccessLogFormat: String, Sendable, CaseIterable {
    /// One line per request through swift-log on standard error: method, target, status, time.
    case text
    /// One JSON object per line on standard output, for log shippers: `time` (ISO 8601, ms), `method`, `target`,
    /// `route` (the route template, `NotFound` when none), `status`, `ms`, `bytes` (the body's length when known).
    case json
    /// No access log.
    case off
}

/// One access-log line per request, as `format` says.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    var format: AccessLogFormat = .text

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if format == .off { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        if format == .text {
            context.logger.info("\(request.method) \(request.uri) \(response.status.code) \(String(format: "%.2f", ms)) ms")
            return response
        }
        var line = JSONBytes(capacity: 256)
        line.value(.object([
            ("time", .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date()))),
            ("method", .string(request.method.rawValue)), ("target", .string(request.uri.string)),
            ("route", .string(context.endpointPath ?? "NotFound")), ("status", .number(Double(response.status.code))),
            ("ms", .number((ms * 100).rounded() / 100)),
            ("bytes", response.headers[.contentLength].flatMap(Double.init).map(JSONValue.number) ?? .null),
        ]))
        line.byte(UInt8(ascii: "\n"))
        JSONLines.standardOutput.write(line.bytes)
        return response
    }
}

/// Whole lines to standard output from many threads: one write(2) per line, under a lock, so lines never interleave.
final class JSONLines: @unchecked Sendable {
    static let standardOutput = JSONLines(fd: STDOUT_FILENO)
    private let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) { self.fd = fd }

    func write(_ bytes: [UInt8]) {
        lock.withLock {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { if errno == EINTR { continue }; return }
                    offset += n
                }
            }
        }
    }
}
