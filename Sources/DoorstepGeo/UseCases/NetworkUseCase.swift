import DoorstepAnalysis
import DoorstepBackends
import DoorstepExport
import DoorstepGeometry
import DoorstepImport
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// The walking network's breaks and their mending (issue 16): `doorstep network check` and `doorstep network mend`.
public enum NetworkUseCase {
    public struct Options: Sendable {
        /// `--within`: metres (`NetworkRepair.toleranceRange`).
        public static let tolerance = NetworkRepair.toleranceRange
        public static let defaultTolerance = NetworkRepair.defaultTolerance
        /// The reach the costs and the no-path figures are measured with when none is given: the 10-minute life
        /// circle (500 m walking).
        public static let defaultPreset = "10min"

        public let tolerance: Double
        /// Walking coverage options (always walking; the reach is one radius, by default the 10-minute preset).
        public let analysis: AnalysisOptions

        public init(tolerance: Double? = nil, radius: Double? = nil, preset: String? = nil, kinds: [String] = [],
                    services: [String] = [], snapLimit: Double? = nil) throws {
            self.tolerance = try tolerance.map {
                try Limits.check(Limits.finite($0, "within"), Self.tolerance, "within", unit: "m",
                                 hint: " (a gap wider than 50 m is a missing street, not a break in the data)")
            } ?? Self.defaultTolerance
            analysis = try AnalysisOptions(radius: radius, preset: radius == nil ? (preset ?? Self.defaultPreset) : preset,
                                           walk: true, kinds: kinds, services: services, snapLimit: snapLimit)
        }

        var radius: Double {
            if case .uniform(let r) = analysis.reach { return r }
            return AnalysisOptions.fallbackRadius
        }
    }

    // MARK: Figures

    /// The figures of a network that mending should move: its pieces, the share of the largest, and the compounds
    /// (and households) with no path to any station or not covered, under the options' reach.
    public struct Figures: Sendable, Equatable {
        public let edges: Int
        public let lengthMetres: Double
        public let pieces: Int
        /// The largest piece (most nodes): its share of the network's length, 0…1.
        public let largestPieceShare: Double
        public let compounds: Int
        public let households: Int
        public let coveredCompounds: Int
        public let coveredHouseholds: Int
        public let noPathCompounds: Int
        public let noPathHouseholds: Int
        public let unreachableCompounds: Int
        /// Qualifying stations whose nearest street is not on the largest piece: residents on the main network get
        /// no path to them.
        public let strandedStations: [String]

        public var json: JSONValue {
            .object([
                ("edges", .number(Double(edges))), ("length_m", .number((lengthMetres * 10).rounded() / 10)),
                ("pieces", .number(Double(pieces))), ("largest_piece_share", .number((largestPieceShare * 10000).rounded() / 10000)),
                ("compounds", .number(Double(compounds))), ("households", .number(Double(households))),
                ("covered_compounds", .number(Double(coveredCompounds))), ("covered_households", .number(Double(coveredHouseholds))),
                ("no_path_compounds", .number(Double(noPathCompounds))), ("no_path_households", .number(Double(noPathHouseholds))),
                ("unreachable_compounds", .number(Double(unreachableCompounds))),
                ("stranded_stations", .array(strandedStations.map(JSONValue.string))),
            ])
        }

        /// `pieces 44, largest 88.1 % of 61.2 km; no path: 7 compounds (1,234 households); covered: …`
        public var line: String {
            String(format: "%d piece%@, the largest %.1f %% of %.1f km; stations off it: %d; no path: %d compound%@ (%d households); covered: %d of %d compounds (%d of %d households)",
                   pieces, pieces == 1 ? "" : "s", largestPieceShare * 100, lengthMetres / 1000, strandedStations.count, noPathCompounds,
                   noPathCompounds == 1 ? "" : "s", noPathHouseholds, coveredCompounds, compounds, coveredHouseholds, households)
        }
    }

    /// The figures of `network` with `report` (walking coverage on it) and the qualifying `stations`.
    static func figures(_ network: WalkingNetwork, _ report: CoverageReport, stations: [Station]) throws -> Figures {
        let g = network.graph
        let projection = try network.makeProjection()
        let stranded = stations.filter { s in
            network.snap(s.location, projection: projection).map { g.component[Int(g.edgeSource[Int($0.edge)])] != 0 } ?? false
        }.map(\.id)
        var length = [Double](repeating: 0, count: g.componentSizes.count)
        for e in 0..<g.edgeCount { length[Int(g.component[Int(g.edgeSource[e])])] += g.edgeLength[e] }
        let total = length.reduce(0, +)
        func households(_ cs: [CompoundCoverage]) -> Int { cs.reduce(0) { $0 + ($1.site.households ?? 0) } }
        let covered = report.compounds.filter { $0.status == .covered }
        let noPath = report.compounds.filter { $0.status == .noPath }
        return Figures(edges: g.edgeCount, lengthMetres: total, pieces: g.componentSizes.count,
                       largestPieceShare: total > 0 ? (length.first ?? 0) / total : 0,
                       compounds: report.compounds.count, households: households(report.compounds),
                       coveredCompounds: covered.count, coveredHouseholds: households(covered),
                       noPathCompounds: noPath.count, noPathHouseholds: households(noPath),
                       unreachableCompounds: report.compounds.filter { $0.status == .unreachable }.count,
                       strandedStations: stranded)
    }

    /// The figures of `network` under the options' reach.
    static func measure(_ network: WalkingNetwork, stations: [Station], compounds: [CompoundSite], options: Options) throws -> Figures {
        try figures(network, try coverage(network, stations: stations, compounds: compounds, options: options),
                    stations: stations.filter { options.analysis.filter.accepts($0) })
    }

    static func coverage(_ network: WalkingNetwork, stations: [Station], compounds: [CompoundSite], options: Options) throws -> CoverageReport {
        try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network,
                                 options: CoverageOptions(reach: .uniform(options.radius), walk: true, filter: options.analysis.filter,
                                                          speed: options.analysis.speed))
    }

    /// A network over `ways` in the store's metric zone.
    static func network(_ ways: [WalkableWay], store: any StoreReader, options: Options) throws -> WalkingNetwork {
        try WalkingNetwork(graph: WalkGraph(ways: ways), zone: store.metricZone(), snapLimit: options.analysis.snapLimit,
                           waysGeneration: store.generation(of: .ways))
    }

    static func walkableWays(_ store: any StoreReader) throws -> [WalkableWay] {
        let ways = try store.walkableWays()
        guard !ways.isEmpty else { throw UseCaseError.noWalkingNetwork }
        return ways
    }

    // MARK: Check

    /// One connected piece of the network and what is stranded on it.
    public struct Piece: Sendable {
        public let index: Int
        public let edges: Int
        public let nodes: Int
        public let lengthMetres: Double
        public let exampleWay: String
        /// Stations whose nearest street is on this piece.
        public let stations: [String]
        /// Compounds whose reference points all snap to this piece (the lowest-numbered they reach).
        public let compounds: [String]
        public let households: Int
        /// Every edge's line, for GeoJSON.
        public let lines: [[Coordinate]]

        public var json: JSONValue {
            .object([
                ("piece", .number(Double(index))), ("edges", .number(Double(edges))), ("nodes", .number(Double(nodes))),
                ("length_m", .number((lengthMetres * 10).rounded() / 10)), ("example_way", .string(exampleWay)),
                ("stations", .array(stations.map(JSONValue.string))), ("compounds", .array(compounds.map(JSONValue.string))),
                ("households", .number(Double(households))),
            ])
        }
    }

    public struct Check: Sendable {
        public let options: Options
        public let generation: Int
        public let figures: Figures
        /// Largest first (piece 0 is the main network).
        public let pieces: [Piece]
        public let breaks: NetworkBreaks
        /// Parallel to `breaks.danglingEnds + breaks.crossings`.
        public let costs: [BreakCost]
        /// Connectors already in the network (from an earlier `network mend`).
        public let connectorsStored: Int

        /// Dangling ends then crossings, each with its cost.
        public var breaksWithCosts: [(NetworkBreak, BreakCost)] { Array(zip(breaks.danglingEnds + breaks.crossings, costs)) }

        public var query: [(String, JSONValue)] {
            [("within", .number(options.tolerance))] + options.analysis.query
        }

        static func breakJSON(_ b: NetworkBreak, _ cost: BreakCost?) -> [(String, JSONValue)] {
            var members: [(String, JSONValue)] = [
                ("kind", .string(b.kind.rawValue)), ("from_way", .string(b.connector.fromWay)), ("to_way", .string(b.connector.toWay)),
                ("gap_m", .number((b.connector.lengthMetres * 100).rounded() / 100)),
                ("from_piece", .number(Double(b.fromPiece))), ("to_piece", .number(Double(b.toPiece))),
                ("joins_pieces", .bool(b.joinsPieces)), ("mendable", .bool(b.mendable)),
                ("refusal", b.refusal.map(JSONValue.string) ?? .null), ("reason", .string(b.connector.reason)),
            ]
            if let cost {
                members += [
                    ("compounds_gained", .array(cost.compounds.map(JSONValue.string))),
                    ("households_gained", .number(Double(cost.households))),
                    ("gained_from_no_path", .number(Double(cost.fromNoPath))),
                ]
            }
            return members
        }

        public var json: JSONValue {
            Records.envelope(query: query, generation: generation, [
                ("figures", figures.json),
                ("connectors_stored", .number(Double(connectorsStored))),
                ("dangling_ends", .number(Double(breaks.danglingEndCount))),
                ("crossings_at_different_levels", .number(Double(breaks.crossingsAtDifferentLevels))),
                ("pieces", .array(pieces.map(\.json))),
                ("breaks", .array(breaksWithCosts.map { b, cost in
                    .object(Self.breakJSON(b, cost) + [("line", .array(b.connector.line.map(\.jsonPosition)))])
                })),
            ])
        }

        /// The breaks (connectors as lines, crossings as points) and the isolated pieces (their streets as one
        /// MultiLineString each), for QGIS.
        public var featureCollection: JSONValue {
            var features = [JSONValue]()
            for (b, cost) in breaksWithCosts {
                let geometry: Geometry = b.kind == .crossing ? .point(b.connector.line[0]) : .lineString(b.connector.line)
                features.append(.object([("type", .string("Feature")), ("geometry", geometry.geoJSON),
                                         ("properties", .object([("feature", .string("break"))] + Self.breakJSON(b, cost)))]))
            }
            for piece in pieces.dropFirst() {
                guard case .object(let members) = piece.json else { continue }
                features.append(.object([("type", .string("Feature")), ("geometry", Geometry.multiLineString(piece.lines).geoJSON),
                                         ("properties", .object([("feature", .string("isolated_piece"))] + members))]))
            }
            return JSONValue.featureCollection(features)
        }
    }

    /// The network as it is (with any connectors stored): its pieces and what is stranded on them, the breaks within
    /// the tolerance, and what each costs.
    public static func check(_ options: Options, store: any StoreReader) throws -> Check {
        let ways = try walkableWays(store)
        let network = try network(ways, store: store, options: options)
        let projection = try network.makeProjection()
        let barriers = NetworkBarriers(closedWays: try store.closedWays(), water: try store.water(), projection: projection)
        let breaks = NetworkRepair.find(graph: network.graph, projection: projection, tolerance: options.tolerance, barriers: barriers)
        let stations = try store.stations(), compounds = try store.compoundSites()
        let (report, costs) = try BreakCosts.run(breaks: breaks.danglingEnds + breaks.crossings, stations: stations,
                                                 compounds: compounds, network: network, radius: options.radius,
                                                 filter: options.analysis.filter)
        let pieces = try Self.pieces(network, projection: projection, stations: stations.filter { options.analysis.filter.accepts($0) },
                                     compounds: compounds)
        return Check(options: options, generation: try store.generation(), figures: try figures(network, report, stations: stations.filter { options.analysis.filter.accepts($0) }), pieces: pieces,
                     breaks: breaks, costs: costs, connectorsStored: try store.connectorCount())
    }

    static func pieces(_ network: WalkingNetwork, projection: MetricProjection, stations: [Station],
                       compounds: [CompoundSite]) throws -> [Piece] {
        let g = network.graph
        let count = g.componentSizes.count
        var edges = [Int](repeating: 0, count: count), length = [Double](repeating: 0, count: count)
        var example = [String?](repeating: nil, count: count), lines = [[[Coordinate]]](repeating: [], count: count)
        for e in 0..<g.edgeCount {
            let c = Int(g.component[Int(g.edgeSource[e])])
            edges[c] += 1
            length[c] += g.edgeLength[e]
            if example[c] == nil { example[c] = g.wayIDs[Int(g.edgeWay[e])] }
            if c > 0 { lines[c].append(Array(g.edgeVertices(e))) }
        }
        func piece(of point: Coordinate) -> Int? {
            network.snap(point, projection: projection).map { Int(g.component[Int(g.edgeSource[Int($0.edge)])]) }
        }
        var stationsOn = [[String]](repeating: [], count: count)
        for s in stations { if let p = piece(of: s.location) { stationsOn[p].append(s.id) } }
        var compoundsOn = [[String]](repeating: [], count: count), households = [Int](repeating: 0, count: count)
        for c in compounds {
            guard let p = c.referencePoints.compactMap(piece(of:)).min() else { continue }
            compoundsOn[p].append(c.id)
            households[p] += c.households ?? 0
        }
        return (0..<count).map {
            Piece(index: $0, edges: edges[$0], nodes: g.componentSizes[$0], lengthMetres: length[$0], exampleWay: example[$0] ?? "",
                  stations: stationsOn[$0], compounds: compoundsOn[$0], households: households[$0], lines: lines[$0])
        }
    }

    // MARK: Mend

    public struct Mend: Sendable {
        public let options: Options
        public let dryRun: Bool
        /// The network as it was (with any connectors stored before) and as it is after (or would be).
        public let before: Figures
        public let after: Figures
        /// The connectors added (or that would be), in the order stored: `mend/1` first.
        public let connectors: [NetworkConnector]
        /// Connectors of an earlier mend that these replace (or, for `undo`, that were removed).
        public let replaced: Int
        /// Water features stored with this mend (`--water`), nil when the stored water was kept.
        public let waterStored: Int?
        public let breaks: NetworkBreaks?

        public var json: JSONValue {
            .object([
                ("within", .number(options.tolerance)), ("dry_run", .bool(dryRun)),
                ("before", before.json), ("after", after.json),
                ("connectors", .number(Double(connectors.count))),
                ("dangling_ends_joined", .number(Double(connectors.filter { $0.kind == .danglingEnd }.count))),
                ("crossings_noded", .number(Double(connectors.filter { $0.kind == .crossing }.count))),
                ("replaced", .number(Double(replaced))),
            ])
        }

        /// The connectors as GeoJSON (crossings as points), numbered as they are (or would be) stored.
        public var featureCollection: JSONValue {
            JSONValue.featureCollection(connectors.enumerated().map { i, c in
                let geometry: Geometry = c.kind == .crossing ? .point(c.line[0]) : .lineString(c.line)
                return .object([("type", .string("Feature")), ("geometry", geometry.geoJSON), ("properties", .object([
                    ("id", .string("mend/\(i + 1)")), ("mended", .bool(true)), ("kind", .string(c.kind.rawValue)),
                    ("length_m", .number((c.lengthMetres * 100).rounded() / 100)), ("reason", .string(c.reason)),
                    ("from_way", .string(c.fromWay)), ("to_way", .string(c.toWay)),
                ]))])
            })
        }
    }

    /// Plans the connectors on the network without any earlier ones and, unless `dryRun`, stores them in place of
    /// those (with `water` as the barriers when given), rebuilding the stored network, in one transaction.
    public static func mend(_ options: Options, store: any StoreWriter, dryRun: Bool, water: [WaterFeature]? = nil) throws -> Mend {
        let all = try walkableWays(store)
        let stations = try store.stations(), compounds = try store.compoundSites()
        let current = try network(all, store: store, options: options)
        let before = try measure(current, stations: stations, compounds: compounds, options: options)
        let plain = all.filter { !$0.mended }
        let base = try network(plain, store: store, options: options)
        let projection = try base.makeProjection()
        let barriers = NetworkBarriers(closedWays: try store.closedWays(), water: try water ?? store.water(), projection: projection)
        let breaks = NetworkRepair.find(graph: base.graph, projection: projection, tolerance: options.tolerance, barriers: barriers)
        let connectors = breaks.connectors
        let planned = plain + connectors.enumerated().map { WalkableWay(id: "mend/\($0.offset + 1)", lines: [$0.element.line], mended: true) }
        var afterNetwork = try network(planned, store: store, options: options)
        var replaced = all.count - plain.count
        if !dryRun {
            (replaced, afterNetwork) = try store.importTogether {
                if let water { try store.storeWater(water, replace: true) }
                let removed = try store.replaceConnectors(with: connectors)
                return (removed, try WalkingNetwork.load(from: store, snapLimit: options.analysis.snapLimit, persist: true))
            }
        }
        let after = try measure(afterNetwork, stations: stations, compounds: compounds, options: options)
        return Mend(options: options, dryRun: dryRun, before: before, after: after, connectors: connectors, replaced: replaced,
                    waterStored: dryRun ? nil : water?.count, breaks: breaks)
    }

    /// Removes every connector of `network mend` and rebuilds the stored network, in one transaction.
    public static func undo(_ options: Options, store: any StoreWriter) throws -> Mend {
        let all = try walkableWays(store)
        let stations = try store.stations(), compounds = try store.compoundSites()
        let current = try network(all, store: store, options: options)
        let before = try measure(current, stations: stations, compounds: compounds, options: options)
        let stored = try store.connectorCount()
        var afterNetwork = current
        if stored > 0 {
            afterNetwork = try store.importTogether {
                try store.replaceConnectors(with: [])
                return try WalkingNetwork.load(from: store, snapLimit: options.analysis.snapLimit, persist: true)
            }
        }
        let after = try measure(afterNetwork, stations: stations, compounds: compounds, options: options)
        return Mend(options: options, dryRun: false, before: before, after: after, connectors: [], replaced: stored,
                    waterStored: nil, breaks: nil)
    }

    /// Water features from a GeoJSON file in WGS84 (lines and polygons; other geometries are refused by feature).
    public static func readWater(_ url: URL) throws -> [WaterFeature] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ImportError(file: url.path, ImportProblem(.file, "cannot be read as UTF-8 text: \(error.localizedDescription)"))
        }
        let document: JSONValue
        do { document = try JSONValue.parse(text) } catch let error as JSONSyntaxError {
            throw ImportError(file: url.lastPathComponent, ImportProblem(.file, "is not GeoJSON: \(error.message)"))
        }
        guard case .array(let features)? = document["features"] else {
            throw ImportError(file: url.lastPathComponent, ImportProblem(.file, "is not a GeoJSON FeatureCollection"))
        }
        var out = [WaterFeature]()
        var problems = [ImportProblem]()
        for (i, feature) in features.enumerated() {
            var notes = [String]()
            let location = InputLocation.feature(index: i + 1, id: nil)
            guard let g = feature["geometry"], g != .null,
                  let geometry = try? GeoJSONReader.geometry(g, closeRings: false, repaired: &notes) else {
                problems.append(ImportProblem(location, field: "geometry", "missing or not a GeoJSON geometry"))
                continue
            }
            switch geometry {
            case .lineString, .multiLineString, .polygon, .multiPolygon: break
            default:
                problems.append(ImportProblem(location, field: "geometry", "\(geometry.typeName) is no water (lines and polygons only)"))
                continue
            }
            func text(_ key: String) -> String? {
                if case .string(let s)? = feature["properties"]?[key], !s.trimmed.isEmpty { return s }
                return nil
            }
            let id: String
            switch feature["id"] ?? feature["properties"]?["id"] {
            case .string(let s)?: id = s
            case .number(let n)?: id = String(format: "%.0f", n)
            default: id = "\(url.deletingPathExtension().lastPathComponent)#\(i + 1)"
            }
            out.append(WaterFeature(id: id, kind: text("waterway") ?? text("water") ?? text("natural") ?? text("kind"),
                                    name: text("name"), geometry: geometry))
        }
        if !problems.isEmpty {
            throw ImportError(file: url.lastPathComponent, problems: Array(problems.prefix(ProblemLog.limit)),
                              more: max(0, problems.count - ProblemLog.limit))
        }
        if Set(out.map(\.id)).count != out.count {
            throw ImportError(file: url.lastPathComponent, ImportProblem(.file, "feature ids repeat; each water feature needs its own id"))
        }
        return out
    }
}
