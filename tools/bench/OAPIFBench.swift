import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

// GDAL pulling a whole layer through the features API (issue 13, part 7): GDAL 3.6's OAPIF driver asks for
// `limit=10` (its PAGE_SIZE open option's default) and follows the `next` links, whatever the server's documents say
// (it reads neither `/api` nor a limit in the collection's `items` link, which it replaces). The server keeps the
// paging contract (a page never exceeds the limit asked, `next` keeps it), so the client's page size decides.
// About 100k ways of a synthetic lattice, served by the release `doorstep serve`, pulled into a GeoPackage by
// `ogr2ogr` with the default page size and with `-oo PAGE_SIZE=10000`, beside `doorstep export` of the same layer.

func oapifBench(work: URL) throws {
    print("== GDAL pulling a layer through the features API: ogr2ogr -f GPKG out.gpkg OAPIF:http://127.0.0.1:PORT ways")
    let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).absoluteURL.deletingLastPathComponent()
    let doorstep = binDir.appendingPathComponent("doorstep").path
    let ogr2ogr = "/usr/bin/ogr2ogr"
    guard FileManager.default.isExecutableFile(atPath: doorstep), FileManager.default.isExecutableFile(atPath: ogr2ogr) else {
        print("skipped: needs \(doorstep) (make bench builds it) and ogr2ogr (gdal-bin)")
        print("")
        return
    }
    // A 222 × 222-block lattice: 2·222·223 edges plus the diagonal footways, about 100k ways.
    let dir = work.appendingPathComponent("oapif")
    try SyntheticCity(stations: 10, compounds: 0, waysGrid: 222, seed: 37).write(to: dir)
    let db = work.appendingPathComponent("oapif.sqlite")
    do {
        let store = try Store(path: db.path)
        for layer in [Layer.ways, .stations] {
            _ = try Importer.run(ImportOptions(layer: layer, file: dir.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
        }
    }
    let n = try Store(path: db.path, readOnly: true).count(.ways)
    print(pad("pull of \(n) ways", 52) + " " + [("requests", 9), ("seconds", 9), ("features/s", 11)].map { pad($0.0, $0.1, right: true) }.joined(separator: " "))
    try withServer(doorstep, database: db, port: 18_477) { server in
        // Pages of 10 at the start and at the end of the layer (50 different ones each, so that none comes from the
        // server's page cache): the server pages by SQLite's OFFSET, which steps over every row before the page.
        func median(from offset: Int) throws -> Double {
            var times = [Double]()
            for i in 0..<50 {
                let start = now()
                _ = try Data(contentsOf: URL(string: server.base + "/collections/ways/items?limit=10&offset=\(offset + 10 * i)")!)
                times.append(now() - start)
            }
            return percentile(times.sorted(), 0.5) * 1000
        }
        let first = try median(from: 0)
        let last = try median(from: n - 500)
        let url = "OAPIF:" + server.base
        for (label, options, pageSize) in [("ogr2ogr, GDAL's default PAGE_SIZE (10)", [String](), 10),
                                           ("ogr2ogr -oo PAGE_SIZE=10000", ["-oo", "PAGE_SIZE=10000"], 10_000)] {
            let out = work.appendingPathComponent("oapif-\(pageSize).gpkg")
            try? FileManager.default.removeItem(at: out)
            let (status, seconds, _) = runMeasured(ogr2ogr, ["-f", "GPKG", out.path, url, "ways"] + options, quiet: true)
            guard status == 0 else { print(pad(label, 52) + " ogr2ogr exited with \(status)"); continue }
            let got = try Database(path: out.path, readOnly: true).scalarInt("SELECT count(*) FROM ways") ?? -1
            // GDAL asks for /collections, the first page twice (its schema, then its reading), then every page by `next`.
            let requests = 2 + (n + pageSize - 1) / pageSize
            print(pad(label, 52) + String(format: " %9d %9.2f %11.0f", requests, seconds, Double(n) / seconds)
                  + (got == n ? "" : "  (\(got) of \(n) arrived)"))
        }
        print(String(format: "  a page of 10, median of 50 different pages (client included): %.2f ms at offsets 0–490, %.2f ms at offsets %d–%d",
                     first, last, n - 500, n - 10))
    }
    let out = work.appendingPathComponent("oapif-export.gpkg")
    let (status, seconds, _) = runMeasured(doorstep, ["export", "ways", "--db", db.path, "--out", out.path], quiet: true)
    if status == 0 {
        print(pad("doorstep export ways --out ways.gpkg (no server)", 52) + String(format: " %9s %9.2f %11.0f", "", seconds, Double(n) / seconds))
    }
    print("")
}
