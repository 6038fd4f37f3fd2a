import CityGen
import DoorstepGeo
import Foundation

// The province (issue 18): synthetic cities of 10⁵, 10⁶ and 10⁷ walkable edges (the largest: 10⁶ compounds, 10⁵
// stations — a province on one machine), each imported into a SpatiaLite file and into a PostGIS schema, then the same
// work on both: import time and peak RSS, straight and walking coverage at 1000 m, /v1/nearest req/s through
// `doorstep serve`; beside them PostGIS's own equivalents, `ST_DWithin` coverage and KNN nearest (pgbench).
// Not in the default run (it takes most of an hour at 10⁷ edges): `doorstep-bench province`, sizes from
// DOORSTEP_PROVINCE_EDGES (default 100000,1000000,10000000). PostGIS comes from `tools/pg/cluster` (started here,
// stopped after), or from DOORSTEP_PROVINCE_PG (a postgresql:// URL); without either, only SpatiaLite is measured.

func provinceBench(work: URL) throws {
    print("== province: SpatiaLite file and PostGIS schema on the same synthetic cities (release doorstep, a child process per step)")
    guard let doorstep = try releaseDoorstep() else { print("  no release doorstep: skipped"); return }
    let sizes = (ProcessInfo.processInfo.environment["DOORSTEP_PROVINCE_EDGES"] ?? "100000,1000000,10000000")
        .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let (pg, stopCluster) = provincePostGIS()
    defer { stopCluster() }
    print("  PostGIS: \(pg ?? "not available (no tools/pg/cluster and no DOORSTEP_PROVINCE_PG): SpatiaLite only")")
    print("  " + pad("size / store / step", 64) + pad("seconds", 10, right: true) + pad("peak RSS", 12, right: true) + "  notes")
    for edges in sizes {
        let grid = Int((Double(edges) / 2).squareRoot().rounded())
        let compounds = max(1000, edges / 10), stations = max(100, edges / 100)
        let dir = work.appendingPathComponent("province-\(edges)")
        var t = now()
        let summary = try SyntheticCity(stations: stations, compounds: compounds, waysGrid: grid, seed: 23).write(to: dir)
        let made = now() - t
        let waysMB = fileMB(dir.appendingPathComponent("ways.geojson"))
        print(String(format: "  %d edges (grid %d): %d compounds, %d stations; generated in %.0f s, ways.geojson %.0f MB",
                     2 * grid * (grid + 1), grid, compounds, stations, made, waysMB))
        _ = summary
        var stores: [(String, String)] = [("SpatiaLite", work.appendingPathComponent("province-\(edges).sqlite").path)]
        if let pg { stores.append(("PostGIS", pg + "?schema=province_\(edges)")) }
        var box: BoundingBox?
        for (label, address) in stores {
            if label == "PostGIS" { dropSchema(pg!, "province_\(edges)") }
            var importSeconds = 0.0, importPeak = 0.0
            for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
                let (status, seconds, peak) = runMeasured(doorstep, ["import", layer, dir.appendingPathComponent("\(layer).geojson").path,
                                                                     "--db", address, "--quiet", "--max-file-mb", "8192"], quiet: true)
                guard status == 0 else { print("  \(label): import \(layer) failed (exit \(status))"); return }
                importSeconds += seconds
                importPeak = max(importPeak, peak)
                if layer == "ways" { row(edges, label, "import ways (builds and stores the walking network)", seconds, peak) }
            }
            row(edges, label, "import all five layers", importSeconds, importPeak)
            for (name, args) in [("straight coverage at 1000 m", ["--radius", "1000"]),
                                 ("walking coverage at 1000 m", ["--radius", "1000", "--walk"])] {
                let (status, seconds, peak) = runMeasured(doorstep, ["coverage"] + args + ["--format", "json", "--db", address, "--quiet"], quiet: true)
                row(edges, label, "doorstep " + name, seconds, peak, status == 0 ? "" : "exit \(status)")
            }
            if box == nil, let store = try? StoreBackends.open(address, readOnly: true) { box = try store.extent(of: .stations) }
            if let wrk = findExecutable("wrk"), let box {
                let paths = queryPaths(in: box, count: 1000, seed: 5)
                t = now()
                try withServer(doorstep, address: address, port: 18300 + (label == "PostGIS" ? 1 : 0)) { server in
                    let ready = now() - t
                    let r = try wrkRun(wrk, server, paths: paths, seconds: 5, dir: work)
                    let m = server.rss()
                    row(edges, label, "serve: first snapshot loaded", ready, m.hwm)
                    print("  " + pad("", 8) + pad("\(label): /v1/nearest k=5, wrk -t2 -c64 5 s", 56)
                          + String(format: "%10.0f req/s  p50 %.2f ms, p99 %.2f ms, %d errors", r.rate, r.p50, r.p99, r.non2xx + r.socketErrors))
                }
            }
            if label == "PostGIS", let pg { try postgisOwn(pg, schema: "province_\(edges)", box: box, work: work, edges: edges) }
        }
        // The next size needs the disk more than these do.
        try? FileManager.default.removeItem(at: dir)
        try? FileManager.default.removeItem(at: work.appendingPathComponent("province-\(edges).sqlite"))
        if let pg { dropSchema(pg, "province_\(edges)") }
    }
    print("")
}

private func row(_ edges: Int, _ store: String, _ step: String, _ seconds: Double, _ peak: Double, _ note: String = "") {
    print("  " + pad(String(format: "%.0e", Double(edges)), 8) + pad("\(store): \(step)", 56)
          + String(format: "%10.1f %9.0f MB  %@", seconds, peak, note as NSString))
}

/// PostGIS for the bench: DOORSTEP_PROVINCE_PG, else the private cluster of `tools/pg/cluster` (started now, and
/// stopped by the returned closure), else none.
private func provincePostGIS() -> (String?, () -> Void) {
    if let url = ProcessInfo.processInfo.environment["DOORSTEP_PROVINCE_PG"] { return (url, {}) }
    let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("tools/pg/cluster").path
    // Started through the C library's system(): Foundation's Process does not see `runuser … pg_ctl start` end (the
    // server it leaves running keeps the child's pipes; waitUntilExit hangs), as ManyServersTests found.
    // A server sized for a province's tables (the tests' cluster keeps PostgreSQL's defaults: 128 MB of shared
    // buffers, a checkpoint every 1 GB of log); a cluster already running is used as it is.
    let settings = "-c shared_buffers=1GB -c max_wal_size=8GB -c maintenance_work_mem=512MB"
    guard FileManager.default.isExecutableFile(atPath: script),
          system("DOORSTEP_PG_SETTINGS='\(settings)' '\(script)' start >/dev/null 2>&1 </dev/null") == 0 else { return (nil, {}) }
    let url = shell([script, "url"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    return (url.isEmpty ? nil : url, { _ = shell([script, "stop"]) })
}

@discardableResult
private func shell(_ arguments: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return (-1, "") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private func dropSchema(_ url: String, _ schema: String) {
    shell(["psql", "-q", url, "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"])
}

/// PostGIS's own answers to the same questions: how many compounds have a station within 1000 m (`ST_DWithin` on
/// the stations' GiST index, then the spherical distance), and the 5 nearest stations by KNN (`<->`), driven by
/// pgbench over random points in the stations' extent.
private func postgisOwn(_ url: String, schema: String, box: BoundingBox?, work: URL, edges: Int) throws {
    let coverage = """
        SELECT count(*) FROM \(schema).compounds c WHERE EXISTS (
          SELECT 1 FROM \(schema).stations s
          WHERE ST_DWithin(s.geom, ST_SetSRID(ST_MakePoint(c.ref_lon, c.ref_lat), 4326), 1000 / (111320 * cos(radians(c.ref_lat))))
            AND ST_DistanceSphere(s.geom, ST_SetSRID(ST_MakePoint(c.ref_lon, c.ref_lat), 4326)) <= 1000)
        """
    var t = now()
    let counted = shell(["psql", "-qAt", url, "-c", coverage])
    row(edges, "PostGIS", "its own ST_DWithin coverage at 1000 m (SQL)", now() - t, 0,
        counted.status == 0 ? "\(counted.output.trimmingCharacters(in: .whitespacesAndNewlines)) compounds covered" : "failed")
    guard let box, let pgbench = findExecutable("pgbench") else { return }
    let script = work.appendingPathComponent("knn.sql")
    try """
        \\set x random(0, 1000000)
        \\set y random(0, 1000000)
        SELECT id FROM \(schema).stations ORDER BY geom <-> ST_SetSRID(ST_MakePoint(\(box.west) + :x * \((box.east - box.west) / 1e6), \(box.south) + :y * \((box.north - box.south) / 1e6)), 4326) LIMIT 5;
        """.write(to: script, atomically: true, encoding: .utf8)
    t = now()
    let run = shell([pgbench, "-n", "-T", "5", "-c", "8", "-j", "2", "-f", script.path, url])
    let tps = run.output.split(separator: "\n").first { $0.hasPrefix("tps") }.map(String.init) ?? "pgbench failed"
    print("  " + pad("", 8) + pad("PostGIS: its own KNN nearest (<->, k=5), pgbench -c8 -j2 5 s", 56) + " " + tps)
}
