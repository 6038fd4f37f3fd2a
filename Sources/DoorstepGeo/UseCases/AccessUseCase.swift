import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Coverage by capacity — the two-step floating catchment area (2SFCA; Luo & Wang 2003) per compound, with each
/// station's load and roll-ups by grid, community, street or district: `doorstep access` and `GET /v1/access`.
public enum AccessUseCase {
    public struct Options: Sendable {
        /// `by`: the level of the rows (as coverage's).
        public static let levels = CoverageUseCase.Options.levels
        public static let defaultLevel = CoverageUseCase.Options.defaultLevel
        /// `weight`: the demand of a compound (as the planner's).
        public static let weights = PlanUseCase.Options.weights
        public static let defaultWeight = PlanUseCase.Options.defaultWeight

        public let analysis: AnalysisOptions
        public let level: CoverageLevel
        public let weight: PlanWeight

        public init(_ analysis: AnalysisOptions, by level: String? = nil, weight: String? = nil) throws {
            self.analysis = analysis
            self.level = try Limits.choice(level, "by", default: Self.defaultLevel)
            self.weight = try Limits.choice(weight, "weight", default: Self.defaultWeight)
        }

        public var access: AccessOptions { AccessOptions(coverage: analysis.coverage, weight: weight) }

        public var query: [(String, JSONValue)] {
            analysis.query + [("by", .string(level.rawValue)), ("weight", .string(weight.rawValue))]
        }
    }

    public struct Result: Sendable {
        public let options: Options
        public let generation: Int
        public let report: AccessReport

        private var unit: String { options.weight == .households ? "household" : "person" }

        /// The totals: the formula, its unit, the stations and their capacity, the demand, the city's load.
        public var summary: JSONValue {
            let r = report, t = r.total
            return .object([
                ("formula", .string("2SFCA (Luo & Wang 2003): R_j = capacity_j / Σ demand within reach of j; score_i = Σ R_j over the stations within reach of i")),
                ("score_unit", .string("capacity per \(unit)")),
                ("demand", .string(options.weight.rawValue)),
                ("mode", .string(r.options.coverage.walk ? "walking" : "straight")),
                ("reach", .string(r.options.coverage.reach.description)),
                ("stations", .number(Double(r.stations.count))),
                ("stations_without_capacity", .number(Double(r.stationsWithoutCapacity))),
                ("default_capacity", .number(AccessAnalysis.defaultCapacity)),
                ("stations_unreached", .number(Double(r.stations.filter { $0.demandInReach == 0 }.count))),
                ("stations_overloaded", .number(Double(r.stations.filter(\.overloaded).count))),
                ("stations_off_network", .array(r.stationsOffNetwork.map(JSONValue.string))),
                ("total_capacity", .number(r.totalCapacity)),
                ("total_demand", .number(r.totalDemand)),
                ("city_load", r.cityLoad.map(JSONValue.number) ?? .null),
                ("overload_threshold", .string("a station is overloaded when its load (demand in reach per unit of capacity) exceeds city_load, the city's total demand per unit of total capacity")),
                ("compounds", .number(Double(t.compounds))),
                ("compounds_out_of_reach", .number(Double(t.compoundsOutOfReach))),
                ("compounds_without_demand", .number(Double(t.compoundsWithoutDemand))),
                ("mean_score", t.score.map(JSONValue.number) ?? .null),
            ])
        }

        /// The rows: one per compound (with its place as lon/lat when `places`, for CSV), or one per group and a total.
        public func rows(places: Bool = false) -> [[(String, JSONValue)]] {
            guard options.level == .compound else {
                let total = report.total
                return report.groups(by: options.level).map(Self.properties) + [Self.properties(total) + [
                    ("total_capacity", .number(report.totalCapacity)),
                    ("capacity_per_demand", report.totalDemand > 0 ? .number(report.totalCapacity / report.totalDemand) : .null),
                ]]
            }
            return report.compounds.map { c in
                func text(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
                let site = c.site
                let row: [(String, JSONValue)] = [
                    ("id", .string(site.id)), ("name", .string(site.name)),
                    ("households", site.households.map { .number(Double($0)) } ?? .null),
                    ("population", site.population.map { .number(Double($0)) } ?? .null),
                    ("demand", c.demand.map { .number(Double($0)) } ?? .null),
                    ("score", .number(c.score)), ("stations_in_reach", .number(Double(c.stationsInReach))),
                    ("nearest_station", text(c.nearest?.stationID)), ("nearest_station_name", text(c.nearest?.stationName)),
                    ("nearest_m", c.nearest.map { .number(($0.metres * 10).rounded() / 10) } ?? .null),
                    ("grid_id", text(site.gridID)), ("grid", text(site.gridName)), ("community", text(site.community)),
                    ("street", text(site.street)), ("district", text(site.district)),
                ]
                return row + (places ? Records.place(site) : [])
            }
        }

        static func properties(_ g: AccessGroup) -> [(String, JSONValue)] {
            [
                ("level", .string(g.key == "total" ? "total" : g.level.rawValue)), ("key", .string(g.key)), ("name", .string(g.name)),
                ("compounds", .number(Double(g.compounds))), ("compounds_without_demand", .number(Double(g.compoundsWithoutDemand))),
                ("compounds_out_of_reach", .number(Double(g.compoundsOutOfReach))),
                ("demand", .number(g.demand)), ("score", g.score.map(JSONValue.number) ?? .null),
            ]
        }

        /// The stations, most loaded first.
        public var stationRows: [[(String, JSONValue)]] {
            report.stations.map { s in
                [
                    ("id", .string(s.station.id)), ("name", .string(s.station.name)), ("kind", s.station.kind.map(JSONValue.string) ?? .null),
                    ("capacity", .number(s.capacity)), ("capacity_defaulted", .bool(s.capacityDefaulted)),
                    ("compounds_in_reach", .number(Double(s.compoundsInReach))), ("demand_in_reach", .number(s.demandInReach)),
                    ("load", s.load.map(JSONValue.number) ?? .null), ("r", s.ratio.map(JSONValue.number) ?? .null),
                    ("overloaded", .bool(s.overloaded)), ("off_network", .bool(s.offNetwork)),
                ]
            }
        }

        /// `{query, generation, summary, count, rows, stations}`: the JSON answer of the CLI and the API.
        public var json: JSONValue {
            let rows = rows(places: false)
            return Records.envelope(query: options.query, generation: generation, [
                ("summary", summary), ("count", .number(Double(rows.count))), ("rows", .array(rows.map { .object($0) })),
                ("stations", .array(stationRows.map { .object($0) })),
            ])
        }

        /// The rows as GeoJSON features: compound (by=compound) or grid (by=grid) geometry, null otherwise.
        public func featureCollection(on source: some AnalysisSource) throws -> JSONValue {
            let layer: Layer? = options.level == .compound ? .compounds : options.level == .grid ? .grids : nil
            return Records.featureCollection(rows(places: false), geometries: try layer.map { try source.geometries(of: $0) } ?? [:])
        }

        /// The stations as GeoJSON points.
        public func stationFeatures(on source: some AnalysisSource) throws -> JSONValue {
            Records.featureCollection(stationRows, geometries: try source.geometries(of: .stations))
        }
    }

    /// The report depends on the reach options and the weight, not on `by` (the server keeps one for every level and
    /// format).
    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        let coverage = try CoverageUseCase.report(options.analysis, on: source)
        let network = options.analysis.walk ? try source.walkingNetwork() : nil
        let access = options.access
        let report = try Limits.computing {
            try source.access(access) {
                try AccessAnalysis.run(stations: source.stations(), compounds: source.compoundSites(), network: network,
                                       options: access, coverage: coverage)
            }
        }
        return Result(options: options, generation: try source.generation(), report: report)
    }
}
