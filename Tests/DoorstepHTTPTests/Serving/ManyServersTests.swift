import DoorstepGeo
import DoorstepHTTP
import DoorstepSpatiaLite
import DoorstepTestSupport
import Foundation
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 18, item 2: many stateless servers on one PostGIS store, behind a real load balancer.
///
/// Two `doorstep serve` processes on one store behind HAProxy (round robin, health-checked on `/health`), wrk driving
/// the balancer while stations are replaced by an import; a third server reads a streaming replica made with
/// `pg_basebackup`. Runs in the PostGIS half of `make test` (`DOORSTEP_TEST_STORE=postgresql://…`); skipped otherwise.
///
/// What the cluster must allow: replication connections from 127.0.0.1 for the store's role (`REPLICATION` or
/// superuser, a `host replication …` line in pg_hba.conf), `wal_level` replica or logical and `max_wal_senders` ≥ 2.
final class ManyServersTests: XCTestCase {
    /// A marker every station name of the replacing import starts with; no original name holds it.
    private static let marker = "RENAMED-"
    /// A point among the sample city's stations (Xinjiekou).
    private static let nearestPath = "/v1/nearest?lon=118.7790&lat=32.0440&k=3"

    func testTwoServersBehindHAProxyAndAReplicaFollowAReplaceImport() throws {
        let cluster = try PGCluster.fromEnvironment()
        for (program, package) in [("/usr/sbin/haproxy", "haproxy"), ("/usr/bin/wrk", "wrk"), ("/usr/bin/psql", "postgresql-client")]
        where !FileManager.default.isExecutableFile(atPath: program) {
            throw TestSupportError("\(program) is missing: the many-servers test needs Debian's \(package) (`make deps` installs it)")
        }
        let scratch = try scratchDirectory()
        let schema = "many_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let address = cluster.address(schema: schema)
        addTeardownBlock { _ = try? cluster.psql("DROP SCHEMA IF EXISTS \(schema) CASCADE") }

        // 1. The sample city into a fresh schema, through the binary as a user would.
        let doorstep = try TestProducts.doorstep()
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            try run(doorstep, ["import", layer, sampleCity.appendingPathComponent("\(layer).geojson").path, "--db", address])
        }
        let sampleStations = try stationCount(sampleCity.appendingPathComponent("stations.geojson"))
        XCTAssertEqual(try cluster.psql("SELECT count(*) FROM \(schema).stations"), String(sampleStations))
        let old = try generation(cluster, schema)
        let renamed = scratch.appendingPathComponent("stations-renamed.geojson")
        try writeRenamedStations(to: renamed)

        // 5 (set-up). A streaming replica of the cluster, taken now (it holds the city), as a hot standby.
        let replica = try Replica(primary: cluster, in: scratch, test: self)
        try replica.waitFor(schema: schema, generation: old)

        // 2. Two servers on the primary, one on the replica, HAProxy over the first two.
        let serveArguments = ["--access-log", "off", "--log-level", "warning"]
        let a = try ServedDoorstep(["--db", address] + serveArguments)
        addTeardownBlock { _ = try? a.stop() }
        let b = try ServedDoorstep(["--db", address] + serveArguments)
        addTeardownBlock { _ = try? b.stop() }
        let r = try ServedDoorstep(["--db", replica.cluster.address(schema: schema)] + serveArguments)
        addTeardownBlock { _ = try? r.stop() }
        for server in [a, b, r] {
            let answer = try server.get(Self.nearestPath)
            XCTAssertEqual(answer.status, 200, answer.body)
            XCTAssertEqual(Self.generation(in: answer.body), old, answer.body)
        }
        let balancer = try HAProxy(servers: [a.port, b.port], in: scratch, test: self)

        // 3. wrk on the balancer; the replace-import two seconds into its six.
        let wrk = try Spawned("/usr/bin/wrk", ["-t2", "-c16", "-d6s", "-s", try writeWrkScript(in: scratch).path,
                                               "http://127.0.0.1:\(balancer.port)\(Self.nearestPath)"], in: scratch, test: self)
        Thread.sleep(forTimeInterval: 2)
        let importStarted = Date()
        try run(doorstep, ["import", "stations", renamed.path, "--replace", "--db", address])
        let committed = Date()
        let new = try generation(cluster, schema)
        XCTAssertEqual(new, old + 1, "a replace-import counts one generation")

        // 4. From the import's exit, each server on its own (not through HAProxy) every 50 ms: the new generation,
        // with the new names, within 2 s; the replica's within a few seconds (replication, then its 1 s poll).
        let caughtUp = poll([a.port, b.port, r.port], path: Self.nearestPath, limit: [2, 2, 8]) { body in
            guard let g = Self.generation(in: body) else { return false }
            XCTAssertEqual(body.contains(Self.marker), g == new, "generation \(g) with the other generation's names: \(body)")
            return g == new
        }
        let output = try wrk.wait(seconds: 30)
        let report = try WrkReport(output)

        XCTAssertEqual(report.nonOK, 0, "non-200 answers through HAProxy: \(report.statuses)\n\(output)")
        XCTAssertEqual(report.socketErrors, 0, "socket errors: \(report.errors)\n\(output)")
        XCTAssertGreaterThan(report.requests, 100, output)
        // Every answer is one generation's, whole: old names with the old generation, new names with the new.
        XCTAssertEqual(Set(report.seen.keys), ["\(old)/original", "\(new)/renamed"], "answers seen: \(report.seen)")
        XCTAssertEqual(report.seen.values.reduce(0, +), report.requests, "every answer carries a generation")
        XCTAssertEqual(Set(report.backends.keys), ["a", "b"], "HAProxy sent to both servers: \(report.backends)")
        for (name, seconds) in zip(["server A", "server B"], caughtUp.prefix(2)) {
            XCTAssertNotNil(seconds, "\(name) did not answer generation \(new) within 2 s of the import's commit")
        }
        XCTAssertNotNil(caughtUp[2], "the replica's server did not answer generation \(new) within 8 s:\n\(r.log)\n\(replica.log)")

        // 4b. A plain SQL client's change (the tables' trigger) reaches both servers within 2 s, and the replica's.
        let nearest = try a.get(Self.nearestPath).body
        guard let id = Self.firstStationID(in: nearest) else { return XCTFail("no station in \(nearest)") }
        let edited = "SQL-EDIT-\(UUID().uuidString.prefix(8))"
        let sqlStarted = Date()
        _ = try cluster.psql("UPDATE \(schema).stations SET name = '\(edited)' WHERE id = '\(id.replacingOccurrences(of: "'", with: "''"))'")
        let sqlCommitted = Date()
        XCTAssertEqual(try generation(cluster, schema), new + 1, "the trigger counts a SQL client's change")
        let sqlCaughtUp = poll([a.port, b.port, r.port], path: Self.nearestPath, limit: [2, 2, 8]) { body in
            Self.generation(in: body) == new + 1 && body.contains(edited)
        }
        for (name, seconds) in zip(["server A", "server B", "the replica's server"], sqlCaughtUp) {
            XCTAssertNotNil(seconds, "\(name) did not show the SQL client's change (\(edited)) in time")
        }

        // No server had trouble reading the store meanwhile (StoreData logs a failed refresh as a warning).
        for (name, server) in [("A", a), ("B", b), ("on the replica", r)] {
            XCTAssertFalse(server.log.contains("cannot refresh"), "server \(name):\n\(server.log)")
        }

        let figures = """
            ManyServersTests: wrk through HAProxy, 2 threads, 16 connections, \(String(format: "%.1f", report.seconds)) s: \
            \(report.requests) requests, \(String(format: "%.0f", report.perSecond)) req/s, p99 \
            \(String(format: "%.1f", report.p99Milliseconds)) ms, statuses \(report.statuses), socket errors \(report.socketErrors), \
            answers by generation/names \(report.seen), by server \(report.backends)
            ManyServersTests: replace-import of \(sampleStations) stations took \(seconds(committed.timeIntervalSince(importStarted))) \
            (process start to exit); generation \(old) → \(new)
            ManyServersTests: seconds from the import's exit to the new generation: server A \(seconds(caughtUp[0])), \
            server B \(seconds(caughtUp[1])), replica's server \(seconds(caughtUp[2]))
            ManyServersTests: seconds from psql's UPDATE exit (\(seconds(sqlCommitted.timeIntervalSince(sqlStarted))) to run) \
            to the change: server A \(seconds(sqlCaughtUp[0])), server B \(seconds(sqlCaughtUp[1])), \
            replica's server \(seconds(sqlCaughtUp[2]))
            """
        print(figures)
    }

    /// A change heard while a generation check runs, committed after that check read the generation, is loaded at
    /// once, without waiting for a request (a server on a store that notifies — PostGIS — may get none for a while).
    /// Runs on SpatiaLite with a source whose notifications the test sends and whose check it holds.
    func testAChangeHeardDuringACheckIsLoadedWithoutARequest() throws {
        try TestStores.requireSpatiaLite("StoreData's own logic, over a held SpatiaLite pool; the PostGIS test above covers the store")
        let path = try sampleDatabase(self)
        let first = try Store(path: path, readOnly: true).generation()
        let source = try HeldSource(path: path)
        let lines = LogLines()
        let data = try StoreData(source: source, refreshInterval: .seconds(3600),
                                 logger: Logger(label: "doorstep.test") { _ in CapturingLog(lines: lines) })
        source.holdNextRead()
        source.changed() // the check starts (the watch handler's task), reads generation `first`, and is held there
        XCTAssertEqual(source.entered.wait(timeout: .now() + 10), .success, "no check started on the change")
        let extra = try temporaryDirectory(self).appendingPathComponent("more.geojson")
        try writeStations(3, prefix: "HEARD", to: extra)
        _ = try Importer.run(ImportOptions(layer: .stations, file: extra), into: try Store(path: path))
        source.changed() // heard while the check runs: its task finds the check busy and leaves
        Thread.sleep(forTimeInterval: 0.5)
        source.release.signal()
        let deadline = Date().addingTimeInterval(5)
        while !lines.contains("database generation \(first + 1):") && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertTrue(lines.contains("database generation \(first + 1): 37 stations"),
                      "generation \(first + 1) was not loaded without a request; log: \(lines.all)")
        withExtendedLifetime(data) {}
    }

    // MARK: Helpers

    private func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "not in time" }

    /// A scratch directory any user can enter (the replica's directory inside it belongs to postgres), removed at the end.
    private func scratchDirectory() throws -> URL {
        let dir = URL(fileURLWithPath: "/tmp").appendingPathComponent("doorstep-many-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func run(_ executable: URL, _ arguments: [String]) throws {
        let result = try runProcess(executable, arguments, timeout: 120)
        guard result.status == 0 else {
            throw TestSupportError("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.out)\n\(result.err)")
        }
    }

    private func generation(_ cluster: PGCluster, _ schema: some StringProtocol) throws -> Int {
        let value = try cluster.psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation'")
        guard let g = Int(value) else { throw TestSupportError("no generation in \(schema).doorstep_meta: \(value)") }
        return g
    }

    private func stationCount(_ file: URL) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        return (json?["features"] as? [Any])?.count ?? 0
    }

    /// The sample's stations with every name prefixed by `marker`, ids and everything else kept.
    private func writeRenamedStations(to url: URL) throws {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: sampleCity.appendingPathComponent("stations.geojson"))) as! [String: Any]
        var features = json["features"] as! [[String: Any]]
        for i in features.indices {
            var properties = features[i]["properties"] as! [String: Any]
            let name = properties["name"] as! String
            XCTAssertFalse(name.contains(Self.marker))
            properties["name"] = Self.marker + name
            features[i]["properties"] = properties
        }
        json["features"] = features
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    static func generation(in body: String) -> Int? {
        guard let range = body.range(of: #""generation":\d+"#, options: .regularExpression) else { return nil }
        return Int(body[range].dropFirst("\"generation\":".count))
    }

    static func firstStationID(in body: String) -> String? {
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        return (json?["stations"] as? [[String: Any]])?.first?["id"] as? String
    }

    /// GETs `path` on each port every 50 ms until `caughtUp` says its answer is the one awaited, each for at most its
    /// `limit` seconds; the seconds each took (from the call), nil for those that did not in time.
    private func poll(_ ports: [Int], path: String, limit: [Double], _ caughtUp: (String) -> Bool) -> [Double?] {
        let start = Date()
        var times = [Double?](repeating: nil, count: ports.count)
        while true {
            let elapsed = Date().timeIntervalSince(start)
            var waiting = false
            for (i, port) in ports.enumerated() where times[i] == nil && elapsed <= limit[i] {
                waiting = true
                if let answer = try? httpGet(port: port, path, timeout: 2), answer.status == 200, caughtUp(answer.body) {
                    times[i] = Date().timeIntervalSince(start)
                }
            }
            if !waiting || !times.contains(where: { $0 == nil }) { return times }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// wrk's Lua script: counts statuses, the (generation, names) pairs of the answers and the servers HAProxy chose
    /// (its X-Doorstep-Backend header), and prints them and wrk's summary as one JSON line after `MANYSERVERS `.
    private func writeWrkScript(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("many.lua")
        try """
            local threads = {}
            function setup(thread) table.insert(threads, thread) end
            function init(args) statuses = {}; seen = {}; backends = {} end
            function response(status, headers, body)
              local s = tostring(status)
              statuses[s] = (statuses[s] or 0) + 1
              local g = string.match(body, '"generation":(%d+)') or "none"
              local names = string.find(body, "\(Self.marker)", 1, true) and "renamed" or "original"
              local key = g .. "/" .. names
              seen[key] = (seen[key] or 0) + 1
              for k, v in pairs(headers) do
                if string.lower(k) == "x-doorstep-backend" then backends[v] = (backends[v] or 0) + 1 end
              end
            end
            local function object(t)
              local parts = {}
              for k, v in pairs(t) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
              return "{" .. table.concat(parts, ",") .. "}"
            end
            local function merge(into, t) for k, v in pairs(t) do into[k] = (into[k] or 0) + v end end
            function done(summary, latency, requests)
              local st, se, ba = {}, {}, {}
              for _, t in ipairs(threads) do
                merge(st, t:get("statuses")); merge(se, t:get("seen")); merge(ba, t:get("backends"))
              end
              local e = summary.errors
              io.write(string.format('MANYSERVERS {"requests":%d,"duration_us":%d,"p99_us":%d,' ..
                '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
                '"statuses":%s,"seen":%s,"backends":%s}\\n',
                summary.requests, summary.duration, math.floor(latency:percentile(99)),
                e.connect, e.read, e.write, e.status, e.timeout, object(st), object(se), object(ba)))
            end
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// What wrk's script printed.
private struct WrkReport {
    let requests: Int
    let seconds: Double
    let p99Milliseconds: Double
    let errors: [String: Int]
    let statuses: [String: Int]
    let seen: [String: Int]
    let backends: [String: Int]

    init(_ output: String) throws {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("MANYSERVERS ") }),
              let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst("MANYSERVERS ".count).utf8)) as? [String: Any]
        else { throw TestSupportError("wrk printed no report:\n\(output)") }
        func counts(_ key: String) -> [String: Int] { (json[key] as? [String: Any])?.compactMapValues { $0 as? Int } ?? [:] }
        requests = json["requests"] as? Int ?? 0
        seconds = Double(json["duration_us"] as? Int ?? 0) / 1e6
        p99Milliseconds = Double(json["p99_us"] as? Int ?? 0) / 1e3
        errors = counts("errors")
        statuses = counts("statuses")
        seen = counts("seen")
        backends = counts("backends")
    }

    var nonOK: Int { statuses.filter { $0.key != "200" }.values.reduce(0, +) + (errors["status"] ?? 0) }
    var socketErrors: Int { ["connect", "read", "write", "timeout"].map { errors[$0] ?? 0 }.reduce(0, +) }
    var perSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
}

/// The PostgreSQL cluster of `DOORSTEP_TEST_STORE`, as libpq's URI without Doorstep's `schema` parameter.
private struct PGCluster {
    let uri: URLComponents

    static func fromEnvironment() throws -> PGCluster {
        let value = ProcessInfo.processInfo.environment["DOORSTEP_TEST_STORE"] ?? ""
        guard value.lowercased().hasPrefix("postgresql://") || value.lowercased().hasPrefix("postgres://"),
              var uri = URLComponents(string: value) else {
            throw XCTSkip("DOORSTEP_TEST_STORE is not a postgresql:// address: the many-servers test runs in the PostGIS half of `make test`")
        }
        uri.queryItems = uri.queryItems?.filter { $0.name != "schema" }
        if uri.queryItems?.isEmpty == true { uri.queryItems = nil }
        return PGCluster(uri: uri)
    }

    var conninfo: String { uri.string! }
    var host: String { uri.host ?? "127.0.0.1" }
    var port: Int { uri.port ?? 5432 }
    var user: String { uri.user ?? NSUserName() }

    /// The Doorstep address of `schema` in this cluster.
    func address(schema: String) -> String { conninfo + (uri.queryItems == nil ? "?" : "&") + "schema=" + schema }

    /// The same database on another port of this host (a replica).
    func on(port: Int) -> PGCluster {
        var other = uri
        other.host = "127.0.0.1"
        other.port = port
        return PGCluster(uri: other)
    }

    /// Runs one statement with psql; its unaligned output.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/psql"),
                                    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql], timeout: 60)
        guard result.status == 0 else { throw TestSupportError("psql -c \"\(sql)\" failed: \(result.err)") }
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A process of the test's own (HAProxy, wrk) with its output in a file; killed at the test's end whatever happened.
private final class Spawned {
    let process = Process()
    let output: URL

    init(_ executable: String, _ arguments: [String], in dir: URL, test: XCTestCase) throws {
        output = dir.appendingPathComponent("\(URL(fileURLWithPath: executable).lastPathComponent)-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let process = self.process
        test.addTeardownBlock {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        }
    }

    var log: String { String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self) }

    /// Waits for the process to end by itself; its output.
    func wait(seconds: Double) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { throw TestSupportError("\(process.executableURL!.path) still runs after \(seconds) s:\n\(log)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return log
    }
}

/// HAProxy on a free loopback port, round robin over `servers`, each health-checked on `/health`; it names the
/// server that answered (a, b …) in `X-Doorstep-Backend`.
private final class HAProxy {
    let port: Int
    private let process: Spawned

    init(servers: [Int], in dir: URL, test: XCTestCase) throws {
        port = try freeLoopbackPort()
        let names = "abcdefgh".map(String.init)
        let config = dir.appendingPathComponent("haproxy.cfg")
        try """
            global
                maxconn 1024
            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            frontend doorstep
                bind 127.0.0.1:\(port)
                default_backend servers
            backend servers
                balance roundrobin
                option httpchk GET /health
                http-check expect status 200
                default-server inter 500ms fall 2 rise 1
                http-response set-header X-Doorstep-Backend %s
            \(zip(names, servers).map { "    server \($0) 127.0.0.1:\($1) check" }.joined(separator: "\n"))

            """.write(to: config, atomically: true, encoding: .utf8)
        process = try Spawned("/usr/sbin/haproxy", ["-f", config.path, "-db"], in: dir, test: test)
        // Ready when it answers, through a server, twice in a row (so each server has had a request).
        let deadline = Date().addingTimeInterval(10)
        var good = 0
        while good < 2 {
            if let answer = try? httpGet(port: port, "/health", timeout: 2), answer.status == 200 { good += 1 } else { good = 0 }
            if !process.process.isRunning || Date() > deadline {
                throw TestSupportError("HAProxy did not come up on port \(port):\n\(process.log)")
            }
            if good < 2 { Thread.sleep(forTimeInterval: 0.05) }
        }
    }
}

/// A streaming replica of the test cluster (`pg_basebackup -R -X stream`), run as a hot standby on a free port by the
/// postgres user (when the test runs as root; otherwise by the test's own user), stopped and removed at the end.
private final class Replica {
    let cluster: PGCluster
    private let directory: URL
    private let bin: URL

    init(primary: PGCluster, in scratch: URL, test: XCTestCase) throws {
        let version = try primary.psql("SHOW server_version_num")
        guard let number = Int(version) else { throw TestSupportError("server_version_num: \(version)") }
        bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(number / 10000)/bin")
        directory = scratch.appendingPathComponent("replica")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try Replica.giveToPostgres(directory)
        let port = try freeLoopbackPort()
        cluster = primary.on(port: port)
        let data = directory.appendingPathComponent("data")
        try Replica.runAsPostgres(bin.appendingPathComponent("pg_basebackup"),
                                  ["-h", primary.host, "-p", String(primary.port), "-U", primary.user, "-D", data.path,
                                   "-R", "-X", "stream", "-c", "fast"], what: "pg_basebackup (a base backup of the test cluster)")
        let options = "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c hot_standby=on -c fsync=off"
        let bin = self.bin, directory = self.directory
        test.addTeardownBlock {
            _ = try? Replica.runAsPostgres(bin.appendingPathComponent("pg_ctl"), ["-D", data.path, "-m", "immediate", "-w", "stop"], what: "stop")
            try? FileManager.default.removeItem(at: directory)
        }
        try Replica.runAsPostgres(bin.appendingPathComponent("pg_ctl"),
                                  ["-D", data.path, "-o", options, "-l", directory.appendingPathComponent("log").path, "-w", "-t", "30", "start"],
                                  what: "pg_ctl start (the replica)")
        let standby = try cluster.psql("SELECT pg_is_in_recovery()")
        guard standby == "t" else { throw TestSupportError("the replica is not in recovery: \(standby)") }
    }

    var log: String { String(decoding: (try? Data(contentsOf: directory.appendingPathComponent("log"))) ?? Data(), as: UTF8.self) }

    /// Waits (10 s at most) until the replica has replayed the store at `generation`.
    func waitFor(schema: String, generation: Int) throws {
        let deadline = Date().addingTimeInterval(10)
        while (try? cluster.psql("SELECT value FROM \(schema).doorstep_meta WHERE key = 'generation'")) != String(generation) {
            if Date() > deadline { throw TestSupportError("the replica did not reach generation \(generation) of \(schema) within 10 s:\n\(log)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    private static var isRoot: Bool { geteuid() == 0 }

    private static func giveToPostgres(_ url: URL) throws {
        guard isRoot else { return }
        guard let user = getpwnam("postgres") else { throw TestSupportError("running as root, but there is no postgres user to run the replica") }
        guard chown(url.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw TestSupportError("chown \(url.path): errno \(errno)")
        }
    }

    /// Runs `program` as postgres (as itself when the test is not root) to its end, through `spawnAndWait`.
    @discardableResult
    static func runAsPostgres(_ program: URL, _ arguments: [String], what: String) throws -> String {
        let argv = (isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [program.path] + arguments
        let (status, output) = try spawnAndWait(argv, timeout: 120)
        guard status == 0 else {
            throw TestSupportError("\(what) failed (\(status)): \(argv.joined(separator: " "))\n\(output)")
        }
        return output
    }
}

/// Runs `argv` to its end with posix_spawn and waitpid, output and errors together; killed after `timeout` seconds.
/// Not Foundation's `Process`: its exit monitor missed the end of `runuser -u postgres -- pg_ctl start` (the
/// runuser stayed a zombie and `waitUntilExit` waited for ever).
private func spawnAndWait(_ argv: [String], timeout: Double) throws -> (status: Int32, output: String) {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-spawn-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: log) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { for a in cArguments { free(a) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
    guard rc == 0 else { throw TestSupportError("posix_spawn \(argv[0]): \(String(cString: strerror(rc)))") }
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() > deadline {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
            throw TestSupportError("\(argv.joined(separator: " ")) did not end within \(timeout) s")
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
    let output = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
    // Exited normally: the status is in bits 8…15; killed by a signal: 128 + its number, as a shell says.
    return (status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
}

/// A loopback port free right now (bound to 0, read, closed).
private func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestSupportError("bind: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// The sample's SpatiaLite pool, with the change notifications of a store that has them sent by the test, and the next
/// read held (after it has read) until the test releases it.
private final class HeldSource: StoreSource, @unchecked Sendable {
    // Safe: `handlers` and `holdNext` are read and written only with `lock` held.
    private let inner: StorePool
    private let lock = NSLock()
    private var handlers: [@Sendable () -> Void] = []
    private var holdNext = false
    let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)

    init(path: String) throws { inner = try StorePool(path: path) }

    var name: String { inner.name }
    var identity: String { inner.identity }
    func reopenIfReplaced() throws -> Bool { try inner.reopenIfReplaced() }
    func checkReadiness() throws { try inner.checkReadiness() }
    func watch(_ handler: @escaping @Sendable () -> Void) { lock.withLock { handlers.append(handler) } }

    func withReader<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        let value = try inner.withReader(body)
        if lock.withLock({ defer { holdNext = false }; return holdNext }) {
            entered.signal()
            release.wait()
        }
        return value
    }

    func holdNextRead() { lock.withLock { holdNext = true } }
    /// What a store that hears its changes does when one commits.
    func changed() { for handler in lock.withLock({ handlers }) { handler() } }
}

/// The messages a logger wrote.
private final class LogLines: @unchecked Sendable {
    // Safe: `lines` is read and written only with `lock` held.
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
    func contains(_ text: String) -> Bool { all.contains { $0.contains(text) } }
}

private struct CapturingLog: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.append(event.message.description) }
}
