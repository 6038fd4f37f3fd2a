import DoorstepGeo
import Foundation

// OSM import: `doorstep import-osm` (release) on the largest extract here, the Nanjing sample (1.5 MB of XML, about
// 15,000 objects; a real city PBF is 10–100 MB, so read this as per-run overhead plus a rate, not as a city's time).
// Set DOORSTEP_OSM_BENCH_FILE to measure another extract. Each run is a child process on a fresh database, timed
// end to end (osmium's three passes, the layer rules, the one-transaction import and the walking network); its peak
// RSS is the doorstep process's own. osmium runs in grandchildren, so its peak is measured on its own pass.

func osmBench() throws {
    print("== import-osm (release `doorstep import-osm`, child process, fresh database each run)")
    let doorstep = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.deletingLastPathComponent().appendingPathComponent("doorstep").path
    let environment = ProcessInfo.processInfo.environment
    let extract = URL(fileURLWithPath: environment["DOORSTEP_OSM_BENCH_FILE"]
        ?? FileManager.default.currentDirectoryPath + "/Tests/Fixtures/osm/nanjing-xinjiekou.osm")
    let osmium = (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/osmium" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    guard FileManager.default.isExecutableFile(atPath: doorstep), let osmium,
          FileManager.default.isReadableFile(atPath: extract.path) else {
        print("skipped: needs \(doorstep) (make bench builds it), osmium (make deps) and \(extract.path)")
        print("")
        return
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-osm-bench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    // Objects in the file, as osmium counts them.
    let info = dir.appendingPathComponent("info.json")
    let (infoStatus, _, _) = runMeasured("/bin/sh", ["-c", "exec \"$0\" fileinfo -e -j \"$1\" > \"$2\"", osmium, extract.path, info.path])
    let json = try JSONValue.parse(String(contentsOf: info, encoding: .utf8))
    var counts = [String: Int]()
    for key in ["nodes", "ways", "relations"] {
        if case .number(let n)? = json["data"]?["count"]?[key] { counts[key] = Int(n) }
    }
    let objects = counts.values.reduce(0, +)
    guard infoStatus == 0, objects > 0 else {
        print("skipped: osmium fileinfo could not read \(extract.path)")
        print("")
        return
    }
    let pbf = dir.appendingPathComponent("extract.osm.pbf")
    _ = runMeasured(osmium, ["cat", extract.path, "-o", pbf.path, "--overwrite"])
    print("extract: \(extract.lastPathComponent), \(String(format: "%.1f", fileMB(extract))) MB XML / \(String(format: "%.2f", fileMB(pbf))) MB PBF; "
          + "\(counts["nodes"] ?? 0) nodes, \(counts["ways"] ?? 0) ways, \(counts["relations"] ?? 0) relations")
    print(pad("input", 28) + "     best s    objects/s     median s   peak RSS")
    for (label, file) in [("OSM XML", extract), ("OSM PBF", pbf)] {
        var times = [Double]()
        var peak = 0.0
        for run in 0..<5 {
            let db = dir.appendingPathComponent("run-\(label.hasSuffix("PBF") ? "pbf" : "xml")-\(run).sqlite")
            let (status, seconds, rss) = runMeasured("/bin/sh", ["-c", "exec \"$0\" import-osm \"$1\" --db \"$2\" > /dev/null", doorstep, file.path, db.path])
            guard status == 0 else {
                print("\(label): import-osm failed (exit \(status))")
                break
            }
            times.append(seconds)
            peak = max(peak, rss)
        }
        guard !times.isEmpty else { continue }
        times.sort()
        print(pad("import-osm, \(label)", 28) + String(format: " %10.3f %12.0f %12.3f %8.0f MB", times[0], Double(objects) / times[0],
                                                              times[times.count / 2], peak))
    }
    let (_, filterSeconds, filterRSS) = runMeasured(osmium, ["tags-filter", extract.path, "w/highway", "a/landuse=residential", "a/building",
                                                             "-o", dir.appendingPathComponent("f.osm.pbf").path, "--overwrite"])
    print(pad("osmium tags-filter alone", 28) + String(format: " %10.3f %12.0f %12@ %8.0f MB", filterSeconds, Double(objects) / filterSeconds, "            ", filterRSS))
    print("the extract is small: the times are mostly fixed costs (process starts, SpatiaLite's open, three osmium passes);")
    print("osmium's peak is its id sets (tags-filter, check-refs: ~400 MB here, sized by the id range, not the file)")
    print("")
}
