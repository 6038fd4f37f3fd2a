import CityGen
import DoorstepGeo
import DoorstepSpatiaLite
import Foundation

// Render (issue 15.4): `doorstep render --walk --png` of the network bench's 10⁵-edge city (5,000 stations, 50,000
// compounds, a 224×224-block lattice), in a child process: the whole command, the SVG's size, and rsvg-convert's
// share of the time (the PNG converted again on its own).
func renderBench(work: URL) throws {
    print("== render (release `doorstep render` in a child process; the network bench's 10⁵-edge city)")
    guard let doorstep = try releaseDoorstep() else {
        print("skipped: the release doorstep could not be built")
        print("")
        return
    }
    let dir = work.appendingPathComponent("render")
    let city = SyntheticCity(stations: 5_000, compounds: 50_000, waysGrid: 224, seed: 17)
    try city.write(to: dir)
    let db = dir.appendingPathComponent("city.sqlite")
    let store = try Store(path: db.path)
    for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
        _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: dir.appendingPathComponent("\(layer).geojson")), into: store)
    }
    // The walking network is built and stored once, as `import ways` does, so the rows time the map.
    _ = try DatabaseSource(store, persistNetwork: true).walkingNetwork()
    print(pad("render --preset 10min", 52) + " " + [("seconds", 9), ("SVG", 10), ("PNG", 10), ("peak RSS", 10)].map { pad($0.0, $0.1, right: true) }.joined(separator: " "))
    let edges = city.latticeEdgeCount
    for (label, extra) in [("--walk --png, whole city", [String]()), ("--walk --png --grid G0500", ["--grid", "G0500"])] {
        let svg = dir.appendingPathComponent("map.svg"), png = dir.appendingPathComponent("map.png")
        try? FileManager.default.removeItem(at: png)
        let (status, seconds, rss) = runMeasured(doorstep, ["render", "--preset", "10min", "--walk", "--png", "--db", db.path, "--out", svg.path] + extra)
        guard status == 0 else { print("\(label): doorstep exited with \(status)"); continue }
        let (_, rsvgSeconds, _) = runMeasured("/usr/bin/rsvg-convert", ["--background-color", "white", "-o", png.path, svg.path])
        // The whole city's row beside its previous figures (issue 15 as filed: 132 s and 71 MB).
        let figures = extra.isEmpty
            ? "  time " + Figures.shared.beside(seconds, "s", previous: "render_city_S_s") + ", SVG " + Figures.shared.beside(fileMB(svg), "MB", previous: "render_city_S_svg_MB")
            : ""
        print(pad("\(label), \(edges / 1000)k edges", 52)
              + String(format: " %9.2f %7.1f MB %7.1f MB %7.0f MB  (rsvg-convert alone %.2f s)", seconds, fileMB(svg), fileMB(png), rss, rsvgSeconds) + figures)
    }
    print("targets: whole city ≤ 15 s and an SVG ≤ 10 MB (was 132 s and 71 MB: 5,000 walking areas, a path per feature)")
    print("")
}
