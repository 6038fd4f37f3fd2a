import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Andoyer–Lambert distance: a different method from the product's Vincenty, accurate to about 1e-5 relative,
/// so agreement within 0.01 % says the product's distances and ranking are right.
func andoyerLambert(_ p: Coordinate, _ q: Coordinate) -> Double {
    let a = 6_378_137.0, f = 1 / 298.257223563
    let r = Double.pi / 180
    let b1 = atan((1 - f) * tan(p.lat * r)), b2 = atan((1 - f) * tan(q.lat * r))
    let dl = (q.lon - p.lon) * r
    let s = sin((b2 - b1) / 2), c = sin(dl / 2)
    let h = s * s + cos(b1) * cos(b2) * c * c
    let sigma = 2 * asin(min(1, h.squareRoot()))
    if sigma == 0 { return 0 }
    let P = (b1 + b2) / 2, Q = (b2 - b1) / 2
    let X = (sigma - sin(sigma)) * pow(sin(P) * cos(Q), 2) / pow(cos(sigma / 2), 2)
    let Y = (sigma + sin(sigma)) * pow(cos(P) * sin(Q), 2) / pow(sin(sigma / 2), 2)
    return a * (sigma - f / 2 * (X + Y))
}

/// Deterministic pseudo-random numbers for test data.
struct TestRandom {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

final class NearestTests: XCTestCase {
    func makeStations(_ n: Int, seed: UInt64 = 7) -> [Station] {
        var rng = TestRandom(state: seed)
        let kinds = ["center", "station", "post"]
        let services = ["rest", "water", "charging", "meal", "medical"]
        let hours = [try! OpeningHours(parsing: "Mo-Fr 08:30-17:30"), try! OpeningHours(parsing: "24/7"), nil]
        return (0..<n).map { i in
            let lon = 118.70 + rng.next() * 0.2, lat = 31.98 + rng.next() * 0.15
            let offered = services.filter { _ in rng.next() < 0.5 }
            return Station(id: "S\(i)", name: "站\(i)", kind: kinds[i % 3], services: offered, address: nil, phone: nil,
                           hours: hours[i % 3], radiusMetres: nil, capacity: nil, location: Coordinate(lon: lon, lat: lat))
        }
    }

    func testMatchesBruteForceWithIndependentGeodesic() {
        let stations = makeStations(3000)
        let index = NearestIndex(stations: stations)
        var rng = TestRandom(state: 99)
        for _ in 0..<200 {
            let q = Coordinate(lon: 118.68 + rng.next() * 0.24, lat: 31.96 + rng.next() * 0.19)
            let found = index.nearest(to: q, k: 5)
            let expected = stations.map { ($0.id, andoyerLambert(q, $0.location)) }.sorted { $0.1 < $1.1 }.prefix(5)
            XCTAssertEqual(found.count, 5)
            for (f, e) in zip(found, expected) {
                XCTAssertEqual(f.distance, e.1, accuracy: e.1 * 1e-4, "distance of \(f.station.id) from \(q)")
                // Ids agree unless two stations are tied within the tolerance.
                if f.station.id != e.0 {
                    let other = stations.first { $0.id == f.station.id }!
                    XCTAssertEqual(andoyerLambert(q, other.location), e.1, accuracy: e.1 * 1e-4)
                }
            }
            XCTAssertEqual(found.map(\.distance), found.map(\.distance).sorted(), "nearest first")
        }
    }

    func testFiltersKindServicesAndOpeningHours() throws {
        let stations = makeStations(2000)
        let index = NearestIndex(stations: stations)
        let q = Coordinate(lon: 118.78, lat: 32.04)
        let monday10 = WeekTime(weekday: 1, minute: 600)!
        let sunday10 = WeekTime(weekday: 7, minute: 600)!
        let filter = StationFilter(kinds: ["post", "党群服务站"], services: ["water", "充电"], openAt: monday10)
        let found = index.nearest(to: q, k: 10, filter: filter)
        let expected = stations.filter { s in
            ["post", "station"].contains(s.kind!) && s.services.contains("water") && s.services.contains("charging")
                && (s.hours?.isOpen(weekday: 1, minuteOfDay: 600) ?? false)
        }.sorted { andoyerLambert(q, $0.location) < andoyerLambert(q, $1.location) }.prefix(10)
        XCTAssertEqual(found.map(\.station.id), expected.map(\.id))
        // On Sunday only the 24/7 stations (kind "station", every third) are open.
        let sunday = index.nearest(to: q, k: 5, filter: StationFilter(openAt: sunday10))
        XCTAssertEqual(sunday.count, 5)
        XCTAssertTrue(sunday.allSatisfy { $0.station.hours?.text == "24/7" })
        XCTAssertTrue(index.nearest(to: q, k: 5, filter: StationFilter(services: ["nonexistent"])).isEmpty)
    }

    func testBearingAndDistanceOfHandCheckedCases() {
        let origin = Coordinate(lon: 118.78, lat: 32.04)
        // One minute of latitude north: about 1848 m at 32°N (meridional arc).
        let north = Station(id: "N", name: "北", kind: nil, services: [], address: nil, phone: nil, hours: nil,
                            radiusMetres: nil, capacity: nil, location: Coordinate(lon: 118.78, lat: 32.04 + 1.0 / 60))
        let east = Station(id: "E", name: "东", kind: nil, services: [], address: nil, phone: nil, hours: nil,
                           radiusMetres: nil, capacity: nil, location: Coordinate(lon: 118.79, lat: 32.04))
        let index = NearestIndex(stations: [north, east])
        let found = index.nearest(to: origin, k: 2)
        XCTAssertEqual(found.map(\.station.id), ["E", "N"])
        XCTAssertEqual(found[1].distance, 1848.1, accuracy: 1.0)
        XCTAssertEqual(found[1].bearing, 0, accuracy: 0.01)
        XCTAssertEqual(found[0].bearing, 90, accuracy: 0.01)
        // 0.01° of longitude at 32.04°N on the ellipsoid: N·cos φ·Δλ ≈ 944.3 m.
        XCTAssertEqual(found[0].distance, 944.3, accuracy: 0.5)
        XCTAssertEqual(index.nearest(to: origin, k: 5, maxDistance: 1000).map(\.station.id), ["E"])
    }

    func testAgreesWithSpatiaLiteEllipsoidalDistance() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-nearest-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, address) = try freshStore(self, name: "t", in: dir)
        let stations = makeStations(50)
        var text = "{\"type\":\"FeatureCollection\",\"features\":["
        text += stations.map { s in
            "{\"type\":\"Feature\",\"properties\":{\"id\":\"\(s.id)\",\"name\":\"\(s.name)\",\"kind\":\"\(s.kind!)\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[\(s.location.lon),\(s.location.lat)]}}"
        }.joined(separator: ",")
        text += "]}"
        let file = dir.appendingPathComponent("s.geojson")
        try text.write(to: file, atomically: true, encoding: .utf8)
        _ = try Importer.run(ImportOptions(layer: .stations, file: file), into: store)
        let loaded = try store.stations()
        XCTAssertEqual(loaded.count, 50)
        let q = Coordinate(lon: 118.77, lat: 32.05)
        let found = NearestIndex(stations: loaded).nearest(to: q, k: 50)
        // The store engine's own ellipsoidal distance (SpatiaLite's, or PostGIS's on geography).
        let (x, y) = (sqlNumber(q.lon), sqlNumber(q.lat))
        for n in found {
            let id = n.station.id.replacingOccurrences(of: "'", with: "''")
            let metres = try XCTUnwrap(try engineScalar(address, spatiaLite: """
                SELECT ST_Distance(geom, MakePoint(\(x), \(y), 4326), 1) FROM stations WHERE id = '\(id)'
                """, postGIS: """
                SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(\(x), \(y)), 4326)::geography, true)
                FROM stations WHERE id = '\(id)'
                """).flatMap(Double.init), n.station.id)
            XCTAssertEqual(n.distance, metres, accuracy: 0.01, n.station.id)
        }
    }

    func testWeekTimeParsing() {
        XCTAssertEqual(WeekTime(parsing: "2026-11-23 09:30"), WeekTime(weekday: 1, minute: 570)) // a Monday
        XCTAssertEqual(WeekTime(parsing: "2026-11-22T23:59"), WeekTime(weekday: 7, minute: 1439)) // a Sunday
        XCTAssertEqual(WeekTime(parsing: "Sa 10:00"), WeekTime(weekday: 6, minute: 600))
        XCTAssertNil(WeekTime(parsing: "2026-02-30 10:00"))
        XCTAssertNil(WeekTime(parsing: "Mo 24:00"))
        XCTAssertNil(WeekTime(parsing: "tomorrow"))
    }

    func testEmptyIndexAndSinglePoint() {
        XCTAssertTrue(NearestIndex(stations: []).nearest(to: Coordinate(lon: 0, lat: 0), k: 3).isEmpty)
        let one = makeStations(1)
        let r = NearestIndex(stations: one).nearest(to: one[0].location, k: 3)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r[0].distance, 0)
    }
}
