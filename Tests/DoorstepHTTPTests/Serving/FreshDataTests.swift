import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// Re-imports while the server runs: visible without a restart, never half of one.
final class FreshDataTests: XCTestCase {
    func testReimportBecomesVisibleWithoutRestart() async throws {
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        let extra = dir.appendingPathComponent("more.geojson")
        try writeStations(3, prefix: "NEW", to: extra)
        try await app.test(.router) { client in
            let before = try await client.request("/health").body()
            XCTAssertEqual(before["stations"]?.int, 34)
            // Read (and so cached) before the import: the next generation must not serve it again.
            let page = try await client.request("/collections/stations/items?limit=1").body()
            XCTAssertEqual(page["numberMatched"]?.int, 34)
            try importInto(path, ImportOptions(layer: .stations, file: extra))
            try await Self.awaitLoaded(client, after: before["generation"]?.int)
            let after = try await client.request("/health").body()
            XCTAssertEqual(after["stations"]?.int, 37)
            XCTAssertGreaterThan(after["generation"]?.int ?? 0, before["generation"]?.int ?? 0)
            // The nearest index was rebuilt: standing on NEW0 finds it.
            let nearest = try await client.request("/v1/nearest?lon=118.76&lat=32.03&k=1").body()
            XCTAssertEqual(nearest["stations"]?.array?.first?["id"]?.string, "NEW0")
            XCTAssertEqual(nearest["generation"]?.int, after["generation"]?.int)
            let items = try await client.request("/collections/stations/items?limit=1").body()
            XCTAssertEqual(items["numberMatched"]?.int, 37)
        }
    }

    func testFailedImportIsNeverServed() async throws {
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        let bad = dir.appendingPathComponent("bad.geojson")
        try writeStations(500, prefix: "BAD", to: bad, badLast: true)
        try await app.test(.router) { client in
            let before = try await client.request("/health").body()
            XCTAssertThrowsError(try importInto(path, ImportOptions(layer: .stations, file: bad, replace: true)))
            let after = try await client.request("/health").body()
            XCTAssertEqual(after["stations"]?.int, 34)
            XCTAssertEqual(after["generation"]?.int, before["generation"]?.int)
            let r1 = try await client.request("/collections/stations/items?limit=1")
            XCTAssertEqual(try r1.body()["numberMatched"]?.int, 34)
            let r2 = try await client.request("/collections/stations/items/BAD0")
            XCTAssertEqual(r2.status, .notFound)
        }
    }

    /// On PostGIS the server hears a commit (NOTIFY) and loads the new generation in the background, and a request
    /// arriving during that load is answered from the previous one: wait (2 s at most, the promise) until /health
    /// shows a generation other than `generation`. On SpatiaLite the next request itself loads it: no wait.
    static func awaitLoaded(_ client: some TestClientProtocol, after generation: Int?) async throws {
        guard TestStores.isPostGIS else { return }
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline, try await client.request("/health").body()["generation"]?.int == generation {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A large `--replace` import runs on another thread while requests keep coming: every answer shows the old
    /// layer (34 stations) or the new one (20,000), never a count in between, and the new one once it committed.
    func testCountsJumpAtomicallyWhileImporting() async throws {
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)
        let big = dir.appendingPathComponent("big.geojson")
        let newCount = 20_000
        try writeStations(newCount, prefix: "BIG", to: big)
        let (app, _) = try makeApp(path)
        let importDone = LockedFlag()
        try await app.test(.router) { client in
            let importer = Thread {
                do {
                    try importInto(path, ImportOptions(layer: .stations, file: big, replace: true))
                } catch {
                    XCTFail("import failed: \(error)")
                }
                importDone.set()
            }
            let first = try await client.request("/health").body()["generation"]?.int
            importer.start()
            var seenOld = 0, seenNew = 0, requests = 0
            var finishedAt: Int?
            while finishedAt.map({ requests < $0 + 6 }) ?? true {
                let done = importDone.value
                let health = try await client.request("/health").body()
                let items = try await client.request("/collections/stations/items?limit=1").body()
                let nearest = try await client.request("/v1/nearest?lon=118.78&lat=32.04&k=100").body()
                requests += 3
                for count in [health["stations"]?.int, items["numberMatched"]?.int] {
                    XCTAssertTrue(count == 34 || count == newCount, "served a count in between: \(count ?? -1)")
                    if count == 34 { seenOld += 1 } else { seenNew += 1 }
                }
                // The nearest answer comes from one index: all old stations or all new ones.
                let ids = nearest["stations"]?.array?.compactMap { $0["id"]?.string } ?? []
                XCTAssertTrue(ids.allSatisfy { $0.hasPrefix("BIG") } || ids.allSatisfy { $0.hasPrefix("S") }, "mixed: \(ids.prefix(5))")
                if done && finishedAt == nil { finishedAt = requests }
                if requests > 100_000 { XCTFail("import never finished"); break }
            }
            XCTAssertGreaterThan(seenOld, 0, "no request was answered while the import ran")
            try await Self.awaitLoaded(client, after: first)
            let final = try await client.request("/health").body()
            XCTAssertEqual(final["stations"]?.int, newCount)
            let r3 = try await client.request("/collections/stations/items?limit=1")
            XCTAssertEqual(try r3.body()["numberMatched"]?.int, newCount)
            // SpatiaLite: the loop saw the new layer (the request after the commit loads it). PostGIS: it may not have
            // (its load runs in the background), and awaitLoaded above is the promise.
            if !TestStores.isPostGIS { XCTAssertGreaterThan(seenNew, 0) }
        }
    }

    /// The file is deleted and created again (as `make run` does) while the server runs: the server moves to the new
    /// file once it holds a Doorstep schema.
    func testReplacedFileIsReopened() async throws {
        try TestStores.requireSpatiaLite("a file deleted and made again under the server's path")
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)
        let (app, data) = try makeApp(path)
        try await app.test(.router) { client in
            let r4 = try await client.request("/health")
            XCTAssertEqual(try r4.body()["stations"]?.int, 34)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            // Deleted, nothing new yet: the old file's data is still served.
            let r5 = try await client.request("/health")
            XCTAssertEqual(try r5.body()["stations"]?.int, 34)
            let three = dir.appendingPathComponent("three.geojson")
            try writeStations(3, prefix: "R", to: three)
            try importInto(path, ImportOptions(layer: .stations, file: three))
            let health = try await client.request("/health").body()
            XCTAssertEqual(health["stations"]?.int, 3)
            XCTAssertEqual(health["ways"]?.int, 0)
            let r6 = try await client.request("/collections/stations/items?limit=10")
            XCTAssertEqual(try r6.body()["numberMatched"]?.int, 3)
            let r7 = try await client.request("/collections/stations/items/R1")
            XCTAssertEqual(r7.status, .ok)
        }
        XCTAssertGreaterThan(try XCTUnwrap(data.pool as? StorePool).idleCount, 0)
    }
}

/// A flag set by one thread and read by another.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
