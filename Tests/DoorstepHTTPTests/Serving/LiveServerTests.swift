import DoorstepGeo
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// The service on a real socket: a plain HTTP client, and GDAL's OAPIF driver as an independent OGC API client.
final class LiveServerTests: XCTestCase {
    func testServesOverARealSocket() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.live) { client in
            XCTAssertNotNil(client.port)
            let health = try await client.request("/health")
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(try health.body()["stations"]?.int, 34)
            let nearest = try await client.request("/v1/nearest?lon=118.7790&lat=32.0440&k=2&crs=gcj02")
            XCTAssertEqual(nearest.status, .ok)
            XCTAssertEqual(try nearest.body()["stations"]?.array?.count, 2)
            XCTAssertNotNil(try nearest.body()["stations"]?.array?.first?["coordinates"]?["gcj02"])
            let bad = try await client.request("/v1/nearest?lon=abc&lat=1")
            XCTAssertEqual(bad.status, .badRequest)
            let items = try await client.request("/collections/ways/items?limit=3")
            XCTAssertEqual(items.contentType, "application/geo+json")
            // Links use the Host the client sent (this test client sends `localhost`).
            XCTAssertTrue(link(try items.body(), "next")?.hasPrefix("http://localhost/collections/ways/items?") == true)
        }
    }

    /// `ogrinfo OAPIF:http://127.0.0.1:PORT` lists every collection, and each layer's feature count (and the features
    /// GDAL reads by following the next links) match the store.
    func testGDALReadsEveryCollection() async throws {
        guard let ogrinfo = findProgram("ogrinfo") else {
            throw XCTSkip("ogrinfo (Debian gdal-bin) is not installed; `make deps` installs it")
        }
        let path = try sampleDatabase(self)
        let summaries = try StoreBackends.open(path, readOnly: true).layerSummaries()
        let (app, _) = try makeApp(path, refresh: .milliseconds(500))
        try await app.test(.live) { client in
            let url = "OAPIF:http://127.0.0.1:\(client.port!)"
            let (status, listing) = try await runProgram(ogrinfo, ["-ro", "-so", url])
            XCTAssertEqual(status, 0, listing)
            for layer in Layer.allCases {
                XCTAssertTrue(listing.contains(": \(layer.rawValue) (title:"), "ogrinfo does not list \(layer.rawValue):\n\(listing)")
            }
            for summary in summaries {
                let (status, info) = try await runProgram(ogrinfo, ["-ro", "-so", url, summary.layer.rawValue])
                XCTAssertEqual(status, 0, info)
                XCTAssertTrue(info.contains("Feature Count: \(summary.count)\n"),
                              "\(summary.layer.rawValue): expected Feature Count: \(summary.count) in\n\(info)")
                XCTAssertTrue(info.contains("Extent: ("), info)
            }
            // The analysis collections: coverage has a feature per compound, service-areas one per station.
            for (collection, layer) in [("coverage", Layer.compounds), ("service-areas", .stations)] {
                XCTAssertTrue(listing.contains(": \(collection) (title:"), "ogrinfo does not list \(collection):\n\(listing)")
                let count = summaries.first { $0.layer == layer }?.count ?? -1
                let (status, info) = try await runProgram(ogrinfo, ["-ro", "-so", url, collection])
                XCTAssertEqual(status, 0, info)
                XCTAssertTrue(info.contains("Feature Count: \(count)\n"), "\(collection): expected Feature Count: \(count) in\n\(info)")
                let (allStatus, all) = try await runProgram(ogrinfo, ["-ro", "-al", "-q", url, collection])
                XCTAssertEqual(allStatus, 0)
                XCTAssertEqual(all.split(separator: "\n").filter { $0.hasPrefix("OGRFeature(") }.count, count, collection)
            }
            // Reading every feature pages through the next links.
            for layer in [Layer.stations, .ways] {
                let (status, all) = try await runProgram(ogrinfo, ["-ro", "-al", "-q", url, layer.rawValue])
                XCTAssertEqual(status, 0)
                let features = all.split(separator: "\n").filter { $0.hasPrefix("OGRFeature(") }.count
                XCTAssertEqual(features, summaries.first { $0.layer == layer }?.count, layer.rawValue)
            }
        }
    }
}
