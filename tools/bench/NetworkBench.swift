import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

/// Walking network numbers (issue 3): for a synthetic city of `grid`×`grid` blocks (≈ 2·G·(G+1) edges), 5,000
/// stations and 50,000 compounds: graph build, storing it, walking coverage of every compound, service-area polygons,
/// and the peak RSS of the whole run. Runs in a child process per size (`network-one G`) so each RSS is its own.
func networkBenchChild(grid: Int, areaStations: Int) throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-netbench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let city = SyntheticCity(stations: 5_000, compounds: 50_000, waysGrid: grid, seed: 17)
    try city.write(to: work)
    let store = try Store(path: work.appendingPathComponent("city.sqlite").path)
    var t = now()
    for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
        _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: work.appendingPathComponent("\(layer).geojson")), into: store)
    }
    let importSeconds = now() - t

    t = now()
    let network = try WalkingNetwork.load(from: store)
    let buildSeconds = now() - t
    t = now()
    try store.storeNetwork(network.graph.edgeRecords, waysGeneration: network.waysGeneration)
    let storeSeconds = now() - t

    let stations = try store.stations()
    t = now()
    let sites = try store.compoundSites()
    let sitesSeconds = now() - t
    t = now()
    let report = try CoverageAnalysis.run(stations: stations, compounds: sites, network: network,
                                          options: CoverageOptions(reach: .uniform(500), walk: true))
    let coverageSeconds = now() - t
    t = now()
    let straight = try CoverageAnalysis.run(stations: stations, compounds: sites, network: nil,
                                            options: CoverageOptions(reach: .uniform(500)))
    let straightSeconds = now() - t

    let total = report.total
    let size = network.graph.edgeCount > 500_000 ? "L" : "S"
    print(String(format: "%9d edges %8d nodes | import %5.1f s | graph build %5.2f s, store %5.1f s | sites %4.2f s | walking coverage %@ (straight %4.2f s), %d/%d compounds covered | peak RSS %4.0f MB",
                 network.graph.edgeCount, network.graph.nodes.count, importSeconds, buildSeconds, storeSeconds, sitesSeconds,
                 Figures.shared.beside(coverageSeconds, "s", previous: "walking_coverage_\(size)_s", peer: "walk_dd_\(size)_s",
                                       peerName: "pgRouting pgr_drivingDistance from every station") as NSString,
                 straightSeconds, total.compoundsCovered, total.compounds, peakRSSMegabytes()))
    _ = straight
    try coverageOverDayBench(stations: stations, sites: sites, network: network, single: coverageSeconds)
    let database = work.appendingPathComponent("city.sqlite")
    try areasBench(stations: stations, network: network, bufferStations: areaStations, database: database, size: size)
    if size == "L" { try planTargetBench(database: database) }
}

/// `doorstep plan --target 80% --walk --preset 10min` on this city (issue 15.5: ≤ 10 s on 10⁶ edges), as a user runs
/// it: the whole process, with CPU time / wall time (above 1: both cores), peak RSS and what it proposed.
func planTargetBench(database: URL) throws {
    guard let doorstep = try releaseDoorstep() else { print("          no release doorstep: plan --target row skipped"); return }
    let out = database.deletingLastPathComponent().appendingPathComponent("plan.json")
    let run = runChild(doorstep, ["plan", "--target", "80%", "--walk", "--preset", "10min", "--format", "json", "--quiet", "--db", database.path],
                       stdout: out)
    var summary = "exit \(run.status)"
    if let data = FileManager.default.contents(atPath: out.path), let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
       case .array(let sites)? = json["sites"] {
        func number(_ key: String) -> Double { if case .number(let n)? = json[key] { return n }; return .nan }
        summary = String(format: "%d sites (at least %.0f; proven optimal: %@), %.1f%% of households, %.0f candidates, %.0f swaps", sites.count,
                         number("minimum_sites"), (json["proven_optimal"] == .bool(true) ? "yes" : "no") as NSString, number("final_pct"),
                         number("candidates"), number("swaps"))
    }
    print(String(format: "          doorstep plan --target 80%% --walk --preset 10min (whole process): %@ (target ≤ 10 s), CPU/wall %.2f, peak RSS %.0f MB | %@ | load average %@",
                 Figures.shared.beside(run.seconds, "s", previous: "plan_target80_walk_L_s") as NSString, run.cpuSeconds / run.seconds,
                 run.peakMB, summary as NSString, loadAverage() as NSString))
}

/// Walking service areas (issue 15): one station's area at 1000 m, raster (the default) against the GEOS buffer
/// (the construction before) and pgRouting's `pgr_drivingDistance` node set from the peers' figures; then every
/// station's area at the 10min preset, in process on as many threads as cores and through `doorstep areas`
/// (whole process: open, load, draw, stream the file), with CPU time / wall time and peak RSS.
func areasBench(stations: [Station], network: WalkingNetwork, bufferStations: Int, database: URL, size: String) throws {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let sample = Array(stations.prefix(1000))
    var t = now()
    let raster = try ServiceAreas.make(stations: sample, bands: [1000], network: network, zone: network.zone)
    let rasterMs = (now() - t) * 1000 / Double(max(1, raster.areas.count))
    t = now()
    let buffer = try ServiceAreas.make(stations: Array(sample.prefix(bufferStations)), bands: [1000], network: network, zone: network.zone,
                                       construction: .buffer)
    let bufferMs = (now() - t) * 1000 / Double(max(1, buffer.areas.count))
    let vertices = raster.areas.reduce(0) { $0 + vertexCount($1.geometry) } / max(1, raster.areas.count)
    let figures = Figures.shared
    print(String(format: "          areas at 1000 m: raster %@ per station (%d stations, %d vertices each) | GEOS buffer %@ per station (%d stations; as filed in issue 15: 127 ms on 10⁵, 198 ms on 10⁶)",
                 figures.beside(rasterMs, "ms", previous: "areas_one_1000m_\(size)_ms", peer: "walk_dd1_bbox_\(size)_ms",
                                peerName: "pgRouting pgr_drivingDistance node set") as NSString,
                 raster.areas.count, vertices,
                 figures.beside(bufferMs, "ms", previous: "areas_buffer_1000m_\(size)_ms") as NSString, buffer.areas.count))

    // Every station at the 10min preset (500 m), in process: threads as cores, each area's Feature JSON made.
    let before = cpuSeconds(children: false)
    t = now()
    var bytes = 0, count = 0
    try ServiceAreas.each(stations: stations, bands: [500], network: network, zone: network.zone, threads: cores,
                          render: { areas in areas.reduce(0) { $0 + $1.geometry.geoJSON.jsonText.utf8.count } },
                          deliver: { _, n in if let n { bytes += n; count += 1 } })
    let wall = now() - t
    let cpu = cpuSeconds(children: false) - before
    // The same on one thread: the speed-up says whether the work splits, whatever else the machine is running.
    // Equal CPU seconds on one thread and on several mean no contention between the workers: CPU/wall below the
    // thread count is then other work on the machine taking the cores.
    let singleBefore = cpuSeconds(children: false)
    t = now()
    try ServiceAreas.each(stations: stations, bands: [500], network: network, zone: network.zone, threads: 1,
                          render: { areas in areas.reduce(0) { $0 + $1.geometry.geoJSON.jsonText.utf8.count } }, deliver: { _, _ in })
    let single = now() - t
    let singleCPU = cpuSeconds(children: false) - singleBefore
    print(String(format: "          all %d stations' areas at 500 m in process: %.1f s wall, %.1f s CPU, CPU/wall %.2f on %d threads; one thread %.1f s wall, %.1f s CPU: speed-up %.2f× (%d areas, %.0f MB of GeoJSON geometry; load average %@)",
                 stations.count, wall, cpu, cpu / wall, cores, single, singleCPU, single / wall, count, Double(bytes) / 1_048_576, loadAverage() as NSString))

    // The same through the CLI, as a user runs it.
    guard let doorstep = try releaseDoorstep() else { print("          no release doorstep: CLI row skipped"); return }
    let out = database.deletingLastPathComponent().appendingPathComponent("areas.geojson")
    let run = runChild(doorstep, ["areas", "--walk", "--preset", "10min", "--out", out.path, "--db", database.path])
    print(String(format: "          doorstep areas --walk --preset 10min (whole process, %d stations): %@ wall (target ≤ 20 s; as filed in issue 15: 295 s), CPU/wall %.2f (target ≥ 1.6; the network's loading is one thread), peak RSS %.0f MB, file %.0f MB, exit %d, load average %@",
                 stations.count, Figures.shared.beside(run.seconds, "s", previous: "areas_all_10min_\(size)_s") as NSString, run.cpuSeconds / run.seconds, run.peakMB, fileMB(out), run.status, loadAverage() as NSString))
}

/// Vertices of a (Multi)Polygon, rings' closing points included.
func vertexCount(_ g: Geometry) -> Int {
    switch g {
    case .polygon(let rings): return rings.reduce(0) { $0 + $1.count }
    case .multiPolygon(let ps): return ps.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
    default: return 0
    }
}

/// The machine's 1-minute load average (other work competes for the cores).
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}

/// User + system CPU seconds of this process or of its waited-for children.
func cpuSeconds(children: Bool) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t((children ? RUSAGE_CHILDREN : RUSAGE_SELF).rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Coverage by hour of a Monday (issue 17, `coverage --over-day`): hours grouped by their set of open stations, one
/// walking coverage per distinct set.
func coverageOverDayBench(stations: [Station], sites: [CompoundSite], network: WalkingNetwork, single: Double) throws {
    let options = CoverageOptions(reach: .uniform(500), walk: true)
    let t = now()
    let hours = try CoverageByHour.run(stations: stations, compounds: sites, network: network, options: options, weekday: 1)
    let seconds = now() - t
    let sets = CoverageByHour.openSets(stations, filter: options.filter, weekday: 1).sets.count
    precondition(hours.count == 24)
    print(String(format: "          coverage over a day (walking, 24 hours): %5.2f s for %d distinct sets of open stations (24 single runs ≈ %5.1f s)",
                 seconds, sets, 24 * single))
}

/// Runs the network bench for each size in a child process.
func networkBench() throws {
    print("== walking network: 5,000 stations, 50,000 compounds, synthetic lattice cities (child process per size)")
    // GEOS buffers take 100-200 ms per walking area at 1000 m; a sample of stations gives their per-area cost.
    for (grid, areaStations) in [(224, 50), (707, 30)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
        process.arguments = ["network-one", String(grid), String(areaStations)]
        try process.run()
        process.waitUntilExit()
    }
    print("targets: walking coverage of 50,000 compounds over 10⁶ edges ≤ 5 s; graph build ≤ 30 s; RSS ≤ 2 GB; an area at 1000 m ≤ 5 ms on 10⁶ edges (≥ 6× faster than pgRouting's node set); all 5,000 areas ≤ 20 s with CPU/wall ≥ 1.6")
    print("")
}
