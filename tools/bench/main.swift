import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

// doorstep-bench (`make bench`): import throughput, nearest-station latency, peak memory, and the size of the work.
// Imports run in a child process each (this binary with `import-one`) so each peak RSS is that import's alone.
// Run the release build; the machine is shared, so read the numbers as indications, not guarantees.

func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}

/// Writes stations as GeoJSON without the rest of a synthetic city (whose streets a wide sparse city would need).
func writeStations(_ stations: [CityData.Station], to url: URL) throws {
    var text = "{\"type\":\"FeatureCollection\",\"features\":[\n"
    for (i, s) in stations.enumerated() {
        if i > 0 { text += ",\n" }
        text += "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[\(s.lon),\(s.lat)]},"
            + "\"properties\":{\"id\":\"\(s.id)\",\"name\":\"\(s.name)\",\"kind\":\"\(s.kind.rawValue)\",\"hours\":\"\(s.hours)\","
            + "\"services\":[\(s.services.map { "\"\($0.rawValue)\"" }.joined(separator: ","))]}}"
    }
    text += "\n]}\n"
    try Data(text.utf8).write(to: url)
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func fileMB(_ url: URL) -> Double {
    Double((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0) / 1_048_576
}

let arguments = CommandLine.arguments
if arguments.count == 5, arguments[1] == "import-one" {
    // Child: import one file into one database and report time and peak RSS.
    let store = try Store(path: arguments[4])
    let start = now()
    let summary = try Importer.run(ImportOptions(layer: Layer(rawValue: arguments[2])!, file: URL(fileURLWithPath: arguments[3])), into: store)
    let seconds = now() - start
    print("\(summary.features) \(seconds) \(peakRSSMegabytes())")
    exit(0)
}

if arguments.count == 5, arguments[1] == "refuse-one" {
    // Child: an import that must be refused; report time, peak RSS and the first line of the refusal.
    let store = try Store(path: arguments[4])
    let start = now()
    do {
        _ = try Importer.run(ImportOptions(layer: Layer(rawValue: arguments[2])!, file: URL(fileURLWithPath: arguments[3])), into: store)
        print("accepted")
        exit(1)
    } catch {
        let first = "\(error)".split(separator: "\n").first.map(String.init) ?? ""
        print("\(now() - start) \(peakRSSMegabytes()) \(first)")
        exit(0)
    }
}

if arguments.count == 4, arguments[1] == "network-one" {
    try networkBenchChild(grid: Int(arguments[2])!, areaStations: Int(arguments[3])!)
    exit(0)
}
let only = arguments.count > 1 ? Set(arguments.dropFirst()) : nil
func wanted(_ section: String) -> Bool { only == nil || only!.contains(section) }

let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

/// Runs an import in a child process: (features, seconds, peak RSS MB).
func importInChild(_ layer: String, _ file: URL, _ db: URL) throws -> (Int, Double, Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
    process.arguments = ["import-one", layer, file.path, db.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let parts = output.split(whereSeparator: \.isWhitespace)
    guard process.terminationStatus == 0, parts.count == 3 else { fatalError("import-one failed: \(output)") }
    return (Int(parts[0])!, Double(parts[1])!, Double(parts[2])!)
}

print("doorstep-bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, release build")
print("")

// MARK: Import throughput
if wanted("import") {

    print("== import (GeoJSON, one transaction, child process per import)")
    print(pad("input", 34) + " " + pad("features", 10, right: true) + " " + pad("seconds", 9, right: true) + " "
          + pad("features/s", 12, right: true) + " " + pad("peak RSS", 11, right: true))
    let importCity = SyntheticCity(stations: 100_000, compounds: 50_000, waysGrid: 10, seed: 3)
    let importDir = work.appendingPathComponent("import")
    try importCity.write(to: importDir)
    for (layer, label) in [("stations", "100k points (stations)"), ("compounds", "50k compounds (polygons + 10% points)")] {
        let file = importDir.appendingPathComponent("\(layer).geojson")
        let (n, s, rss) = try importInChild(layer, file, work.appendingPathComponent("import-\(layer).sqlite"))
        print(pad("\(label), \(String(format: "%.0f", fileMB(file))) MB", 34) + String(format: " %10d %9.2f %12.0f %8.0f MB", n, s, Double(n) / s, rss))
    }
    // Memory against file size: the same kind of file at about 10 MB and about 50 MB.
    for count in [30_000, 150_000] {
        let dir = work.appendingPathComponent("size-\(count)")
        try SyntheticCity(stations: count, compounds: 0, waysGrid: 2, seed: 5).write(to: dir)
        let file = dir.appendingPathComponent("stations.geojson")
        let (n, s, rss) = try importInChild("stations", file, work.appendingPathComponent("size-\(count).sqlite"))
        print(pad("stations file of \(String(format: "%.0f", fileMB(file))) MB", 34) + String(format: " %10d %9.2f %12.0f %8.0f MB", n, s, Double(n) / s, rss))
    }
    print("targets: ≥ 50,000 points/s, ≥ 10,000 polygons/s; peak RSS grows by the mapped file, not by a parsed tree")
    print("")

    // Hostile and broken files: refused in seconds, in bounded memory (README, "Limits"). Sparse files cost no disk.
    print("== import refusals (child process each): target ≤ 256 MB peak RSS, seconds")
    print(pad("input", 44) + " " + pad("seconds", 9, right: true) + " " + pad("peak RSS", 11, right: true) + "  refusal")
    func sparse(_ name: String, _ size: Int, head: String = "") throws -> URL {
        let url = work.appendingPathComponent(name)
        try Data(head.utf8).write(to: url)
        guard truncate(url.path, off_t(size)) == 0 else { fatalError("truncate \(url.path)") }
        return url
    }
    var rows = "id,name,lon,lat,address\n"
    while rows.utf8.count < 8 << 20 { rows += "S\(rows.utf8.count),站点,118.78,32.04,中山路1号\n" }
    let hostile: [(String, URL)] = [
        ("2 GiB sparse CSV (all zero bytes)", try sparse("zeros-2g.csv", 2 << 30)),
        ("2 GiB sparse GeoJSON (all zero bytes)", try sparse("zeros-2g.geojson", 2 << 30)),
        ("2 GiB CSV: 8 MB of valid rows, then zeros", try sparse("rows-2g.csv", 2 << 30, head: rows)),
        ("1000 MiB sparse CSV (under the size limit)", try sparse("zeros-1000m.csv", 1000 << 20)),
        ("1000 MiB sparse GeoJSON (under the limit)", try sparse("zeros-1000m.geojson", 1000 << 20)),
        ("1000 MiB CSV: 8 MB of valid rows, then zeros", try sparse("rows-1000m.csv", 1000 << 20, head: rows)),
        ("1000 MiB CSV: one line without end", try sparse("line-1000m.csv", 1000 << 20, head: "id,name,lon,lat\n" + String(repeating: "x", count: 4 << 20))),
    ]
    for (label, file) in hostile {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL
        process.arguments = ["refuse-one", "stations", file.path, work.appendingPathComponent("refuse.sqlite").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let parts = output.split(separator: " ", maxSplits: 2)
        guard process.terminationStatus == 0, parts.count == 3, let s = Double(parts[0]), let rss = Double(parts[1]) else {
            print(pad(label, 44) + "  not refused: \(output)")
            continue
        }
        let reason = parts[2].trimmingCharacters(in: .whitespacesAndNewlines)
        print(pad(label, 44) + String(format: " %9.2f %8.0f MB  ", s, rss) + String(reason.prefix(90)))
        try? FileManager.default.removeItem(at: file)
    }
    print("")

}

if wanted("formats") { try formatImportBench(work: work) }

// MARK: Nearest
if wanted("nearest") {

    print("== nearest, k = 5, in process: in-memory index vs SpatiaLite R*Tree + ST_Distance(a, b, 1)")
    print([("stations", 8), ("build ms", 10), ("index p50", 10), ("index p99", 10), ("SQL p50", 11), ("SQL p99", 11), ("ratio", 8), ("agree", 9)]
        .map { pad($0.0, $0.1, right: true) }.joined(separator: " "))
    for size in [1_000, 10_000, 100_000] {
        // About one station per 0.1 km², as in a dense Chinese district: the side grows with the count.
        let city = SyntheticCity(stations: size, compounds: 0, waysGrid: Int((Double(size) * 0.1).squareRoot() * 10), seed: 11)
        let file = work.appendingPathComponent("nearest-\(size).geojson")
        try writeStations(city.stations, to: file)
        let store = try Store(path: work.appendingPathComponent("nearest-\(size).sqlite").path)
        _ = try Importer.run(ImportOptions(layer: .stations, file: file), into: store)
        let stations = try store.stations()
        let buildStart = now()
        let index = NearestIndex(stations: stations)
        let buildMs = (now() - buildStart) * 1000
        let (sw, ne) = city.extent
        var rng = SplitMix64(seed: 42)
        let queries = (0..<20_000).map { _ in
            Coordinate(lon: sw.lon + Double.random(in: 0..<1, using: &rng) * (ne.lon - sw.lon),
                       lat: sw.lat + Double.random(in: 0..<1, using: &rng) * (ne.lat - sw.lat))
        }
        var indexTimes = [Double]()
        indexTimes.reserveCapacity(queries.count)
        var sink = 0.0
        for q in queries {
            let t = now()
            let r = index.nearest(to: q, k: 5)
            indexTimes.append(now() - t)
            sink += r.last?.distance ?? 0
        }
        var sqlTimes = [Double]()
        var agree = 0
        for q in queries.prefix(500) {
            let t = now()
            let r = try store.nearestBySQL(to: q, k: 5)
            sqlTimes.append(now() - t)
            if r.map(\.id) == index.nearest(to: q, k: 5).map(\.station.id) { agree += 1 }
        }
        indexTimes.sort()
        sqlTimes.sort()
        let ip50 = percentile(indexTimes, 0.5) * 1e6, ip99 = percentile(indexTimes, 0.99) * 1e6
        let sp50 = percentile(sqlTimes, 0.5) * 1e6, sp99 = percentile(sqlTimes, 0.99) * 1e6
        print(String(format: "%8d %10.1f %8.1f µs %8.1f µs %9.0f µs %9.0f µs %7.0f× %5d/500", size, buildMs, ip50, ip99, sp50, sp99, sp50 / ip50, agree))
        if sink < 0 { print(sink) }
    }
    print("target: index p50 ≤ 20 µs at 100k stations; 'agree' counts queries where both paths return the same 5 ids")
    print("")
}

// MARK: Walking network
if wanted("network") { try networkBench() }

if wanted("export") { try exportBench(work: work) }
if wanted("render") { try renderBench(work: work) }
if wanted("oapif") { try oapifBench(work: work) }
if wanted("plan") { try plannerBench() }
if wanted("access") { try accessBench(work: work) }
if wanted("whatif") { try whatIfBench() }
if wanted("osm") { try osmBench() }
if wanted("http") { try httpBench() }
// Not in the default run: most of an hour at 10⁷ edges (`doorstep-bench province`, `make bench-province`).
if only?.contains("province") == true { try provinceBench(work: work) }
print(String(format: "peak RSS of the benchmark process: %.0f MB", peakRSSMegabytes()))

/// `s` padded with spaces to `width` characters (on the left when `right`): Foundation's `%-20@` does not pad on Linux.
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}
