import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Walking network, snapping, shortest paths and coverage on hand-built networks with known answers, and on the
/// sample city against an independent shortest-path computation written here.
final class NetworkTests: XCTestCase {
    func walking(_ stations: [Station], _ sites: [CompoundSite], _ net: WalkingNetwork, reach: Reach = .uniform(10_000)) throws -> CoverageReport {
        try CoverageAnalysis.run(stations: stations, compounds: sites, network: net, options: CoverageOptions(reach: reach, walk: true))
    }

    func testLatticeNodesAndEdges() throws {
        let net = try network(lattice())
        XCTAssertEqual(net.graph.nodes.count, 25)
        XCTAssertEqual(net.graph.edgeCount, 40, "2·n·(n+1) edges, each line split at every crossing")
        XCTAssertEqual(net.graph.componentSizes, [25])
        for e in 0..<net.graph.edgeCount { XCTAssertEqual(net.graph.edgeLength[e], 100, accuracy: 0.5) }
    }

    func testSquareGridWalkingIsManhattanAndNeverShorterThanStraight() throws {
        let net = try network(lattice())
        let report = try walking([station("S", at(0, 0))], [compound("C", [at(400, 400)])], net)
        let c = report.compounds[0]
        let manhattan = length([at(0, 0), at(400, 0), at(400, 400)])
        XCTAssertEqual(c.nearestWalking!.metres, manhattan, accuracy: manhattan * 1e-4)
        XCTAssertEqual(c.nearestStraight!.metres, andoyerLambert(at(0, 0), at(400, 400)), accuracy: 0.1)
        XCTAssertGreaterThanOrEqual(c.nearestWalking!.metres, c.nearestStraight!.metres)
        // 800 m walk: covered at 1000 m, not at 500 m — though 566 m straight is within 1000 and not 500.
        XCTAssertEqual(try walking([station("S", at(0, 0))], [compound("C", [at(400, 400)])], net, reach: .uniform(1000)).compounds[0].status, .covered)
        XCTAssertEqual(try walking([station("S", at(0, 0))], [compound("C", [at(400, 400)])], net, reach: .uniform(700)).compounds[0].status, .uncovered)
    }

    func testRiverCrossedByOneBridge() throws {
        // West bank x ≤ 0, east bank x ≥ 200 (a 200 m river), one bridge at y = 600.
        let west = [at(0, 0), at(0, 300), at(0, 600)], east = [at(200, 0), at(200, 300), at(200, 600)]
        let bridge = [at(0, 600), at(200, 600)]
        let net = try network([west, east, bridge])
        let s = station("S", at(-20, 0)), c = compound("C", [at(220, 0)])
        let r = try walking([s], [c], net).compounds[0]
        let expected = andoyerLambert(at(-20, 0), at(0, 0)) + length(west) + length(bridge) + length(east.reversed()) + andoyerLambert(at(200, 0), at(220, 0))
        XCTAssertEqual(r.nearestWalking!.metres, expected, accuracy: expected * 1e-4)
        XCTAssertEqual(r.nearestStraight!.metres, 240, accuracy: 1)
        XCTAssertEqual(try walking([s], [c], net, reach: .uniform(500)).compounds[0].status, .uncovered,
                       "240 m as the crow flies, but about 1.4 km by the bridge")
    }

    func testDeadEndAndSameEdge() throws {
        // One street 1 km long; station at 300 m, compound entrance at 700 m: both on the same edge.
        let street = [at(0, 0), at(1000, 0)]
        let net = try network([street])
        XCTAssertEqual(net.graph.edgeCount, 1)
        let r = try walking([station("S", at(300, 10))], [compound("C", [at(700, -10)])], net).compounds[0]
        let expected = andoyerLambert(at(300, 10), at(300, 0)) + andoyerLambert(at(300, 0), at(700, 0)) + andoyerLambert(at(700, 0), at(700, -10))
        XCTAssertEqual(r.nearestWalking!.metres, expected, accuracy: 0.5)
        // A dead end off the street: compound at its far end walks back along it.
        // Ways meet where they share a vertex (as in OSM); a spur ending mid-segment is not joined.
        let spur = [at(500, 0), at(500, 200)]
        XCTAssertEqual(try network([street, spur]).graph.componentSizes, [2, 2])
        let net2 = try network([[at(0, 0), at(500, 0), at(1000, 0)], spur])
        XCTAssertEqual(net2.graph.edgeCount, 3, "the street is split where the spur meets it")
        let r2 = try walking([station("S", at(0, 0))], [compound("C", [at(500, 200)])], net2).compounds[0]
        XCTAssertEqual(r2.nearestWalking!.metres, length([at(0, 0), at(500, 0), at(500, 200)]), accuracy: 0.5)
    }

    func testDisconnectedPieceIsNoPathAndFarPointIsUnreachable() throws {
        let main = [at(0, 0), at(500, 0)], island = [at(0, 1000), at(300, 1000)]
        let net = try network([main, island])
        XCTAssertEqual(net.graph.componentSizes, [2, 2])
        let report = try walking([station("S", at(0, 10))],
                                 [compound("island", [at(100, 1010)]), compound("far", [at(2000, 2000)]), compound("near", [at(400, 5)])], net)
        XCTAssertEqual(report.compounds.map(\.status), [.noPath, .unreachable, .covered])
        XCTAssertNil(report.compounds[0].nearestWalking)
        XCTAssertNotNil(report.compounds[0].nearestStraight, "straight answers do not need the network")
        // A station beyond the snap limit takes no part and is reported.
        let off = try walking([station("S", at(0, 10)), station("Far", at(3000, 3000))], [compound("near", [at(400, 5)])], net)
        XCTAssertEqual(off.stationsOffNetwork, ["Far"])
    }

    func testEntrancesAndPerStationRadius() throws {
        let net = try network(lattice())
        // Entrances: the nearer one decides.
        let r = try walking([station("S", at(0, 0))], [compound("C", [at(400, 400), at(100, 0)])], net, reach: .uniform(150)).compounds[0]
        XCTAssertEqual(r.status, .covered)
        XCTAssertEqual(r.nearestWalking!.metres, 100, accuracy: 0.5)
        // Per-station radii: the nearer station's 50 m does not reach; the farther station's 1000 m does.
        let stations = [station("small", at(0, 0), radius: 50), station("big", at(400, 0), radius: 1000)]
        let report = try walking(stations, [compound("C", [at(200, 0)])], net, reach: .perStation(fallback: 500))
        XCTAssertEqual(report.compounds[0].status, .covered)
        XCTAssertEqual(report.compounds[0].nearestWalking!.metres, 200, accuracy: 0.5)
        let report2 = try walking([station("small", at(0, 0), radius: 50), station("big", at(400, 0), radius: 150)],
                                  [compound("C", [at(200, 0)])], net, reach: .perStation(fallback: 500))
        XCTAssertEqual(report2.compounds[0].status, .uncovered)
    }

    /// Snapping finds the nearest segment whatever the grid's layout: a city and a second one 2,000 km away (so the
    /// grid keeps only its occupied cells), against a scan of every segment in the same plane.
    func testSnappingFindsTheNearestSegmentInTwoFarApartCities() throws {
        var random = SystemRandomNumberGenerator()
        func around(_ x0: Double, _ y0: Double) -> [[Coordinate]] {
            (0..<150).map { _ in
                let x = x0 + Double.random(in: 0...2000, using: &random), y = y0 + Double.random(in: 0...2000, using: &random)
                return [at(x, y), at(x + Double.random(in: -120...120, using: &random), y + Double.random(in: -120...120, using: &random))]
            }
        }
        for far in [0.0, 2_000_000] {
            let lines = around(0, 0) + around(far, far)
            let net = try network(lines)
            let projection = try net.makeProjection()
            let segments = lines.map { ($0.map(projection.project)) }
            for cluster in [0.0, far] {
                for _ in 0..<300 {
                    let p = at(cluster + Double.random(in: -400...2400, using: &random), cluster + Double.random(in: -400...2400, using: &random))
                    let q = projection.project(p)
                    let best = segments.map { s -> Double in
                        let (a, b) = (s[0], s[1])
                        let dx = b.x - a.x, dy = b.y - a.y, len2 = dx * dx + dy * dy
                        let t = len2 > 0 ? min(1, max(0, ((q.x - a.x) * dx + (q.y - a.y) * dy) / len2)) : 0
                        return ((a.x + t * dx - q.x) * (a.x + t * dx - q.x) + (a.y + t * dy - q.y) * (a.y + t * dy - q.y)).squareRoot()
                    }.min()!
                    let snap = net.snapper.snap(p, graph: net.graph, projection: projection, limit: 250)
                    if best <= 250 {
                        let found = try XCTUnwrap(snap, "a segment \(best) m away")
                        XCTAssertEqual(found.planeDistance, best, accuracy: 1e-6, "far \(far)")
                    } else {
                        XCTAssertNil(snap, "nothing within 250 m (nearest \(best) m), far \(far)")
                    }
                }
            }
        }
    }

    func testNodingToleranceJoinsNearlyMeetingLines() throws {
        let a = [at(0, 0), at(100, 0)], b = [at(100.05, 0.03), at(200, 0)]
        let exact = WalkGraph(ways: [.init(id: "a", lines: [a]), .init(id: "b", lines: [b])])
        XCTAssertEqual(exact.componentSizes, [2, 2])
        let tolerant = WalkGraph(ways: [.init(id: "a", lines: [a]), .init(id: "b", lines: [b])], tolerance: 1e-5)
        XCTAssertEqual(tolerant.componentSizes, [3])
    }

    /// The sample city: walking distances from stations placed on way vertices to compounds placed on way vertices
    /// agree with a plain Dijkstra over every vertex of every way, written here with the independent geodesic.
    func testSampleCityAgainstIndependentDijkstra() throws {
        let url = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/ways.geojson")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-net-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, address) = try freshStore(self, name: "t", in: dir)
        _ = try Importer.run(ImportOptions(layer: .ways, file: url), into: store)
        let ways = try store.walkableWays()
        let net = try WalkingNetwork.load(from: store, persist: true)

        // Independent graph: every vertex a node, keyed by exact coordinates.
        struct K: Hashable { let x: UInt64, y: UInt64 }
        var ids = [K: Int](), points = [Coordinate](), adj = [[(Int, Double)]]()
        func id(_ c: Coordinate) -> Int {
            let k = K(x: c.lon.bitPattern, y: c.lat.bitPattern)
            if let i = ids[k] { return i }
            ids[k] = points.count; points.append(c); adj.append([])
            return points.count - 1
        }
        for w in ways { for line in w.lines { for (a, b) in zip(line, line.dropFirst()) where a != b {
            let i = id(a), j = id(b), d = andoyerLambert(a, b)
            adj[i].append((j, d)); adj[j].append((i, d))
        } } }
        func dijkstra(_ from: [Int]) -> [Double] {
            var dist = [Double](repeating: .infinity, count: points.count)
            var done = [Bool](repeating: false, count: points.count)
            for f in from { dist[f] = 0 }
            while true {
                var u = -1
                for i in 0..<points.count where !done[i] && dist[i].isFinite && (u < 0 || dist[i] < dist[u]) { u = i }
                if u < 0 { break }
                done[u] = true
                for (v, d) in adj[u] where dist[u] + d < dist[v] { dist[v] = dist[u] + d }
            }
            return dist
        }
        var rng = TestRandom(state: 5)
        let vertexIDs = Array(0..<points.count)
        let stationVertices = (0..<6).map { _ in vertexIDs[Int(rng.next() * Double(points.count))] }
        let compoundVertices = (0..<60).map { _ in vertexIDs[Int(rng.next() * Double(points.count))] }
        let expected = dijkstra(stationVertices)
        let stations = stationVertices.enumerated().map { station("S\($0.offset)", points[$0.element]) }
        let sites = compoundVertices.enumerated().map { compound("C\($0.offset)", [points[$0.element]]) }
        let report = try CoverageAnalysis.run(stations: stations, compounds: sites, network: net,
                                              options: CoverageOptions(reach: .uniform(500), walk: true))
        var compared = 0, rescued = 0
        for (c, v) in zip(report.compounds, compoundVertices) {
            if expected[v].isFinite {
                XCTAssertEqual(c.nearestWalking?.metres ?? -1, expected[v], accuracy: max(0.05, expected[v] * 1e-4), c.site.id)
                XCTAssertEqual(c.isCovered, expected[v] <= 500, c.site.id)
                compared += 1
            } else if let w = c.nearestWalking {
                // No line joins it to a station, but the snap rule (README "Snapping prefers the main network") put it
                // on the main network: the point is on a small isolated piece within 20 m of the main network's
                // streets (the store engine's ellipsoidal distance to network_edges of piece 0).
                let (x, y) = (sqlNumber(points[v].lon), sqlNumber(points[v].lat))
                let toMain = try XCTUnwrap(try engineScalar(address, spatiaLite: """
                    SELECT min(ST_Distance(MakePoint(\(x), \(y), 4326), geom, 1)) FROM network_edges WHERE component = 0
                    """, postGIS: """
                    SELECT min(ST_Distance(ST_SetSRID(ST_MakePoint(\(x), \(y)), 4326)::geography, geom::geography, true))
                    FROM network_edges WHERE component = 0
                    """).flatMap(Double.init))
                XCTAssertLessThanOrEqual(toMain, WalkingNetwork.preferMainMetres + 0.05, c.site.id)
                XCTAssertGreaterThanOrEqual(w.metres, toMain, c.site.id)
                rescued += 1
            }
            if let w = c.nearestWalking, let s = c.nearestStraight { XCTAssertGreaterThanOrEqual(w.metres + 0.01, s.metres) }
        }
        XCTAssertGreaterThan(compared, 40)
        XCTAssertGreaterThan(rescued, 0, "some of the points on isolated pieces lie within 20 m of the main network")
        // The network was stored with the ways and `info` can describe it.
        let info = try XCTUnwrap(try store.networkInfo())
        XCTAssertEqual(info.edges, net.graph.edgeCount)
        XCTAssertFalse(info.stale)
    }
}
