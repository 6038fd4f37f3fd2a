import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

/// Planner numbers (issue 6): a synthetic city of 50,000 compounds on a 224 × 224-block lattice (≈ 10⁵ edges),
/// 1,000 existing stations, 20,000 candidate sites scattered over it, K = 20, walking reach 500 m: time, peak RSS
/// and the gap to the proven bound. Runs in a child process (this binary, marked by an environment variable) so the
/// RSS is the planner's own; the peak is reset after the import, so it counts loading the network and compounds
/// and planning.
func plannerBench() throws {
    let childMarker = "DOORSTEP_BENCH_PLANNER_CHILD"
    if ProcessInfo.processInfo.environment[childMarker] != nil {
        try plannerBenchChild()
        return
    }
    print("== planner: 50,000 compounds, 1,000 stations, 20,000 candidates, K = 20, 224×224-block lattice (child process)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
    process.arguments = ["plan"]
    var environment = ProcessInfo.processInfo.environment
    environment[childMarker] = "1"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    for line in output.split(separator: "\n") where line.hasPrefix("  ") { print(line) }
    if process.terminationStatus != 0 { print("  planner bench failed (status \(process.terminationStatus))") }
    print("targets: walking, K = 20, ≤ 10 s and ≤ 2 GB RSS")
    print("")
}

/// The planner's city (also the what-if bench's): 1,000 stations, 50,000 compounds on a 224 × 224-block lattice
/// (≈ 10⁵ edges), written to `work` and imported into `work/city.sqlite`.
func latticeCity(in work: URL) throws -> (SyntheticCity, Store) {
    let city = SyntheticCity(stations: 1_000, compounds: 50_000, waysGrid: 224, seed: 23)
    try city.write(to: work)
    let store = try Store(path: work.appendingPathComponent("city.sqlite").path)
    for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
        _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: work.appendingPathComponent("\(layer).geojson")), into: store)
    }
    return (city, store)
}

private func plannerBenchChild() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-planbench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    var t = now()
    let (city, store) = try latticeCity(in: work)
    let importSeconds = now() - t
    // From here the high-water mark counts only what planning needs (Linux: "5" resets VmHWM to the current RSS).
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)

    t = now()
    let network = try WalkingNetwork.load(from: store)
    let stations = try store.stations()
    let compounds = try store.compoundSites()
    let loadSeconds = now() - t

    // Vacant premises: uniform over the lattice, from a fixed seed.
    let (sw, ne) = city.extent
    var rng = SplitMix64(seed: 6)
    let candidates = (0..<20_000).map { i in
        PlanCandidate(id: "V\(i + 1)", name: "空置门面 \(i + 1)",
                      location: Coordinate(lon: sw.lon + rng.unit() * (ne.lon - sw.lon), lat: sw.lat + rng.unit() * (ne.lat - sw.lat)))
    }
    print(String(format: "  setup: %d edges, %d compounds, %d stations; write + import %.1f s (not timed below)",
                 network.graph.edgeCount, compounds.count, stations.count, importSeconds))
    for walk in [true, false] {
        t = now()
        var report = try CoveragePlanner.run(
            stations: stations, compounds: compounds, candidates: .given(candidates), network: walk ? network : nil,
            options: PlanOptions(coverage: CoverageOptions(reach: .uniform(500), walk: walk), objective: .add(20)))
        try report.assignGrids(store.grids(containing:))
        let seconds = now() - t
        let b = report.baseline
        let figure = walk ? Figures.shared.beside(seconds, "s", previous: "plan_add20_walk_S_s") : String(format: "%.2f s", seconds)
        print(String(format: "  %@ K=20: plan %@ (+ load network and compounds %.2f s) | baseline %.1f%% → %.1f%% of households, +%d | bound %.0f, gap to bound %.2f%%%@ | %d swaps | peak RSS %.0f MB",
                     (walk ? "walking " : "straight") as NSString, figure as NSString, loadSeconds,
                     b.householdsCoveredPercent ?? 0, report.finalPercent ?? 0, report.householdsAdded,
                     report.upperBound ?? .nan, (report.gapToBound ?? .nan) * 100,
                     (report.provenOptimal ? " (proven optimal)" : "") as NSString, report.swaps, peakRSSMegabytes()))
    }
}
