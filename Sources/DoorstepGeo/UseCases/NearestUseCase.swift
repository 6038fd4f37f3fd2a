import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// The stations nearest to a point, with filters and opening hours, straight or on foot: `doorstep nearest` and
/// `GET /v1/nearest` (the residents' route).
public enum NearestUseCase {
    public struct Options: Sendable {
        // MARK: Limits and defaults

        /// How many stations. Reconciled from the CLI's 1…1000 and the API's 1…100 to **1…100**: a resident wants the
        /// few nearest, and a list of more than a hundred is no longer "the nearest" (every station in order is
        /// `doorstep export stations`).
        public static let k: ClosedRange<Int> = 1...100
        public static let defaultK = 5
        /// Walking speed, m/s: the same as coverage's (see `AnalysisOptions.walkingSpeed`).
        public static let walkingSpeed = AnalysisOptions.walkingSpeed
        public static let defaultWalkingSpeed = AnalysisOptions.defaultWalkingSpeed
        public static let filterValues = AnalysisOptions.filterValues
        public static let filterValueLength = AnalysisOptions.filterValueLength
        public static let defaultTimeZone = "Asia/Shanghai"
        public static let defaultZone = TimeZone(identifier: defaultTimeZone)!

        // MARK: The options

        /// The point as given, in `crs`.
        public let given: Coordinate
        public let crs: InputCRS
        /// The point in WGS84.
        public let position: Coordinate
        public let k: Int
        public let kinds: [String]
        public let services: [String]
        /// The moment `open` is evaluated at (now in `timeZone` unless `open_at`); also a filter when `filterOpen`.
        public let moment: WeekTime
        public let filterOpen: Bool
        public let timeZone: String
        /// Rank by walking distance along the network.
        public let walk: Bool
        public let speed: Double
        /// With `walk`: each station's walking route.
        public let route: Bool

        /// Validates the question. `toWGS84` converts a point given in an EPSG CRS (the server passes its cache of
        /// PROJ transformations; by default one is made); it throws `CRSError` for a CRS that cannot be used.
        public init(lon: Double, lat: Double, crs: String? = nil, k: Int? = nil, kinds: [String] = [], services: [String] = [],
                    openAt: String? = nil, openNow: Bool = false, timeZone: String? = nil, walk: Bool = false, speed: Double? = nil,
                    route: Bool = false, now: Date = Date(),
                    toWGS84: (Coordinate, Int) throws -> Coordinate? = Options.transform) throws {
            given = Coordinate(lon: try Limits.finite(lon, "lon"), lat: try Limits.finite(lat, "lat"))
            if let crs {
                guard let parsed = InputCRS(crs) else {
                    throw UseCaseError(.invalid, ["crs"], "\"\(Limits.clip(crs))\" is not wgs84, gcj02, bd09 or EPSG:n")
                }
                self.crs = parsed
            } else {
                self.crs = .wgs84
            }
            position = try Self.position(given, in: self.crs, toWGS84: toWGS84)
            self.k = try k.map { try Limits.check($0, Self.k, "k") } ?? Self.defaultK
            try AnalysisOptions.checkFilter(kinds: kinds, services: services)
            self.kinds = kinds
            self.services = services
            let zoneName = timeZone ?? Self.defaultTimeZone
            guard let zone = zoneName == Self.defaultTimeZone ? Self.defaultZone : TimeZone(identifier: zoneName) else {
                throw UseCaseError(.invalid, ["tz"], "\"\(Limits.clip(zoneName))\" is not an IANA time zone such as Asia/Shanghai")
            }
            self.timeZone = zoneName
            if let openAt {
                if openNow { throw UseCaseError.conflict(["open_at", "open_now"], "give \(name: "open_at") or \(name: "open_now"), not both") }
                moment = try AnalysisOptions.openAt(openAt)
                filterOpen = true
            } else {
                moment = WeekTime.at(now, in: zone)
                filterOpen = openNow
            }
            self.walk = walk
            self.speed = try speed.map { try Limits.check(Limits.finite($0, "speed"), Self.walkingSpeed, "speed", unit: "m/s") }
                ?? Self.defaultWalkingSpeed
            if route && !walk {
                throw UseCaseError.conflict(["route"], "needs \(name: "walk") (routes follow the walkable network)")
            }
            self.route = route
        }

        /// A fresh PROJ transformation from EPSG:`code` (the CLI's one point).
        public static func transform(_ c: Coordinate, _ code: Int) throws -> Coordinate? {
            try CoordinateTransformer(from: .epsg(code)).toWGS84(c)
        }

        /// The point in WGS84: longitude and latitude in range for WGS84 and the phone maps' systems, else a position
        /// the EPSG system can convert.
        static func position(_ c: Coordinate, in crs: InputCRS, toWGS84: (Coordinate, Int) throws -> Coordinate?) throws -> Coordinate {
            switch crs {
            case .wgs84, .gcj02, .bd09:
                try Limits.check(c.lon, -180...180, "lon")
                try Limits.check(c.lat, -90...90, "lat")
                return crs == .gcj02 ? ChinaShift.gcj02ToWGS84(c) : crs == .bd09 ? ChinaShift.bd09ToWGS84(c) : c
            case .epsg(let code):
                let converted: Coordinate?
                do {
                    converted = try toWGS84(c, code)
                } catch let error as CRSError {
                    // Unknown to PROJ, or not a 2-D system a point on a map can be given in (geocentric, 3-D).
                    throw UseCaseError(.invalid, ["crs"], "\(error.message)")
                } catch {
                    throw UseCaseError(.invalid, ["crs"], "EPSG:\(code) cannot be used: \(String(describing: error))")
                }
                guard let converted, (-180...180).contains(converted.lon), (-90...90).contains(converted.lat) else {
                    throw UseCaseError(.outOfRange, ["lon", "lat"], "(\(c.lon), \(c.lat)) is not a valid position in \(crs)")
                }
                return converted
            }
        }

        /// Which stations qualify (open at `moment` only when asked).
        public var filter: StationFilter {
            StationFilter(kinds: Set(kinds), services: Set(services), openAt: filterOpen ? moment : nil)
        }
    }

    public struct Result: Sendable {
        public let options: Options
        public let generation: Int
        /// Nearest first (by walking distance with `walk`).
        public let found: [NearbyStation]
        /// With `walk`, parallel to `found`: walking metres, nil for no path.
        public let walking: [Double?]
        /// With `route`, parallel to `found`: the walking route, nil for no path.
        public let routes: [[Coordinate]?]
        /// With `walk`, parallel to `found`: why there is no path (nil when there is one).
        public var noPathReasons: [String?] = []

        func noPathReason(_ i: Int) -> String? { i < noPathReasons.count ? noPathReasons[i] : nil }

        /// `{query, generation, count, stations}`, written straight into bytes: this is the residents' hot path (no
        /// JSONValue tree per answer). `members` gives a station's own members already written (the server keeps
        /// them per generation); without it they are written here.
        public func write(to out: inout JSONBytes, members: ((NearbyStation) -> ArraySlice<UInt8>)? = nil) {
            let q = options
            out.beginObject()
            out.key("query")
            out.beginObject()
            out.member("lon", q.given.lon)
            out.member("lat", q.given.lat)
            out.member("crs", q.crs.description)
            out.key("wgs84")
            out.position(q.position)
            out.member("k", Double(q.k))
            out.member("kind", q.kinds)
            out.member("service", q.services)
            out.member("open_filter", q.filterOpen ? q.moment.description : nil)
            out.member("open_evaluated_at", q.moment.description)
            out.member("tz", q.timeZone)
            out.member("walk", q.walk)
            out.member("speed", q.speed)
            out.member("route", q.route)
            out.endObject()
            out.member("generation", Double(generation))
            out.member("count", Double(found.count))
            out.key("stations")
            out.beginArray()
            for (i, n) in found.enumerated() {
                out.beginObject()
                if let members { out.members(members(n)) } else { n.station.writeMembers(to: &out) }
                n.writeAnswerMembers(openAt: q.moment, to: &out)
                if q.walk { NearbyStation.writeWalking(walking[i], speed: q.speed, reason: noPathReason(i), to: &out) }
                if q.route {
                    out.key("route")
                    if let line = routes[i] {
                        out.geometry(.lineString(line))
                    } else {
                        out.null()
                    }
                }
                out.key("coordinates")
                out.beginObject()
                out.key("wgs84")
                out.position(n.station.location)
                switch q.crs {
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
        }

        /// The JSON answer as bytes.
        public var json: JSONBytes {
            var out = JSONBytes(capacity: 512 + 512 * found.count)
            write(to: &out)
            return out
        }

        /// The stations as GeoJSON points with the answer's properties, and with `route` each walking route as a
        /// LineString (`route_to`, `walking_m`).
        public var featureCollection: JSONValue {
            var features = [JSONValue]()
            for (i, n) in found.enumerated() {
                var p = JSONMemberList()
                n.writeProperties(openAt: options.moment, to: &p)
                if options.walk { NearbyStation.writeWalking(walking[i], speed: options.speed, reason: noPathReason(i), to: &p) }
                features.append(.pointFeature(n.station.location, properties: p.members))
            }
            for (i, n) in found.enumerated() where options.route {
                guard let line = routes[i] else { continue }
                var w = JSONMemberList()
                NearbyStation.writeWalking(walking[i], speed: options.speed, to: &w)
                features.append(.object([
                    ("type", .string("Feature")),
                    ("geometry", Geometry.lineString(line).geoJSON),
                    ("properties", .object([("route_to", .string(n.station.id)), ("walking_m", w.members[0].1)])),
                ]))
            }
            return JSONValue.featureCollection(features)
        }
    }

    /// The answer from an index of the stations and, for `walk`, the walking network with the stations snapped to it
    /// (nil: the database has no walkable ways).
    public static func run(_ options: Options, index: NearestIndex, walking: WalkingData?, generation: Int) throws -> Result {
        guard options.walk else {
            return Result(options: options, generation: generation, found: index.nearest(to: options.position, k: options.k, filter: options.filter),
                          walking: [], routes: [])
        }
        guard let walking else { throw UseCaseError.noWalkingNetwork }
        guard let answers = try walking.nearest(to: options.position, index: index, k: options.k, filter: options.filter,
                                                routes: options.route) else {
            throw UseCaseError(.unreachable, [], "the point is farther than \(Int(walking.network.snapLimit)) m from the walkable network: unreachable on foot")
        }
        return Result(options: options, generation: generation, found: answers.map(\.nearby), walking: answers.map(\.walking),
                      routes: answers.map(\.route), noPathReasons: answers.map(\.noPathReason))
    }

    /// The answer from a database (the CLI): its stations indexed, and for `walk` its walking network.
    public static func run(_ options: Options, on store: any StoreReader) throws -> Result {
        let index = NearestIndex(stations: try store.stations())
        var walking: WalkingData?
        if options.walk {
            let network = try WalkingNetwork.load(from: store)
            if network.graph.edgeCount > 0 { walking = try WalkingData(network: network, index: index) }
        }
        return try run(options, index: index, walking: walking, generation: try store.generation())
    }
}

/// The walking network of one generation (`DoorstepNetwork`, `DoorstepAnalysis/WalkingNearest.swift`), the stations snapped to it,
/// and metric projections to lend to callers (the server keeps one per generation for every request).
///
/// `@unchecked Sendable` is safe because `network` and `stationSnaps` are immutable and `Sendable`, and the
/// projections (`MetricProjection` owns a PROJ context, not `Sendable`) are only touched with `lock` held, each lent
/// to one caller at a time between `take` and `give` — PROJ contexts may move between threads, not be shared.
public final class WalkingData: @unchecked Sendable {
    public let network: WalkingNetwork
    /// Parallel to the index's stations; nil for a station beyond the snap limit.
    public let stationSnaps: [Snap?]
    private let lock = NSLock()
    private var projections: [MetricProjection]

    public init(network: WalkingNetwork, index: NearestIndex) throws {
        self.network = network
        let projection = try network.makeProjection()
        stationSnaps = WalkingNearest.snapStations(index, network: network, projection: projection)
        projections = [projection]
    }

    /// The `k` nearest stations by walking distance; nil when the point is beyond the snap limit (unreachable).
    public func nearest(to point: Coordinate, index: NearestIndex, k: Int, filter: StationFilter,
                        routes: Bool = false) throws -> [WalkingAnswer]? {
        let projection = try lock.withLock { projections.popLast() } ?? network.makeProjection()
        defer { lock.withLock { if projections.count < 16 { projections.append(projection) } } }
        return WalkingNearest.find(from: point, index: index, stationSnaps: stationSnaps, network: network,
                                   projection: projection, k: k, filter: filter, routes: routes)
    }
}
