import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Service areas: circles against πr², walking areas against a hand-computed shape, rivers, and the station itself.
final class ServiceAreaTests: XCTestCase {
    var store: (any StoreWriter)!
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-areas-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try freshStore(self, name: "t", in: dir).store
    }

    override func tearDownWithError() throws {
        store = nil
        try? FileManager.default.removeItem(at: dir)
    }

    /// Ray casting on the outer rings, in degrees (fine at these sizes).
    func contains(_ g: Geometry, _ p: Coordinate) -> Bool {
        let polygons: [[[Coordinate]]]
        switch g {
        case .polygon(let rings): polygons = [rings]
        case .multiPolygon(let ps): polygons = ps
        default: return false
        }
        for rings in polygons {
            var inside = false
            for ring in rings {
                for (a, b) in zip(ring, ring.dropFirst()) where (a.lat > p.lat) != (b.lat > p.lat) {
                    let x = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon)
                    if p.lon < x { inside.toggle() }
                }
            }
            if inside { return true }
        }
        return false
    }

    func testCircleAreaIsPiRSquared() throws {
        let s = station("S", at(0, 0))
        let zone = MetricZone(center: s.location)
        let result = try ServiceAreas.make(stations: [s], bands: [300, 1000], network: nil, zone: zone)
        XCTAssertEqual(result.areas.count, 2)
        for a in result.areas {
            // A 72-gon holds 99.87 % of its circle.
            let sides = 72.0
            let expected: Double = a.band * a.band * sides / 2 * sin(2 * Double.pi / sides)
            XCTAssertEqual(a.area, expected, accuracy: expected * 0.003, "band \(a.band)")
            XCTAssertTrue(contains(a.geometry, at(a.band * 0.95, 0)))
            XCTAssertFalse(contains(a.geometry, at(a.band * 1.05, 0)))
        }
    }

    func testWalkingAreaOnALatticeIsACross() throws {
        let net = try network(lattice())
        let s = station("S", at(200, 200))
        let result = try ServiceAreas.make(stations: [s], bands: [90], network: net, zone: net.zone, lateral: 35)
        let a = try XCTUnwrap(result.areas.first)
        XCTAssertEqual(a.reachableNetwork!, 360, accuracy: 1, "four arms of 90 m: the next crossings are 100 m away")
        // Two 180 × 70 m bars crossing, with round caps (half 16-gons of radius 35 m) at the four ends: two 16-gons.
        let caps = 2 * (8 * 35.0 * 35 * sin(2 * Double.pi / 16))
        let expected = 2 * 180 * 70 - 70 * 70 + caps
        XCTAssertEqual(a.area, expected, accuracy: expected * 0.02)
        XCTAssertTrue(contains(a.geometry, at(200, 280)), "along an arm, within reach")
        XCTAssertFalse(contains(a.geometry, at(250, 250)), "the middle of a block")
        // At 150 m the walker turns the next corners: 4 × 100 m + 4 × 3 × 50 m of network.
        let wider = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [150], network: net, zone: net.zone).areas.first)
        XCTAssertEqual(wider.reachableNetwork!, 1000, accuracy: 1)
        XCTAssertTrue(contains(wider.geometry, at(300, 240)))
        XCTAssertFalse(contains(wider.geometry, at(300, 300)), "a block corner 200 m away on foot")
    }

    func testWalkingAreaStopsAtTheRiverAndHoldsTheStation() throws {
        let west = [at(0, 0), at(0, 300), at(0, 600)], east = [at(200, 0), at(200, 300), at(200, 600)]
        let net = try network([west, east, [at(0, 600), at(200, 600)]])
        let s = station("S", at(-30, 0))
        let a = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [500], network: net, zone: net.zone).areas.first)
        XCTAssertTrue(contains(a.geometry, s.location), "no hole at the station itself")
        XCTAssertTrue(contains(a.geometry, at(0, 400)))
        XCTAssertFalse(contains(a.geometry, at(200, 0)), "the east bank is 1.3 km away by the bridge")
        XCTAssertFalse(contains(a.geometry, at(100, 100)), "nor the river between")
    }
}
