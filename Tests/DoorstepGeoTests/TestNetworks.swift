import Foundation
import XCTest
@testable import DoorstepGeo

/// Hand-built networks laid out in metres around 32.04°N 118.78°E, shared by the network and service-area tests.
extension XCTestCase {
    /// Degrees per metre near 32°N (for laying out test networks; distances are checked geodesically).
    var lat0: Double { 32.04 }
    var lon0: Double { 118.78 }
    var dLat: Double { 1 / 110_900.0 }
    var dLon: Double { 1 / (111_320.0 * cos(lat0 * .pi / 180)) }

    func at(_ x: Double, _ y: Double) -> Coordinate { Coordinate(lon: lon0 + x * dLon, lat: lat0 + y * dLat) }

    func station(_ id: String, _ c: Coordinate, radius: Double? = nil, kind: String = "station") -> Station {
        Station(id: id, name: id, kind: kind, services: [], address: nil, phone: nil, hours: nil, radiusMetres: radius,
                capacity: nil, location: c)
    }

    func compound(_ id: String, _ points: [Coordinate], households: Int? = 100) -> CompoundSite {
        CompoundSite(id: id, name: id, households: households, population: nil, kind: nil, referencePoints: points,
                     hasEntrances: points.count > 1, gridID: nil, gridName: nil, community: nil, street: nil, district: nil)
    }

    func network(_ lines: [[Coordinate]]) throws -> WalkingNetwork {
        let ways = lines.enumerated().map { WalkGraph.Way(id: "w\($0.offset)", lines: [$0.element]) }
        return try WalkingNetwork(graph: WalkGraph(ways: ways), zone: MetricZone(center: at(0, 0)), snapLimit: 250, waysGeneration: 1)
    }

    /// Length of a polyline by the independent formula of NearestTests.
    func length(_ cs: [Coordinate]) -> Double { zip(cs, cs.dropFirst()).reduce(0) { $0 + andoyerLambert($1.0, $1.1) } }

    /// A 4 × 4-block lattice of 100 m blocks: rows and columns as lines through every crossing.
    func lattice(_ n: Int = 4) -> [[Coordinate]] {
        var lines = [[Coordinate]]()
        for i in 0...n {
            lines.append((0...n).map { at(Double($0) * 100, Double(i) * 100) })
            lines.append((0...n).map { at(Double(i) * 100, Double($0) * 100) })
        }
        return lines
    }

}
