import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import CityGen

/// `doorstep network check` and `network mend` (issue 16): on the sample city, on the OSM import of the test extract
/// and on a synthetic city with a canal, against computations written here — pieces by a union-find over
/// `network_edges` read with SQL, gaps by SpatiaLite's ellipsoidal distance, crossings by a brute-force segment test,
/// costs by coverage recomputed with each connector added, the canal by SpatiaLite intersecting connectors with it.
final class NetworkMendTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sample = root.appendingPathComponent("geodata/nanjing-xinjiekou")

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-mend-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    func sampleStore(_ name: String = "sample.sqlite") throws -> Store {
        let store = try Store(path: work.appendingPathComponent(name).path)
        try importSampleCity(into: store, from: Self.sample)
        _ = try WalkingNetwork.load(from: store, persist: true)
        return store
    }

    // MARK: Independent computations

    /// Pieces of the stored network: a union-find over `network_edges`' sources and targets, with each piece's length.
    func storedPieces(_ store: Store) throws -> (count: Int, largestShare: Double) {
        var parent = [Int64: Int64]()
        func find(_ x: Int64) -> Int64 {
            var x = x
            while let p = parent[x], p != x { parent[x] = parent[p]; x = parent[x]! }
            return x
        }
        var edges = [(Int64, Int64, Double)]()
        try store.database.prepare("SELECT source, target, length_m FROM network_edges").forEach {
            edges.append(($0.int(0), $0.int(1), $0.double(2)))
        }
        for (a, b, _) in edges {
            if parent[a] == nil { parent[a] = a }
            if parent[b] == nil { parent[b] = b }
            let ra = find(a), rb = find(b)
            if ra != rb { parent[ra] = rb }
        }
        var nodes = [Int64: Int](), length = [Int64: Double]()
        for n in parent.keys { nodes[find(n), default: 0] += 1 }
        for (a, _, l) in edges { length[find(a), default: 0] += l }
        // The largest piece is the one with most nodes (as the graph numbers them).
        let largest = nodes.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!.key
        return (nodes.count, length[largest]! / length.values.reduce(0, +))
    }

    /// Proper crossings between segments of different stored edges (no shared vertex), every pair tried.
    func bruteForceCrossings(_ store: Store) throws -> [(String, String)] {
        var segments = [(way: String, a: Coordinate, b: Coordinate, edge: Int64)]()
        try store.database.prepare("SELECT edge, way_id, AsText(geom) FROM network_edges").forEach { row in
            let text = row.text(2)
            let inner = text[text.index(after: text.firstIndex(of: "(")!)..<text.lastIndex(of: ")")!]
            let points = inner.split(separator: ",").map { pair -> Coordinate in
                let xy = pair.split(separator: " ").compactMap { Double($0) }
                return Coordinate(lon: xy[0], lat: xy[1])
            }
            for (a, b) in zip(points, points.dropFirst()) { segments.append((row.text(1), a, b, row.int(0))) }
        }
        func orient(_ p: Coordinate, _ q: Coordinate, _ r: Coordinate) -> Double {
            (q.lon - p.lon) * (r.lat - p.lat) - (q.lat - p.lat) * (r.lon - p.lon)
        }
        var out = [(String, String)]()
        for i in 0..<segments.count {
            let s = segments[i]
            for j in (i + 1)..<segments.count {
                let t = segments[j]
                if s.edge == t.edge { continue }
                let d1 = orient(t.a, t.b, s.a), d2 = orient(t.a, t.b, s.b), d3 = orient(s.a, s.b, t.a), d4 = orient(s.a, s.b, t.b)
                if d1 * d2 < 0 && d3 * d4 < 0 { out.append((s.way, t.way)) }
            }
        }
        return out
    }

    /// The least geodesic distance from p to the way, sampling each segment (interpolated in longitude/latitude) at
    /// about 2 mm.
    func sampledDistance(_ store: Store, from p: Coordinate, to way: String) throws -> Double {
        var best = Double.infinity
        guard case .multiLineString(let lines)? = try store.geometry(of: .ways, id: way) else { XCTFail(way); return best }
        for line in lines {
            for (a, b) in zip(line, line.dropFirst()) {
                let steps = max(1, Int(andoyerLambert(a, b) / 0.002))
                for i in 0...steps {
                    let t = Double(i) / Double(steps)
                    best = min(best, andoyerLambert(p, Coordinate(lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat))))
                }
            }
        }
        return best
    }

    func level(_ store: Store, _ way: String) throws -> WayLevel {
        let row = try store.database.prepare("SELECT bridge, tunnel, layer FROM ways WHERE id = ?")
        try row.bind([.text(way)])
        XCTAssertTrue(try row.step(), way)
        return WayLevel(bridge: row.optionalText(0), tunnel: row.optionalText(1), layer: row.optionalText(2))
    }

    /// Whether walking coverage covers each compound with `extra` ways added to the store's (brute force).
    func coveredWith(_ extra: [WalkableWay], store: Store, radius: Double) throws -> [String: Bool] {
        let network = try WalkingNetwork(graph: WalkGraph(ways: try store.walkableWays() + extra), zone: try store.metricZone(),
                                         snapLimit: 250, waysGeneration: 0)
        let report = try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(), network: network,
                                              options: CoverageOptions(reach: .uniform(radius), walk: true))
        return Dictionary(uniqueKeysWithValues: report.compounds.map { ($0.site.id, $0.status == .covered) })
    }

    // MARK: Sample city

    func testSampleCheckAgainstIndependentCounts() throws {
        let store = try sampleStore()
        let check = try NetworkUseCase.check(try NetworkUseCase.Options(), store: store)
        // 44 pieces, as the issue says and a union-find over network_edges counts.
        let pieces = try storedPieces(store)
        XCTAssertEqual(check.figures.pieces, 44)
        XCTAssertEqual(pieces.count, 44)
        XCTAssertEqual(check.figures.largestPieceShare, pieces.largestShare, accuracy: 1e-9)
        XCTAssertEqual(check.pieces.map(\.edges).reduce(0, +), Int(try store.database.scalarInt("SELECT count(*) FROM network_edges") ?? 0))
        let stranded = Dictionary(uniqueKeysWithValues: check.pieces.flatMap { p in p.stations.map { ($0, p.index) } })
        XCTAssertEqual(Set(check.figures.strandedStations), Set(stranded.filter { $0.value != 0 }.keys))
        XCTAssertEqual(check.figures.strandedStations.sorted(), ["S006", "S019"])
        // The issue's S010 and S024: their nearest streets are on isolated pieces (an unjoined footway, an underpass),
        // by SpatiaLite's distance to network_edges; the snap rule puts them on the main network, at most 20 m farther.
        let stations = Dictionary(uniqueKeysWithValues: try store.stations().map { ($0.id, $0.location) })
        for id in ["S010", "S024"] {
            let p = try XCTUnwrap(stations[id])
            XCTAssertEqual(stranded[id], 0, id)
            let nearest = try store.database.prepare("""
                SELECT component, ST_Distance(MakePoint(?1, ?2, 4326), geom, 1) AS d FROM network_edges ORDER BY d LIMIT 1
                """)
            try nearest.bind([.double(p.lon), .double(p.lat)])
            XCTAssertTrue(try nearest.step())
            XCTAssertNotEqual(nearest.int(0), 0, "\(id)'s nearest street is on an isolated piece")
            let isolated = nearest.double(1)
            let main = try XCTUnwrap(try store.database.scalarText("""
                SELECT min(ST_Distance(MakePoint(?, ?, 4326), geom, 1)) FROM network_edges WHERE component = 0
                """, [.double(p.lon), .double(p.lat)]).flatMap(Double.init))
            XCTAssertLessThanOrEqual(main, isolated + WalkingNetwork.preferMainMetres + 0.05, id)
        }

        // Gaps: SpatiaLite's ellipsoidal distance from the end to the way it is joined to, and the end is an end of its way.
        XCTAssertEqual(check.breaks.danglingEnds.count, 24)
        let distance = try store.database.prepare("""
            SELECT ST_Distance(MakePoint(?1, ?2, 4326), geom, 1),
                   min(ST_Distance(MakePoint(?1, ?2, 4326), ST_StartPoint(ST_GeometryN(geom, 1)), 1),
                       ST_Distance(MakePoint(?1, ?2, 4326), ST_EndPoint(ST_GeometryN(geom, 1)), 1))
            FROM ways WHERE id = ?3
            """)
        for end in check.breaks.danglingEnds {
            let p = end.connector.line[0], q = end.connector.line[1]
            XCTAssertEqual(end.connector.lengthMetres, andoyerLambert(p, q), accuracy: 0.005)
            try distance.bind([.double(p.lon), .double(p.lat), .text(end.connector.toWay)])
            XCTAssertTrue(try distance.step())
            let spatiaLite = distance.double(0)
            distance.reset()
            // The nearest point of the way: SpatiaLite finds it in degrees and measures it on the ellipsoid (an upper
            // bound, a few cm long at 32°N); sampling the way every few millimetres finds the geodesic nearest.
            XCTAssertLessThanOrEqual(end.connector.lengthMetres, spatiaLite + 1e-4, end.connector.reason)
            XCTAssertEqual(end.connector.lengthMetres, try sampledDistance(store, from: p, to: end.connector.toWay), accuracy: 0.003,
                           end.connector.reason)
            XCTAssertLessThanOrEqual(end.connector.lengthMetres, 5 + 1e-9)
            try distance.bind([.double(p.lon), .double(p.lat), .text(end.connector.fromWay)])
            XCTAssertTrue(try distance.step())
            XCTAssertEqual(distance.double(1), 0, accuracy: 1e-6, "\(end.connector.fromWay) ends where the connector starts")
            distance.reset()
        }
        // Crossings: every proper crossing found by brute force is either listed (same level) or counted as at
        // different levels, and the listed ones are on one level by the stored tags.
        let crossings = try bruteForceCrossings(store)
        XCTAssertEqual(crossings.count, 21)
        XCTAssertEqual(check.breaks.crossings.count + check.breaks.crossingsAtDifferentLevels, crossings.count)
        var sameLevel = 0
        for (a, b) in crossings {
            if try level(store, a) == level(store, b) { sameLevel += 1 }
        }
        XCTAssertEqual(check.breaks.crossings.count, sameLevel)
        XCTAssertEqual(sameLevel, 2)
        for c in check.breaks.crossings {
            XCTAssertEqual(try level(store, c.connector.fromWay), try level(store, c.connector.toWay))
        }
        XCTAssertEqual(check.breaks.crossingsAtDifferentLevels, 19, "tunnels under roads in the sample: left alone")
    }

    func testSampleMendBeforeAfterAndUndo() throws {
        let store = try sampleStore()
        let options = try NetworkUseCase.Options(tolerance: 5)
        let generation = try store.generation(of: .ways)
        let mend = try NetworkUseCase.mend(options, store: store, dryRun: false)
        XCTAssertEqual(mend.before.pieces, 44)
        XCTAssertEqual(mend.after.pieces, try storedPieces(store).count, "the figures are those of the stored network")
        XCTAssertEqual(mend.after.largestPieceShare, try storedPieces(store).largestShare, accuracy: 1e-9)
        XCTAssertEqual(mend.after.pieces, 33)
        XCTAssertGreaterThan(mend.after.largestPieceShare, mend.before.largestPieceShare)
        XCTAssertEqual(mend.before.noPathCompounds, 0)
        XCTAssertEqual(mend.after.noPathCompounds, 0)
        XCTAssertLessThan(mend.after.strandedStations.count, mend.before.strandedStations.count)
        XCTAssertEqual(mend.connectors.count, 16)
        XCTAssertGreaterThan(try store.generation(of: .ways), generation)
        // Stored as ways: mended, length, reason; the crossing connectors have length 0.
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM ways WHERE mended = 1 AND reason IS NOT NULL AND length_m >= 0"), 16)
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM ways WHERE mended = 1 AND length_m = 0"), 2, "the crossings")
        XCTAssertEqual(try store.database.scalarText("SELECT min(id) FROM ways WHERE mended = 1"), "mend/1")
        // Exports carry them (every column of the ways).
        var exported = 0
        try store.forEachFeature(of: .layer(.ways)) { _, properties, _ in
            if properties.contains(where: { $0.0 == "mended" && $0.1 == .number(1) }) { exported += 1 }
        }
        XCTAssertEqual(exported, 16)
        // Mending again replaces the connectors: the same network.
        let again = try NetworkUseCase.mend(options, store: store, dryRun: false)
        XCTAssertEqual(again.replaced, 16)
        XCTAssertEqual(again.after, mend.after)
        XCTAssertEqual(again.before, mend.after)
        // Undo: back to the imported network.
        let undo = try NetworkUseCase.undo(options, store: store)
        XCTAssertEqual(undo.replaced, 16)
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM ways WHERE mended = 1"), 0)
        XCTAssertEqual(try storedPieces(store).count, 44)
        XCTAssertEqual(undo.after, mend.before)
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM network_edges"), 761)
        XCTAssertEqual(try NetworkUseCase.undo(options, store: store).replaced, 0, "nothing left to undo")
    }

    func testDryRunStoresNothing() throws {
        let store = try sampleStore()
        let generation = try store.generation()
        let edges = try store.database.scalarInt("SELECT count(*) FROM network_edges")
        let mend = try NetworkUseCase.mend(try NetworkUseCase.Options(), store: store, dryRun: true)
        XCTAssertEqual(try store.generation(), generation)
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM network_edges"), edges)
        XCTAssertEqual(try store.connectorCount(), 0)
        guard case .array(let features)? = mend.featureCollection["features"] else { return XCTFail("no features") }
        XCTAssertEqual(features.count, 16)
        XCTAssertEqual(features.filter { $0["geometry"]?["type"] == .string("Point") }.count, 2, "crossings as points")
        XCTAssertEqual(mend.after.pieces, 33)
    }

    /// Each break's cost against walking coverage recomputed with that connector alone added to the ways.
    func testCostsAgreeWithCoverageRecomputed() throws {
        let store = try sampleStore()
        for radius in [500.0, 1000] {
            let check = try NetworkUseCase.check(try NetworkUseCase.Options(radius: radius), store: store)
            let before = try coveredWith([], store: store, radius: radius)
            for (b, cost) in check.breaksWithCosts {
                let after = try coveredWith([WalkableWay(id: "test-connector", lines: [b.connector.line], mended: true)], store: store, radius: radius)
                let gained = after.filter { $0.value && !(before[$0.key] ?? false) }.keys.sorted()
                XCTAssertEqual(cost.compounds.sorted(), gained, b.connector.reason)
            }
        }
    }

    // MARK: "No path" explained, snapping

    func testNoPathIsExplained() throws {
        let store = try sampleStore()
        // The issue's resident: every station with no path says why, naming the piece as network_edges holds it.
        let result = try NearestUseCase.run(try NearestUseCase.Options(lon: 118.779, lat: 32.044, k: 40, walk: true), on: store)
        XCTAssertNotNil(result.walking[0], "the nearest station is one the resident can walk to")
        let firstNoPath = try XCTUnwrap(result.walking.firstIndex(where: { $0 == nil }))
        XCTAssertTrue(result.walking[firstNoPath...].allSatisfy { $0 == nil }, "reachable stations first, then the others")
        XCTAssertTrue(result.walking[..<firstNoPath].allSatisfy { $0 != nil })
        let found = Dictionary(uniqueKeysWithValues: result.found.enumerated().map { ($1.station.id, $0) })
        XCTAssertNotNil(result.walking[try XCTUnwrap(found["S010"])], "S010 (132 m away) is reached through the snap rule")
        XCTAssertNotNil(result.walking[try XCTUnwrap(found["S024"])])
        let s006 = try XCTUnwrap(result.noPathReasons[try XCTUnwrap(found["S006"])])
        let ways = try store.database.scalarInt("""
            SELECT count(DISTINCT way_id) FROM network_edges WHERE component =
                (SELECT component FROM network_edges WHERE way_id = 'way/792235763' LIMIT 1)
            """)
        XCTAssertEqual(s006, "the station's nearest street, way/792235763, is on an isolated piece of \(ways!) streets (551 m), not joined to yours")
        guard case .array(let stationsJSON)? = try JSONValue.parse(String(decoding: result.json.bytes, as: UTF8.self))["stations"] else {
            return XCTFail("no stations")
        }
        XCTAssertEqual(stationsJSON.filter { $0["no_path_reason"] != nil && $0["no_path_reason"] != .null }.count,
                       result.walking.filter { $0 == nil }.count)

        // Coverage: a compound on an isolated street 60 m from the main one, and one beyond the snap limit.
        let net = try network([[at(0, 0), at(500, 0)], [at(500, 0), at(1000, 0)], [at(400, 60), at(500, 60)]])
        let report = try CoverageAnalysis.run(stations: [station("S", at(0, 5))],
                                              compounds: [compound("island", [at(450, 65)]), compound("far", [at(450, 900)])],
                                              network: net, options: CoverageOptions(reach: .uniform(500), walk: true))
        XCTAssertEqual(report.compounds.map(\.status), [.noPath, .unreachable])
        XCTAssertEqual(report.compounds[0].reason, "its nearest street, w2, is on an isolated piece of 1 street (100 m) with no station")
        XCTAssertEqual(report.compounds[1].reason, "farther than 250 m from every street")
        let row = report.compounds[0].properties(speed: 1.2)
        XCTAssertEqual(row.first { $0.0 == "reason" }?.1, .string(report.compounds[0].reason!))
    }

    func testSnappingPrefersTheMainNetworkOverATinyPiece() throws {
        // The main street along y = 0 (two ways, three nodes: the largest piece) and a 30 m footway that joins nothing.
        let street = [[at(0, 0), at(500, 0)], [at(500, 0), at(1000, 0)]]
        func piece(_ footwayY: Double, _ x: Double, _ y: Double, length: Double = 30) throws -> Int? {
            let net = try network(street + [[at(500, footwayY), at(500 + length, footwayY)]])
            return net.snap(at(x, y), projection: try net.makeProjection()).map(net.piece(of:))
        }
        // Footway 12 m north of the street: the street is never more than 12 m farther, so always the street.
        XCTAssertEqual(try piece(12, 515, 12), 0, "on the footway, 12 m from the street")
        XCTAssertEqual(try piece(12, 515, 14), 0, "2 m from the footway, 14 m from the street")
        XCTAssertEqual(try piece(12, 515, 45), 0)
        // Footway 30 m north: the margin is 20 m.
        XCTAssertEqual(try piece(30, 515, 24), 0, "6 m from the footway, 24 m from the street: 18 m farther")
        XCTAssertEqual(try piece(30, 515, 26), 1, "4 m from the footway, 26 m from the street: 22 m farther")
        XCTAssertEqual(try piece(30, 515, 35), 1)
        // A long isolated piece (1 km or more) is no stray: kept.
        XCTAssertEqual(try piece(12, 515, 14, length: 1100), 1)
    }

    // MARK: Options and edge cases

    func testToleranceLimits() throws {
        for bad in [-1, 50.001, 1e9, .infinity, -.infinity, .nan] {
            XCTAssertThrowsError(try NetworkUseCase.Options(tolerance: bad), "\(bad)") { error in
                XCTAssertTrue("\(error)".contains("within"), "\(error)")
            }
        }
        let store = try sampleStore()
        let exact = try NetworkUseCase.check(try NetworkUseCase.Options(tolerance: 0), store: store)
        XCTAssertTrue(exact.breaks.danglingEnds.allSatisfy { $0.connector.lengthMetres == 0 })
        XCTAssertEqual(exact.breaks.crossings.count, 2, "crossings do not depend on the tolerance")
        let wide = try NetworkUseCase.mend(try NetworkUseCase.Options(tolerance: 50), store: store, dryRun: true)
        XCTAssertTrue(wide.connectors.allSatisfy { $0.lengthMetres <= 50 })
        XCTAssertLessThan(wide.after.pieces, 33)
    }

    func testWaterFileIsChecked() throws {
        let file = work.appendingPathComponent("water.geojson")
        try #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"井"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}},{"type":"Feature","properties":{},"geometry":null}]}"#
            .write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NetworkUseCase.readWater(file)) { error in
            XCTAssertTrue("\(error)".contains("feature 1"), "\(error)")
            XCTAssertTrue("\(error)".contains("Point is no water"), "\(error)")
            XCTAssertTrue("\(error)".contains("feature 2"), "\(error)")
        }
        try "not json".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NetworkUseCase.readWater(file))
    }

    func testEmptyNetworkIsSaidSo() throws {
        let store = try Store(path: work.appendingPathComponent("empty.sqlite").path)
        XCTAssertThrowsError(try NetworkUseCase.check(try NetworkUseCase.Options(), store: store)) { error in
            XCTAssertEqual(error as? UseCaseError, .noWalkingNetwork)
        }
        _ = try Importer.run(ImportOptions(layer: .stations, file: Self.sample.appendingPathComponent("stations.geojson")), into: store)
        XCTAssertThrowsError(try NetworkUseCase.mend(try NetworkUseCase.Options(), store: store, dryRun: false)) { error in
            XCTAssertEqual(error as? UseCaseError, .noWalkingNetwork)
        }
        XCTAssertEqual(try store.count(.ways), 0)
    }

    // MARK: The rules, on hand-built ways

    func ways(_ list: [(String, [Coordinate], WayLevel)]) -> [WalkableWay] {
        list.map { WalkableWay(id: $0.0, lines: [$0.1], level: $0.2) }
    }

    func breaks(_ ways: [WalkableWay], closed: [WalkableWay] = [], water: [WaterFeature] = [], tolerance: Double = 5) throws -> NetworkBreaks {
        let graph = WalkGraph(ways: ways)
        let projection = try MetricProjection(zone: MetricZone(center: at(0, 0)))
        return NetworkRepair.find(graph: graph, projection: projection, tolerance: tolerance,
                                  barriers: NetworkBarriers(closedWays: closed, water: water, projection: projection))
    }

    func testLevelsBarriersAndDetours() throws {
        let road = ("road", [at(0, 0), at(200, 0)], WayLevel.ground)
        let bridge = WayLevel(layer: 1, bridge: true, tunnel: false), tunnel = WayLevel(layer: -1, bridge: false, tunnel: true)
        // A footway ending 2 m short of the road joins it, splitting it.
        var b = try breaks(ways([road, ("foot", [at(100, 50), at(100, 2)], .ground)]))
        XCTAssertEqual(b.connectors.count, 1)
        XCTAssertEqual(b.connectors[0].lengthMetres, andoyerLambert(at(100, 2), b.connectors[0].line[1]), accuracy: 1e-4)
        XCTAssertEqual(b.connectors[0].lengthMetres, 2, accuracy: 0.01)
        let mended = WalkGraph(ways: ways([road, ("foot", [at(100, 50), at(100, 2)], .ground)])
                               + [WalkableWay(id: "c", lines: [b.connectors[0].line], mended: true)])
        XCTAssertEqual(mended.componentSizes, [5], "road split in two, footway, connector: one piece")
        XCTAssertEqual(mended.edgeCount, 4)
        // Ground footway ending under a bridge's middle: left alone; a tunnel's end by the road: joined.
        b = try breaks(ways([("bridge", [at(0, 0), at(200, 0)], bridge), ("foot", [at(100, 50), at(100, 2)], .ground)]))
        XCTAssertEqual(b.connectors.count, 0)
        XCTAssertTrue(b.danglingEnds[0].refusal?.contains("another level") ?? false, "\(b.danglingEnds)")
        b = try breaks(ways([road, ("underpass", [at(100, 50), at(100, 3)], tunnel)]))
        XCTAssertEqual(b.connectors.count, 1)
        // A bridge split from its approach by 1.5 m: joined end to end whatever the levels.
        b = try breaks(ways([("approach", [at(0, 0), at(100, 0)], .ground), ("bridge", [at(101.5, 0), at(150, 0)], bridge)]))
        XCTAssertEqual(b.connectors.count, 1)
        XCTAssertEqual(b.connectors[0].lengthMetres, 1.5, accuracy: 0.01)
        // Across a foot=no way or water: left alone.
        let expressway = WalkableWay(id: "expressway", lines: [[at(0, 1), at(200, 1)]])
        b = try breaks(ways([road, ("foot", [at(100, 50), at(100, 2)], .ground)]), closed: [expressway])
        XCTAssertEqual(b.connectors.count, 0)
        XCTAssertTrue(b.danglingEnds[0].refusal?.contains("expressway") ?? false)
        let ditch = WaterFeature(id: "ditch", kind: "ditch", name: nil, geometry: .polygon([[at(0, 0.5), at(200, 0.5), at(200, 1.5), at(0, 1.5), at(0, 0.5)]]))
        b = try breaks(ways([road, ("foot", [at(100, 50), at(100, 2)], .ground)]), water: [ditch])
        XCTAssertEqual(b.connectors.count, 0)
        XCTAssertTrue(b.danglingEnds[0].refusal?.contains("water") ?? false)
        // Beyond the tolerance: nothing listed.
        b = try breaks(ways([road, ("foot", [at(100, 50), at(100, 6)], .ground)]))
        XCTAssertEqual(b.danglingEnds.count, 0)
        XCTAssertEqual(b.danglingEndCount, 4)
        // A short stub whose neighbour edge is near along the network: no shortcut.
        b = try breaks(ways([("a", [at(0, 0), at(100, 0)], .ground), ("stub", [at(100, 0), at(102, 2)], .ground),
                             ("b", [at(100, 0), at(104, 0), at(200, 0)], .ground)]))
        XCTAssertTrue(b.danglingEnds.filter { $0.connector.fromWay == "stub" }.allSatisfy { !$0.mendable })
        // Crossings: same level noded, different levels counted and left alone.
        b = try breaks(ways([("x", [at(0, 0), at(100, 100)], .ground), ("y", [at(0, 100), at(100, 0)], .ground)]))
        XCTAssertEqual(b.crossings.count, 1)
        let x = b.crossings[0].connector.line[0]
        XCTAssertEqual(andoyerLambert(x, at(50, 50)), 0, accuracy: 0.05)
        let noded = WalkGraph(ways: ways([("x", [at(0, 0), at(100, 100)], .ground), ("y", [at(0, 100), at(100, 0)], .ground)])
                              + [WalkableWay(id: "c", lines: [b.crossings[0].connector.line], mended: true)])
        XCTAssertEqual(noded.componentSizes, [5])
        b = try breaks(ways([("x", [at(0, 0), at(100, 100)], .ground), ("y", [at(0, 100), at(100, 0)], bridge)]))
        XCTAssertEqual(b.crossings.count, 0)
        XCTAssertEqual(b.crossingsAtDifferentLevels, 1)
    }

    // MARK: The synthetic city's canal

    func testCanalStaysUncrossedExceptByItsBridges() throws {
        let city = SyntheticCity(stations: 12, compounds: 60, waysGrid: 8, seed: 7, river: true)
        let dir = work.appendingPathComponent("synthetic")
        try city.write(to: dir)
        let store = try Store(path: work.appendingPathComponent("synthetic.sqlite").path)
        for layer in [Layer.ways, .compounds, .stations] {
            _ = try Importer.run(ImportOptions(layer: layer, file: dir.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
        }
        let water = try NetworkUseCase.readWater(dir.appendingPathComponent("water.geojson"))
        XCTAssertEqual(water.count, 1)
        let mend = try NetworkUseCase.mend(try NetworkUseCase.Options(tolerance: 5), store: store, dryRun: false, water: water)
        // Each bridge joined to its two approaches (1.5 m gaps); no stub joined across the 4 m canal.
        let bridges = (0...8).filter(SyntheticCity.isBridgeColumn).count
        XCTAssertEqual(mend.connectors.count, 2 * bridges)
        XCTAssertTrue(mend.connectors.allSatisfy { abs($0.lengthMetres - SyntheticCity.bridgeGapMetres) < 0.01 })
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM water"), 1)
        // No connector touches the canal (SpatiaLite's own intersection).
        XCTAssertEqual(try store.database.scalarInt("""
            SELECT count(*) FROM ways, water WHERE ways.mended = 1 AND ST_Intersects(ways.geom, water.geom)
            """), 0)
        // Every network edge over the canal is a bridge's.
        XCTAssertEqual(try store.database.scalarInt("""
            SELECT count(*) FROM network_edges e JOIN ways w ON w.id = e.way_id, water
            WHERE ST_Intersects(e.geom, water.geom) AND w.bridge IS NULL
            """), 0)
        XCTAssertEqual(try store.database.scalarInt("""
            SELECT count(*) FROM network_edges e JOIN ways w ON w.id = e.way_id, water
            WHERE ST_Intersects(e.geom, water.geom) AND w.bridge = 'yes'
            """), Int64(bridges))
        // One piece after mending (the 0.5 % foot=no edges aside); without the bridges' edges the banks fall apart.
        XCTAssertEqual(mend.before.pieces > mend.after.pieces, true)
        var parent = [Int64: Int64]()
        func find(_ x: Int64) -> Int64 { var x = x; while let p = parent[x], p != x { x = p }; return x }
        var north = Set<Int64>(), south = Set<Int64>()
        try store.database.prepare("""
            SELECT e.source, e.target, ST_Y(ST_StartPoint(e.geom)) FROM network_edges e JOIN ways w ON w.id = e.way_id
            WHERE w.bridge IS NULL
            """).forEach { row in
            let a = row.int(0), b = row.int(1)
            if parent[a] == nil { parent[a] = a }
            if parent[b] == nil { parent[b] = b }
            let ra = find(a), rb = find(b)
            if ra != rb { parent[ra] = rb }
            if row.double(2) > city.riverPolygon![2].lat { north.insert(a) } else if row.double(2) < city.riverPolygon![0].lat { south.insert(a) }
        }
        let northRoots = Set(north.map(find)), southRoots = Set(south.map(find))
        XCTAssertTrue(northRoots.isDisjoint(with: southRoots), "without the bridges nothing joins the banks")
    }

    // MARK: OpenStreetMap

    func testOSMImportKeepsLevelsAndWaterAndMends() throws {
        guard Osmium.locate() != nil else { throw XCTSkip("osmium is not installed") }
        let store = try Store(path: work.appendingPathComponent("osm.sqlite").path)
        let summary = try OSMImporter.run(OSMImportOptions(file: ImportOSMTests.extract), into: store)
        XCTAssertEqual(summary.water, 9)
        let xml = try OSMXML(url: ImportOSMTests.extract)
        let tunnels = xml.ways.filter { ImportOSMTests.walkable($0) && $0.tags["tunnel"] != nil }.count
        XCTAssertEqual(try store.database.scalarInt("SELECT count(*) FROM ways WHERE tunnel IS NOT NULL"), Int64(tunnels))
        XCTAssertGreaterThan(tunnels, 0)
        _ = try WalkingNetwork.load(from: store, persist: true)
        let options = try NetworkUseCase.Options(radius: 1000)
        let check = try NetworkUseCase.check(options, store: store)
        XCTAssertEqual(check.figures.pieces, try storedPieces(store).count)
        XCTAssertEqual(check.figures.pieces, 44)
        let crossings = try bruteForceCrossings(store)
        XCTAssertEqual(check.breaks.crossings.count + check.breaks.crossingsAtDifferentLevels, crossings.count)
        let mend = try NetworkUseCase.mend(options, store: store, dryRun: false)
        XCTAssertEqual(mend.after.pieces, try storedPieces(store).count)
        XCTAssertEqual(mend.after.pieces, 34)
        XCTAssertLessThanOrEqual(mend.after.noPathCompounds, mend.before.noPathCompounds)
        XCTAssertEqual(try store.database.scalarInt("""
            SELECT count(*) FROM ways, water WHERE ways.mended = 1 AND ST_Intersects(ways.geom, water.geom)
            """), 0, "no connector touches the extract's rivers and ponds")
    }
}
