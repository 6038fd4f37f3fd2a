import DoorstepGeo
import DoorstepTestSupport
@testable import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// OGC API – Features routes through the router (no socket), checked against the store.
final class FeaturesRouteTests: XCTestCase {
    func testLandingPageAndConformance() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            // The router test client addresses the server as `localhost`; links follow the Host the client used.
            let landing = try await client.request("/")
            XCTAssertEqual(landing.status, .ok)
            XCTAssertEqual(landing.contentType, "application/json")
            let body = try landing.body()
            XCTAssertEqual(link(body, "self"), "http://localhost/")
            XCTAssertEqual(link(body, "service-desc"), "http://localhost/api")
            XCTAssertEqual(link(body, "conformance"), "http://localhost/conformance")
            XCTAssertEqual(link(body, "data"), "http://localhost/collections")
            XCTAssertEqual(body["links"]?.array?.first { $0["rel"]?.string == "service-desc" }?["type"]?.string,
                           "application/vnd.oai.openapi+json;version=3.0")

            let conformance = try await client.request("/conformance")
            XCTAssertEqual(conformance.status, .ok)
            let classes = try conformance.body()["conformsTo"]?.array?.compactMap(\.string) ?? []
            for c in ["core", "geojson", "oas30"] {
                XCTAssertTrue(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/\(c)"), c)
            }
        }
    }

    func testCollectionsListEveryLayerWithItsExtent() async throws {
        let path = try sampleDatabase(self)
        let summaries = try StoreBackends.open(path, readOnly: true).layerSummaries()
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let reply = try await client.request("/collections")
            XCTAssertEqual(reply.status, .ok)
            let collections = try reply.body()["collections"]?.array ?? []
            XCTAssertEqual(collections.compactMap { $0["id"]?.string }, ["stations", "compounds", "grids", "ways", "entrances", "coverage", "service-areas"])
            for summary in summaries {
                let c = try XCTUnwrap(collections.first { $0["id"]?.string == summary.layer.rawValue })
                let bbox = try XCTUnwrap(c["extent"]?["spatial"]?["bbox"]?.array?.first?.array?.compactMap(\.number))
                let box = try XCTUnwrap(summary.bbox)
                XCTAssertEqual(bbox, [box.west, box.south, box.east, box.north])
                XCTAssertEqual(c["itemType"]?.string, "feature")
                XCTAssertEqual(link(c, "items"), "http://localhost/collections/\(summary.layer.rawValue)/items")

                let one = try await client.request("/collections/\(summary.layer.rawValue)")
                XCTAssertEqual(one.status, .ok)
                XCTAssertEqual(try one.body()["id"]?.string, summary.layer.rawValue)
            }
            let missing = try await client.request("/collections/parks")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(try missing.body()["code"]?.string, "not_found")
            let missingItems = try await client.request("/collections/parks/items")
            XCTAssertEqual(missingItems.status, .notFound)
        }
    }

    func testPagingThroughNextLinksReturnsEveryFeatureOnce() async throws {
        let path = try sampleDatabase(self)
        let store = try StoreBackends.open(path, readOnly: true)
        var all = [Layer: [String]]()
        for layer in Layer.allCases {
            all[layer] = try store.features(of: layer, bbox: nil, limit: 100_000, offset: 0).features.map(\.id)
            XCTAssertEqual(all[layer]?.count, try store.count(layer))
        }
        let expectedIDs = all
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            for layer in Layer.allCases {
                let expected = expectedIDs[layer] ?? []
                var seen = [String]()
                var next: String? = "/collections/\(layer.rawValue)/items?limit=7"
                var pages = 0
                var previousOffset = -1
                while let uri = next {
                    let reply = try await client.request(uri)
                    XCTAssertEqual(reply.status, .ok, reply.text)
                    XCTAssertEqual(reply.contentType, "application/geo+json")
                    let page = try reply.body()
                    XCTAssertEqual(page["type"]?.string, "FeatureCollection")
                    XCTAssertEqual(page["numberMatched"]?.int, expected.count)
                    let features = page["features"]?.array ?? []
                    XCTAssertEqual(page["numberReturned"]?.int, features.count)
                    XCTAssertLessThanOrEqual(features.count, 7)
                    XCTAssertNotNil(link(page, "self"))
                    XCTAssertEqual(link(page, "prev") != nil, previousOffset >= 0, "prev link only after the first page")
                    for f in features {
                        XCTAssertEqual(f["type"]?.string, "Feature")
                        XCTAssertNotNil(f["geometry"]?["type"]?.string)
                        XCTAssertEqual(f["properties"]?["id"]?.string, f["id"]?.string)
                        seen.append(f["id"]?.string ?? "")
                    }
                    previousOffset = seen.count
                    next = link(page, "next").map(pathAndQuery)
                    pages += 1
                    XCTAssertLessThan(pages, 200)
                }
                XCTAssertEqual(seen, expected, layer.rawValue)
            }
        }
    }

    func testBBoxSelectsWhatIntersects() async throws {
        let path = try sampleDatabase(self)
        let stations = try StoreBackends.open(path, readOnly: true).stations()
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let box = BoundingBox(west: 118.770, south: 32.035, east: 118.785, north: 32.047)
            let reply = try await client.request("/collections/stations/items?bbox=\(box.west),\(box.south),\(box.east),\(box.north)&limit=1000")
            XCTAssertEqual(reply.status, .ok, reply.text)
            let ids = Set(try reply.body()["features"]?.array?.compactMap { $0["id"]?.string } ?? [])
            let expected = Set(stations.filter {
                (box.west...box.east).contains($0.location.lon) && (box.south...box.north).contains($0.location.lat)
            }.map(\.id))
            XCTAssertFalse(expected.isEmpty)
            XCTAssertEqual(ids, expected)
            XCTAssertEqual(try reply.body()["numberMatched"]?.int, expected.count)
            // Six numbers (with heights) mean the same box.
            let six = try await client.request("/collections/stations/items?bbox=\(box.west),\(box.south),0,\(box.east),\(box.north),100&limit=1000")
            XCTAssertEqual(try six.body()["numberMatched"]?.int, expected.count)
            // The box is carried in the next link.
            let paged = try await client.request("/collections/stations/items?bbox=\(box.west),\(box.south),\(box.east),\(box.north)&limit=1")
            XCTAssertTrue(link(try paged.body(), "next")?.contains("bbox=118.77,32.035,118.785,32.047") == true)
            // A box far from the city matches nothing.
            let far = try await client.request("/collections/grids/items?bbox=100,10,100.1,10.1")
            XCTAssertEqual(try far.body()["numberMatched"]?.int, 0)
            XCTAssertEqual(try far.body()["features"]?.array?.count, 0)
        }
    }

    /// Polygon areas for the compounds whose bbox test decides by geometry, not rectangle: a box touching a compound's
    /// rectangle but not the compound itself is not a match (the R*Tree is only the first filter).
    func testBBoxIsExactForPolygonsAndPagesFollowTheRightHandRule() async throws {
        let path = try sampleDatabase(self)
        let (app, data) = try makeApp(path)
        try await app.test(.router) { client in
            let all = try await client.request("/collections/compounds/items?limit=1000").body()
            let features = try XCTUnwrap(all["features"]?.array)
            XCTAssertEqual(features.count, all["numberMatched"]?.int)
            var polygons = 0
            for f in features where f["geometry"]?["type"]?.string == "Polygon" {
                polygons += 1
                let rings = try XCTUnwrap(f["geometry"]?["coordinates"]?.array)
                for (i, ring) in rings.enumerated() {
                    var xs: [Double] = [], ys: [Double] = []
                    for position in try XCTUnwrap(ring.array) {
                        let pair = try XCTUnwrap(position.array)
                        xs.append(try XCTUnwrap(pair[0].number) - 118.78)
                        ys.append(try XCTUnwrap(pair[1].number) - 32.04)
                    }
                    // Shoelace sum: positive when counter-clockwise (RFC 7946: exterior CCW, holes CW).
                    var twiceArea = 0.0
                    for j in 0..<(xs.count - 1) {
                        let term: Double = xs[j] * ys[j + 1] - xs[j + 1] * ys[j]
                        twiceArea += term
                    }
                    XCTAssertEqual(twiceArea > 0, i == 0, "\(f["id"]?.string ?? "?") ring \(i)")
                }
            }
            XCTAssertGreaterThan(polygons, 10)
            // The same page asked for twice is the same text (the second time from the generation's page cache).
            let first = try await client.request("/collections/compounds/items?limit=7&offset=3")
            try await Task.sleep(for: .milliseconds(1100))
            let second = try await client.request("/collections/compounds/items?limit=7&offset=3")
            var a = try first.body(), b = try second.body()
            // Each response has its own timeStamp; the rest is the same.
            XCTAssertNotEqual(a["timeStamp"], b["timeStamp"])
            if case .object(let m) = a { a = .object(m.filter { $0.0 != "timeStamp" }) }
            if case .object(let m) = b { b = .object(m.filter { $0.0 != "timeStamp" }) }
            XCTAssertEqual(a, b)
            let usage = try await data.snapshot().pages.usage
            XCTAssertGreaterThan(usage.pages, 0)
        }
    }

    func testPageCacheStaysWithinItsBytesAndEvictsOldestFirst() {
        func page(_ byte: UInt8, _ count: Int) -> PageCache.Page {
            PageCache.Page(head: [UInt8](repeating: byte, count: count / 2), tail: [UInt8](repeating: byte, count: count - count / 2))
        }
        let cache = PageCache(capacity: 80_000)
        for i in 0..<100 { cache.store("p\(i)", page(UInt8(i), 5_000)) }
        XCTAssertLessThanOrEqual(cache.usage.bytes, 80_000)
        XCTAssertEqual(cache.usage.pages, 16)
        XCTAssertNil(cache.page("p0"))
        XCTAssertEqual(cache.page("p99")?.head, [UInt8](repeating: 99, count: 2_500))
        // A key evicted and stored again lives as long as a new one.
        cache.store("p0", page(7, 5_000))
        for i in 100..<114 { cache.store("p\(i)", page(UInt8(i), 5_000)) }
        XCTAssertNotNil(cache.page("p0"), "evicted by its old place in the order")
        XCTAssertLessThanOrEqual(cache.usage.bytes, 80_000)
        // A page over an eighth of the capacity is not kept; capacity 0 keeps nothing.
        cache.store("big", page(1, 20_000))
        XCTAssertNil(cache.page("big"))
        let off = PageCache(capacity: 0)
        off.store("a", page(1, 3))
        XCTAssertNil(off.page("a"))
    }

    func testFeatureByIdIncludingIdsWithSlashAndHash() async throws {
        let path = try sampleDatabase(self)
        let store = try StoreBackends.open(path, readOnly: true)
        let way = try XCTUnwrap(try store.features(of: .ways, bbox: nil, limit: 1, offset: 0).features.first)
        XCTAssertTrue(way.id.contains("/"))
        let entrance = try XCTUnwrap(try store.features(of: .entrances, bbox: nil, limit: 1, offset: 0).features.first)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let encoded = way.id.replacingOccurrences(of: "/", with: "%2F")
            for uri in ["/collections/ways/items/\(encoded)", "/collections/ways/items/\(way.id)"] {
                let reply = try await client.request(uri)
                XCTAssertEqual(reply.status, .ok, "\(uri): \(reply.text)")
                XCTAssertEqual(reply.contentType, "application/geo+json")
                let feature = try reply.body()
                XCTAssertEqual(feature["id"]?.string, way.id)
                XCTAssertEqual(feature["type"]?.string, "Feature")
                XCTAssertEqual(link(feature, "self"), "http://localhost/collections/ways/items/\(encoded)")
                XCTAssertEqual(link(feature, "collection"), "http://localhost/collections/ways")
            }
            let e = try await client.request("/collections/entrances/items/" + (entrance.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            XCTAssertEqual(e.status, .ok, e.text)
            XCTAssertEqual(try e.body()["id"]?.string, entrance.id)

            for missing in ["/collections/ways/items/way%2F0", "/collections/stations/items/S999", "/collections/stations/items/%ZZ",
                            "/collections/stations/items/S001'%20OR%20'1'='1"] {
                let reply = try await client.request(missing)
                XCTAssertEqual(reply.status, .notFound, missing)
                XCTAssertEqual(try reply.body()["code"]?.string, "not_found")
            }
        }
    }

    func testPropertiesAreEveryColumnPlusTheKeptExtras() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let reply = try await client.request("/collections/stations/items/S001")
            XCTAssertEqual(reply.status, .ok, reply.text)
            let p = try XCTUnwrap(try reply.body()["properties"])
            for key in ["id", "name", "kind", "services", "address", "phone", "hours", "radius_m", "capacity", "osm_id", "synthetic"] {
                XCTAssertTrue(p.keys.contains(key), "missing \(key): \(p.jsonText)")
            }
            XCTAssertFalse(p.keys.contains("fid"))
            XCTAssertFalse(p.keys.contains("geom"))
            XCTAssertFalse(p.keys.contains("properties"))
            XCTAssertNotNil(p["services"]?.array, "services is a list")
            let geometry = try XCTUnwrap(try reply.body()["geometry"])
            XCTAssertEqual(geometry["type"]?.string, "Point")
            XCTAssertEqual(geometry["coordinates"]?.array?.count, 2)
        }
    }

    func testItemsParameterErrorsAndLimitClamping() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        let cases: [(String, Int, String)] = [
            ("bbox=1,2,3", 400, "invalid_parameter"),
            ("bbox=1,2,3,4,5", 400, "invalid_parameter"),
            ("bbox=a,b,c,d", 400, "invalid_parameter"),
            ("bbox=118,32,,119", 400, "invalid_parameter"),
            ("bbox=118,95,119,96", 422, "out_of_range"),
            ("bbox=118,33,119,32", 422, "out_of_range"),
            ("bbox=179,0,-179,1", 422, "out_of_range"),
            ("bbox=-181,0,1,1", 422, "out_of_range"),
            ("limit=0", 422, "out_of_range"),
            ("limit=-5", 422, "out_of_range"),
            ("limit=ten", 400, "invalid_parameter"),
            ("limit=10&limit=20", 400, "invalid_parameter"),
            ("offset=-1", 422, "out_of_range"),
            ("offset=1.5", 400, "invalid_parameter"),
            ("offset=99999999999", 422, "out_of_range"),
            ("f=html", 400, "invalid_parameter"),
            ("name=x", 400, "unknown_parameter"),
            ("bbox=118%20OR%201=1,32,119,33", 400, "invalid_parameter"),
        ]
        try await app.test(.router) { client in
            for (query, status, code) in cases {
                let reply = try await client.request("/collections/stations/items?" + query)
                XCTAssertEqual(Int(reply.status.code), status, "\(query): \(reply.text)")
                XCTAssertEqual(try reply.body()["code"]?.string, code, query)
            }
            // Too large a limit is clamped to 10000, not refused; the links say the limit used.
            let big = try await client.request("/collections/ways/items?limit=20000")
            XCTAssertEqual(big.status, .ok)
            XCTAssertEqual(try big.body()["numberReturned"]?.int, 383)
            XCTAssertTrue(link(try big.body(), "self")?.contains("limit=10000") == true)
            // Default limit 10; an offset past the end is an empty page.
            let first = try await client.request("/collections/ways/items")
            XCTAssertEqual(try first.body()["numberReturned"]?.int, 10)
            let past = try await client.request("/collections/ways/items?offset=100000")
            XCTAssertEqual(try past.body()["numberReturned"]?.int, 0)
            XCTAssertEqual(try past.body()["numberMatched"]?.int, 383)
            XCTAssertNil(link(try past.body(), "next"))
            let json = try await client.request("/collections/ways/items?f=json")
            XCTAssertEqual(json.status, .ok)
        }
    }

    func testLinksUseAValidHostOnly() {
        XCTAssertEqual(LinkBuilder(authority: "maps.example:8080", fallback: "http://127.0.0.1:8080").url("/api"), "http://maps.example:8080/api")
        XCTAssertEqual(LinkBuilder(authority: "[::1]:8080", fallback: "http://127.0.0.1:8080").base, "http://[::1]:8080")
        // A Host that is not a host name and port never reaches the links.
        for bad in ["evil\"><script>", "a b", "x/y", "", nil] {
            XCTAssertEqual(LinkBuilder(authority: bad, fallback: "http://127.0.0.1:8080").base, "http://127.0.0.1:8080", bad ?? "nil")
        }
        XCTAssertEqual(LinkBuilder.encode("way/27811140"), "way%2F27811140")
        XCTAssertEqual(LinkBuilder.encode("entrances#3"), "entrances%233")
        XCTAssertEqual(LinkBuilder.encode("站"), "%E7%AB%99")
    }
}
