import DoorstepAnalysis
import DoorstepExport
import DoorstepGeometry
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// Coverage with hypothetical stations added and existing ones closed: `doorstep whatif` and `GET /v1/whatif`.
/// Computed incrementally from the base coverage (`WhatIfAnalysis`); nothing is written to the database.
public enum WhatIfUseCase {
    public struct Options: Sendable {
        /// `add`: at most this many hypothetical sites per question.
        public static let addedSites = 50
        /// `close`: at most this many station ids.
        public static let closedStations = 500
        /// `add_kind`: at most this many characters (as a `kind` filter value).
        public static let kindLength = AnalysisOptions.filterValueLength
        /// The ids of the added sites: `whatif-1`, `whatif-2` …
        public static let idPrefix = "whatif-"

        public let coverage: CoverageUseCase.Options
        /// The added sites, in order.
        public let add: [Coordinate]
        /// Station ids to close, in order, each once.
        public let close: [String]
        /// The kind of the added sites; nil: the most common kind among the qualifying stations (none when none has one).
        public let addKind: String?

        /// `add`: sites as `lon,lat` separated by `;` (each string may hold several); `close`: ids separated by `,`
        /// (each string may hold several). Neither: the base coverage with no changes.
        public init(_ coverage: CoverageUseCase.Options, add: [String] = [], close: [String] = [], addKind: String? = nil) throws {
            self.coverage = coverage
            let sites = add.flatMap { $0.split(separator: ";", omittingEmptySubsequences: false) }
            if sites.count > Self.addedSites {
                throw UseCaseError(.invalid, ["add"], "\(sites.count) sites; at most \(Self.addedSites)", allowed: "at most \(Self.addedSites) sites")
            }
            self.add = try sites.enumerated().map { try Self.site(String($0.element), number: $0.offset + 1) }
            var ids = [String]()
            for piece in close.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
                let id = piece.trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty else { throw UseCaseError(.invalid, ["close"], "an empty station id") }
                if !ids.contains(id) { ids.append(id) }
            }
            if ids.count > Self.closedStations {
                throw UseCaseError(.invalid, ["close"], "\(ids.count) stations; at most \(Self.closedStations)",
                                   allowed: "at most \(Self.closedStations) stations")
            }
            self.close = ids
            if let addKind {
                let kind = addKind.trimmingCharacters(in: .whitespaces)
                guard !kind.isEmpty, kind.count <= Self.kindLength else {
                    throw UseCaseError(.invalid, ["add_kind"], "\"\(Limits.clip(addKind))\" is not a kind of at most \(Self.kindLength) characters")
                }
                self.addKind = StationKind.normalize(kind)
            } else {
                self.addKind = nil
            }
        }

        /// One site, `lon,lat` in WGS84 degrees.
        static func site(_ text: String, number: Int) throws -> Coordinate {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw UseCaseError(.invalid, ["add"], "site \(number), \"\(Limits.clip(text))\", is not lon,lat")
            }
            let lon = try Limits.number(String(parts[0]), "add"), lat = try Limits.number(String(parts[1]), "add")
            guard (-180...180).contains(lon), (-90...90).contains(lat) else {
                throw UseCaseError(.invalid, ["add"], "site \(number), \(Limits.text(lon)),\(Limits.text(lat)), is not a WGS84 longitude,latitude (−180…180, −90…90)")
            }
            return Coordinate(lon: lon, lat: lat)
        }

        /// The closed stations, looked up among `stations`; an unknown id is refused (400, naming `close` and the id).
        public func closedStations(in stations: [Station]) throws -> [Station] {
            var byID = [String: Station]()
            for s in stations where byID[s.id] == nil { byID[s.id] = s }
            return try close.map { id in
                guard let s = byID[id] else { throw UseCaseError(.invalid, ["close"], "no station has the id \"\(Limits.clip(id))\"") }
                return s
            }
        }

        /// The hypothetical stations: `whatif-N` at the sites, of `addKind` (else the most common qualifying kind),
        /// without a radius of their own (each station's radius: the fallback, 500 m), qualifying whatever the filter.
        public func addedStations(qualifying: [Station]) -> [Station] {
            var counts = [String: Int]()
            for s in qualifying { if let k = s.kind { counts[k, default: 0] += 1 } }
            let kind = addKind ?? counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
            return add.enumerated().map { i, p in
                Station(id: Self.idPrefix + String(i + 1), name: "what-if \(i + 1)", kind: kind, services: [], address: nil, phone: nil,
                        hours: nil, radiusMetres: nil, capacity: nil, location: p)
            }
        }

        public var query: [(String, JSONValue)] {
            coverage.query + [
                ("add", .array(add.map { .array([.number($0.lon), .number($0.lat)]) })),
                ("close", .array(close.map(JSONValue.string))),
                ("add_kind", addKind.map(JSONValue.string) ?? .null),
            ]
        }
    }

    public struct Result: CoverageRows {
        public let options: Options
        public let generation: Int
        public let whatIf: WhatIfReport

        public init(options: Options, generation: Int, whatIf: WhatIfReport) {
            self.options = options
            self.generation = generation
            self.whatIf = whatIf
        }

        /// The coverage after the change, as `CoverageUseCase` answers it.
        var coverage: CoverageUseCase.Result { CoverageUseCase.Result(options: options.coverage, generation: generation, report: whatIf.after) }

        public var report: CoverageReport { whatIf.after }
        public func rows(places: Bool = false) -> [[(String, JSONValue)]] { coverage.rows(places: places) }
        public var rowCount: Int { coverage.rowCount }
        public func forEachRow(places: Bool, _ body: ([(String, JSONValue)]) throws -> Void) rethrows {
            try coverage.forEachRow(places: places, body)
        }
        public var query: [(String, JSONValue)] { options.query }
        public var rowsName: String { "rows" }
        public var geometryLayer: Layer? { coverage.geometryLayer }

        /// `{query, generation, summary, count, rows, changes}`.
        public var extraMembers: [(String, JSONValue)] { [("changes", changes)] }

        private func ids(_ indices: [Int]) -> JSONValue { .array(indices.map { .string(whatIf.after.compounds[$0].site.id) }) }

        private func sum(_ indices: [Int], _ value: (CompoundSite) -> Int?) -> Int {
            indices.reduce(0) { $0 + (value(whatIf.after.compounds[$1].site) ?? 0) }
        }

        /// An added site's members: id, kind, lon, lat, on_network, covers, newly_covered, and the households and
        /// population of the compounds it newly covers.
        func properties(_ site: WhatIfSite) -> [(String, JSONValue)] {
            [("id", .string(site.station.id)), ("kind", site.station.kind.map(JSONValue.string) ?? .null),
             ("lon", .number(site.station.location.lon)), ("lat", .number(site.station.location.lat)),
             ("on_network", .bool(site.onNetwork)), ("covers", ids(site.covers)), ("newly_covered", ids(site.newlyCovered)),
             ("households", .number(Double(sum(site.newlyCovered, \.households)))),
             ("population", .number(Double(sum(site.newlyCovered, \.population))))]
        }

        /// `changes`: the added and closed stations, the compounds whose status changed and the totals before and after.
        public var changes: JSONValue {
            // Each total is a pass over every compound: once each.
            let before = whatIf.before.total, after = whatIf.after.total
            func totals(_ t: CoverageGroup) -> JSONValue {
                .object([("households_covered", .number(Double(t.householdsCovered))), ("population_covered", .number(Double(t.populationCovered))),
                         ("households", .number(Double(t.households))), ("population", .number(Double(t.population)))])
            }
            return .object([
                ("added", .array(whatIf.added.map { .object(properties($0)) })),
                ("closed", .array(whatIf.closed.map { .object([("id", .string($0.id)), ("name", .string($0.name))]) })),
                ("newly_covered", ids(whatIf.newlyCovered)), ("newly_uncovered", ids(whatIf.newlyUncovered)),
                ("before", totals(before)), ("after", totals(after)),
                ("households_delta", .number(Double(after.householdsCovered - before.householdsCovered))),
                ("population_delta", .number(Double(after.populationCovered - before.populationCovered))),
                ("recomputed", .number(Double(whatIf.recomputed.count))),
            ])
        }

        /// The scenario: the added sites (points, with their `changes.added` members) and the compounds whose status
        /// changed (their geometry, their coverage row and `change`: newly_covered or newly_uncovered).
        public func scenario(on source: some AnalysisSource) throws -> JSONValue {
            let geometries = try source.geometries(of: .compounds)
            func feature(_ geometry: JSONValue, _ properties: [(String, JSONValue)]) -> JSONValue {
                .object([("type", .string("Feature")), ("geometry", geometry), ("properties", .object(properties))])
            }
            var features = [JSONValue]()
            for site in whatIf.added {
                let p = site.station.location
                let point = JSONValue.object([("type", .string("Point")), ("coordinates", .array([.number(p.lon), .number(p.lat)]))])
                features.append(feature(point, properties(site)))
            }
            let speed = options.coverage.analysis.speed
            for (i, change) in changedCompounds {
                let row = whatIf.after.compounds[i]
                features.append(feature(geometries[row.site.id] ?? .null, row.properties(speed: speed) + [("change", .string(change))]))
            }
            return .featureCollection(features)
        }

        /// The compounds whose status changed, in the compounds' order, with the change.
        var changedCompounds: [(index: Int, change: String)] {
            var changed = whatIf.newlyCovered.map { (index: $0, change: "newly_covered") }
            changed += whatIf.newlyUncovered.map { (index: $0, change: "newly_uncovered") }
            return changed.sorted { $0.index < $1.index }
        }

        /// The scenario as a workbook for the street office (`doorstep whatif --out x.xlsx`, `GET /v1/whatif?format=xlsx`):
        /// a sheet of the changes — the added sites (with how many compounds each reaches and newly covers), the closed
        /// stations, the compounds whose status changed (their coverage rows) — then coverage's sheets for the world after
        /// the change (compounds, grids, communities, streets, districts) and the about sheet.
        public func workbook(on source: some AnalysisSource, to path: String, language: ExportLanguage = .zh) throws -> ExportSummary {
            var rows = whatIf.added.map { site -> [(String, JSONValue)] in
                [("change", .string("added"))] + properties(site).map { member -> (String, JSONValue) in
                    guard member.0 == "covers" || member.0 == "newly_covered", case .array(let ids) = member.1 else { return member }
                    return (member.0, .number(Double(ids.count)))
                }
            }
            rows += whatIf.closed.map { [("change", .string("closed")), ("id", .string($0.id)), ("name", .string($0.name))] }
            let speed = options.coverage.analysis.speed
            rows += changedCompounds.map { [("change", .string($0.change))] + whatIf.after.compounds[$0.index].properties(speed: speed) }
            if rows.isEmpty { rows = [[("change", .string(language == .zh ? "无变化" : "none"))]] }
            return try source.withStore { store in
                try GeoJSONExport.coverageWorkbook(report, store: store, to: path, options: ExportOptions(language: language),
                                                   title: ("家门口假设方案", "doorstep what-if scenario"), changes: rows)
            }
        }
    }

    /// The language of a scenario workbook's sheets and headers (`--lang`, `lang`): zh (default) or en.
    public static func workbookLanguage(_ text: String?) throws -> ExportLanguage { try Limits.choice(text, "lang", default: ExportLanguage.zh) }

    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        let stations = try source.stations()
        let closed = try options.closedStations(in: stations)
        let base = try CoverageUseCase.report(options.coverage.analysis, on: source)
        let added = options.addedStations(qualifying: base.options.qualifying(stations))
        let network = options.coverage.analysis.walk ? try source.walkingNetwork() : nil
        let whatIf = try Limits.computing {
            try WhatIfAnalysis.run(base: base, stations: stations, added: added, closed: closed.map(\.id), network: network)
        }
        return Result(options: options, generation: try source.generation(), whatIf: whatIf)
    }
}
