import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Export: `doorstep export` of synthetic cities of two sizes, each run in a child process so its peak RSS (from
// wait4's rusage) is that export's alone. The layer export streams geometry and properties from SQLite; a coverage
// export also holds the coverage result (one small record per compound) while the geometries stream past.

/// Runs `executable` with `arguments` (stderr, and with `quiet` stdout too, to /dev/null): (exit status, seconds, peak RSS MB).
func runMeasured(_ executable: String, _ arguments: [String], quiet: Bool = false) -> (Int32, Double, Double) {
    let run = runChild(executable, arguments, quiet: quiet)
    return (run.status, run.seconds, run.peakMB)
}

/// A child process's exit status, wall seconds, CPU seconds (user + system, from wait4: CPU / wall above 1 means
/// more than one core) and peak RSS.
struct ChildRun {
    let status: Int32
    let seconds: Double
    let cpuSeconds: Double
    let peakMB: Double
}

/// Runs `executable` with `arguments`, stderr to /dev/null, stdout to `stdout` (a file made or emptied), or with
/// `quiet` to /dev/null, else inherited.
///
/// The peak is the child's own VmHWM, polled from /proc every millisecond until it exits: wait4's ru_maxrss would
/// include the bench's own peak, which posix_spawn's vfork child carries across exec.
func runChild(_ executable: String, _ arguments: [String], quiet: Bool = false, stdout: URL? = nil) -> ChildRun {
    var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    if let stdout {
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    } else if quiet {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    var pid = pid_t()
    let start = now()
    guard posix_spawn(&pid, executable, &actions, nil, &argv, environ) == 0 else { return ChildRun(status: -1, seconds: 0, cpuSeconds: 0, peakMB: 0) }
    var status: Int32 = 0
    var usage = rusage()
    var peakKB = 0.0
    while wait4(pid, &status, WNOHANG, &usage) == 0 {
        if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") {
            peakKB = max(peakKB, kb)
        }
        usleep(1000)
    }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return ChildRun(status: (status >> 8) & 0xff, seconds: now() - start, cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
                    peakMB: peakKB / 1024)
}

func exportBench(work: URL) throws {
    print("== export (GeoJSON streamed, then .gpkg .xlsx .zip .csv; release `doorstep export` in a child process each)")
    let doorstep = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.deletingLastPathComponent().appendingPathComponent("doorstep").path
    guard FileManager.default.isExecutableFile(atPath: doorstep) else {
        print("skipped: \(doorstep) not built (make bench builds it)")
        print("")
        return
    }
    print(pad("export", 52) + " " + [("features", 10), ("seconds", 9), ("file", 10), ("peak RSS", 10)].map { pad($0.0, $0.1, right: true) }.joined(separator: " "))
    for count in [20_000, 100_000] {
        let dir = work.appendingPathComponent("export-\(count)")
        // Same density at both sizes: about 10 compounds per 100 m block, a station per 20 compounds.
        let grid = Int((Double(count) / 10).squareRoot().rounded())
        try SyntheticCity(stations: count / 20, compounds: count, waysGrid: grid, seed: 17).write(to: dir)
        let db = work.appendingPathComponent("export-\(count).sqlite")
        let store = try Store(path: db.path)
        for layer in [Layer.stations, .compounds] {
            _ = try Importer.run(ImportOptions(layer: layer, file: dir.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
        }
        let n = try store.count(.compounds)
        for (label, arguments) in [("compounds layer", ["export", "compounds"]),
                                   ("coverage, 10min straight, --style", ["export", "coverage", "--preset", "10min", "--style"])] {
            let out = work.appendingPathComponent("export-\(count)-\(arguments[1]).geojson")
            let (status, seconds, rss) = runMeasured(doorstep, arguments + ["--db", db.path, "--out", out.path])
            guard status == 0 else { print("\(label): doorstep exited with \(status)"); continue }
            print(pad("\(label), \(n / 1000)k compounds", 52) + String(format: " %10d %9.2f %7.0f MB %7.0f MB", n, seconds, fileMB(out), rss))
        }
        // The other formats, each beside ogr2ogr converting the GeoJSON coverage export to it (ratio = doorstep / ogr2ogr;
        // doorstep's time includes the analysis, ogr2ogr's only the conversion).
        let geojson = work.appendingPathComponent("export-\(count)-coverage.geojson")
        for (ext, driver) in [("gpkg", "GPKG"), ("xlsx", "XLSX"), ("zip", "ESRI Shapefile"), ("csv", "CSV")] {
            let out = work.appendingPathComponent("export-\(count)-coverage.\(ext)")
            let (status, seconds, rss) = runMeasured(doorstep, ["export", "coverage", "--preset", "10min", "--db", db.path, "--out", out.path])
            guard status == 0 else { print("coverage .\(ext): doorstep exited with \(status)"); continue }
            let other = work.appendingPathComponent("ogr-\(count).\(ext == "zip" ? "shp.zip" : ext)")
            try? FileManager.default.removeItem(at: other)
            var ogrArguments = ["-f", driver, other.path, geojson.path]
            if ext == "csv" { ogrArguments += ["-lco", "GEOMETRY=AS_XY", "-lco", "WRITE_BOM=YES"] }
            let (ogrStatus, ogrSeconds, _) = runMeasured("/usr/bin/ogr2ogr", ogrArguments)
            let ratio = ogrStatus == 0 ? String(format: "  ogr2ogr %.2f s, ratio %.2f", ogrSeconds, seconds / ogrSeconds) : "  ogr2ogr failed (\(ogrStatus))"
            print(pad("coverage .\(ext), \(n / 1000)k compounds", 52) + String(format: " %10d %9.2f %7.0f MB %7.0f MB", n, seconds, fileMB(out), rss) + ratio)
        }
    }
    print("targets: 100k compounds with coverage ≤ 3 s; the layer export's peak RSS does not grow with the file")
    print("")
}
