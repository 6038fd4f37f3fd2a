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

    t = now()
    let areas = try ServiceAreas.make(stations: Array(stations.prefix(areaStations)), bands: [500], network: network,
                                      zone: network.zone)
    let areaSeconds = now() - t
    let perArea = areaSeconds / Double(max(1, areas.areas.count))

    let total = report.total
    print(String(format: "%9d edges %8d nodes | import %5.1f s | graph build %5.2f s, store %5.1f s | sites %4.2f s | walking coverage %5.2f s (straight %4.2f s), %d/%d compounds covered | areas %4d in %5.1f s (%.1f ms each → all 5,000 ≈ %.0f s) | peak RSS %4.0f MB",
                 network.graph.edgeCount, network.graph.nodes.count, importSeconds, buildSeconds, storeSeconds, sitesSeconds,
                 coverageSeconds, straightSeconds, total.compoundsCovered, total.compounds, areas.areas.count, areaSeconds,
                 perArea * 1000, perArea * 5000, peakRSSMegabytes()))
    _ = straight
    try coverageOverDayBench(stations: stations, sites: sites, network: network, single: coverageSeconds)
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
    // GEOS buffers take tens of ms per walking area; a sample of stations gives the per-area cost.
    for (grid, areaStations) in [(224, 300), (707, 100)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
        process.arguments = ["network-one", String(grid), String(areaStations)]
        try process.run()
        process.waitUntilExit()
    }
    print("targets: walking coverage of 50,000 compounds over 10⁶ edges ≤ 5 s; graph build ≤ 30 s; RSS ≤ 2 GB")
    print("")
}
