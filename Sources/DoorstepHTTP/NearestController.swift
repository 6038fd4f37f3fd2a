import DoorstepGeo
import Foundation
import Hummingbird

/// Names, bounds and defaults of `/v1/nearest`, shared by the handler and the OpenAPI document.
enum NearestAPI {
    /// Parameter names (also used by the OpenAPI document).
    enum Name {
        static let lon = "lon", lat = "lat", crs = "crs", k = "k", kind = "kind", service = "service"
        static let openNow = "open_now", openAt = "open_at", tz = "tz", walk = "walk", speed = "speed"
        static let route = "route"
        static let all: Set<String> = [lon, lat, crs, k, kind, service, openNow, openAt, tz, walk, speed, route]
    }

    static let kRange = 1...100
    static let defaultK = 5
    /// Bounds on the filter lists: more values than this cannot be a real question.
    static let maxFilterValues = 20
    static let maxFilterLength = 64
    static let defaultTimeZone = "Asia/Shanghai"
    static let defaultZone = TimeZone(identifier: defaultTimeZone)!
    /// Walking speed for times, m/s (DESIGN.md: 1.2 m/s, about 4.3 km/h), and its bounds.
    static let defaultSpeed = 1.2
    static let speedRange = 0.1...5.0
}

/// `GET /v1/nearest`: the residents' lookup — the stations nearest to a point, with filters and opening hours.
struct NearestController<Context: RequestContext>: Sendable {
    private typealias N = NearestAPI.Name

    let data: any DoorstepData
    let transformers: TransformerCache

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("nearest", use: nearest)
        return routes
    }

    /// A parsed, validated `/v1/nearest` request.
    struct Query {
        var given: Coordinate
        var crs: InputCRS
        var position: Coordinate
        var k: Int
        var kinds: [String]
        var services: [String]
        /// The moment `open` is evaluated at; also a filter when `filterOpen`.
        var moment: WeekTime
        var filterOpen: Bool
        var timeZone: String
        /// Rank by walking distance along the network.
        var walk: Bool
        var speed: Double
        /// With `walk`: each station carries its walking route as a GeoJSON LineString.
        var route: Bool = false
    }

    @Sendable func nearest(request: Request, context: Context) async throws -> Response {
        let query = try parse(request)
        let snapshot = try await data.snapshot()
        let filter = StationFilter(kinds: Set(query.kinds), services: Set(query.services),
                                   openAt: query.filterOpen ? query.moment : nil)
        var found: [NearbyStation]
        var walking: [Double?] = []
        var routes: [[Coordinate]?] = []
        if query.walk {
            guard let network = snapshot.walking else {
                throw APIError(.notImplemented, code: "not_implemented",
                               "walking distances not available: this database has no walkable ways (import the ways layer)")
            }
            guard let answers = try network.nearest(to: query.position, index: snapshot.index, k: query.k, filter: filter,
                                                        routes: query.route) else {
                throw APIError(.unprocessableContent, code: "unreachable",
                               "the point is farther than \(Int(network.network.snapLimit)) m from the walkable network: unreachable on foot")
            }
            found = answers.map(\.nearby)
            walking = answers.map(\.walking)
            routes = answers.map(\.route)
        } else {
            found = snapshot.index.nearest(to: query.position, k: query.k, filter: filter)
        }
        // Written straight into bytes: this is the residents' hot path (no JSONValue tree per answer).
        var out = JSONBytes(capacity: 512 + 512 * found.count)
        out.beginObject()
        out.key("query")
        out.beginObject()
        out.member("lon", query.given.lon)
        out.member("lat", query.given.lat)
        out.member("crs", query.crs.description)
        out.key("wgs84")
        out.position(query.position)
        out.member("k", Double(query.k))
        out.member("kind", query.kinds)
        out.member("service", query.services)
        out.member("open_filter", query.filterOpen ? query.moment.description : nil)
        out.member("open_evaluated_at", query.moment.description)
        out.member("tz", query.timeZone)
        out.member("walk", query.walk)
        out.member("speed", query.speed)
        out.member("route", query.route)
        out.endObject()
        out.member("generation", Double(snapshot.generation))
        out.member("count", Double(found.count))
        out.key("stations")
        out.beginArray()
        for (i, n) in found.enumerated() {
            out.beginObject()
            out.members(snapshot.stationMembers[n.index]) // = n.station.writeMembers, written once per generation
            n.writeAnswerMembers(openAt: query.moment, to: &out)
            if query.walk { NearbyStation.writeWalking(walking[i], speed: query.speed, to: &out) }
            if query.route {
                out.key("route")
                if let line = routes[i] {
                    out.beginObject()
                    out.member("type", "LineString")
                    out.key("coordinates")
                    out.beginArray()
                    for c in line { out.position(c) }
                    out.endArray()
                    out.endObject()
                } else {
                    out.null()
                }
            }
            out.key("coordinates")
            out.beginObject()
            out.key("wgs84")
            out.position(n.station.location)
            switch query.crs {
            case .gcj02:
                out.key("gcj02")
                out.position(ChinaShift.wgs84ToGCJ02(n.station.location))
            case .bd09:
                out.key("bd09")
                out.position(ChinaShift.wgs84ToBD09(n.station.location))
            case .wgs84, .epsg: break
            }
            out.endObject()
            out.endObject()
        }
        out.endArray()
        out.endObject()
        return jsonResponse(out)
    }

    func parse(_ request: Request) throws -> Query {
        let q = try QueryParameters(request, allowed: N.all)
        guard let lon = try q.double(N.lon) else { throw APIError.missing(N.lon, "the longitude (or easting) of the point") }
        guard let lat = try q.double(N.lat) else { throw APIError.missing(N.lat, "the latitude (or northing) of the point") }
        var crs = InputCRS.wgs84
        if let text = try q.string(N.crs) {
            guard let parsed = InputCRS(text) else {
                throw APIError.invalid(N.crs, "\"\(QueryParameters.clip(text))\" is not wgs84, gcj02, bd09 or EPSG:n")
            }
            crs = parsed
        }
        let given = Coordinate(lon: lon, lat: lat)
        let position: Coordinate
        switch crs {
        case .wgs84, .gcj02, .bd09:
            guard (-180...180).contains(lon) else { throw APIError.outOfRange(N.lon, "\(lon) is outside -180…180") }
            guard (-90...90).contains(lat) else { throw APIError.outOfRange(N.lat, "\(lat) is outside -90…90") }
            position = crs == .gcj02 ? ChinaShift.gcj02ToWGS84(given) : crs == .bd09 ? ChinaShift.bd09ToWGS84(given) : given
        case .epsg(let code):
            let converted = try transformers.toWGS84(given, epsg: code)
            guard let converted, (-180...180).contains(converted.lon), (-90...90).contains(converted.lat) else {
                throw APIError.outOfRange("\(N.lon),\(N.lat)", "(\(lon), \(lat)) is not a valid position in \(crs)")
            }
            position = converted
        }
        let k = try q.int(N.k) ?? NearestAPI.defaultK
        guard NearestAPI.kRange.contains(k) else {
            throw APIError.outOfRange(N.k, "\(k) is outside \(NearestAPI.kRange.lowerBound)…\(NearestAPI.kRange.upperBound)")
        }
        let kinds = q.list(N.kind), services = q.list(N.service)
        for (name, values) in [(N.kind, kinds), (N.service, services)] {
            if values.count > NearestAPI.maxFilterValues {
                throw APIError.outOfRange(name, "at most \(NearestAPI.maxFilterValues) values")
            }
            if let long = values.first(where: { $0.count > NearestAPI.maxFilterLength }) {
                throw APIError.outOfRange(name, "\"\(QueryParameters.clip(long))\" is longer than \(NearestAPI.maxFilterLength) characters")
            }
        }
        let timeZoneName = try q.string(N.tz) ?? NearestAPI.defaultTimeZone
        guard let timeZone = timeZoneName == NearestAPI.defaultTimeZone ? NearestAPI.defaultZone : TimeZone(identifier: timeZoneName) else {
            throw APIError.invalid(N.tz, "\"\(QueryParameters.clip(timeZoneName))\" is not an IANA time zone such as Asia/Shanghai")
        }
        let openNow = try q.bool(N.openNow) ?? false
        var moment = WeekTime.now(in: timeZone)
        var filterOpen = openNow
        if let text = try q.string(N.openAt) {
            if openNow { throw APIError.invalid(N.openAt, "give open_at or open_now=true, not both") }
            // A form-encoded space arrives as `+`.
            guard let at = WeekTime(parsing: text.replacingOccurrences(of: "+", with: " ")) else {
                throw APIError.invalid(N.openAt, "\"\(QueryParameters.clip(text))\" is not a local time like 2026-11-23T09:30 or \"Mo 09:30\"")
            }
            moment = at
            filterOpen = true
        }
        let walk = try q.bool(N.walk) ?? false
        let speed = try q.double(N.speed) ?? NearestAPI.defaultSpeed
        guard NearestAPI.speedRange.contains(speed) else {
            throw APIError.outOfRange(N.speed, "\(speed) m/s is outside \(NearestAPI.speedRange.lowerBound)…\(NearestAPI.speedRange.upperBound)")
        }
        let route = try q.bool(N.route) ?? false
        if route && !walk { throw APIError.invalid(N.route, "route=true needs walk=true (routes follow the walkable network)") }
        return Query(given: given, crs: crs, position: position, k: k, kinds: kinds, services: services,
                     moment: moment, filterOpen: filterOpen, timeZone: timeZoneName, walk: walk, speed: speed, route: route)
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
        let transformer: CoordinateTransformer
        if let cached {
            transformer = cached
        } else {
            do {
                transformer = try CoordinateTransformer(from: .epsg(code))
            } catch let error as CRSError {
                // Unknown to PROJ, or not a 2-D system a point on a map can be given in (geocentric, 3-D).
                throw APIError.invalid(NearestAPI.Name.crs, error.message)
            } catch {
                throw APIError.invalid(NearestAPI.Name.crs, "EPSG:\(code) cannot be used: \(error)")
            }
        }
        let result = transformer.toWGS84(c)
        lock.lock()
        if free[code] != nil || free.count < maxCodes { free[code, default: []].append(transformer) }
        lock.unlock()
        return result
    }
}
