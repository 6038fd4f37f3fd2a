#if canImport(Glibc)
import Glibc
#endif
import DoorstepGeo
@testable import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import XCTest

/// The service under abuse, on real sockets: heavy analysis bounded and cancelled, connections that misbehave, bytes
/// no route should see, readiness that tells the truth.
final class AbuseTests: XCTestCase {
    /// Ten walking bands up to 20 km with 200 m either side over every station of the sample city: seconds of GEOS
    /// work, the request that took the service down.
    static let heavyAreas = "/v1/areas?walk=true&lateral=200&bands=" + (1...10).map { String(2000 * $0) }.joined(separator: ",")

    private func app(_ path: String, pool: AnalysisPool, connections: ConnectionOptions = ConnectionOptions())
        throws -> Application<RouterResponder<BasicRequestContext>> {
        let data = try StoreData(address: path, refreshInterval: .zero)
        var logger = Logger(label: "doorstep.http.test")
        logger.logLevel = .critical
        return buildApplication(data: data, options: ServeOptions(databasePath: path, port: 0, logLevel: .critical, connections: connections),
                                logger: logger, analysis: pool)
    }

    // MARK: Heavy work

    func testAnalysisStopsAtItsTimeBudgetWhileNearestAnswers() async throws {
        let path = try sampleDatabase(self)
        let pool = AnalysisPool(.init(workers: 1, queue: 0, budget: .milliseconds(400)))
        try await app(path, pool: pool).test(.router) { client in
            let start = ContinuousClock.now
            async let heavy = client.request(Self.heavyAreas)
            // Nearest runs while the heavy request is in the pool (it never waits behind it).
            try await Task.sleep(for: .milliseconds(100))
            let nearest = try await client.request("/v1/nearest?lon=118.779&lat=32.044&k=3")
            XCTAssertEqual(nearest.status, .ok)
            XCTAssertEqual(pool.load.running, 1, "the heavy request is still running while nearest answered")
            let reply = try await heavy
            let elapsed = ContinuousClock.now - start
            XCTAssertEqual(reply.status, .serviceUnavailable, reply.text)
            XCTAssertEqual(try reply.body()["code"]?.string, "budget_exceeded")
            XCTAssertTrue(try reply.body()["description"]?.string?.contains("0.4 s") ?? false, reply.text)
            XCTAssertNotNil(reply.headers[.retryAfter])
            XCTAssertLessThan(elapsed, .seconds(20), "the budget stops the work at a checkpoint")
            try await waitUntil(seconds: 5) { pool.load.running == 0 }
        }
    }

    func testAFullPoolRefusesAtOnceWithRetryAfter() async throws {
        let path = try sampleDatabase(self)
        let pool = AnalysisPool(.init(workers: 1, queue: 1, budget: .seconds(2)))
        try await app(path, pool: pool).test(.router) { client in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                // Four different questions (the same one four times would share one computation).
                for i in 0..<4 {
                    group.addTask { try await client.request(Self.heavyAreas.replacingOccurrences(of: "lateral=200", with: "lateral=\(197 + i)")) }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            let codes = replies.map { $0.json?["code"]?.string ?? "\($0.status.code)" }.sorted()
            // One runs, one waits, two are refused; the two admitted run out of budget (2 s each) or finish.
            XCTAssertEqual(codes.filter { $0 == "busy" }.count, 2, "\(codes)")
            for r in replies where r.json?["code"]?.string == "busy" {
                XCTAssertEqual(r.status, .serviceUnavailable)
                XCTAssertEqual(r.headers[.retryAfter], "2")
            }
            try await waitUntil(seconds: 5) { pool.load.running + pool.load.queued == 0 }
        }
    }

    /// An answer given once is given again from memory while the pool is busy; a new question waits its turn.
    func testRepeatedAnswersComeFromMemoryWhileThePoolIsBusy() async throws {
        let path = try sampleDatabase(self)
        let pool = AnalysisPool(.init(workers: 1, queue: 0, budget: .seconds(3)))
        try await app(path, pool: pool).test(.router) { client in
            let first = try await client.request("/v1/coverage?preset=10min&format=geojson")
            XCTAssertEqual(first.status, .ok)
            // The worker counts itself free just after it has answered.
            try await waitUntil(seconds: 5) { pool.load.running == 0 }
            async let heavy = client.request(Self.heavyAreas)
            try await waitUntil(seconds: 5) { pool.load.running == 1 }
            let again = try await client.request("/v1/coverage?preset=10min&format=geojson")
            XCTAssertEqual(again.status, .ok, "a kept answer waited for the pool")
            XCTAssertEqual(again.text, first.text)
            let other = try await client.request("/v1/coverage?preset=5min&format=geojson")
            XCTAssertEqual(other.status, .serviceUnavailable)
            XCTAssertEqual(try other.body()["code"]?.string, "busy")
            _ = try await heavy
        }
    }

    /// A burst of the same question before its first answer is kept shares one computation: with one worker and no
    /// queue, every copy is answered, none refused as busy.
    func testABurstOfOneQuestionSharesOneComputation() async throws {
        let path = try sampleDatabase(self)
        let pool = AnalysisPool(.init(workers: 1, queue: 0, budget: .seconds(20)))
        try await app(path, pool: pool).test(.router) { client in
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<6 { group.addTask { try await client.request("/v1/gaps?preset=15min&walk=true&limit=7") } }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            XCTAssertEqual(replies.map(\.status), Array(repeating: .ok, count: 6), replies.map { $0.text.prefix(120) }.description)
            XCTAssertEqual(Set(replies.map(\.text)).count, 1)
        }
    }

    func testAClientThatLeavesCancelsItsAnalysis() async throws {
        let path = try sampleDatabase(self)
        let pool = AnalysisPool(.init(workers: 1, queue: 0, budget: .seconds(120)))
        try await app(path, pool: pool).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let socket = try RawSocket(port: port)
            try socket.send("GET \(Self.heavyAreas) HTTP/1.1\r\nHost: x\r\n\r\n")
            try await waitUntil(seconds: 10) { pool.load.running == 1 }
            socket.close()
            try await waitUntil(seconds: 10) { pool.load.running == 0 }
            // The worker is free again: a small analysis goes through.
            let reply = try await client.request("/v1/areas?preset=5min&station=S001")
            XCTAssertEqual(reply.status, .ok, reply.text)
        }
    }

    // MARK: Connections

    func testConnectionRules() async throws {
        let path = try sampleDatabase(self)
        let connections = ConnectionOptions(idleTimeout: .milliseconds(800), headerTimeout: .milliseconds(500))
        try await app(path, pool: AnalysisPool(), connections: connections).test(.live) { client in
            let port = try XCTUnwrap(client.port)

            // HTTP/1.0 without keep-alive: answered, then closed.
            var r = try await RawSocket.exchange(port, "GET /livez HTTP/1.0\r\n\r\n")
            XCTAssertTrue(r.closed, "HTTP/1.0 connection left open")
            XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 200") || r.text.hasPrefix("HTTP/1.0 200"), r.text)

            // HTTP/1.1 keep-alive stays open for a second request.
            r = try await RawSocket.exchange(port, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n", waitForClose: 0.3)
            XCTAssertFalse(r.closed, "a keep-alive connection was closed")

            // Unknown and unusual methods: 405 with Allow and a JSON body.
            for method in ["QUERY", "PROPFIND", "PURGE", "POST", "DELETE"] {
                r = try await RawSocket.exchange(port, "\(method) /v1/nearest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 405"), "\(method): \(r.text.prefix(200))")
                XCTAssertTrue(r.text.lowercased().contains("allow: get, head, options"), r.text)
                XCTAssertEqual(try r.json()["code"]?.string, "method_not_allowed")
            }

            // CONNECT: refused and closed.
            r = try await RawSocket.exchange(port, "CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
            XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 405"), r.text)
            XCTAssertTrue(r.closed, "CONNECT left the connection open")

            // Unparsable requests (a method HTTP's parser does not know among them): a JSON 400.
            for garbage in ["GARBAGE\r\n\r\n", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"] {
                r = try await RawSocket.exchange(port, garbage)
                XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 400"), "\(garbage.debugDescription): \(r.text)")
                XCTAssertEqual(try r.json()["code"]?.string, "bad_request", r.text)
                XCTAssertTrue(r.closed)
            }

            // A body on GET, even chunked and large: 400 at once, connection closed, the body never read.
            // (A 10 MB chunk is announced; a little of it is sent.)
            let chunk = String(repeating: "x", count: 1_000)
            r = try await RawSocket.exchange(port, "GET /v1/nearest?lon=118.779&lat=32.044 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             + "A00000\r\n\(chunk)", waitForClose: 3)
            XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 400"), r.text.prefix(200).description)
            XCTAssertEqual(try r.json()["code"]?.string, "body_not_allowed")
            XCTAssertTrue(r.closed)
            r = try await RawSocket.exchange(port, "GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", waitForClose: 3)
            XCTAssertEqual(try r.json()["code"]?.string, "body_not_allowed")
            // Any method's body: answered, closed, never read (a trickled body kept the connection open before).
            for method in ["POST", "OPTIONS", "PUT"] {
                r = try await RawSocket.exchange(port, "\(method) /v1/nearest HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc",
                                                 waitForClose: 3)
                XCTAssertTrue(r.closed, "\(method) with a body left the connection open")
                XCTAssertTrue(r.text.hasPrefix("HTTP/1.1 4"), "\(method): \(r.text.prefix(100))")
            }

            // Slow headers: 408 in JSON after the header timeout, then closed.
            let slow = try RawSocket(port: port)
            try slow.send("GET /livez HTTP/1.1\r\nHost: x\r\n")
            let started = Date()
            let answer = try await slow.readUntilClosed(timeout: 10)
            XCTAssertTrue(answer.closed, "a slow-header client kept its connection")
            XCTAssertLessThan(Date().timeIntervalSince(started), 5)
            XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 408"), answer.text)
            XCTAssertEqual(try answer.json()["code"]?.string, "request_timeout")

            // A client that connects and says nothing gets the header timeout too (holding sockets costs it nothing).
            let idle = try RawSocket(port: port)
            let connected = Date()
            let quiet = try await idle.readUntilClosed(timeout: 10)
            XCTAssertTrue(quiet.closed)
            XCTAssertTrue(quiet.text.hasPrefix("HTTP/1.1 408"), quiet.text)
            XCTAssertLessThan(Date().timeIntervalSince(connected), 5)

            // A keep-alive connection idle after its answer is closed after the idle timeout, without a word.
            let keep = try RawSocket(port: port)
            try keep.send("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            let afterOne = try await keep.readUntilClosed(timeout: 10)
            XCTAssertTrue(afterOne.closed)
            XCTAssertTrue(afterOne.text.hasPrefix("HTTP/1.1 200"), afterOne.text)
            XCTAssertFalse(afterOne.text.contains("408"), afterOne.text)
        }
    }

    func testManyIdleSocketsDoNotStarveHealth() async throws {
        let path = try sampleDatabase(self)
        let limits = raiseOpenFileLimit()
        let count = min(1_100, Int(limits.soft) - 200)
        // (Every socket here comes from 127.0.0.1: the per-address cap is not what this test is about.)
        try await app(path, pool: AnalysisPool(), connections: ConnectionOptions(maxConnectionsPerAddress: 10_000)).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            var sockets = [RawSocket]()
            for _ in 0..<count { sockets.append(try RawSocket(port: port)) }
            defer { sockets.forEach { $0.close() } }
            let reply = try await client.request("/health")
            XCTAssertEqual(reply.status, .ok, "\(count) idle sockets: \(reply.text)")
        }
        XCTAssertGreaterThan(count, 1_024 - 200, "open-file limit not raised: \(limits)")
    }

    func testOneAddressCannotHoldEverySlot() async throws {
        let path = try sampleDatabase(self)
        let connections = ConnectionOptions(headerTimeout: .seconds(30), maxConnectionsPerAddress: 6)
        try await app(path, pool: AnalysisPool(), connections: connections).test(.live) { client in
            let port = try XCTUnwrap(client.port)
            var held = [RawSocket]()
            for _ in 0..<6 { held.append(try RawSocket(port: port)) }
            try await Task.sleep(for: .milliseconds(300))
            // The seventh from the same address is closed at once, unanswered.
            let refused = try await RawSocket.exchange(port, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n", waitForClose: 5)
            XCTAssertTrue(refused.closed)
            XCTAssertEqual(refused.text, "")
            // One goes, and another may come.
            held.removeLast().close()
            try await Task.sleep(for: .milliseconds(300))
            let admitted = try await RawSocket.exchange(port, "GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            XCTAssertTrue(admitted.text.hasPrefix("HTTP/1.1 200"), admitted.text)
            held.forEach { $0.close() }
        }
    }

    // MARK: What no route should see

    func testNULAndBodiesAreRefused() async throws {
        let path = try sampleDatabase(self)
        try await app(path, pool: AnalysisPool()).test(.router) { client in
            for uri in ["/collections/stations/items/S001%00garbage", "/v1/nearest?lon=118.779%00&lat=32.044",
                        "/v1/nearest?lon=118.779&lat=32.044&kind=post%00x", "/collections%00/stations"] {
                let r = try await client.request(uri)
                XCTAssertEqual(r.status, .badRequest, uri)
                XCTAssertEqual(try r.body()["code"]?.string, "invalid_parameter", uri)
            }
            // The same id without the NUL is found (the refusal is not a blanket one).
            let ok = try await client.request("/collections/stations/items/S001")
            XCTAssertEqual(ok.status, .ok)
            XCTAssertFalse(RequestGuardMiddleware<BasicRequestContext>.containsNUL("/a%20b%0A%10%0".utf8))
            XCTAssertTrue(RequestGuardMiddleware<BasicRequestContext>.containsNUL("/a%%00".utf8))
        }
    }

    // MARK: Caching

    func testETagPerGenerationAnd304() async throws {
        let path = try sampleDatabase(self)
        let file = try temporaryDirectory(self).appendingPathComponent("more.geojson")
        try writeStations(3, prefix: "E", to: file)
        let otherPath = try temporaryDirectory(self).appendingPathComponent("other.sqlite").path
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let first = try await client.request("/collections/stations/items?limit=3")
            let tag = try XCTUnwrap(first.headers[.eTag])
            let again = try await client.request("/collections/stations/items?limit=3", headers: [.ifNoneMatch: tag])
            XCTAssertEqual(again.status, .notModified)
            XCTAssertEqual(again.text, "")
            XCTAssertEqual(again.headers[.eTag], tag)
            let other = try await client.request("/collections/stations/items?limit=3", headers: [.ifNoneMatch: "W/\"g999999-0\""])
            XCTAssertEqual(other.status, .ok)
            // HTML and JSON of `/` differ in tag.
            let html = try await client.request("/", headers: [.accept: "text/html"])
            let json = try await client.request("/", headers: [.accept: "application/json"])
            XCTAssertNotNil(html.headers[.eTag])
            XCTAssertNotEqual(html.headers[.eTag], json.headers[.eTag])
            // Answers that depend on the clock carry none.
            for uri in ["/health", "/livez", "/v1/nearest?lon=118.779&lat=32.044"] {
                let r = try await client.request(uri)
                XCTAssertNil(r.headers[.eTag], uri)
            }
            let fixed = try await client.request("/v1/nearest?lon=118.779&lat=32.044&open_at=2026-11-23T09:30")
            XCTAssertNotNil(fixed.headers[.eTag])

            // Another database of the same generation put in its place: its tags differ.
            let twin = otherPath
            try importSampleCity(into: twin)
            XCTAssertEqual(try StoreBackends.open(twin, readOnly: true).generation(), try StoreBackends.open(path, readOnly: true).generation())
            let before = try await client.request("/collections/grids/items?limit=2")
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: twin, toPath: path)
            try? FileManager.default.removeItem(atPath: twin + "-wal")
            try? FileManager.default.removeItem(atPath: twin + "-shm")
            _ = try await client.request("/livez") // the next request notices the new file
            let replaced = try await client.request("/collections/grids/items?limit=2", headers: [.ifNoneMatch: try XCTUnwrap(before.headers[.eTag])])
            XCTAssertEqual(replaced.status, .ok, "a replaced database answered 304 with the old one's tag")

            // A new import is a new generation: the old tag no longer matches.
            try importInto(path, ImportOptions(layer: .stations, file: file))
            let after = try await client.request("/collections/stations/items?limit=3", headers: [.ifNoneMatch: tag])
            XCTAssertEqual(after.status, .ok)
            XCTAssertNotEqual(after.headers[.eTag], tag)
        }
    }

    // MARK: Readiness

    func testHealthIsReadinessAndLivezIsLiveness() async throws {
        let path = try sampleDatabase(self)
        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            var health = try await client.request("/health")
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(try health.body()["status"]?.string, "ok")
            try await Task.sleep(for: .milliseconds(600)) // past the half second a readiness answer is kept

            // Garbage over the file in place (same inode, as a bad copy or a disk fault would leave it).
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
            try handle.write(contentsOf: Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }))
            try handle.close()
            try? FileManager.default.removeItem(atPath: path + "-wal")
            health = try await client.request("/health")
            XCTAssertEqual(health.status, .serviceUnavailable, health.text)
            XCTAssertEqual(try health.body()["status"]?.string, "unavailable")
            XCTAssertFalse(try health.body()["reason"]?.string?.isEmpty ?? true)
            let live = try await client.request("/livez")
            XCTAssertEqual(live.status, .ok)

            // Deleted: not ready either.
            try FileManager.default.removeItem(atPath: path)
            try await Task.sleep(for: .milliseconds(600))
            health = try await client.request("/health")
            XCTAssertEqual(health.status, .serviceUnavailable)
            XCTAssertEqual(try health.body()["reason"]?.string, "the database file is missing")
        }
    }

    // MARK: Shutdown

    func testSIGTERMEndsTheServerWithinTenSecondsWhateverRuns() async throws {
        let doorstep = try TestProducts.doorstep().path
        let path = try sampleDatabase(self)
        let port = 20_000 + Int(getpid() % 10_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: doorstep)
        process.arguments = ["serve", "--db", path, "--port", String(port), "--log-level", "error", "--analysis-budget", "600"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var socket: RawSocket?
        for _ in 0..<100 {
            if let s = try? RawSocket(port: port) { socket = s; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let heavy = try XCTUnwrap(socket, "server did not start")
        try heavy.send("GET \(Self.heavyAreas) HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try RawSocket(port: port)
        try await Task.sleep(for: .milliseconds(500))
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil(seconds: 12) { !process.isRunning }
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 10.5)
        heavy.close()
        idle.close()
    }
}

/// Polls `condition` every 50 ms until it holds, failing after `seconds`.
func waitUntil(seconds: Double, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) async throws {
    let end = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > end {
            XCTFail("condition not met within \(seconds) s", file: file, line: line)
            return
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// A blocking TCP client on 127.0.0.1 for speaking raw (and broken) HTTP; reads run on a Dispatch thread so the
/// server under test keeps Swift's cooperative threads.
final class RawSocket: @unchecked Sendable {
    // Safe: the descriptor is used by one caller at a time in these tests.
    private var fd: Int32

    init(port: Int) throws {
        fd = try connectLoopback(port: port)
    }

    deinit { close() }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw POSIXError(.EPIPE) }
            sent += n
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    struct Answer {
        let text: String
        let closed: Bool
        /// The JSON body after the head.
        func json() throws -> JSONValue {
            guard let range = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
            return try JSONValue.parse(String(text[range.upperBound...]))
        }
    }

    /// Reads until the server closes or `timeout` seconds pass without it.
    func readUntilClosed(timeout: Double) async throws -> Answer {
        let fd = self.fd
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let end = Date().addingTimeInterval(timeout)
                var closed = false
                while Date() < end {
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&p, 1, Int32(max(1, end.timeIntervalSinceNow * 1000)))
                    if ready <= 0 { break }
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { closed = true; break }
                    data += buffer[0..<n]
                }
                continuation.resume(returning: Answer(text: String(decoding: data, as: UTF8.self), closed: closed))
            }
        }
    }

    /// Connects, sends `request`, and reads until the server closes or `waitForClose` seconds pass.
    static func exchange(_ port: Int, _ request: String, waitForClose: Double = 5) async throws -> Answer {
        let s = try RawSocket(port: port)
        defer { s.close() }
        try s.send(request)
        return try await s.readUntilClosed(timeout: waitForClose)
    }
}
