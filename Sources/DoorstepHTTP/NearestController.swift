import DoorstepGeo
import Foundation
import Hummingbird

/// Names of `/v1/nearest`'s parameters, shared by the handler and the OpenAPI document. Their limits and defaults are
/// the use case's (`NearestUseCase.Options`), the same the CLI's `doorstep nearest` checks.
enum NearestAPI {
    /// Parameter names (also used by the OpenAPI document).
    enum Name {
        static let lon = "lon", lat = "lat", crs = "crs", k = "k", kind = "kind", service = "service"
        static let openNow = "open_now", openAt = "open_at", tz = "tz", walk = "walk", speed = "speed"
        static let route = "route"
        static let all: Set<String> = [lon, lat, crs, k, kind, service, openNow, openAt, tz, walk, speed, route]
    }
}

/// `GET /v1/nearest`: the residents' lookup — the stations nearest to a point, with filters and opening hours
/// (`NearestUseCase`, on the snapshot's shared index and walking network; no database is touched).
struct NearestController<Context: RequestContext>: Sendable {
    private typealias N = NearestAPI.Name

    let data: any DoorstepData
    let transformers: TransformerCache

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("nearest", use: nearest)
        return routes
    }

    @Sendable func nearest(request: Request, context: Context) async throws -> Response {
        let options = try parse(request)
        let snapshot = try await data.snapshot()
        let result = try NearestUseCase.run(options, index: snapshot.index, walking: snapshot.walking, generation: snapshot.generation)
        var out = JSONBytes(capacity: 512 + 512 * result.found.count)
        // Each station's own members were written once for this generation.
        result.write(to: &out, members: { snapshot.stationMembers[$0.index] })
        return jsonResponse(out)
    }

    /// The query read strictly (`QueryParameters`) and validated by the use case.
    func parse(_ request: Request) throws -> NearestUseCase.Options {
        let q = try QueryParameters(request, allowed: N.all)
        guard let lon = try q.double(N.lon) else { throw APIError.missing(N.lon, "the longitude (or easting) of the point") }
        guard let lat = try q.double(N.lat) else { throw APIError.missing(N.lat, "the latitude (or northing) of the point") }
        let transformers = self.transformers
        return try NearestUseCase.Options(
            lon: lon, lat: lat, crs: q.string(N.crs), k: q.int(N.k), kinds: q.list(N.kind), services: q.list(N.service),
            openAt: q.text(N.openAt), openNow: q.bool(N.openNow) ?? false,
            timeZone: q.string(N.tz), walk: q.bool(N.walk) ?? false, speed: q.double(N.speed), route: q.bool(N.route) ?? false,
            toWGS84: { try transformers.toWGS84($0, epsg: $1) })
    }
}

/// PROJ transformations from EPSG codes to WGS84, kept between requests: creating one costs milliseconds and its
/// first use tens of milliseconds (SPATIALITE-NOTES.md), a reused one microseconds.
///
/// `@unchecked Sendable` is safe because `free` is only touched with `lock` held, and a `CoordinateTransformer` (not
/// `Sendable`: it owns a PROJ context) is either in `free`, reachable by nobody, or used by exactly one caller between
/// taking it out and putting it back. PROJ contexts may move between threads; they must not be shared at once.
final class TransformerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int: [CoordinateTransformer]] = [:]
    /// How many EPSG codes are kept; beyond that a transformer is made per request and dropped.
    private let maxCodes = 32

    func toWGS84(_ c: Coordinate, epsg code: Int) throws -> Coordinate? {
        lock.lock()
        let cached = free[code]?.popLast()
        lock.unlock()
        // `CRSError` for a code PROJ does not know or a CRS that is not 2-D: the use case says so (400 crs).
        let transformer = try cached ?? CoordinateTransformer(from: .epsg(code))
        let result = transformer.toWGS84(c)
        lock.lock()
        if free[code] != nil || free.count < maxCodes { free[code, default: []].append(transformer) }
        lock.unlock()
        return result
    }
}
