import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

/// What-if numbers (issue 17): the synthetic city of the planner bench (224 × 224-block lattice, ≈ 10⁵ edges, 50,000
/// compounds, 1,000 stations), walking, preset 10min (500 m) and 15min (1000 m): one added site at a random place per
/// what-if (and one closed station), median and p95 over 40 runs, beside the full walking coverage it replaces. The
/// base coverage is computed once (the server keeps it per generation and options). "compute" is the incremental
/// analysis (`WhatIfAnalysis`, add and close); "answer" adds writing the JSON answer with its 50,000 compound rows,
/// "by=grid" the answer by grid (the page's summary) instead.
func whatIfBench() throws {
    print("== whatif: 1 added site (and 1 closed station), walking, 224×224-block lattice (≈ 10⁵ edges), 50,000 compounds, 1,000 stations")
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-whatifbench-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let (city, store) = try latticeCity(in: work)
    let network = try WalkingNetwork.load(from: store)
    let stations = try store.stations()
    let compounds = try store.compoundSites()
    print("  setup: \(network.graph.edgeCount) edges, \(compounds.count) compounds, \(stations.count) stations")
    print("  " + [("case", 22), ("full ms", 9), ("add p50", 9), ("add p95", 9), ("ratio", 7), ("+close p50", 11), ("+close p95", 11),
                  ("answer p50", 11), ("by=grid p50", 12), ("recomputed", 11)]
        .map { pad($0.0, $0.1, right: $0.0 != "case") }.joined(separator: " "))
    let (sw, ne) = city.extent
    for (preset, metres) in [("10min", 500.0), ("15min", 1000.0)] {
        let options = CoverageOptions(reach: .uniform(metres), walk: true)
        var t = now()
        let base = try CoverageAnalysis.run(stations: stations, compounds: compounds, network: network, options: options)
        let fullMs = (now() - t) * 1000
        var rng = SplitMix64(seed: 99)
        func site() -> Station {
            Station(id: "whatif-1", name: "what-if 1", kind: nil, services: [], address: nil, phone: nil, hours: nil, radiusMetres: nil,
                    capacity: nil, location: Coordinate(lon: sw.lon + rng.unit() * (ne.lon - sw.lon), lat: sw.lat + rng.unit() * (ne.lat - sw.lat)))
        }
        var add = [Double](), both = [Double](), answer = [Double](), grid = [Double](), recomputed = [Int]()
        let analysis = try AnalysisOptions(preset: preset, walk: true)
        let coverageOptions = try CoverageUseCase.Options(analysis)
        let gridOptions = try CoverageUseCase.Options(analysis, by: "grid")
        for run in 0..<41 {
            let s = site()
            t = now()
            let w = try WhatIfAnalysis.run(base: base, stations: stations, added: [s], closed: [], network: network)
            let ms = (now() - t) * 1000
            let closed = stations[Int(rng.unit() * Double(stations.count))].id
            t = now()
            let w2 = try WhatIfAnalysis.run(base: base, stations: stations, added: [s], closed: [closed], network: network)
            let ms2 = (now() - t) * 1000
            // The answer as the server writes it: the computation and the JSON of every row.
            t = now()
            let options = try WhatIfUseCase.Options(coverageOptions, add: ["\(s.location.lon),\(s.location.lat)"], close: [closed])
            let bytes = Records.bytes(WhatIfUseCase.Result(options: options, generation: 1, whatIf: w2).json)
            let answerMs = (now() - t) * 1000 + ms2
            // The same by grid (the page's summary): rows per grid instead of per compound.
            t = now()
            let byGrid = try WhatIfUseCase.Options(gridOptions, add: ["\(s.location.lon),\(s.location.lat)"], close: [closed])
            let gridBytes = Records.bytes(WhatIfUseCase.Result(options: byGrid, generation: 1, whatIf: w2).json)
            let gridMs = (now() - t) * 1000 + ms2
            if run == 0 || bytes.count < 0 || gridBytes.count < 0 { continue }  // warm-up
            add.append(ms); both.append(ms2); answer.append(answerMs); grid.append(gridMs)
            recomputed.append(w2.recomputed.count + w.recomputed.count)
        }
        add.sort(); both.sort(); answer.sort(); grid.sort()
        let cells = [pad("walking \(preset) (\(Int(metres)) m)", 22), String(format: "%9.0f", fullMs),
                     String(format: "%9.1f", percentile(add, 0.5)), String(format: "%9.1f", percentile(add, 0.95)),
                     String(format: "%6.0f×", fullMs / percentile(add, 0.5)),
                     String(format: "%11.1f", percentile(both, 0.5)), String(format: "%11.1f", percentile(both, 0.95)),
                     String(format: "%11.1f", percentile(answer, 0.5)), String(format: "%12.1f", percentile(grid, 0.5)),
                     String(format: "%11.0f", Double(recomputed.reduce(0, +)) / Double(max(1, recomputed.count)) / 2)]
        print("  " + cells.joined(separator: " "))
    }
    print("target: ≤ 200 ms per what-if on the 10⁵-edge city (release); ratio = full walking coverage / what-if (add p50)")
    print("")
}
