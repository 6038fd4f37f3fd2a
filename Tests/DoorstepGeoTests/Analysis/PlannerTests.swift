import CityGen
import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// The coverage planner on small instances whose optimum is found here by exhaustive search. What a set of sites
/// covers is computed independently of the planner: `CoverageAnalysis` (the `coverage` command's rules) run with each
/// candidate as a station, and subsets scored as unions of those.
final class PlannerTests: XCTestCase {
    func site(_ id: String, _ points: [Coordinate], households: Int?, population: Int? = nil) -> CompoundSite {
        CompoundSite(id: id, name: id, households: households, population: population, kind: nil, referencePoints: points,
                     hasEntrances: points.count > 1, gridID: nil, gridName: nil, community: nil, street: nil, district: nil)
    }

    /// An n × n lattice of 100 m blocks, plus an island street 2 km east.
    func latticeWithIsland(_ n: Int) -> [[Coordinate]] {
        lattice(n) + [[at(2000, 0), at(2000, 300)]]
    }

    struct Instance {
        var stations: [Station]
        var compounds: [CompoundSite]
        var candidates: [PlanCandidate]
    }

    /// 30 compounds (some without households, some in 2-entrance form), 2 existing stations, `n` candidates, in a
    /// 700 m square; with `walk`, also two compounds beyond the snap limit and one on the island.
    func instance(seed: UInt64, candidates n: Int = 16, walk: Bool) -> Instance {
        var rng = SplitMix64(seed: seed)
        func point() -> Coordinate { at(rng.unit() * 700, rng.unit() * 700) }
        var compounds = (0..<30).map { i -> CompoundSite in
            let h: Int? = i % 11 == 5 ? nil : 10 + Int(rng.unit() * 300)
            let points = i % 7 == 3 ? [point(), point()] : [point()]
            return site("C\(i)", points, households: h, population: h.map { $0 * 3 - 7 })
        }
        if walk {
            compounds.append(site("far1", [at(900, 3000)], households: 5000))
            compounds.append(site("far2", [at(-3000, 200)], households: 4000))
            compounds.append(site("island", [at(2010, 150)], households: 120))
        }
        let stations = [station("S1", point()), station("S2", point())]
        var candidates = (0..<n).map { PlanCandidate(id: "K\($0)", name: "K\($0)", location: point()) }
        if walk { candidates.append(PlanCandidate(id: "Kisland", name: "island site", location: at(2005, 100))) }
        return Instance(stations: stations, compounds: compounds, candidates: candidates)
    }

    /// Bit masks of covered compounds: by the existing stations, and by each candidate alone, by `CoverageAnalysis`.
    func independentCoverage(_ inst: Instance, _ net: WalkingNetwork?, _ options: CoverageOptions) throws -> (base: UInt64, each: [UInt64]) {
        func mask(_ stations: [Station]) throws -> UInt64 {
            let r = try CoverageAnalysis.run(stations: stations, compounds: inst.compounds, network: net, options: options)
            return r.compounds.enumerated().reduce(UInt64(0)) { $0 | ($1.element.isCovered ? 1 << UInt64($1.offset) : 0) }
        }
        let base = try mask(inst.stations)
        let each = try inst.candidates.map { try mask([station($0.id, $0.location, radius: $0.radiusMetres)]) }
        return (base, each)
    }

    func households(_ inst: Instance, _ mask: UInt64) -> Int {
        inst.compounds.enumerated().reduce(0) { $0 + (mask & (1 << UInt64($1.offset)) != 0 ? $1.element.households ?? 0 : 0) }
    }

    /// The most households any k candidates add, by trying every subset.
    func exhaustiveBest(_ inst: Instance, base: UInt64, each: [UInt64], k: Int) -> Int {
        let baseHouseholds = households(inst, base)
        var best = 0
        func go(_ from: Int, _ left: Int, _ mask: UInt64) {
            best = max(best, households(inst, mask) - baseHouseholds)
            guard left > 0 else { return }
            for c in from..<each.count { go(c + 1, left - 1, mask | each[c]) }
        }
        go(0, k, base)
        return best
    }

    func maskOf(_ report: PlanReport, _ inst: Instance, _ each: [UInt64], _ base: UInt64) -> UInt64 {
        report.sites.reduce(base) { m, s in m | each[inst.candidates.firstIndex { $0.id == s.candidate.id }!] }
    }

    func checkAgainstExhaustive(walk: Bool) throws {
        var checked = 0
        for seed in UInt64(1)...6 {
            let inst = instance(seed: seed, walk: walk)
            let net = walk ? try network(latticeWithIsland(7)) : nil
            let coverage = CoverageOptions(reach: .uniform(walk ? 250 : 180), walk: walk)
            let (base, each) = try independentCoverage(inst, net, coverage)
            for k in 1...4 {
                let report = try CoveragePlanner.run(stations: inst.stations, compounds: inst.compounds, candidates: inst.candidates,
                                                     network: net, options: PlanOptions(coverage: coverage, objective: .add(k)))
                let optimum = exhaustiveBest(inst, base: base, each: each, k: k)
                let proposed = households(inst, maskOf(report, inst, each, base)) - households(inst, base)
                XCTAssertEqual(report.householdsAdded, proposed, "the planner's count agrees with `coverage` (seed \(seed), K \(k))")
                XCTAssertGreaterThanOrEqual(Double(proposed), 0.98 * Double(optimum), "within 2 % of the optimum (seed \(seed), K \(k))")
                XCTAssertLessThanOrEqual(proposed, optimum)
                XCTAssertGreaterThanOrEqual(report.upperBound!, Double(optimum) - 1e-6, "the bound holds (seed \(seed), K \(k))")
                XCTAssertLessThanOrEqual(report.sites.count, k)
                if report.provenOptimal { XCTAssertEqual(proposed, optimum, "proven optimal means optimal") }
                // Cumulative coverage adds up.
                XCTAssertEqual(report.sites.last?.cumulativeHouseholds ?? report.baseline.householdsCovered,
                               report.baseline.householdsCovered + proposed)
                for s in report.sites {
                    XCTAssertGreaterThan(s.householdsAdded, 0, "no zero-gain site")
                    if walk { XCTAssertFalse(s.newlyCovered.contains { $0.id.hasPrefix("far") }, "unreachable compounds are never chased") }
                }
                if walk {
                    XCTAssertEqual(Set(report.unreachable.map(\.id)), ["far1", "far2"])
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 24)
    }

    func testStraightProposalIsWithinTwoPercentOfExhaustiveOptimum() throws {
        try checkAgainstExhaustive(walk: false)
    }

    func testWalkingProposalIsWithinTwoPercentOfExhaustiveOptimum() throws {
        try checkAgainstExhaustive(walk: true)
    }

    func testNoZeroGainSiteWhileReachableHouseholdsRemain() throws {
        for walk in [false, true] {
            let inst = instance(seed: 9, walk: walk)
            let net = walk ? try network(latticeWithIsland(7)) : nil
            let coverage = CoverageOptions(reach: .uniform(150), walk: walk)
            let (base, each) = try independentCoverage(inst, net, coverage)
            // Far more sites than can help: the planner stops when nothing adds households, and says so.
            let report = try CoveragePlanner.run(stations: inst.stations, compounds: inst.compounds, candidates: inst.candidates,
                                                 network: net, options: PlanOptions(coverage: coverage, objective: .add(inst.candidates.count)))
            for s in report.sites { XCTAssertGreaterThan(s.householdsAdded, 0) }
            let final = maskOf(report, inst, each, base)
            for m in each { XCTAssertEqual(households(inst, final | m), households(inst, final), "no candidate left could add households") }
            if report.sites.count < inst.candidates.count { XCTAssertNotNil(report.note) }
            if walk {
                XCTAssertEqual(report.unreachable.count, 2)
                // The island compound is reachable and only the island site covers it.
                XCTAssertTrue(report.sites.contains { $0.candidate.id == "Kisland" && $0.newlyCovered.map(\.id) == ["island"] })
            }
        }
    }

    func testUnknownHouseholdsAreCountedNotWeighted() throws {
        let c = [site("known", [at(0, 0)], households: 100), site("unknown", [at(300, 0)], households: nil),
                 site("small", [at(600, 0)], households: 10)]
        let candidates = [PlanCandidate(id: "A", name: "A", location: at(0, 10)), PlanCandidate(id: "B", name: "B", location: at(300, 10)),
                          PlanCandidate(id: "C", name: "C", location: at(600, 10))]
        let report = try CoveragePlanner.run(stations: [], compounds: c, candidates: candidates, network: nil,
                                             options: PlanOptions(coverage: CoverageOptions(reach: .uniform(50)), objective: .add(3)))
        XCTAssertEqual(report.sites.map(\.candidate.id), ["A", "C"], "the site covering only an unknown count is not proposed")
        XCTAssertEqual(report.uncoveredWithoutHouseholds, 1)
        XCTAssertEqual(report.upperBound, 110)
        XCTAssertEqual(report.gapToBound, 0)
        XCTAssertEqual(report.baseline.compoundsWithoutHouseholds, 1)
    }

    func testPopulationWeight() throws {
        let c = [site("many-households", [at(0, 0)], households: 300, population: 400),
                 site("many-people", [at(500, 0)], households: 200, population: 900)]
        let candidates = [PlanCandidate(id: "A", name: "A", location: at(0, 10)), PlanCandidate(id: "B", name: "B", location: at(500, 10))]
        func first(_ w: PlanWeight) throws -> String? {
            try CoveragePlanner.run(stations: [], compounds: c, candidates: candidates, network: nil,
                                    options: PlanOptions(coverage: CoverageOptions(reach: .uniform(50)), objective: .add(1), weight: w)).sites.first?.candidate.id
        }
        XCTAssertEqual(try first(.households), "A")
        XCTAssertEqual(try first(.population), "B")
    }

    func testTargetModeReachesTargetWithMinimalCount() throws {
        for walk in [false, true] {
            for seed in UInt64(20)...23 {
                let inst = instance(seed: seed, candidates: 12, walk: walk)
                let net = walk ? try network(latticeWithIsland(7)) : nil
                let coverage = CoverageOptions(reach: .uniform(walk ? 250 : 180), walk: walk)
                let (base, each) = try independentCoverage(inst, net, coverage)
                let total = inst.compounds.reduce(0) { $0 + ($1.households ?? 0) }
                let all = each.reduce(base, |)
                let reachableShare = Double(households(inst, all)) / Double(total)
                for share in [0.6, 0.75, reachableShare - 0.01, min(1, reachableShare + 0.05)] {
                    let report = try CoveragePlanner.run(stations: inst.stations, compounds: inst.compounds, candidates: inst.candidates,
                                                         network: net, options: PlanOptions(coverage: coverage, objective: .target(share)))
                    let covered = households(inst, maskOf(report, inst, each, base))
                    // Exhaustive: the fewest candidates whose union reaches the share.
                    var fewest: Int?
                    for k in 0...each.count where fewest == nil {
                        if Double(households(inst, base)) >= share * Double(total) { fewest = 0; break }
                        var found = false
                        func go(_ from: Int, _ left: Int, _ mask: UInt64) {
                            if found { return }
                            if left == 0 { if Double(households(inst, mask)) >= share * Double(total) - 1e-9 { found = true }; return }
                            for c in from..<each.count { go(c + 1, left - 1, mask | each[c]) }
                        }
                        go(0, k, base)
                        if found { fewest = k }
                    }
                    if let fewest {
                        XCTAssertEqual(report.targetMet, true, "seed \(seed) share \(share)")
                        XCTAssertGreaterThanOrEqual(Double(covered), share * Double(total) - 1e-6)
                        XCTAssertLessThanOrEqual(report.sites.count, fewest + 1, "minimal-ish (seed \(seed), share \(share))")
                        XCTAssertLessThanOrEqual(report.minimumSites ?? 0, fewest, "the floor is a true floor")
                        if report.provenOptimal { XCTAssertEqual(report.sites.count, fewest) }
                    } else {
                        XCTAssertEqual(report.targetMet, false)
                        XCTAssertNotNil(report.note)
                    }
                    for s in report.sites { XCTAssertGreaterThan(s.householdsAdded, 0) }
                }
            }
        }
    }

    /// The exhaustive tiny case for set cover: the planner finds the exact minimum.
    func testTargetModeExactOnTinyCase() throws {
        // Four compounds in a row, three candidates each covering a neighbouring pair: two sites are needed and enough.
        let c = [site("a", [at(0, 0)], households: 100), site("b", [at(200, 0)], households: 100),
                 site("c", [at(400, 0)], households: 100), site("d", [at(600, 0)], households: 100)]
        let candidates = [PlanCandidate(id: "ab", name: "ab", location: at(100, 0)), PlanCandidate(id: "bc", name: "bc", location: at(300, 0)),
                          PlanCandidate(id: "cd", name: "cd", location: at(500, 0))]
        let report = try CoveragePlanner.run(stations: [], compounds: c, candidates: candidates, network: nil,
                                             options: PlanOptions(coverage: CoverageOptions(reach: .uniform(110)), objective: .target(1.0)))
        XCTAssertEqual(report.targetMet, true)
        XCTAssertEqual(Set(report.sites.map(\.candidate.id)), ["ab", "cd"])
        XCTAssertEqual(report.minimumSites, 2)
    }

    func testCandidatesOffNetworkAndPerSiteRadius() throws {
        let net = try network(lattice(4))
        let c = [site("near", [at(100, 10)], households: 50), site("mid", [at(300, 10)], households: 60)]
        let candidates = [PlanCandidate(id: "off", name: "off", location: at(900, 900)),
                          PlanCandidate(id: "wide", name: "wide", location: at(0, 0), radiusMetres: 400),
                          PlanCandidate(id: "narrow", name: "narrow", location: at(300, 0), radiusMetres: 20)]
        let report = try CoveragePlanner.run(stations: [], compounds: c, candidates: candidates, network: net,
                                             options: PlanOptions(coverage: CoverageOptions(reach: .perStation(fallback: 500), walk: true), objective: .add(1)))
        XCTAssertEqual(report.candidatesOffNetwork, ["off"])
        XCTAssertEqual(report.sites.map(\.candidate.id), ["wide"], "400 m on foot reaches both; 20 m reaches neither")
        XCTAssertEqual(report.householdsAdded, 110)
    }

    /// The solver alone on random set systems: the bound is never below the optimum, the proposal within 2 %.
    func testSolverBoundAndQualityOnRandomSetSystems() {
        var rng = SplitMix64(seed: 77)
        for _ in 0..<40 {
            let elements = 25, candidates = 14
            let weights = (0..<elements).map { _ in Double(1 + rng.below(50)) }
            let sets = (0..<candidates).map { _ in (0..<elements).filter { _ in rng.unit() < 0.18 }.map(Int32.init) }
            let problem = MaximalCovering(weights: weights, sets: sets)
            for k in 1...4 {
                var best = 0.0
                func go(_ from: Int, _ left: Int, _ chosen: [Int]) {
                    best = max(best, problem.value(of: chosen))
                    guard left > 0 else { return }
                    for c in from..<candidates { go(c + 1, left - 1, chosen + [c]) }
                }
                go(0, k, [])
                let g = problem.greedy(k: k, boundK: k)
                var sites = g.sites
                _ = problem.improveBySwaps(&sites)
                let heuristic = problem.value(of: sites)
                XCTAssertGreaterThanOrEqual(heuristic, (1 - 1 / M_E) * best, "the greedy guarantee")
                XCTAssertGreaterThanOrEqual(min(g.bound!, problem.onlineBound(sites, k: k)), best - 1e-9, "the bound holds")
                let exact = problem.branchAndBound(k: k, incumbent: sites, budget: 10_000_000)
                XCTAssertTrue(exact.complete)
                XCTAssertEqual(exact.value, best, accuracy: 1e-9)
                XCTAssertEqual(problem.value(of: exact.sites), exact.value, accuracy: 1e-9)
                let starved = problem.branchAndBound(k: k, incumbent: sites, budget: 10)
                XCTAssertFalse(starved.complete)
                XCTAssertGreaterThanOrEqual(starved.value, heuristic, "never worse than what it started from")
            }
        }
    }

    func testGeneratedCandidatesAreThinned() throws {
        let net = try network(lattice(4))
        let c = (0..<20).map { site("C\($0)", [at(Double($0) * 20, 50)], households: 10) }
        let projection = try net.makeProjection()
        let generated = PlanCandidates.generate(compounds: c, uncoveredFirst: ["C19"], network: net, spacing: 100, projection: projection)
        XCTAssertEqual(generated.first?.id, "C:C19", "uncovered compounds come first")
        for (i, a) in generated.enumerated() {
            for b in generated[(i + 1)...] {
                let pa = projection.project(a.location), pb = projection.project(b.location)
                XCTAssertGreaterThanOrEqual(((pa.x - pb.x) * (pa.x - pb.x) + (pa.y - pb.y) * (pa.y - pb.y)).squareRoot(), 100 - 1e-6)
            }
        }
        XCTAssertTrue(generated.contains { $0.id.hasPrefix("N") }, "network nodes fill in where no compound stands")
    }

    /// A candidates file goes through the import checks; a site's grid comes from the store.
    func testCandidatesFileAndGridLookup() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-plan-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("sites.csv")
        try "id,name,lon,lat,radius_m\nV1,空置门面 1,\(at(0, 0).lon),\(at(0, 0).lat),300\nV2,空置门面 2,\(at(50, 50).lon),\(at(50, 50).lat),\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let sites = try CandidatesFile.read(csv)
        XCTAssertEqual(sites.map(\.id), ["V1", "V2"])
        XCTAssertEqual(sites[0].radiusMetres, 300)
        XCTAssertNil(sites[1].radiusMetres)
        let bad = dir.appendingPathComponent("bad.csv")
        try "id,lon,lat\nV1,118.78,32.04\n".write(to: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CandidatesFile.read(bad)) { XCTAssertTrue("\($0)".contains("name"), "\($0)") }

        let a = at(-100, -100), b = at(100, 100)
        let grids = dir.appendingPathComponent("grids.geojson")
        try """
        {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"G1","name":"一网格","community":"社区甲","street":"街道乙","district":"区丙"},
        "geometry":{"type":"Polygon","coordinates":[[[\(a.lon),\(a.lat)],[\(b.lon),\(a.lat)],[\(b.lon),\(b.lat)],[\(a.lon),\(b.lat)],[\(a.lon),\(a.lat)]]]}}]}
        """.write(to: grids, atomically: true, encoding: .utf8)
        let store = try freshStore(self, name: "t", in: dir).store
        _ = try Importer.run(ImportOptions(layer: .grids, file: grids), into: store)
        let places = try store.grids(containing: [at(0, 0), at(500, 500)])
        XCTAssertEqual(places[0]?.id, "G1")
        XCTAssertEqual(places[0]?.community, "社区甲")
        XCTAssertNil(places[1])

        var report = try CoveragePlanner.run(stations: [], compounds: [site("X", [at(10, 10)], households: 10)], candidates: sites,
                                             network: nil, options: PlanOptions(coverage: CoverageOptions(reach: .uniform(100)), objective: .add(1)))
        try report.assignGrids(store.grids(containing:))
        XCTAssertEqual(report.sites.first?.grid?.name, "一网格")
    }
}
