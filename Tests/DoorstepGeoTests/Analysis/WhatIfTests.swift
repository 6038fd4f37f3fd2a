import Foundation
import XCTest
@testable import DoorstepGeo

/// `WhatIfAnalysis` (incremental) against `CoverageAnalysis.run` on the changed station list (a full recompute), on a
/// hand-built city with an isolated street (no path there until a site is added on it; closing its only station takes
/// the path away), an unreachable compound, and random scenarios of added and closed stations.
final class WhatIfTests: XCTestCase {
    struct Random {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    private func city() throws -> (network: WalkingNetwork, stations: [Station], compounds: [CompoundSite]) {
        // A 4 × 4 lattice of 100 m blocks, and a street of 300 m on its own 1.5 km east.
        let network = try network(lattice() + [[at(1900, 0), at(2200, 0)]])
        let stations = [station("A", at(0, 0)), station("B", at(400, 400), radius: 250), station("C", at(210, 90), kind: "post"),
                        station("island", at(2150, 20)), station("far", at(9000, 9000))]
        var compounds = [CompoundSite]()
        var random = Random(state: 7)
        for i in 0..<40 {
            let p = at(random.next() * 420 - 10, random.next() * 420 - 10)
            let q = at(random.next() * 420 - 10, random.next() * 420 - 10)
            compounds.append(compound("c\(i)", i % 3 == 0 ? [p, q] : [p], households: i % 5 == 0 ? nil : 10 + i))
        }
        compounds.append(compound("isle1", [at(1950, 30)]))
        compounds.append(compound("isle2", [at(2190, -40), at(2100, 5)]))
        compounds.append(compound("nowhere", [at(1000, 1000)]))
        return (network, stations, compounds)
    }

    private func assertSame(_ whatIf: WhatIfReport, _ full: CoverageReport, _ label: String) {
        XCTAssertEqual(whatIf.after.compounds.count, full.compounds.count)
        XCTAssertEqual(whatIf.after.qualifyingStations, full.qualifyingStations, label)
        XCTAssertEqual(whatIf.after.total.householdsCovered, full.total.householdsCovered, label)
        let recomputed = Set(whatIf.recomputed)
        for (i, (w, f)) in zip(whatIf.after.compounds, full.compounds).enumerated() {
            XCTAssertEqual(w.status, f.status, "\(label): \(f.site.id)")
            let before = whatIf.before.compounds[i]
            if before.status != f.status { XCTAssertTrue(recomputed.contains(i), "\(label): \(f.site.id) changed but was not recomputed") }
            guard recomputed.contains(i) else { continue }
            XCTAssertEqual(w.nearestStraight?.stationID, f.nearestStraight?.stationID, "\(label): \(f.site.id)")
            XCTAssertEqual(w.nearestStraight?.metres ?? -1, f.nearestStraight?.metres ?? -1, accuracy: 1e-6, "\(label): \(f.site.id)")
            XCTAssertEqual(w.nearestWalking?.stationID, f.nearestWalking?.stationID, "\(label): \(f.site.id)")
            XCTAssertEqual(w.nearestWalking?.metres ?? -1, f.nearestWalking?.metres ?? -1, accuracy: 1e-6, "\(label): \(f.site.id)")
            XCTAssertEqual(w.reason, f.reason, "\(label): \(f.site.id)")
        }
        let covered = full.compounds.indices.filter { full.compounds[$0].isCovered && !whatIf.before.compounds[$0].isCovered }
        let uncovered = full.compounds.indices.filter { !full.compounds[$0].isCovered && whatIf.before.compounds[$0].isCovered }
        XCTAssertEqual(whatIf.newlyCovered, covered, label)
        XCTAssertEqual(whatIf.newlyUncovered, uncovered, label)
        XCTAssertEqual(Set(whatIf.after.stationsOffNetwork), Set(full.stationsOffNetwork), label)
    }

    private func site(_ i: Int, _ c: Coordinate) -> Station {
        Station(id: "whatif-\(i)", name: "what-if \(i)", kind: nil, services: [], address: nil, phone: nil, hours: nil,
                radiusMetres: nil, capacity: nil, location: c)
    }

    func testRandomScenariosEqualAFullRecompute() throws {
        let (network, allStations, compounds) = try city()
        var random = Random(state: 42)
        let optionsList: [CoverageOptions] = [
            CoverageOptions(reach: .uniform(150), walk: true), CoverageOptions(reach: .uniform(300), walk: true),
            CoverageOptions(reach: .perStation(fallback: 120), walk: true), CoverageOptions(reach: .uniform(150)),
            CoverageOptions(reach: .perStation(fallback: 120)),
            CoverageOptions(reach: .uniform(200), walk: true, filter: StationFilter(kinds: ["station"])),
        ]
        var transitions = [String: Int]()
        // With the island's station and without it (then its compounds have no path until a site is added there).
        for (options, stations) in optionsList.flatMap({ o in [(o, allStations), (o, allStations.filter { $0.id != "island" })] }) {
            let base = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: options)
            for scenario in 0..<10 {
                // Mostly a few sites (each tried against every compound); now and then more than `scanLimit` (the cell index).
                let addCount = scenario % 9 == 4 ? CandidateReach.scanLimit + 3 : Int(random.next() * 4)
                var added = (0..<addCount).map { site($0 + 1, at(random.next() * 440 - 20, random.next() * 440 - 20)) }
                if scenario % 5 == 1 { added.append(site(added.count + 1, at(2000, -10))) }          // on the isolated street
                if scenario % 5 == 3 { added.append(site(added.count + 1, at(2200, 5))) }            // at its far end
                if scenario % 7 == 2 { added.append(site(added.count + 1, at(5000, 5000))) }         // beyond the snap limit
                let closed = stations.filter { _ in random.next() < 0.3 }.map(\.id)
                let label = "\(options.reach) walk=\(options.walk) #\(scenario) +\(added.count) −\(closed)"
                let whatIf = try WhatIfAnalysis.run(base: base, stations: stations, added: added, closed: closed,
                                                    network: options.walk ? network : nil)
                // The added sites qualify whatever the filter: in the full run they carry a kind it accepts.
                let changed = stations.filter { !closed.contains($0.id) } + added.map { station($0.id, $0.location) }
                let full = try CoverageAnalysis.run(stations: changed, compounds: compounds, network: network, options: options)
                assertSame(whatIf, full, label)
                for (b, a) in zip(base.compounds, full.compounds) where b.status != a.status {
                    transitions["\(b.status.rawValue)→\(a.status.rawValue)", default: 0] += 1
                }
            }
        }
        // The scenarios did move compounds every way that matters.
        for t in ["uncovered→covered", "covered→uncovered", "no_path→covered", "no_path→uncovered", "uncovered→no_path", "covered→no_path"] {
            XCTAssertGreaterThan(transitions[t] ?? 0, 0, "no scenario had \(t): \(transitions)")
        }
    }

    func testIsolatedStreetGainsAndLosesItsPath() throws {
        let (network, stations, compounds) = try city()
        let options = CoverageOptions(reach: .uniform(100), walk: true)
        let base = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: options)
        let isle1 = compounds.firstIndex { $0.id == "isle1" }!
        XCTAssertEqual(base.compounds[isle1].status, .uncovered, "the island station is 200 m along the street")
        // Closing the island's only station: no path; the reason names the piece.
        let closed = try WhatIfAnalysis.run(base: base, stations: stations, added: [], closed: ["island"], network: network)
        XCTAssertEqual(closed.after.compounds[isle1].status, .noPath)
        XCTAssertNil(closed.after.compounds[isle1].nearestWalking)
        XCTAssertTrue(closed.after.compounds[isle1].reason?.contains("with no station") == true, closed.after.compounds[isle1].reason ?? "")
        // Then a site 250 m along the street from isle1's snap: a path again, beyond the reach (uncovered, not covered).
        let reopened = try WhatIfAnalysis.run(base: closed.after, stations: stations.filter { $0.id != "island" },
                                              added: [site(1, at(2200, 0))], closed: [], network: network)
        XCTAssertEqual(reopened.after.compounds[isle1].status, .uncovered)
        XCTAssertEqual(reopened.after.compounds[isle1].nearestWalking?.stationID, "whatif-1")
        XCTAssertEqual(reopened.after.compounds[isle1].nearestWalking?.metres ?? 0, length([at(1950, 30), at(1950, 0)]) + length([at(1950, 0), at(2200, 0)]), accuracy: 0.5)
        // The unreachable compound stays unreachable whatever is added next to it.
        let nowhere = compounds.firstIndex { $0.id == "nowhere" }!
        let beside = try WhatIfAnalysis.run(base: base, stations: stations, added: [site(1, at(1000, 1001))], closed: [], network: network)
        XCTAssertEqual(beside.after.compounds[nowhere].status, .unreachable)
        XCTAssertEqual(beside.added[0].onNetwork, false)
        XCTAssertEqual(beside.added[0].covers, [])
    }

    func testNothingChangedIsTheBase() throws {
        let (network, stations, compounds) = try city()
        let options = CoverageOptions(reach: .uniform(300), walk: true)
        let base = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: options)
        let same = try WhatIfAnalysis.run(base: base, stations: stations, added: [], closed: [], network: network)
        XCTAssertEqual(same.recomputed, [])
        XCTAssertEqual(same.after.compounds.map(\.status), base.compounds.map(\.status))
        XCTAssertEqual(same.newlyCovered + same.newlyUncovered, [])
    }
}
