import CityGen
import DoorstepTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// `render` at city scale (issue 15.4): one area drawn for its own report, crowded stations gathered into clusters.
/// The SVG is read back as XML; its paths are taken back to the ground through the transform the file states on the
/// map's group (`data-crs`, `data-transform`), with PROJ, and compared with the database's own geometries.
final class RenderTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-render-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// A fresh store (`TestStores`) holding the layers found in `dir`, and its address.
    func storeAndAddress(from dir: URL) throws -> (store: any StoreWriter, address: String) {
        let (store, address) = try freshStore(self, name: "city-\(UUID())", in: work)
        for layer in [Layer.ways, .grids, .compounds, .entrances, .stations] {
            let file = dir.appendingPathComponent("\(layer.rawValue).geojson")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            _ = try Importer.run(ImportOptions(layer: layer, file: file), into: store)
        }
        return (store, address)
    }

    func store(from dir: URL) throws -> any StoreWriter { try storeAndAddress(from: dir).store }

    func sampleStore() throws -> any StoreWriter { try store(from: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")) }

    func render(_ store: any StoreWriter, _ out: String, preset: String? = "5min", radius: Double? = nil, walk: Bool = false, width: Double? = nil, bbox: String? = nil,
                grid: String? = nil, community: String? = nil, street: String? = nil) throws -> RenderUseCase.Result {
        let options = try RenderUseCase.Options(AnalysisOptions(radius: radius, preset: radius == nil ? preset : nil, walk: walk), out: out, width: width, bbox: bbox, grid: grid,
                                                community: community, street: street)
        return try RenderUseCase.run(options, on: DatabaseSource(store))
    }

    // MARK: Reading the SVG back

    /// The parts of the map read back: the frame on the page, the transform, each path by the id of its group, the
    /// circles with a count, and the order of the groups.
    final class MapReader: NSObject, XMLParserDelegate {
        var frame: (x: Double, y: Double, w: Double, h: Double)?
        var crs: String?, transform: [Double] = []
        var paths = [String: [String]]()
        var counts = [Int]()
        var groupOrder = [String]()
        var text = ""
        var useCount = [String: Int]()
        private var groups = [String]()

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes a: [String: String] = [:]) {
            if name == "g" {
                groups.append(a["id"] ?? groups.last ?? "")
                if let id = a["id"] { groupOrder.append(id) }
                if a["id"] == "map" {
                    crs = a["data-crs"]
                    transform = (a["data-transform"] ?? "").split(separator: " ").compactMap { Double($0) }
                }
            }
            if name == "rect", a["id"] == "map-frame", let x = a["x"].flatMap(Double.init), let y = a["y"].flatMap(Double.init),
               let w = a["width"].flatMap(Double.init), let h = a["height"].flatMap(Double.init) {
                frame = (x, y, w, h)
            }
            if name == "path", let d = a["d"] { paths[groups.last ?? "", default: []].append(d) }
            if name == "circle", let n = a["data-count"].flatMap(Int.init) { counts.append(n) }
            if name == "use" { useCount[groups.last ?? "", default: 0] += 1 }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "g" { groups.removeLast() }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func read(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> MapReader {
        let parser = try XCTUnwrap(XMLParser(contentsOf: URL(fileURLWithPath: svg)))
        let reader = MapReader()
        parser.delegate = reader
        XCTAssertTrue(parser.parse(), "not XML: \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        return reader
    }

    /// Path data as subpaths of absolute points: M, Z, h, v and bare coordinate pairs (all the map writes).
    static func subpaths(_ d: String) -> [[(Double, Double)]] {
        var result = [[(Double, Double)]](), current = [(Double, Double)]()
        var i = d.startIndex
        var command: Character = "M"
        func number() -> Double? {
            while i < d.endIndex, d[i] == " " || d[i] == "," { i = d.index(after: i) }
            let start = i
            while i < d.endIndex, d[i].isNumber || d[i] == "." || d[i] == "-" { i = d.index(after: i) }
            return Double(d[start..<i])
        }
        while i < d.endIndex {
            let c = d[i]
            if c == " " || c == "," { i = d.index(after: i); continue }
            if "MZhv".contains(c) {
                command = c
                i = d.index(after: i)
                if c == "Z" {
                    result.append(current)
                    current = []
                } else if c == "M" {
                    if !current.isEmpty { result.append(current) }
                    current = []
                }
                continue
            }
            switch command {
            case "h": if let v = number(), let last = current.last { current.append((last.0 + v, last.1)) }
            case "v": if let v = number(), let last = current.last { current.append((last.0, last.1 + v)) }
            default:
                guard let x = number(), let y = number() else { XCTFail("cannot read path data near \(d[i...].prefix(20))"); return result }
                current.append((x, y))
            }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    /// The page's position of a coordinate through the transform the file states (x = x0 + s·E, y = y0 − s·N).
    struct PageTransform {
        let projection: MetricProjection
        let s: Double, x0: Double, y0: Double

        /// The transform of `reader`'s map, whose CRS must be the zone of data around `near` (DESIGN.md's rule).
        init(_ reader: MapReader, near: Coordinate = Coordinate(lon: 118.78, lat: 32.04)) throws {
            let zone = MetricZone(center: near)
            XCTAssertEqual(reader.crs, zone.description)
            XCTAssertEqual(reader.transform.count, 3)
            projection = try MetricProjection(zone: zone)
            (s, x0, y0) = (reader.transform[0], reader.transform[1], reader.transform[2])
        }

        func page(_ c: Coordinate) -> (Double, Double) {
            let p = projection.project(c)
            return (x0 + s * p.x, y0 - s * p.y)
        }

        func ground(_ p: (Double, Double)) -> Coordinate { projection.unproject(x: (p.0 - x0) / s, y: (y0 - p.1) / s) }
    }

    // MARK: One area

    /// `--bbox`: only what meets the frame is drawn (every compound, street and grid subpath, taken back to the ground,
    /// meets the box the frame shows), and every compound wholly inside the asked box is drawn (its vertices are among
    /// the paths', within the 0.1 px rounding).
    func testBBoxRenderDrawsOnlyTheFeaturesInItsFrame() throws {
        let store = try sampleStore()
        let box = BoundingBox(west: 118.770, south: 32.046, east: 118.778, north: 32.052)
        let svg = path("bbox.svg")
        let result = try render(store, svg, bbox: "\(box.west),\(box.south),\(box.east),\(box.north)")
        let map = try read(svg)
        let page = try PageTransform(map)
        let frame = try XCTUnwrap(map.frame)

        // The frame's lon/lat box, from its corners and edge midpoints (the test's own, through the stated transform).
        var shown = BoundingBox(west: .infinity, south: .infinity, east: -.infinity, north: -.infinity)
        for fx in [0.0, 0.5, 1.0] {
            for fy in [0.0, 0.5, 1.0] {
                let c = page.ground((frame.x + fx * frame.w, frame.y + fy * frame.h))
                shown = BoundingBox(west: min(shown.west, c.lon), south: min(shown.south, c.lat), east: max(shown.east, c.lon), north: max(shown.north, c.lat))
            }
        }
        // The asked box is inside the frame, with a margin.
        for c in [Coordinate(lon: box.west, lat: box.south), Coordinate(lon: box.east, lat: box.north)] {
            let (x, y) = page.page(c)
            XCTAssertTrue(x > frame.x + 10 && x < frame.x + frame.w - 10 && y > frame.y + 10 && y < frame.y + frame.h - 10, "\(c) at \(x),\(y) is not inside the frame")
        }
        // Nothing drawn lies wholly outside what the frame shows (a line may leave it, but it must come into it).
        let tolerance = 1e-5
        var drawnPoints = [(Double, Double)]()
        for group in ["compounds", "streets", "grids"] {
            let subpaths = (map.paths[group] ?? []).flatMap(Self.subpaths)
            XCTAssertFalse(subpaths.isEmpty, "nothing drawn in \(group)")
            for sp in subpaths {
                let cs = sp.map(page.ground)
                let w = cs.map(\.lon).min()!, e = cs.map(\.lon).max()!, s = cs.map(\.lat).min()!, n = cs.map(\.lat).max()!
                XCTAssertTrue(w <= shown.east + tolerance && e >= shown.west - tolerance && s <= shown.north + tolerance && n >= shown.south - tolerance,
                              "a \(group) path lies wholly outside the frame: \(w),\(s) – \(e),\(n)")
            }
            if group == "compounds" { drawnPoints = subpaths.flatMap { $0 } }
        }
        // Every compound wholly inside the asked box is drawn; some compounds of the city are not.
        var inside = 0, total = 0
        try store.forEachGeometry(of: .compounds) { _, geometry in
            total += 1
            var cs = [Coordinate]()
            geometry.forEachCoordinate { cs.append($0) }
            guard cs.allSatisfy({ $0.lon >= box.west && $0.lon <= box.east && $0.lat >= box.south && $0.lat <= box.north }) else { return }
            inside += 1
            guard !geometry.isPoint else { return }
            let (x, y) = page.page(cs[0])
            XCTAssertTrue(drawnPoints.contains { abs($0.0 - x) <= 0.06 && abs($0.1 - y) <= 0.06 }, "a compound inside the box is not drawn at \(x),\(y)")
        }
        XCTAssertGreaterThan(inside, 0, "the box holds compounds")
        XCTAssertLessThan(result.summary.compounds, total, "compounds outside the frame are left out")
        XCTAssertGreaterThanOrEqual(result.summary.compounds, inside)
    }

    /// `--grid`: the frame covers the grid's polygon from the database, fills the frame's width or height but for the
    /// margin, and the legend counts the grid's compounds.
    func testGridRenderFramesTheGridAndCountsItsCompounds() throws {
        let store = try sampleStore()
        let sites = try store.compoundSites()
        // The grid with the most compounds.
        let counts = Dictionary(grouping: sites.compactMap(\.gridID), by: { $0 }).mapValues(\.count)
        let (grid, compounds) = try XCTUnwrap(counts.max { ($0.value, $1.key) < ($1.value, $0.key) })
        let svg = path("grid.svg")
        _ = try render(store, svg, preset: "10min", grid: grid)
        let map = try read(svg)
        let page = try PageTransform(map)
        let frame = try XCTUnwrap(map.frame)
        let polygon = try XCTUnwrap(store.geometry(of: .grids, id: grid))
        var xs = [Double](), ys = [Double]()
        polygon.forEachCoordinate { c in
            let (x, y) = page.page(c)
            xs.append(x)
            ys.append(y)
        }
        XCTAssertGreaterThanOrEqual(xs.min()!, frame.x)
        XCTAssertLessThanOrEqual(xs.max()!, frame.x + frame.w)
        XCTAssertGreaterThanOrEqual(ys.min()!, frame.y)
        XCTAssertLessThanOrEqual(ys.max()!, frame.y + frame.h)
        let fills = max((xs.max()! - xs.min()!) / frame.w, (ys.max()! - ys.min()!) / frame.h)
        XCTAssertGreaterThan(fills, 0.75, "the grid fills its map but for the margin")
        XCTAssertTrue(map.text.contains("网格 grid \(grid)"), "the header names the grid")
        XCTAssertTrue(map.text.contains("覆盖小区 compounds: "), map.text)
        let legend = try XCTUnwrap(map.text.range(of: #"覆盖小区 compounds: \d+ / \d+"#, options: .regularExpression).map { String(map.text[$0]) })
        XCTAssertTrue(legend.hasSuffix(" / \(compounds)"), "\(legend): the grid has \(compounds) compounds")
        XCTAssertLessThan(compounds, sites.count)
    }

    /// `--community` and `--street` frame all the grids of theirs; unknown areas, a box that is not one, and two
    /// areas at once are refused naming the option (and listing a few known values).
    func testCommunityStreetAndRefusals() throws {
        let store = try sampleStore()
        let locator = try store.gridLocator()
        var communities = Set<String>(), streets = Set<String>()
        try store.forEachGeometry(of: .grids) { id, _ in
            if let c = locator.grid(id: id)?.community { communities.insert(c) }
            if let s = locator.grid(id: id)?.street { streets.insert(s) }
        }
        let community = try XCTUnwrap(communities.sorted().first), street = try XCTUnwrap(streets.sorted().first)
        let a = try render(store, path("c.svg"), community: community)
        XCTAssertTrue(try read(path("c.svg")).text.contains("社区 community \(community)"))
        let b = try render(store, path("s.svg"), street: street)
        XCTAssertTrue(try read(path("s.svg")).text.contains("街道 street \(street)"))
        XCTAssertGreaterThan(a.summary.compounds + b.summary.compounds, 0)

        func refusal(_ parameter: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
            do {
                try body()
                XCTFail("accepted", file: file, line: line)
            } catch let error as UseCaseError {
                XCTAssertEqual(error.parameters.first, parameter, "\(error)", file: file, line: line)
                return error.cliMessage
            } catch {
                XCTFail("\(error)", file: file, line: line)
            }
            return ""
        }
        let unknown = refusal("grid") { _ = try render(store, path("x.svg"), grid: "G999<&>") }
        XCTAssertTrue(unknown.hasPrefix("--grid: no grid \"G999<&>\""), unknown)
        XCTAssertTrue(unknown.contains("G001, G002"), "a few known ids are listed: \(unknown)")
        XCTAssertTrue(refusal("community") { _ = try render(store, path("x.svg"), community: "") }.contains(community) || communities.count > 5)
        _ = refusal("street") { _ = try render(store, path("x.svg"), street: "华侨路") }
        for bad in ["1,2,3", "1,2,3,4,5", "nan,32,118.8,32.1", "118.8,32,118.7,32.1", "118.7,32.1,118.8,32.0", "-181,0,0,1", "0,-91,1,0",
                    "118.7,,118.8,32.1", "0x1p3,32,118.8,32.1", ""] {
            _ = refusal("bbox") { _ = try render(store, path("x.svg"), bbox: bad) }
        }
        XCTAssertEqual(refusal("bbox") { _ = try render(store, path("x.svg"), bbox: "118.7,32,118.8,32.1", grid: "G001") },
                       "--bbox,--grid: give one of --bbox, --grid, --community, --street")
        _ = refusal("width") { _ = try render(store, path("x.svg"), width: 399.9) }
        _ = refusal("width") { _ = try render(store, path("x.svg"), width: .nan) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.svg")), "nothing is written when refused")
    }

    /// The command: refusals name the flag, an unknown grid lists known ones and exits 1, and one area is drawn.
    func testTheCommandNamesTheFlag() throws {
        let db = try storeAndAddress(from: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")).address
        func doorstep(_ arguments: [String]) throws -> (status: Int32, err: String) {
            let r = try runProcess(try TestProducts.doorstep(), ["render", "--db", db] + arguments)
            return (r.status, r.err)
        }
        let unknown = try doorstep(["--grid", "NOPE", "--out", path("x.svg")])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.err.contains("--grid: no grid \"NOPE\" in the grids layer; known: G001, G002, G003, G004, G005 … (28)"), unknown.err)
        let box = try doorstep(["--bbox", "118.8,32.0,118.7,32.1", "--out", path("x.svg")])
        XCTAssertNotEqual(box.status, 0)
        XCTAssertTrue(box.err.contains("--bbox: "), box.err)
        let png = try doorstep(["--grid", "G002", "--png", "--out", "-"])
        XCTAssertNotEqual(png.status, 0)
        XCTAssertTrue(png.err.contains("--png: needs an SVG file to convert (--out - writes the SVG to standard output)"), png.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.svg")))
        let one = try doorstep(["--grid", "G002", "--out", path("g.svg")])
        XCTAssertEqual(one.status, 0, one.err)
        XCTAssertTrue(try read(path("g.svg")).text.contains("网格 grid G002"))
    }

    // MARK: Crowded stations

    /// 1,500 stations on 16 km² drawn 400 px wide, reaching 10 m: clusters, whose counts add up to the stations, each
    /// holding the stations of its 64 px cell (recomputed here from the stated transform), with the gaps drawn above
    /// them and the legend saying what was gathered. The sample city keeps one symbol per station.
    func testCrowdedStationsAreClusteredWithTheGapsOnTop() throws {
        let dir = work.appendingPathComponent("crowded")
        try SyntheticCity(stations: 1_500, compounds: 400, waysGrid: 40, seed: 9).write(to: dir)
        let store = try store(from: dir)
        let svg = path("crowded.svg")
        let result = try render(store, svg, radius: 10, width: 400)
        let map = try read(svg)
        let stations = try store.stations()
        XCTAssertEqual(map.counts.reduce(0, +), stations.count, "the clusters' counts add up to the stations")
        XCTAssertEqual(map.counts.count, result.summary.stationClusters)
        XCTAssertLessThan(map.counts.count, stations.count / 4)
        // Independently: the stations per 64 px cell of the page, through the stated transform.
        let page = try PageTransform(map)
        var cells = [String: Int]()
        for s in stations {
            let (x, y) = page.page(s.location)
            cells["\(Int((x / 64).rounded(.down))) \(Int((y / 64).rounded(.down)))", default: 0] += 1
        }
        XCTAssertEqual(map.counts.sorted(), cells.values.sorted())
        XCTAssertTrue(map.text.contains("\(grouped(stations.count)) stations in \(map.counts.count) clusters"), map.text)
        // The gaps are drawn after (above) the stations.
        let order = map.groupOrder
        let gaps = try XCTUnwrap(order.firstIndex(of: "gaps")), marks = try XCTUnwrap(order.firstIndex(of: "stations"))
        XCTAssertGreaterThan(gaps, marks)
        XCTAssertFalse((map.paths["gaps"] ?? []).isEmpty, "10 m leaves gaps")

        // Walking: 1,500 stations' areas are left out, said in a note and in the legend; one grid draws its stations'.
        let walking = try render(store, path("walk.svg"), radius: 10, walk: true, width: 400)
        XCTAssertEqual(walking.summary.serviceAreas, 0)
        XCTAssertTrue(walking.notes.contains { $0.hasPrefix("walking areas of \(stations.count) stations are not drawn") }, "\(walking.notes)")
        XCTAssertTrue(try read(path("walk.svg")).text.contains("walking areas of \(grouped(stations.count)) stations"))
        let grid = try XCTUnwrap(try store.compoundSites().compactMap(\.gridID).min())
        let one = try render(store, path("walk-grid.svg"), radius: 10, walk: true, grid: grid)
        XCTAssertTrue(one.notes.isEmpty, "\(one.notes)")
        XCTAssertGreaterThan(one.summary.serviceAreas, 0)
        XCTAssertLessThanOrEqual(one.summary.serviceAreas, RenderUseCase.Options.walkingAreaStations)
        XCTAssertNotNil(try read(path("walk-grid.svg")).paths["service-areas"])

        let sample = try sampleStore()
        let small = try render(sample, path("sample.svg"))
        XCTAssertNil(small.summary.stationClusters)
        XCTAssertEqual(try read(path("sample.svg")).useCount["stations"], try sample.stations().count, "one symbol per station")
    }

    private func grouped(_ n: Int) -> String { n >= 1000 ? "\(n / 1000),\(String(format: "%03d", n % 1000))" : "\(n)" }

    // MARK: Path data

    /// One path per style: a line going on from where the last ended adds no `M`; vertices rounding to the same
    /// 0.1 px are written once; an exterior ring and its hole are written in opposite directions (shoelace here).
    func testPathDataJoinsLinesAndOrientsRings() {
        var data = PathData()
        let px: (Coordinate) -> (Double, Double) = { ($0.lon, $0.lat) }
        data.add(.lineString([Coordinate(lon: 0, lat: 0), Coordinate(lon: 10, lat: 0)]), px)
        data.add(.lineString([Coordinate(lon: 10.01, lat: 0.04), Coordinate(lon: 10, lat: 5), Coordinate(lon: 10.04, lat: 5)]), px)
        XCTAssertEqual(data.bytes.text, "M0,0 10,0 10,5")
        var rings = PathData()
        let square: [Coordinate] = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)].map { Coordinate(lon: $0.0, lat: $0.1) }
        let hole: [Coordinate] = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)].map { Coordinate(lon: $0.0, lat: $0.1) }
        rings.add(.polygon([square, hole]), px, oriented: true)
        let parts = Self.subpaths(rings.bytes.text)
        XCTAssertEqual(parts.count, 2)
        func signedArea(_ p: [(Double, Double)]) -> Double {
            zip(p, p.dropFirst() + [p[0]]).reduce(0) { $0 + $1.0.0 * $1.1.1 - $1.1.0 * $1.0.1 } / 2
        }
        XCTAssertEqual(abs(signedArea(parts[0])), 100)
        XCTAssertEqual(abs(signedArea(parts[1])), 4)
        XCTAssertLessThan(signedArea(parts[0]) * signedArea(parts[1]), 0, "exterior and hole wind opposite ways")
    }
}
