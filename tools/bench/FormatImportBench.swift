import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

// Import throughput per format (issue 13, part 9): the same stations, written once by ogr2ogr in each format, imported
// by the release `doorstep import` and by `ogr2ogr -f SQLite -dsco SPATIALITE=YES` (GDAL's own route into a
// SpatiaLite file, spatial index included), each into a new database, in a child process each, best of three runs.
// Both times are whole processes: start-up, creating the SpatiaLite file and its metadata, reading, writing, index.

/// Stations of the format bench: points are the one geometry every format here holds (a sheet has no polygons, a
/// Shapefile no mix of points and polygons).
private let formatBenchStations = 20_000

func formatImportBench(work: URL) throws {
    print("== import by format: \(formatBenchStations / 1000)k stations (points), release `doorstep import` vs `ogr2ogr -f SQLite -dsco SPATIALITE=YES`,")
    print("   each into a new file, child process each, best of 3; ratio = doorstep features/s ÷ ogr2ogr features/s (> 1: doorstep faster)")
    let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.deletingLastPathComponent()
    let doorstep = binDir.appendingPathComponent("doorstep").path
    let ogr2ogr = "/usr/bin/ogr2ogr"
    guard FileManager.default.isExecutableFile(atPath: doorstep) else {
        print("skipped: \(doorstep) not built (make bench builds it)")
        print("")
        return
    }
    guard FileManager.default.isExecutableFile(atPath: ogr2ogr) else {
        print("skipped: ogr2ogr (gdal-bin) is not installed; `make deps` installs it")
        print("")
        return
    }
    let dir = work.appendingPathComponent("formats")
    // The synthetic city's stations as CSV (lon, lat; services joined by ";", text in every format), then every input
    // file made from it by ogr2ogr.
    try SyntheticCity(stations: formatBenchStations, compounds: 0, waysGrid: 140, seed: 29)
        .write(to: dir, options: OutputOptions(pointFormat: .csv))
    let base = dir.appendingPathComponent("stations.csv").path
    let points = ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "KEEP_GEOM_COLUMNS=NO",
                  "-oo", "AUTODETECT_TYPE=YES", "-a_srs", "EPSG:4326", "-nln", "stations"]
    func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
    // (label, file, ogr2ogr arguments that make it from the base CSV, ogr2ogr arguments that read it into SpatiaLite)
    let formats: [(String, String, [String], [String])] = [
        ("GeoJSON", "in.geojson", ["-f", "GeoJSON"] + points, []),
        ("CSV (lon, lat columns)", "in.csv", ["-f", "CSV", "-nln", "stations"],
         ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "KEEP_GEOM_COLUMNS=NO", "-a_srs", "EPSG:4326"]),
        ("Shapefile (UTF-8 .cpg)", "in.shp", ["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"] + points, []),
        ("Shapefile, zipped (.shp.zip)", "in.shp.zip", ["-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"] + points, []),
        ("GeoPackage", "in.gpkg", ["-f", "GPKG"] + points, []),
        ("FlatGeobuf", "in.fgb", ["-f", "FlatGeobuf"] + points, []),
        // ogr2ogr has no lon/lat option for sheets: SQLite SQL makes the points.
        ("XLSX (lon, lat columns)", "in.xlsx", ["-f", "XLSX", "-oo", "AUTODETECT_TYPE=YES", "-nln", "stations"],
         ["-dialect", "SQLite", "-sql", "SELECT *, MakePoint(lon, lat, 4326) AS geometry FROM stations"]),
        ("KML (Name = name)", "in.kml", ["-f", "KML", "-dsco", "NameField=name"] + points, []),
    ]
    print(pad("format", 30) + " " + [("MB", 6), ("doorstep s", 11), ("features/s", 11), ("ogr2ogr s", 10), ("features/s", 11), ("ratio", 6)]
        .map { pad($0.0, $0.1, right: true) }.joined(separator: " "))
    // What every run pays before its first feature: start-up and a new SpatiaLite file with its metadata (one station).
    let one = file("one.csv")
    // (Lines end in CRLF, one Character in Swift: split on newlines, not on "\n".)
    try (try String(contentsOfFile: base, encoding: .utf8)).split(maxSplits: 2, whereSeparator: \.isNewline).prefix(2)
        .joined(separator: "\r\n").appending("\r\n").write(toFile: one, atomically: true, encoding: .utf8)
    var fixed = (doorstep: Double.infinity, ogr: Double.infinity)
    for run in 0..<3 {
        let ours = runMeasured(doorstep, ["import", "stations", one, "--db", file("one-\(run).sqlite")], quiet: true)
        let theirs = runMeasured(ogr2ogr, ["-f", "SQLite", "-dsco", "SPATIALITE=YES", file("one-ogr-\(run).sqlite"), one,
                                           "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-a_srs", "EPSG:4326"], quiet: true)
        guard ours.0 == 0, theirs.0 == 0 else { print("one station: doorstep exited with \(ours.0), ogr2ogr with \(theirs.0)"); break }
        fixed = (min(fixed.doorstep, ours.1), min(fixed.ogr, theirs.1))
    }
    print(pad("one station (start-up, new file)", 30) + String(format: " %6s %11.2f %11s %10.2f", "", fixed.doorstep, "", fixed.ogr))
    for (label, name, make, read) in formats {
        let input = file(name)
        let (made, _, _) = runMeasured(ogr2ogr, make + [input, base], quiet: true)
        guard made == 0 else { print(pad(label, 30) + " ogr2ogr could not write it (\(made))"); continue }
        // Best of three, alternating the tools so that both see the same state of a shared machine.
        var best = (doorstep: Double.infinity, ogr: Double.infinity)
        var counts = (doorstep: -1, ogr: -1)
        var failure: String?
        for run in 0..<3 {
            let ours = file("doorstep-\(name)-\(run).sqlite"), theirs = file("ogr-\(name)-\(run).sqlite")
            let (status, seconds, _) = runMeasured(doorstep, ["import", "stations", input, "--db", ours], quiet: true)
            guard status == 0 else { failure = "doorstep import exited with \(status)"; break }
            best.doorstep = min(best.doorstep, seconds)
            counts.doorstep = try Store(path: ours, readOnly: true).count(.stations)
            let (ogrStatus, ogrSeconds, _) = runMeasured(ogr2ogr, ["-f", "SQLite", "-dsco", "SPATIALITE=YES", "-nln", "stations", theirs, input] + read, quiet: true)
            guard ogrStatus == 0 else { failure = "ogr2ogr into SpatiaLite exited with \(ogrStatus)"; break }
            best.ogr = min(best.ogr, ogrSeconds)
            let db = try Database(path: theirs, readOnly: true)
            let column = try db.scalarText("SELECT f_geometry_column FROM geometry_columns WHERE f_table_name = 'stations'") ?? "geometry"
            counts.ogr = Int(try db.scalarInt("SELECT count(*) FROM stations WHERE \"\(column)\" IS NOT NULL") ?? -1)
        }
        if let failure { print(pad(label, 30) + " " + failure); continue }
        let n = Double(formatBenchStations)
        var line = pad(label, 30) + String(format: " %6.1f %11.2f %11.0f %10.2f %11.0f %6.2f", inputMB(input),
                                           best.doorstep, n / best.doorstep, best.ogr, n / best.ogr, best.ogr / best.doorstep)
        if counts.doorstep != formatBenchStations || counts.ogr != formatBenchStations {
            line += "  (stored: doorstep \(counts.doorstep), ogr2ogr \(counts.ogr) of \(formatBenchStations))"
        }
        print(line)
    }
    print("GeoJSON and CSV are read by Doorstep's own readers, the rest through GDAL's C API; doorstep also checks every")
    print("feature against the data contract (ids, kinds, services, opening hours) and writes the import log")

    // The readers alone, in this process: Doorstep's own GeoJSON and CSV readers against GDAL's drivers for the same
    // files through GDALSource, the same FeatureDecoder (the contract's checks) behind both, nothing stored.
    print("readers alone (in process, best of 3, same decoder, nothing stored): Doorstep's own vs GDAL's driver")
    for (label, name, driver) in [("GeoJSON", "in.geojson", "GeoJSON"), ("CSV", "in.csv", "CSV")] {
        let url = URL(fileURLWithPath: file(name))
        let options = ImportOptions(layer: .stations, file: url)
        var best = (own: Double.infinity, gdal: Double.infinity)
        var counts = (own: 0, gdal: 0)
        for _ in 0..<3 {
            var start = now()
            counts.own = try Importer.read(options).count
            best.own = min(best.own, now() - start)
            start = now()
            var records = [FeatureRecord]()
            let state = ReadingState(crs: .wgs84)
            try GDALSource(options: options, fileName: name, stem: "in", driver: driver, path: url.path, drivers: [driver])
                .read(state: state) { records.append($0); return true }
            if !state.problems.isEmpty { print("  GDAL's \(driver) reader: \(state.problems.error(file: name))") }
            counts.gdal = records.count
            best.gdal = min(best.gdal, now() - start)
        }
        let n = Double(formatBenchStations)
        var line = "  " + pad(label, 28) + String(format: " own %6.3f s %8.0f/s   GDAL %6.3f s %8.0f/s   own ÷ GDAL %5.2f",
                                                     best.own, n / best.own, best.gdal, n / best.gdal, best.gdal / best.own)
        if counts.own != formatBenchStations || counts.gdal != formatBenchStations { line += "  (read: own \(counts.own), GDAL \(counts.gdal))" }
        print(line)
    }
    print("")
}

/// Size of an input file in MB; for a Shapefile, of its .shp, .shx, .dbf, .prj and .cpg together.
private func inputMB(_ path: String) -> Double {
    guard path.hasSuffix(".shp") else { return fileMB(URL(fileURLWithPath: path)) }
    let stem = String(path.dropLast(4))
    return ["shp", "shx", "dbf", "prj", "cpg"].map { fileMB(URL(fileURLWithPath: "\(stem).\($0)")) }.reduce(0, +)
}
