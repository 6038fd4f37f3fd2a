import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP numbers (issue 4): the release `doorstep serve` in a child process on 127.0.0.1, driven by wrk
/// (`wrk -t2 -c64 -d10s --latency`, Debian `wrk`) — `/v1/nearest` on the sample city and on a 100,000-station
/// synthetic city, `/collections/compounds/items?limit=10` with and without bbox, then a 60 s mixed soak with bad
/// requests counting 5xx and the server's RSS before and after. wrk shares the machine's cores with the server.
func httpBench() throws {
    print("== http: release `doorstep serve` on 127.0.0.1 driven by wrk -t2 -c64 --latency (server log level warning)")
    guard let wrk = findExecutable("wrk") else {
        print("  wrk is not installed (Debian `wrk`; `make deps` installs it): section skipped")
        print("")
        return
    }
    guard let doorstep = try releaseDoorstep() else {
        print("  no release doorstep binary and `swift build -c release --product doorstep` failed: section skipped")
        print("")
        return
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-httpbench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    // The sample city, imported in `make run`'s order.
    let sample = dir.appendingPathComponent("sample.sqlite")
    let geodata = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("geodata/nanjing-xinjiekou")
    do {
        let store = try Store(path: sample.path)
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: geodata.appendingPathComponent("\(layer).geojson")), into: store)
        }
    }
    // 100,000 stations, about one per 0.1 km² (as the nearest section).
    let city = SyntheticCity(stations: 100_000, compounds: 0, waysGrid: 1000, seed: 11)
    let synthetic = dir.appendingPathComponent("synthetic.sqlite")
    let stationsFile = dir.appendingPathComponent("stations.geojson")
    try writeStations(city.stations, to: stationsFile)
    _ = try Importer.run(ImportOptions(layer: .stations, file: stationsFile), into: try Store(path: synthetic.path))

    print("  run (10 s each)" + String(repeating: " ", count: 74) + "req/s      p50       p99   non-2xx  server RSS")

    // Sample city.
    let sampleInfo = try Store(path: sample.path, readOnly: true).info()
    let stationBox = sampleInfo.layers.first { $0.layer == .stations }?.bbox ?? BoundingBox(west: 118.766, south: 32.036, east: 118.796, north: 32.052)
    let compoundBox = sampleInfo.layers.first { $0.layer == .compounds }?.bbox ?? stationBox
    let c = compoundBox.center
    let bbox = String(format: "%.5f,%.5f,%.5f,%.5f", c.lon - 0.004, c.lat - 0.003, c.lon + 0.004, c.lat + 0.003)
    try withServer(doorstep, database: sample, port: 18_471) { server in
        let points = queryPaths(in: stationBox, count: 1000, seed: 1)
        try runWrk(wrk, server, label: "sample city: /v1/nearest (1,000 rotating points)", paths: points, dir: dir)
        try runWrk(wrk, server, label: "sample city: /collections/compounds/items?limit=10", paths: ["/collections/compounds/items?limit=10"], dir: dir)
        try runWrk(wrk, server, label: "sample city: …items?limit=10&bbox=(800 × 700 m box)",
                   paths: ["/collections/compounds/items?limit=10&bbox=\(bbox)"], dir: dir)
    }
    // The same pages with the page cache off: every request reads SQLite and writes its JSON.
    try withServer(doorstep, database: sample, port: 18_474, extra: ["--page-cache-mb", "0"]) { server in
        try runWrk(wrk, server, label: "cache off: …items?limit=10", paths: ["/collections/compounds/items?limit=10"], dir: dir)
        try runWrk(wrk, server, label: "cache off: …items?limit=10&bbox=(800 × 700 m box)",
                   paths: ["/collections/compounds/items?limit=10&bbox=\(bbox)"], dir: dir)
    }
    // The synthetic city.
    let (sw, ne) = city.extent
    let box = BoundingBox(west: sw.lon, south: sw.lat, east: ne.lon, north: ne.lat)
    try withServer(doorstep, database: synthetic, port: 18_472) { server in
        try runWrk(wrk, server, label: "100k stations: /v1/nearest (1,000 rotating points)",
                   paths: queryPaths(in: box, count: 1000, seed: 2), dir: dir)
    }
    // A map tool panning over a large layer: 1,000 different 1 km boxes, cache off so none is served twice.
    try withServer(doorstep, database: synthetic, port: 18_475, extra: ["--page-cache-mb", "0"]) { server in
        try runWrk(wrk, server, label: "100k stations, cache off: stations/items?limit=10&bbox=(1,000 rotating 1 km boxes)",
                   paths: boxPaths(in: box, count: 1000, seed: 4), dir: dir)
    }
    print("  targets: /v1/nearest ≥ 20,000 req/s, p99 ≤ 10 ms, RSS ≤ 200 MB; items ≥ 10,000 req/s")

    // Heavy analysis requests must not starve the residents: nearest alone, then while 50 clients hammer the
    // analysis routes with requests that miss every cache, then in the 2 s after they leave.
    try withServer(doorstep, database: sample, port: 18_476) { server in
        let points = queryPaths(in: stationBox, count: 1000, seed: 5)
        let alone = try wrkRun(wrk, server, paths: points, seconds: 10, dir: dir)
        var heavy = [String]()
        for i in 0..<200 {
            let bands = (1...10).map { String(1000 * $0 + i) }.joined(separator: ",")
            heavy.append("/v1/areas?walk=true&lateral=200&bands=\(bands)")
            heavy.append("/v1/plan?add=50&walk=true&radius=\(300 + 7 * i)")
        }
        let hammer = try startWrk(wrk, server, paths: heavy, seconds: 16, connections: 50, threads: 1, dir: dir, countStatuses: true)
        Thread.sleep(forTimeInterval: 3)
        let during = try wrkRun(wrk, server, paths: points, seconds: 10, dir: dir)
        let h = try hammer.finish()
        let after = try wrkRun(wrk, server, paths: points, seconds: 2, dir: dir)
        let m = server.rss()
        print("  " + pad("sample city: /v1/nearest alone", 84) + String(format: " %9.0f %5.2f ms %5.2f ms %9d", alone.rate, alone.p50, alone.p99, alone.non2xx + alone.socketErrors))
        print("  " + pad("  …while 50 clients hammer /v1/areas (walk, 10 bands, lateral 200) and /v1/plan (add 50, walk)", 84)
              + String(format: " %9.0f %5.2f ms %5.2f ms %9d %5.0f MB (peak %.0f)", during.rate, during.p50, during.p99, during.non2xx + during.socketErrors, m.rss, m.hwm))
        print("  " + pad("  …in the first 2 s after they leave", 84) + String(format: " %9.0f %5.2f ms %5.2f ms %9d", after.rate, after.p50, after.p99, after.non2xx + after.socketErrors))
        print(String(format: "  heavy clients got %d answers in 16 s: %d × 2xx, %d × 503 (busy or budget_exceeded), %d × other 4xx, %d socket errors; nearest kept %.0f %% (during) and %.0f %% (after) of its throughput alone",
                     h.status2xx + h.status4xx + h.status5xx, h.status2xx, h.status5xx, h.status4xx, h.socketErrors,
                     100 * during.rate / max(alone.rate, 1), 100 * after.rate / max(alone.rate, 1)))
        print("  target: nearest ≥ 50 % of alone with p99 ≤ 50 ms while hammered; back to normal within 2 s")
    }

    // Soak: good and bad requests mixed, 60 s.
    try withServer(doorstep, database: sample, port: 18_473) { server in
        let c = stationBox.center
        var paths = queryPaths(in: stationBox, count: 200, seed: 3)
        paths += [
            "/collections/compounds/items?limit=10", "/collections/stations/items?limit=50&offset=5",
            "/collections/coverage/items?limit=10", "/collections/service-areas/items?limit=5", "/health",
            "/v1/coverage?preset=10min&by=community", "/v1/gaps?preset=5min&limit=5",
            String(format: "/v1/nearest?lon=%.5f&lat=%.5f&walk=true&k=3", c.lon, c.lat),
            // Bad ones: 400, 404, 422.
            "/v1/nearest?lon=abc&lat=1", "/v1/nearest?lon=1&lat=95", "/v1/nearest?lon=118.78&lat=32.04&k=1000000",
            "/v1/nearest?lon=118.78", "/collections/nope/items", "/collections/compounds/items?limit=0",
            "/collections/compounds/items?bbox=1,2,3", "/collections/ways/items/way%2Fnope", "/nope",
            "/v1/coverage?radius=-5", "/v1/plan?add=99", "/v1/areas?bands=1,2,x", "/v1/nearest?lon=1&lat=1&unknown=1",
        ]
        let before = server.rss()
        let r = try wrkRun(wrk, server, paths: paths, seconds: 60, dir: dir, countStatuses: true)
        let after = server.rss()
        print(String(format: "  soak 60 s, %d URLs (%d bad): %.0f req/s, p99 %.2f ms, 5xx %d, 4xx %d, 2xx %d, socket errors %d; RSS %.0f → %.0f MB (peak %.0f MB)",
                     paths.count, 13, r.rate, r.p99, r.status5xx, r.status4xx, r.status2xx, r.socketErrors, before.rss, after.rss, after.hwm))
        print("  target: zero 5xx, memory flat")
    }
    print("")
}

// MARK: Pieces

struct Server {
    let process: Process
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// VmRSS and VmHWM of the server, MB.
    func rss() -> (rss: Double, hwm: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                return (Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0) / 1024
            }
            return 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }
}

struct WrkResult {
    var rate = 0.0, p50 = 0.0, p99 = 0.0
    var non2xx = 0, socketErrors = 0, status2xx = 0, status4xx = 0, status5xx = 0
}

func findExecutable(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// `doorstep` next to this release bench binary, built when missing (`make bench` builds only the bench).
func releaseDoorstep() throws -> String? {
    let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.deletingLastPathComponent()
    let path = binDir.appendingPathComponent("doorstep").path
    let build = Process()
    build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    build.arguments = ["swift", "build", "-c", "release", "--product", "doorstep"]
    build.standardOutput = FileHandle.nullDevice
    try build.run()
    build.waitUntilExit()
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}

func withServer(_ doorstep: String, database: URL, port: Int, extra: [String] = [], _ body: (Server) throws -> Void) throws {
    try withServer(doorstep, address: database.path, port: port, extra: extra, body)
}

/// `doorstep serve` on a store address (a file or PostGIS) while `body` runs.
func withServer(_ doorstep: String, address: String, port: Int, extra: [String] = [], _ body: (Server) throws -> Void) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: doorstep)
    process.arguments = ["serve", "--db", address, "--host", "127.0.0.1", "--port", String(port), "--log-level", "warning"] + extra
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.standardError // a server that will not start says why
    try process.run()
    let server = Server(process: process, port: port)
    defer {
        process.terminate()
        process.waitUntilExit()
    }
    // Up when /health answers (at most 300 s: the first snapshot builds the index and the walking network, which
    // takes minutes at province scale).
    let deadline = Date().addingTimeInterval(300)
    while Date() < deadline {
        if let data = try? Data(contentsOf: URL(string: server.base + "/health")!), !data.isEmpty { break }
        guard process.isRunning else { throw BenchError("doorstep serve exited with status \(process.terminationStatus)") }
        Thread.sleep(forTimeInterval: 0.2)
    }
    try body(server)
}

/// `/v1/nearest` paths at `count` points spread over `box` from a fixed seed.
func queryPaths(in box: BoundingBox, count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        String(format: "/v1/nearest?lon=%.6f&lat=%.6f", box.west + rng.unit() * (box.east - box.west), box.south + rng.unit() * (box.north - box.south))
    }
}

/// `/collections/stations/items` paths over 1 km boxes spread over `box` from a fixed seed.
private func boxPaths(in box: BoundingBox, count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    let dLat = 1000 / 111_320.0, dLon = 1000 / (111_320.0 * cos(box.center.lat * .pi / 180))
    return (0..<count).map { _ in
        let w = box.west + rng.unit() * (box.east - box.west - dLon), s = box.south + rng.unit() * (box.north - box.south - dLat)
        return String(format: "/collections/stations/items?limit=10&bbox=%.6f,%.6f,%.6f,%.6f", w, s, w + dLon, s + dLat)
    }
}

private func runWrk(_ wrk: String, _ server: Server, label: String, paths: [String], dir: URL) throws {
    let r = try wrkRun(wrk, server, paths: paths, seconds: 10, dir: dir)
    let m = server.rss()
    print("  " + pad(label, 84) + String(format: " %9.0f %5.2f ms %5.2f ms %9d %5.0f MB (peak %.0f)", r.rate, r.p50, r.p99,
                 r.non2xx + r.socketErrors, m.rss, m.hwm))
}

/// One wrk run over `paths` in rotation (a Lua script), results from its `done` hook.
/// `countStatuses` adds a Lua `response` hook (2xx/4xx/5xx counts), which costs wrk time; only the soak uses it.
func wrkRun(_ wrk: String, _ server: Server, paths: [String], seconds: Int, dir: URL, countStatuses: Bool = false) throws -> WrkResult {
    try startWrk(wrk, server, paths: paths, seconds: seconds, dir: dir, countStatuses: countStatuses).finish()
}

/// A wrk run going on in the background; `finish()` waits for it and reads its result.
struct RunningWrk {
    let process: Process
    let pipe: Pipe

    func finish() throws -> WrkResult {
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw BenchError("wrk gave no result: \(output.suffix(500))")
        }
        let f = line.split(separator: " ").dropFirst().map { Double($0) ?? 0 }
        var r = WrkResult()
        r.rate = f[0] / (f[1] / 1e6)
        r.p50 = f[2] / 1000
        r.p99 = f[3] / 1000
        r.non2xx = Int(f[4])
        r.socketErrors = Int(f[5])
        r.status2xx = Int(f[6])
        r.status4xx = Int(f[7])
        r.status5xx = Int(f[8])
        return r
    }
}

func startWrk(_ wrk: String, _ server: Server, paths: [String], seconds: Int, connections: Int = 64, threads: Int = 2,
                      dir: URL, countStatuses: Bool = false) throws -> RunningWrk {
    let script = dir.appendingPathComponent("run-\(UUID().uuidString).lua")
    let list = paths.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",\n")
    try """
    local paths = {
    \(list)
    }
    local threads = {}
    function setup(thread)
      thread:set("offset", #threads * 7)
      table.insert(threads, thread)
    end
    function init(args)
      i = offset or 0
      s2, s4, s5 = 0, 0, 0
    end
    function request()
      i = i % #paths + 1
      return wrk.format("GET", paths[i])
    end
    \(countStatuses ? "function response(status, headers, body)\n  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1 else s2 = s2 + 1 end\nend" : "")
    function done(summary, latency, requests)
      local a, b, c = 0, 0, 0
      for _, t in ipairs(threads) do a = a + t:get("s2"); b = b + t:get("s4"); c = c + t:get("s5") end
      local e = summary.errors
      io.write(string.format("RESULT %d %d %.1f %.1f %d %d %d %d %d\\n", summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, a, b, c))
    end
    """.write(to: script, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: wrk)
    process.arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, server.base]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    return RunningWrk(process: process, pipe: pipe)
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
