import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

/// Access (2SFCA, issue 17) on the planner's synthetic city: 50,000 compounds, 1,000 stations, a 224 × 224-block
/// lattice (≈ 10⁵ edges), reach 500 m, straight and walking: the time of `AccessAnalysis.run` (one bounded search
/// per station) beside coverage's (one multi-source search), the network and compounds loaded before.
func accessBench(work: URL) throws {
    print("== access (2SFCA): 50,000 compounds, 1,000 stations, 224×224-block lattice, reach 500 m")
    let dir = work.appendingPathComponent("access")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let city = SyntheticCity(stations: 1_000, compounds: 50_000, waysGrid: 224, seed: 23)
    try city.write(to: dir)
    let store = try Store(path: dir.appendingPathComponent("city.sqlite").path)
    for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
        _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: dir.appendingPathComponent("\(layer).geojson")), into: store)
    }
    let network = try WalkingNetwork.load(from: store)
    let stations = try store.stations()
    let compounds = try store.compoundSites()
    for walk in [false, true] {
        let options = CoverageOptions(reach: .uniform(500), walk: walk)
        var t = now()
        let coverage = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: walk ? network : nil, options: options)
        let coverageSeconds = now() - t
        t = now()
        let report = try AccessAnalysis.run(stations: stations, compounds: compounds, network: walk ? network : nil,
                                            options: AccessOptions(coverage: options), coverage: coverage)
        let accessSeconds = now() - t
        print(String(format: "  %@: access %.2f s on top of coverage %.2f s | mean score %.4g per household, %d of %d stations overloaded",
                     (walk ? "walking " : "straight") as NSString, accessSeconds, coverageSeconds, report.total.score ?? .nan,
                     report.stations.filter(\.overloaded).count, report.stations.count))
    }
    print("")
}
