import CityGen
import Foundation
import XCTest
@testable import DoorstepGeo

/// The two-step floating catchment area (`AccessAnalysis`) against a case worked out by hand, and its walking reach
/// against coverage run one station at a time.
final class AccessTests: XCTestCase {
    func site(_ id: String, _ points: [Coordinate], households: Int?, population: Int?, community: String? = nil) -> CompoundSite {
        CompoundSite(id: id, name: id, households: households, population: population, kind: nil, referencePoints: points,
                     hasEntrances: points.count > 1, gridID: nil, gridName: nil, community: community, street: nil, district: nil)
    }

    func station(_ id: String, _ c: Coordinate, capacity: Int?, radius: Double? = nil) -> Station {
        Station(id: id, name: id, kind: "station", services: [], address: nil, phone: nil, hours: nil, radiusMetres: radius,
                capacity: capacity, location: c)
    }

    /// Stations along a line (x metres east of the origin), reach 300 m as the crow flies:
    ///   A (0) capacity 10 · B (1000) capacity 5 · C (2000) no capacity (counts as 1) · D (5000) capacity 3, nobody near.
    /// Compounds (households / population):
    ///   P (100)                    100 / 250  → A
    ///   Q entrances (250), (800)    50 / 120  → A (250 m) and B (200 m): any reference point counts
    ///   R (1100)                   200 / 500  → B
    ///   S (2100)                    60 /  30  → C
    ///   U (1950, 100)              nil /  10  → C (≈112 m): no household count, still scored
    ///   T (3000)                    40 / 100  → nothing within 300 m
    /// Every distance is at least 50 m away from 300, so the flat layout's small error cannot move a compound in or out.
    func handCase() -> (stations: [Station], compounds: [CompoundSite]) {
        let stations = [station("A", at(0, 0), capacity: 10), station("B", at(1000, 0), capacity: 5),
                        station("C", at(2000, 0), capacity: nil), station("D", at(5000, 0), capacity: 3)]
        let compounds = [
            site("P", [at(100, 0)], households: 100, population: 250, community: "东"),
            site("Q", [at(250, 0), at(800, 0)], households: 50, population: 120, community: "东"),
            site("R", [at(1100, 0)], households: 200, population: 500, community: "西"),
            site("S", [at(2100, 0)], households: 60, population: 30, community: "西"),
            site("U", [at(1950, 100)], households: nil, population: 10, community: "西"),
            site("T", [at(3000, 0)], households: 40, population: 100),
        ]
        return (stations, compounds)
    }

    func run(_ weight: PlanWeight) throws -> AccessReport {
        let (stations, compounds) = handCase()
        return try AccessAnalysis.run(stations: stations, compounds: compounds, network: nil,
                                      options: AccessOptions(coverage: CoverageOptions(reach: .uniform(300)), weight: weight))
    }

    func testHouseholdsByHand() throws {
        let r = try run(.households)
        let s = Dictionary(uniqueKeysWithValues: r.stations.map { ($0.station.id, $0) })
        // Step 1, households: D_A = 100 + 50 = 150, R_A = 10/150; D_B = 50 + 200 = 250, R_B = 5/250;
        // D_C = 60 (+ U's unknown count, 0) = 60, R_C = 1/60; D_D = 0: R_D undefined, load 0.
        XCTAssertEqual(s["A"]!.demandInReach, 150)
        XCTAssertEqual(s["A"]!.ratio!, 10.0 / 150, accuracy: 1e-9)
        XCTAssertEqual(s["B"]!.ratio!, 5.0 / 250, accuracy: 1e-9)
        XCTAssertEqual(s["C"]!.ratio!, 1.0 / 60, accuracy: 1e-9)
        XCTAssertEqual(s["C"]!.compoundsInReach, 2, "S and U")
        XCTAssertTrue(s["C"]!.capacityDefaulted)
        XCTAssertEqual(s["C"]!.capacity, 1)
        XCTAssertNil(s["D"]!.ratio)
        XCTAssertEqual(s["D"]!.load, 0)
        // Loads (1/R): A 15, B 50, C 60, D 0. City: 450 households (P Q R S T) on 10 + 5 + 1 + 3 = 19 → 23.68…;
        // B and C are above it, A is not.
        XCTAssertEqual(s["A"]!.load!, 15, accuracy: 1e-9)
        XCTAssertEqual(s["B"]!.load!, 50, accuracy: 1e-9)
        XCTAssertEqual(s["C"]!.load!, 60, accuracy: 1e-9)
        XCTAssertEqual(r.totalCapacity, 19)
        XCTAssertEqual(r.totalDemand, 450)
        XCTAssertEqual(r.cityLoad!, 450.0 / 19, accuracy: 1e-9)
        XCTAssertEqual(r.stations.filter(\.overloaded).map(\.station.id), ["C", "B"], "most loaded first")
        XCTAssertEqual(r.stations.map(\.station.id), ["C", "B", "A", "D"], "nobody in reach last")
        XCTAssertEqual(r.stationsWithoutCapacity, 1)

        // Step 2: P = R_A = 1/15; Q = R_A + R_B = 1/15 + 1/50; R = 1/50; S = U = 1/60; T = 0.
        let score = Dictionary(uniqueKeysWithValues: r.compounds.map { ($0.site.id, $0) })
        let expected: [String: (Double, Int)] = ["P": (1.0 / 15, 1), "Q": (1.0 / 15 + 1.0 / 50, 2), "R": (1.0 / 50, 1),
                                                 "S": (1.0 / 60, 1), "U": (1.0 / 60, 1), "T": (0, 0)]
        for (id, (value, count)) in expected {
            XCTAssertEqual(score[id]!.score, value, accuracy: 1e-9, id)
            XCTAssertEqual(score[id]!.stationsInReach, count, id)
        }
        XCTAssertNil(score["U"]!.demand)
        XCTAssertEqual(score["T"]!.nearest?.stationID, "C", "the nearest station is given even out of reach")

        // Σ demand × score = capacity of the stations someone reaches (A + B + C = 16): the mean is 16/450.
        XCTAssertEqual(r.total.weightedScore, 16, accuracy: 1e-9)
        XCTAssertEqual(r.total.score!, 16.0 / 450, accuracy: 1e-9)
        XCTAssertEqual(r.total.compoundsOutOfReach, 1)
        XCTAssertEqual(r.total.compoundsWithoutDemand, 1)
        // By community: 东 (P, Q) demand 150, (100·1/15 + 50·(1/15 + 1/50)) / 150 = 11/150;
        // 西 (R, S, U) demand 260, (200/50 + 60/60 + 0·1/60) / 260 = 5/260; none (T) 40, score 0.
        let groups = Dictionary(uniqueKeysWithValues: r.groups(by: .community).map { ($0.key, $0) })
        XCTAssertEqual(groups["东"]!.score!, 11.0 / 150, accuracy: 1e-9)
        XCTAssertEqual(groups["西"]!.score!, 5.0 / 260, accuracy: 1e-9)
        XCTAssertEqual(groups["西"]!.demand, 260)
        XCTAssertEqual(groups["西"]!.compounds, 3)
        XCTAssertEqual(groups["(none)"]!.score, 0)
    }

    func testPopulationByHand() throws {
        let r = try run(.population)
        // D_A = 250 + 120 = 370; D_B = 120 + 500 = 620; D_C = 30 + 10 = 40 (U's population counts now).
        let s = Dictionary(uniqueKeysWithValues: r.stations.map { ($0.station.id, $0) })
        XCTAssertEqual(s["A"]!.demandInReach, 370)
        XCTAssertEqual(s["C"]!.demandInReach, 40)
        let score = Dictionary(uniqueKeysWithValues: r.compounds.map { ($0.site.id, $0.score) })
        XCTAssertEqual(score["P"]!, 10.0 / 370, accuracy: 1e-9)
        XCTAssertEqual(score["Q"]!, 10.0 / 370 + 5.0 / 620, accuracy: 1e-9)
        XCTAssertEqual(score["R"]!, 5.0 / 620, accuracy: 1e-9)
        XCTAssertEqual(score["U"]!, 1.0 / 40, accuracy: 1e-9)
        XCTAssertEqual(r.totalDemand, 1010)
        // Loads 37, 124, 40 against 1010/19 = 53.2: only B is overloaded now.
        XCTAssertEqual(r.stations.filter(\.overloaded).map(\.station.id), ["B"])
    }

    /// Hostile capacities: 0 with demand in reach (infinite load, R 0, overloaded, first); no station at all; no compound.
    func testZeroCapacityAndEmptyInputs() throws {
        let compounds = [site("P", [at(0, 10)], households: 30, population: nil)]
        let r = try AccessAnalysis.run(stations: [station("Z", at(0, 0), capacity: 0), station("A", at(0, 20), capacity: 6)], compounds: compounds,
                                       network: nil, options: AccessOptions(coverage: CoverageOptions(reach: .uniform(100))))
        XCTAssertEqual(r.stations.map(\.station.id), ["Z", "A"])
        XCTAssertNil(r.stations[0].load)
        XCTAssertEqual(r.stations[0].ratio, 0)
        XCTAssertTrue(r.stations[0].overloaded)
        XCTAssertFalse(r.stations[1].overloaded, "load 5 = the city's 30/6: not above it")
        XCTAssertEqual(r.compounds[0].score, 6.0 / 30, accuracy: 1e-12)
        let none = try AccessAnalysis.run(stations: [], compounds: compounds, network: nil, options: AccessOptions(coverage: CoverageOptions()))
        XCTAssertEqual(none.compounds[0].score, 0)
        XCTAssertNil(none.cityLoad)
        let empty = try AccessAnalysis.run(stations: [station("A", at(0, 0), capacity: 2)], compounds: [], network: nil,
                                           options: AccessOptions(coverage: CoverageOptions()))
        XCTAssertNil(empty.total.score)
        XCTAssertEqual(empty.stations[0].load, 0)
    }

    /// Walking (and straight), each station's own radius: the stations within reach of every compound equal those whose
    /// coverage, run for that station alone (`CoverageAnalysis`, one shortest-path tree), covers it; the scores then
    /// follow from those sets by the formula written out here.
    func testWalkingReachEqualsCoverageStationByStation() throws {
        try checkReachAgainstCoverage(walk: true)
    }

    func testStraightReachEqualsCoverageStationByStation() throws {
        try checkReachAgainstCoverage(walk: false)
    }

    func checkReachAgainstCoverage(walk: Bool) throws {
        let net = try network(lattice(6) + [[at(2000, 0), at(2000, 300)]])
        var rng = SplitMix64(seed: 17)
        func point() -> Coordinate { at(rng.unit() * 600, rng.unit() * 600) }
        var stations = (0..<9).map { i in
            station("S\(i)", point(), capacity: i % 4 == 0 ? nil : 1 + Int(rng.unit() * 40), radius: [120, 250, 400][i % 3])
        }
        stations.append(station("far", at(900, 3000), capacity: 50, radius: 5000)) // beyond the snap limit: reaches nothing
        stations.append(station("island", at(2010, 100), capacity: 7, radius: 500))
        var compounds = (0..<40).map { i in
            site("C\(i)", i % 5 == 2 ? [point(), point()] : [point()], households: i % 9 == 4 ? nil : 5 + Int(rng.unit() * 300),
                 population: 10 + Int(rng.unit() * 900))
        }
        compounds.append(site("stranded", [at(-3000, 0)], households: 500, population: 1000))
        compounds.append(site("islander", [at(1990, 250)], households: 80, population: 200))
        let coverage = CoverageOptions(reach: .perStation(fallback: 500), walk: walk)
        let report = try AccessAnalysis.run(stations: stations, compounds: compounds, network: net, options: AccessOptions(coverage: coverage))

        var reaching = [[Int]](repeating: [], count: compounds.count)
        var demand = [Double](repeating: 0, count: stations.count)
        for (j, s) in stations.enumerated() {
            let alone = try CoverageAnalysis.run(stations: [s], compounds: compounds, network: net, options: coverage)
            for (i, c) in alone.compounds.enumerated() where c.isCovered {
                reaching[i].append(j)
                demand[j] += Double(compounds[i].households ?? 0)
            }
        }
        XCTAssertGreaterThan(reaching.filter { $0.count > 1 }.count, 3, "overlapping catchments are exercised")
        XCTAssertTrue(reaching[compounds.count - 1].contains(stations.count - 1), "the island station reaches the islander")
        // As the crow flies "far" reaches 5 km (the stranded compound, 4.9 km away, too); walking, both are beyond the snap
        // limit and reach nothing.
        XCTAssertEqual(reaching[compounds.count - 2].isEmpty, walk)
        XCTAssertEqual(reaching.contains { $0.contains(stations.count - 2) }, !walk)
        for (i, c) in report.compounds.enumerated() {
            XCTAssertEqual(c.stationsInReach, reaching[i].count, c.site.id)
            var expected = 0.0
            for j in reaching[i] where demand[j] > 0 {
                let capacity = Double(stations[j].capacity ?? 1)
                expected += capacity / demand[j]
            }
            XCTAssertEqual(c.score, expected, accuracy: 1e-9, c.site.id)
        }
        for s in report.stations {
            let j = stations.firstIndex { $0.id == s.station.id }!
            XCTAssertEqual(s.demandInReach, demand[j], s.station.id)
        }
        XCTAssertEqual(report.stationsOffNetwork, walk ? ["far"] : [])
        XCTAssertEqual(report.stationsWithoutCapacity, stations.filter { $0.capacity == nil }.count)
        XCTAssertGreaterThan(report.stationsWithoutCapacity, 0)
    }
}
