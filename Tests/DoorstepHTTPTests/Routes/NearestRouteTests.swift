import DoorstepGeo
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `/v1/nearest` through the router (no socket), checked against an independent brute-force computation.
final class NearestRouteTests: XCTestCase {
    func testMatchesBruteForceWithIndependentGeodesic() async throws {
        let path = try sampleDatabase(self)
        let stations = try StoreBackends.open(path, readOnly: true).stations()
        XCTAssertEqual(stations.count, 34)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            var seed: UInt64 = 12345
            func next() -> Double {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return Double(seed >> 11) / Double(1 << 53)
            }
            for _ in 0..<40 {
                let q = Coordinate(lon: 118.755 + next() * 0.05, lat: 32.025 + next() * 0.035)
                let k = 1 + Int(next() * 10)
                let reply = try await client.request("/v1/nearest?lon=\(q.lon)&lat=\(q.lat)&k=\(k)")
                XCTAssertEqual(reply.status, .ok, reply.text)
                let found = try reply.body()["stations"]?.array ?? []
                let expected = stations.map { ($0.id, andoyerLambert(q, $0.location)) }.sorted { $0.1 < $1.1 }.prefix(k)
                XCTAssertEqual(found.count, k)
                for (f, e) in zip(found, expected) {
                    let distance = try XCTUnwrap(f["distance_m"]?.number)
                    // Served distances are rounded to 0.1 m.
                    XCTAssertEqual(distance, e.1, accuracy: max(0.06, e.1 * 1e-4), "distance of \(f["id"]?.string ?? "?") from \(q)")
                    if f["id"]?.string != e.0 {
                        let other = try XCTUnwrap(stations.first { $0.id == f["id"]?.string })
                        XCTAssertEqual(andoyerLambert(q, other.location), e.1, accuracy: max(0.1, e.1 * 1e-4), "tie")
                    }
                }
                let distances = found.compactMap { $0["distance_m"]?.number }
                XCTAssertEqual(distances, distances.sorted(), "nearest first")
            }
        }
    }

    func testAnswerCarriesEveryFieldAndWGS84Coordinates() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let reply = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&k=3")
            XCTAssertEqual(reply.status, .ok)
            XCTAssertEqual(reply.contentType, "application/json")
            XCTAssertEqual(reply.headers[.accessControlAllowOrigin], "*")
            let body = try reply.body()
            XCTAssertEqual(body["count"]?.int, 3)
            XCTAssertEqual(body["query"]?["crs"]?.string, "EPSG:4326")
            XCTAssertNotNil(body["generation"]?.int)
            let first = try XCTUnwrap(body["stations"]?.array?.first)
            for key in ["id", "name", "kind", "services", "address", "phone", "hours", "open", "distance_m", "bearing_deg",
                        "direction", "coordinates"] {
                XCTAssertTrue(first.keys.contains(key), "missing \(key) in \(first.jsonText)")
            }
            XCTAssertEqual(first["coordinates"]?.keys, ["wgs84"])
            let bearing = try XCTUnwrap(first["bearing_deg"]?.number)
            XCTAssertTrue((0..<360).contains(bearing))
            // `open` is evaluated now when no time is asked: true, false or null (no hours).
            XCTAssertTrue(first["open"]?.bool != nil || first["open"]?.isNull == true)
        }
    }

    func testPhoneMapCoordinatesComeBackInTheirCRS() async throws {
        let path = try sampleDatabase(self)
        let station = try XCTUnwrap(try StoreBackends.open(path, readOnly: true).stations().first { $0.id == "S034" })
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            for (crs, shift) in [("gcj02", ChinaShift.wgs84ToGCJ02), ("bd09", ChinaShift.wgs84ToBD09)] {
                // Standing exactly on the station as a phone map shows it.
                let shown = shift(station.location)
                let reply = try await client.request("/v1/nearest?lon=\(shown.lon)&lat=\(shown.lat)&crs=\(crs)&k=1")
                XCTAssertEqual(reply.status, .ok, reply.text)
                let first = try XCTUnwrap(try reply.body()["stations"]?.array?.first)
                XCTAssertEqual(first["id"]?.string, "S034")
                XCTAssertEqual(try XCTUnwrap(first["distance_m"]?.number), 0, accuracy: 0.05, crs)
                let back = try XCTUnwrap(first["coordinates"]?[crs]?.array?.compactMap(\.number))
                XCTAssertEqual(back[0], shown.lon, accuracy: 1e-7)
                XCTAssertEqual(back[1], shown.lat, accuracy: 1e-7)
                let wgs = try XCTUnwrap(first["coordinates"]?["wgs84"]?.array?.compactMap(\.number))
                XCTAssertEqual(wgs[0], station.location.lon, accuracy: 1e-7)
            }
            // CGCS2000 (EPSG:4490) is within centimetres of WGS84; the answer is in WGS84 only.
            let reply = try await client.request("/v1/nearest?lon=\(station.location.lon)&lat=\(station.location.lat)&crs=EPSG:4490&k=1")
            XCTAssertEqual(reply.status, .ok, reply.text)
            let first = try XCTUnwrap(try reply.body()["stations"]?.array?.first)
            XCTAssertEqual(first["id"]?.string, "S034")
            XCTAssertEqual(first["coordinates"]?.keys, ["wgs84"])
            // A Gauss-Kruger easting/northing (EPSG:4548, 117°E zone) lands in Nanjing.
            let gk = try await client.request("/v1/nearest?lon=668000&lat=3546000&crs=EPSG:4548&k=1")
            XCTAssertEqual(gk.status, .ok, gk.text)
            let position = try XCTUnwrap(try gk.body()["query"]?["wgs84"]?.array?.compactMap(\.number))
            XCTAssertEqual(position[0], 118.75, accuracy: 0.2)
            XCTAssertEqual(position[1], 32.04, accuracy: 0.2)
        }
    }

    func testFiltersKindServicesAndOpeningHours() async throws {
        let path = try sampleDatabase(self)
        let stations = try StoreBackends.open(path, readOnly: true).stations()
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let q = Coordinate(lon: 118.7790, lat: 32.0440)
            let monday930 = WeekTime(weekday: 1, minute: 9 * 60 + 30)!
            let reply = try await client.request("/v1/nearest?lon=\(q.lon)&lat=\(q.lat)&k=100&kind=post&kind=station&service=water,charging&open_at=2026-11-23T09:30")
            XCTAssertEqual(reply.status, .ok, reply.text)
            let found = try reply.body()["stations"]?.array?.compactMap { $0["id"]?.string } ?? []
            let expected = stations.filter { s in
                ["post", "station"].contains(s.kind ?? "") && s.services.contains("water") && s.services.contains("charging")
                    && (s.hours?.isOpen(weekday: monday930.weekday, minuteOfDay: monday930.minute) ?? false)
            }.sorted { andoyerLambert(q, $0.location) < andoyerLambert(q, $1.location) }.map(\.id)
            XCTAssertFalse(expected.isEmpty)
            XCTAssertEqual(found, expected)
            XCTAssertEqual(try reply.body()["query"]?["open_filter"]?.string, "Mo 09:30")

            // Chinese names work as in the CLI; "Mo 09:30" and a form-encoded space work too.
            let chinese = try await client.request("/v1/nearest?lon=\(q.lon)&lat=\(q.lat)&k=100&kind=%E9%A9%BF%E7%AB%99&open_at=Mo+09:30")
            XCTAssertEqual(chinese.status, .ok, chinese.text)
            for s in try chinese.body()["stations"]?.array ?? [] {
                XCTAssertEqual(s["kind"]?.string, "post")
                XCTAssertEqual(s["open"]?.bool, true)
            }
            // open_now: every station answered is open now.
            let now = try await client.request("/v1/nearest?lon=\(q.lon)&lat=\(q.lat)&k=100&open_now=true")
            XCTAssertEqual(now.status, .ok)
            for s in try now.body()["stations"]?.array ?? [] { XCTAssertEqual(s["open"]?.bool, true) }
            // A service nobody offers: an empty answer, not an error.
            let none = try await client.request("/v1/nearest?lon=\(q.lon)&lat=\(q.lat)&service=teleport")
            XCTAssertEqual(none.status, .ok)
            XCTAssertEqual(try none.body()["count"]?.int, 0)
        }
    }

    func testParameterErrors() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        let cases: [(String, Int, String)] = [
            ("lon=abc&lat=32", 400, "invalid_parameter"),
            ("lat=32", 400, "missing_parameter"),
            ("lon=118.78", 400, "missing_parameter"),
            ("lon=118.78&lat=", 400, "invalid_parameter"),
            ("lon=118.78&lat=nan", 400, "invalid_parameter"),
            ("lon=inf&lat=32", 400, "invalid_parameter"),
            ("lon=0x1p3&lat=32", 400, "invalid_parameter"),
            ("lon=118.78&lon=118.79&lat=32", 400, "invalid_parameter"),
            ("lon=118.78&lat=95", 422, "out_of_range"),
            ("lon=200&lat=32", 422, "out_of_range"),
            ("lon=118.78&lat=32&k=1000000", 422, "out_of_range"),
            ("lon=118.78&lat=32&k=0", 422, "out_of_range"),
            ("lon=118.78&lat=32&k=101", 422, "out_of_range"),
            ("lon=118.78&lat=32&k=2.5", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&k=99999999999999999999999", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&crs=mars", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&crs=EPSG:999999", 400, "invalid_parameter"),
            ("lon=1e12&lat=1e12&crs=EPSG:4548", 422, "out_of_range"),
            ("lon=118.78&lat=32&open_at=tomorrow", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&open_at=2026-02-30T09:00", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&open_now=maybe", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&open_now=true&open_at=Mo%2009:30", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&tz=Mars/Olympus", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&walk=true&speed=0", 422, "out_of_range"),
            ("lon=118.78&lat=32&walk=true&speed=fast", 400, "invalid_parameter"),
            ("lon=100&lat=10&walk=true", 422, "unreachable"),
            ("lon=118.78&lat=32&walk=perhaps", 400, "invalid_parameter"),
            ("lon=118.78&lat=32&radius=5", 400, "unknown_parameter"),
            ("lon=118.78&lat=32&kind=" + (0..<21).map { "k\($0)" }.joined(separator: ","), 422, "out_of_range"),
            ("lon=118.78&lat=32&service=" + String(repeating: "x", count: 65), 422, "out_of_range"),
            ("lon=118.78'%20OR%201=1--&lat=32", 400, "invalid_parameter"),
        ]
        try await app.test(.router) { client in
            for (query, status, code) in cases {
                let reply = try await client.request("/v1/nearest?" + query)
                XCTAssertEqual(Int(reply.status.code), status, "\(query): \(reply.text)")
                XCTAssertEqual(reply.contentType, "application/json", query)
                let body = try reply.body()
                XCTAssertEqual(body["code"]?.string, code, query)
                XCTAssertFalse((body["description"]?.string ?? "").isEmpty, query)
                XCTAssertEqual(reply.headers[.accessControlAllowOrigin], "*", query)
            }
        }
    }

    /// walk=true ranks by walking distance along the network (Analysis/WalkingNearest): never shorter than straight.
    func testWalkingDistances() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let reply = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&k=5&walk=true&speed=1.0")
            XCTAssertEqual(reply.status, .ok, reply.text)
            let stations = try reply.body()["stations"]?.array ?? []
            XCTAssertEqual(stations.count, 5)
            var previous = 0.0
            for s in stations {
                let straight = try XCTUnwrap(s["distance_m"]?.number)
                guard let walking = s["walking_m"]?.number else { continue }
                XCTAssertGreaterThanOrEqual(walking, straight - 0.1, "walking is never shorter than straight")
                XCTAssertGreaterThanOrEqual(walking, previous, "ranked by walking distance")
                XCTAssertEqual(try XCTUnwrap(s["walking_min"]?.number), walking / 60, accuracy: 0.06)
                previous = walking
            }
            XCTAssertNotNil(stations.first?["walking_m"]?.number)
            let health = try await client.request("/health")
            XCTAssertEqual(try health.body()["walking"]?.bool, true)
        }
        // A database without ways has no walking network: 501 says so.
        let bare = try TestStores.fresh(self, name: "bare")
        try importInto(bare, ImportOptions(layer: .stations, file: sampleCity.appendingPathComponent("stations.geojson")))
        let (bareApp, _) = try makeApp(bare)
        try await bareApp.test(.router) { client in
            let reply = try await client.request("/v1/nearest?lon=118.78&lat=32.04&walk=true")
            XCTAssertEqual(reply.status, .notImplemented, reply.text)
            XCTAssertEqual(try reply.body()["code"]?.string, "not_implemented")
            XCTAssertTrue(try reply.body()["description"]?.string?.contains("walking distances not available") == true)
            let straight = try await client.request("/v1/nearest?lon=118.78&lat=32.04")
            XCTAssertEqual(straight.status, .ok)
        }
    }
}
