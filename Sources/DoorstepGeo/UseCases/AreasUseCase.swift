import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Service areas of the qualifying stations — geodesic circles, or walking areas along the network: `doorstep areas`,
/// `GET /v1/areas`, and the areas of `doorstep export areas` and `doorstep render`.
public enum AreasUseCase {
    public struct Options: Sendable {
        // MARK: Limits and defaults

        /// One radius or each band, metres: above 0 and at most 20 km. The API had 20 km for areas; the CLI let
        /// `areas --radius` (and `export areas`) go to the coverage limit of 100 km while its `--bands` stopped at
        /// 20 km. A service area is drawn station by station (a walking one costs tens of milliseconds at 1 km and
        /// grows with the band): 20 km is already a whole city around one station, so it is the limit everywhere.
        public static let radiusMetres: ClosedRange<Double> = 0...20_000
        /// At most this many bands. The API's cap, now the CLI's too: a map with more than ten nested areas per
        /// station cannot be read, and each band is a full computation.
        public static let bandCount = 10
        /// Walking areas: metres either side of the reachable network. The CLI had (0, 200], the API 1…200; below a
        /// metre is no street at all, so 1…200 (default 35: a street and the fronts of the buildings on both sides).
        public static let lateralMetres: ClosedRange<Double> = 1...200
        public static let defaultLateral = ServiceAreas.defaultLateral
        /// Neither radius, preset nor bands: one band of this (the 10min preset's 500 m).
        public static let defaultBand = AnalysisOptions.fallbackRadius
        /// The public server's work budget per request: at most this many stations (name them with `station=` or
        /// narrow with kind/service). Not a limit of the question: the CLI draws as many as qualify.
        public static let servedStations = 200

        // MARK: The options

        public enum Bands: Sendable, Equatable {
            /// These distances for every station.
            case given([Double])
            /// Each station at its own reach (`export areas`, `render`: the radius coverage used).
            case reach(Reach)
        }

        public let bands: Bands
        public let walk: Bool
        public let kinds: [String]
        public let services: [String]
        /// Only stations open at this moment (`AnalysisOptions.openAt`); nil: hours are ignored.
        public let openAt: WeekTime?
        /// Only these station ids (empty: every qualifying station).
        public let stations: [String]
        public let lateral: Double
        public let snapLimit: Double

        /// `areas`: one of radius, preset or bands (comma-separated metres), else one band of `defaultBand`.
        public init(radius: Double? = nil, preset: String? = nil, bands: String? = nil, walk: Bool = false, kinds: [String] = [],
                    services: [String] = [], openAt: String? = nil, stations: [String] = [], lateral: Double? = nil,
                    snapLimit: Double? = nil) throws {
            let given = [("radius", radius != nil), ("preset", preset != nil), ("bands", bands != nil)].filter(\.1).map(\.0)
            if given.count > 1 {
                throw UseCaseError.conflict(given, "give one of \(name: "radius"), \(name: "preset"), \(name: "bands")")
            }
            var list: [Double]
            if let bands {
                list = try bands.split(separator: ",", omittingEmptySubsequences: false).map { try Limits.number(String($0), "bands") }
                guard list.count <= Self.bandCount else {
                    throw UseCaseError(.outOfRange, ["bands"], "at most \(Self.bandCount) bands", allowed: "at most \(Self.bandCount) bands")
                }
                for b in list { try Limits.check(b, Self.radiusMetres, "bands", unit: "m", excludingLower: true) }
                list.sort()
            } else if let radius {
                list = [try Limits.check(Limits.finite(radius, "radius"), Self.radiusMetres, "radius", unit: "m", excludingLower: true)]
            } else if let preset {
                list = [try AnalysisOptions.preset(preset)]
            } else {
                list = [Self.defaultBand]
            }
            try self.init(bands: .given(list), walk: walk, kinds: kinds, services: services, openAt: try openAt.map(AnalysisOptions.openAt),
                          stations: stations, lateral: lateral, snapLimit: snapLimit)
        }

        /// The areas of the stations coverage counts (only `stations` when named), each at the reach coverage used
        /// (`export areas`, `render`).
        public init(_ analysis: AnalysisOptions, lateral: Double? = nil, stations: [String] = []) throws {
            if case .uniform(let r) = analysis.reach {
                try Limits.check(r, Self.radiusMetres, "radius", unit: "m", excludingLower: true)
            }
            try self.init(bands: .reach(analysis.reach), walk: analysis.walk, kinds: analysis.kinds, services: analysis.services,
                          openAt: analysis.openAt, stations: stations, lateral: lateral, snapLimit: analysis.snapLimit)
        }

        private init(bands: Bands, walk: Bool, kinds: [String], services: [String], openAt: WeekTime?, stations: [String],
                     lateral: Double?, snapLimit: Double?) throws {
            try AnalysisOptions.checkFilter(kinds: kinds, services: services)
            self.bands = bands
            self.walk = walk
            self.kinds = kinds
            self.services = services
            self.openAt = openAt
            self.stations = stations
            self.lateral = try lateral.map { try Limits.check(Limits.finite($0, "lateral"), Self.lateralMetres, "lateral", unit: "m") }
                ?? Self.defaultLateral
            self.snapLimit = try snapLimit.map {
                try Limits.check(Limits.finite($0, "snap_limit"), AnalysisOptions.snapLimitMetres, "snap_limit", unit: "m", excludingLower: true)
            } ?? AnalysisOptions.defaultSnapLimit
        }

        public var filter: StationFilter { StationFilter(kinds: Set(kinds), services: Set(services), openAt: openAt) }

        /// The stations these options draw, from all the database's: those that qualify, only those named when any
        /// are (each must qualify), at most `cap` when none are named.
        public func select(from all: [Station], cap: Int? = nil) throws -> [Station] {
            if let cap, stations.count > cap {
                throw UseCaseError(.outOfRange, ["station"], "at most \(cap) stations per request", allowed: "at most \(cap) stations")
            }
            var selected = all.filter { filter.accepts($0) }
            if !stations.isEmpty {
                let wanted = Set(stations)
                let unknown = wanted.subtracting(selected.map(\.id))
                if !unknown.isEmpty {
                    throw UseCaseError(.unknownStation, ["station"],
                                       "no qualifying station with id \(unknown.sorted().prefix(5).map(Limits.clip).joined(separator: ", "))")
                }
                selected = selected.filter { wanted.contains($0.id) }
            } else if let cap, selected.count > cap {
                throw UseCaseError(.tooManyStations, [], """
                    \(selected.count) stations qualify; service areas are served for at most \(cap) per request: narrow with \
                    \(name: "kind")/\(name: "service") or name them with \(name: "station") (the CLI `doorstep areas` has no cap)
                    """)
            }
            return selected
        }
    }

    public struct Result: Sendable {
        public let options: Options
        public let generation: Int
        /// The stations drawn.
        public let stations: [Station]
        /// Per station and band, in station order then band order (per reach group for `.reach`).
        public let areas: [ServiceArea]
        /// Stations beyond the snap limit: no walking area.
        public let offNetwork: [String]
        /// The distinct bands drawn.
        public let bands: [Double]

        /// A GeoJSON FeatureCollection of the areas with an `off_network` member: the answer of the API and the file
        /// `doorstep areas --out` writes.
        public var json: JSONValue {
            .object([("type", .string("FeatureCollection")),
                     ("features", .array(areas.map { a in
                         JSONValue.object([("type", .string("Feature")), ("geometry", a.geometry.geoJSON), ("properties", .object(a.properties))])
                     })),
                     ("off_network", .array(offNetwork.map(JSONValue.string)))])
        }
    }

    /// The service areas; at most `stationCap` stations when none are named (the server's budget).
    public static func run(_ options: Options, on source: some AnalysisSource, stationCap: Int? = nil) throws -> Result {
        let stations = try options.select(from: source.stations(), cap: stationCap)
        var network: WalkingNetwork?
        if options.walk {
            guard let walking = try source.walkingNetwork() else { throw UseCaseError.noWalkingNetwork }
            network = walking
        }
        let zone = try source.metricZone()
        let groups: [(bands: [Double], stations: [Station])]
        switch options.bands {
        case .given(let bands):
            groups = [(bands, stations)]
        case .reach(let reach):
            groups = Dictionary(grouping: stations, by: { reach.radius(of: $0) }).sorted { $0.key < $1.key }.map { ([$0.key], $0.value) }
        }
        var areas = [ServiceArea](), offNetwork = [String]()
        for group in groups {
            let made = try ServiceAreas.make(stations: group.stations, bands: group.bands, network: network, zone: zone,
                                             lateral: options.lateral)
            areas += made.areas
            offNetwork += made.offNetwork
        }
        return Result(options: options, generation: try source.generation(), stations: stations, areas: areas, offNetwork: offNetwork,
                      bands: Array(Set(groups.flatMap(\.bands))).sorted())
    }
}
