import Foundation
import XCTest
@testable import DoorstepGeo

/// Service areas: circles against πr², walking areas against a hand-computed shape, rivers, and the station itself.
final class ServiceAreaTests: XCTestCase {
    var store: Store!
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-areas-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try Store(path: dir.appendingPathComponent("t.sqlite").path)
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
        let result = try ServiceAreas.make(stations: [s], bands: [300, 1000], network: nil, store: store, zone: zone)
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
        let result = try ServiceAreas.make(stations: [s], bands: [150], network: net, store: store, zone: net.zone, lateral: 35)
        let a = try XCTUnwrap(result.areas.first)
        XCTAssertEqual(a.reachableNetwork!, 600, accuracy: 1, "four arms of 150 m")
        // Two 300 × 70 m bars crossing, with round caps at the four ends: 2·300·70 − 70² + π·35².
        let expected = 2 * 300 * 70 - 70 * 70 + Double.pi * 35 * 35
        XCTAssertEqual(a.area, expected, accuracy: expected * 0.02)
        XCTAssertTrue(contains(a.geometry, at(200, 340)), "along an arm, within reach")
        XCTAssertFalse(contains(a.geometry, at(300, 300)), "a block corner 280 m away on foot")
    }

    func testWalkingAreaStopsAtTheRiverAndHoldsTheStation() throws {
        let west = [at(0, 0), at(0, 300), at(0, 600)], east = [at(200, 0), at(200, 300), at(200, 600)]
        let net = try network([west, east, [at(0, 600), at(200, 600)]])
        let s = station("S", at(-30, 0))
        let a = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [500], network: net, store: store, zone: net.zone).areas.first)
        XCTAssertTrue(contains(a.geometry, s.location), "no hole at the station itself")
        XCTAssertTrue(contains(a.geometry, at(0, 400)))
        XCTAssertFalse(contains(a.geometry, at(200, 0)), "the east bank is 1.3 km away by the bridge")
        XCTAssertFalse(contains(a.geometry, at(100, 100)), "nor the river between")
    }
}
