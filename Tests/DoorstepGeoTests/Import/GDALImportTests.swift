import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// `doorstep import` of planners' own formats through GDAL: the inputs are made here, with `ogr2ogr` (gdal-bin),
/// from the sample city's GeoJSON, and every import is compared with the GeoJSON import of the same layer (read by
/// Doorstep's own reader): same features, same fields, positions within 1 mm.
final class GDALImportTests: XCTestCase {
    private var directory: URL!
    private static let sample = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ogr2ogr") else {
            throw XCTSkip("ogr2ogr (gdal-bin) is not installed; `make deps` installs it")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-gdal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try super.tearDownWithError()
    }

    // MARK: - Helpers

    private struct ToolFailed: Error, CustomStringConvertible { let description: String }

    private func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String], in dir: URL? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.currentDirectoryURL = dir ?? directory
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) failed: \(text)") }
        return text
    }

    private func ogr2ogr(_ arguments: [String]) throws { try run("/usr/bin/ogr2ogr", arguments) }

    /// The address of each store `newStore` made, by the store's identity (for the SQL of the checks).
    private var addresses: [ObjectIdentifier: String] = [:]

    private func newStore(_ name: String) throws -> any StoreWriter {
        let (store, address) = try freshStore(self, name: name, in: directory)
        addresses[ObjectIdentifier(store)] = address
        return store
    }

    /// The layer as Doorstep's own GeoJSON reader stores it: id → (geometry, attribute row).
    private func reference(_ layer: Layer) throws -> any StoreWriter {
        let store = try newStore("reference-\(layer.rawValue)")
        _ = try Importer.run(ImportOptions(layer: layer, file: Self.sample.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
        return store
    }

    private func geometries(_ store: any StoreReader, _ layer: Layer) throws -> [(String, Geometry)] {
        var out = [(String, Geometry)]()
        try store.forEachGeometry(of: layer) { out.append(($0, $1)) }
        return out
    }

    private func coordinates(_ g: Geometry) -> [Coordinate] {
        var out = [Coordinate]()
        g.forEachCoordinate { out.append($0) }
        return out
    }

    /// Metres between two WGS84 positions (an independent local approximation, good far below 1 m at these distances).
    private func metres(_ a: Coordinate, _ b: Coordinate) -> Double {
        let r = 6_371_008.8, lat = (a.lat + b.lat) / 2 * .pi / 180
        let dx = (a.lon - b.lon) * .pi / 180 * r * cos(lat), dy = (a.lat - b.lat) * .pi / 180 * r
        return (dx * dx + dy * dy).squareRoot()
    }

    /// Same ids (or same order when `byOrder`), same geometry types, every vertex within 1 mm.
    private func assertSameGeometries(_ got: [(String, Geometry)], _ want: [(String, Geometry)], byID: Bool = true,
                                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, "feature count", file: file, line: line)
        let pairs: [(Geometry, Geometry, String)]
        if byID {
            let wanted = Dictionary(uniqueKeysWithValues: want.map { ($0.0, $0.1) })
            XCTAssertEqual(Set(got.map(\.0)), Set(wanted.keys), "ids", file: file, line: line)
            pairs = got.compactMap { g in wanted[g.0].map { (g.1, $0, g.0) } }
        } else {
            pairs = zip(got, want).map { ($0.1, $1.1, $1.0) }
        }
        var worst = 0.0
        for (g, w, id) in pairs {
            let a = coordinates(g), b = coordinates(w)
            XCTAssertEqual(a.count, b.count, "\(id): vertex count", file: file, line: line)
            for (p, q) in zip(a, b) { worst = max(worst, metres(p, q)) }
        }
        XCTAssertFalse(pairs.isEmpty, file: file, line: line)
        XCTAssertLessThan(worst, 0.001, "largest vertex difference \(worst) m", file: file, line: line)
    }

    /// The rows of `sql` (SpatiaLite's SQL; on PostGIS through `PostGISQuery`), each as its values joined by `|`.
    private func texts(_ store: any StoreReader, _ sql: String) throws -> [String] {
        guard let store = store as? Store else {
            let address = try XCTUnwrap(addresses[ObjectIdentifier(store)], "a store not made by newStore")
            return try PostGISQuery.rows(address, sql).map { row in
                row.map { value -> String in
                    switch value {
                    case .null: "NULL"
                    case .int(let v): "\(v)"
                    case .double(let v): "\(v)"
                    case .text(let s): s
                    case .blob(let b): String(decoding: b, as: UTF8.self)
                    }
                }.joined(separator: "|")
            }
        }
        var out = [String]()
        try store.database.prepare(sql).forEach { row in
            out.append((0..<row.columnCount).map { row.value($0) == .null ? "NULL" : row.text($0) }.joined(separator: "|"))
        }
        return out
    }

    private func count(_ store: any StoreReader, _ table: String) throws -> Int {
        try texts(store, "SELECT count(*) FROM \(table)").first.flatMap { Int($0) } ?? -1
    }

    /// Imports and expects failure; checks that the message has every piece and that nothing was stored.
    private func assertFails(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, sourceLayer: String? = nil,
                             _ pieces: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try newStore("failing-\(UUID().uuidString)")
        do {
            _ = try Importer.run(ImportOptions(layer: layer, file: url, crs: crs, sourceLayer: sourceLayer), into: store)
            XCTFail("the import of \(url.lastPathComponent) succeeded", file: file, line: line)
        } catch let error as ImportError {
            let text = error.description
            for piece in pieces { XCTAssertTrue(text.contains(piece), "“\(piece)” not in: \(text)", file: file, line: line) }
            XCTAssertTrue(text.contains(url.lastPathComponent), "the file is not named: \(text)", file: file, line: line)
        }
        XCTAssertEqual(try count(store, layer.rawValue), 0, "something was stored", file: file, line: line)
        XCTAssertEqual(try count(store, "import_log"), 0, file: file, line: line)
    }

    private let stationColumns = "SELECT id, name, kind, address, phone, hours FROM stations ORDER BY id"

    /// The stations as a GBK Shapefile with Chinese field names in the Gauss-Kruger zone of Nanjing (EPSG:4549).
    private func gbkShapefile(_ name: String = "站点") throws -> URL {
        try ogr2ogr(["-f", "ESRI Shapefile", file("\(name).shp").path, Self.sample.appendingPathComponent("stations.geojson").path,
                     "-t_srs", "EPSG:4549", "-lco", "ENCODING=GBK", "-nln", name,
                     "-sql", #"SELECT id AS "编号", name AS "名称", kind AS "类型", address AS "地址", phone AS "电话", hours AS "开放时间" FROM stations"#])
        return file("\(name).shp")
    }

    // MARK: - Formats

    func testGBKShapefileWithChineseFieldsInGaussKrugerEqualsGeoJSON() throws {
        let reference = try reference(.stations)
        let shp = try gbkShapefile()
        // The test's own premise: the DBF really holds GBK bytes, not UTF-8.
        let dbf = try Data(contentsOf: file("站点.dbf"))
        XCTAssertNil(String(data: dbf, encoding: .utf8))
        XCTAssertEqual(try String(contentsOf: file("站点.cpg"), encoding: .utf8).trimmed, "GBK")

        let store = try newStore("shp")
        let summary = try Importer.run(ImportOptions(layer: .stations, file: shp), into: store)
        XCTAssertEqual(summary.crs, .epsg(4549))
        XCTAssertEqual(summary.encoding, "GBK")
        XCTAssertEqual(summary.features, try count(reference, "stations"))
        assertSameGeometries(try geometries(store, .stations), try geometries(reference, .stations))
        XCTAssertEqual(try texts(store, stationColumns), try texts(reference, stationColumns))

        // Without its .cpg (and with no language driver id in the DBF) the text is not UTF-8: read as GB18030.
        XCTAssertEqual(dbf[29], 0, "the DBF declares a language driver; the no-.cpg case would not be tested")
        try FileManager.default.removeItem(at: file("站点.cpg"))
        let bare = try newStore("shp-no-cpg")
        let s2 = try Importer.run(ImportOptions(layer: .stations, file: shp), into: bare)
        XCTAssertEqual(s2.encoding, "GB18030 (detected)")
        XCTAssertEqual(try texts(bare, stationColumns), try texts(reference, stationColumns))
    }

    /// A VRT handed over as "data" could pull another file of the server, or a URL, into a public database: GDAL
    /// formats that refer elsewhere are refused, naming the format, and nothing is stored.
    func testFormatsThatReferElsewhereAreRefused() throws {
        let secret = file("private.geojson")
        try """
        {"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[118.78,32.04]},
        "properties":{"id":"SECRET","name":"SECRET-FROM-OTHER-FILE"}}]}
        """.write(to: secret, atomically: true, encoding: .utf8)
        let vrt = file("stations.vrt")
        try """
        <OGRVRTDataSource><OGRVRTLayer name="stations"><SrcDataSource>\(secret.path)</SrcDataSource><SrcLayer>private</SrcLayer></OGRVRTLayer></OGRVRTDataSource>
        """.write(to: vrt, atomically: true, encoding: .utf8)
        let store = try newStore("vrt")
        XCTAssertThrowsError(try Importer.run(ImportOptions(layer: .stations, file: vrt), into: store)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("OGR_VRT") && text.contains("does not import"), text)
        }
        XCTAssertEqual(try store.count(.stations), 0)
    }

    func testZippedShapefileIsReadAsItIs() throws {
        let reference = try reference(.stations)
        _ = try gbkShapefile()
        try run("/usr/bin/zip", ["-q", "stations.zip", "站点.shp", "站点.shx", "站点.dbf", "站点.prj", "站点.cpg"])
        let store = try newStore("zip")
        let summary = try Importer.run(ImportOptions(layer: .stations, file: file("stations.zip")), into: store)
        XCTAssertEqual(summary.crs, .epsg(4549))
        assertSameGeometries(try geometries(store, .stations), try geometries(reference, .stations))
        XCTAssertEqual(try texts(store, stationColumns), try texts(reference, stationColumns))

        // A `.shp.zip` as ogr2ogr (and `doorstep export`) writes it, which GDAL's Shapefile driver also opens whole.
        try ogr2ogr(["-f", "ESRI Shapefile", file("站点.shp.zip").path, file("站点.shp").path, "-lco", "ENCODING=GBK"])
        let whole = try newStore("shp.zip")
        let s2 = try Importer.run(ImportOptions(layer: .stations, file: file("站点.shp.zip")), into: whole)
        XCTAssertEqual(s2.crs, .epsg(4549))
        assertSameGeometries(try geometries(whole, .stations), try geometries(reference, .stations))
        XCTAssertEqual(try texts(whole, stationColumns), try texts(reference, stationColumns))
    }

    func testGeoPackageCompoundsAndItsLayers() throws {
        let reference = try reference(.compounds)
        let gpkg = file("city.gpkg")
        try ogr2ogr(["-f", "GPKG", gpkg.path, Self.sample.appendingPathComponent("compounds.geojson").path, "-nln", "小区"])
        let store = try newStore("gpkg")
        let summary = try Importer.run(ImportOptions(layer: .compounds, file: gpkg), into: store)
        XCTAssertEqual(summary.crs, .wgs84)
        assertSameGeometries(try geometries(store, .compounds), try geometries(reference, .compounds))
        let columns = "SELECT id, name, households, population, kind, grid_id FROM compounds ORDER BY id"
        XCTAssertEqual(try texts(store, columns), try texts(reference, columns))

        // A second layer: now the source must be told which one.
        try ogr2ogr(["-f", "GPKG", "-update", gpkg.path, Self.sample.appendingPathComponent("grids.geojson").path, "-nln", "网格"])
        try assertFails(.compounds, gpkg, ["2 layers", "小区", "网格", "--layer"])
        try assertFails(.compounds, gpkg, sourceLayer: "楼栋", ["no layer \"楼栋\"", "小区, 网格"])
        let grids = try newStore("gpkg-grids")
        _ = try Importer.run(ImportOptions(layer: .grids, file: gpkg, sourceLayer: "网格"), into: grids)
        assertSameGeometries(try geometries(grids, .grids), try geometries(try self.reference(.grids), .grids))
    }

    func testKMLAndKMZ() throws {
        let reference = try reference(.stations)
        let source = Self.sample.appendingPathComponent("stations.geojson").path
        try ogr2ogr(["-f", "KML", file("stations.kml").path, source, "-dsco", "NameField=name", "-dsco", "DescriptionField=address"])
        try FileManager.default.createDirectory(at: file("kmz"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: file("stations.kml"), to: file("kmz/doc.kml"))
        try run("/usr/bin/zip", ["-q", "../stations.kmz", "doc.kml"], in: file("kmz"))
        for name in ["stations.kml", "stations.kmz"] {
            let store = try newStore(name)
            let summary = try Importer.run(ImportOptions(layer: .stations, file: file(name)), into: store)
            XCTAssertEqual(summary.crs, .wgs84, name)
            assertSameGeometries(try geometries(store, .stations), try geometries(reference, .stations))
            XCTAssertEqual(try texts(store, "SELECT id, name FROM stations ORDER BY id"),
                           try texts(reference, "SELECT id, name FROM stations ORDER BY id"), name)
            // The KML description is kept (as an extra property), here the address.
            let kept = try texts(store, "SELECT count(*) FROM stations WHERE properties LIKE '%description%南京市%'")
            XCTAssertEqual(kept, try texts(reference, "SELECT count(*) FROM stations WHERE address LIKE '南京市%'"), name)
        }
    }

    /// The stations as a CSV with `X`, `Y` (made by ogr2ogr), the source of every sheet below.
    private func stationsCSV() throws -> URL {
        try ogr2ogr(["-f", "CSV", file("st.csv").path, Self.sample.appendingPathComponent("stations.geojson").path,
                     "-lco", "GEOMETRY=AS_XY", "-select", "id,name,kind,address,phone,hours"])
        return file("st.csv")
    }

    /// The stations as a sheet `站点` with 经度/纬度 and Chinese headers, written by ogr2ogr's `driver`.
    private func ogrSheet(_ driver: String, _ name: String) throws -> URL {
        try ogr2ogr(["-f", driver, file(name).path, try stationsCSV().path, "-oo", "AUTODETECT_TYPE=YES", "-nln", "站点",
                     "-sql", #"SELECT X AS "经度", Y AS "纬度", id AS "编号", name AS "名称", kind AS "类型", address AS "地址", phone AS "电话", hours AS "开放时间" FROM st"#])
        return file(name)
    }

    /// A sheet of the stations imports as their GeoJSON does: same ids and fields, positions within 1 mm.
    private func assertSheetImportsAsGeoJSON(_ sheet: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try reference(.stations)
        let store = try newStore(sheet.lastPathComponent)
        _ = try Importer.run(ImportOptions(layer: .stations, file: sheet), into: store)
        assertSameGeometries(try geometries(store, .stations), try geometries(reference, .stations), file: file, line: line)
        XCTAssertEqual(try texts(store, stationColumns), try texts(reference, stationColumns), file: file, line: line)
    }

    func testXLSXWithLongitudeAndLatitudeColumns() throws {
        try assertSheetImportsAsGeoJSON(try ogrSheet("XLSX", "stations.xlsx"))
    }

    func testODSWithLongitudeAndLatitudeColumns() throws {
        try assertSheetImportsAsGeoJSON(try ogrSheet("ODS", "stations.ods"))
    }

    /// GDAL reads XLS (Excel 97–2003, through FreeXL) but cannot write it: the sheet is written here with Debian's
    /// python3-xlwt (`make deps` installs it), numbers as numbers, empty cells left empty.
    func testXLSWithLongitudeAndLatitudeColumns() throws {
        let python = "/usr/bin/python3"
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: python)
        probe.arguments = ["-c", "import xlwt"]
        probe.standardError = FileHandle.nullDevice
        try? probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else {
            let message = "python3-xlwt is not installed (`make deps` installs it): no .xls to test"
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail(message + "; on CI it must be") }
            throw XCTSkip(message)
        }
        try run(python, ["-c", """
            import csv, sys, xlwt
            headers = {"X": "经度", "Y": "纬度", "id": "编号", "name": "名称", "kind": "类型", "address": "地址", "phone": "电话", "hours": "开放时间"}
            book = xlwt.Workbook(encoding="utf-8")
            sheet = book.add_sheet("站点")
            with open(sys.argv[1], encoding="utf-8") as f:
                rows = list(csv.reader(f))
            for c, name in enumerate(rows[0]):
                sheet.write(0, c, headers[name])
            for r, row in enumerate(rows[1:], start=1):
                for c, value in enumerate(row):
                    if value != "":
                        sheet.write(r, c, float(value) if rows[0][c] in ("X", "Y") else value)
            book.save(sys.argv[2])
            """, try stationsCSV().path, file("stations.xls").path])
        XCTAssertEqual(SourceFormat.detect(file("stations.xls")).name, "XLS")
        try assertSheetImportsAsGeoJSON(file("stations.xls"))
    }

    /// FlatGeobuf of the compounds (polygons, with GDAL's packed spatial index, which reorders the features).
    func testFlatGeobufCompounds() throws {
        let reference = try reference(.compounds)
        try ogr2ogr(["-f", "FlatGeobuf", file("compounds.fgb").path, Self.sample.appendingPathComponent("compounds.geojson").path])
        XCTAssertEqual(SourceFormat.detect(file("compounds.fgb")).name, "FlatGeobuf")
        let store = try newStore("fgb")
        let summary = try Importer.run(ImportOptions(layer: .compounds, file: file("compounds.fgb")), into: store)
        XCTAssertEqual(summary.crs, .wgs84)
        assertSameGeometries(try geometries(store, .compounds), try geometries(reference, .compounds))
        let columns = "SELECT id, name, households, population, kind, grid_id FROM compounds ORDER BY id"
        XCTAssertEqual(try texts(store, columns), try texts(reference, columns))
    }

    func testDXFWaysWithCRS() throws {
        let reference = try reference(.ways)
        let source = Self.sample.appendingPathComponent("ways.geojson").path
        try ogr2ogr(["-f", "DXF", file("ways.dxf").path, source, "-t_srs", "EPSG:4549", "-where", "OGR_GEOMETRY = 'LINESTRING'"])
        let store = try newStore("dxf")
        try assertFails(.ways, file("ways.dxf"), ["feature 1 (FID 0", "metres?", "--crs"]) // metres read as degrees
        _ = try Importer.run(ImportOptions(layer: .ways, file: file("ways.dxf"), crs: .epsg(4549)), into: store)
        // DXF keeps no attributes: compare the LineStrings of the GeoJSON in file order.
        // (The store keeps every way as a MultiLineString; the GeoJSON's LineStrings are the one-part ones.)
        let want = try geometries(reference, .ways).filter {
            switch $0.1 {
            case .lineString: return true
            case .multiLineString(let parts): return parts.count == 1
            default: return false
            }
        }
        XCTAssertEqual(want.count, 381) // the premise: 381 LineStrings and 2 MultiLineStrings in ways.geojson
        assertSameGeometries(try geometries(store, .ways), want, byID: false)
    }

    func testFieldOptionAndUnmappedRequiredField() throws {
        try ogr2ogr(["-f", "GPKG", file("s.gpkg").path, Self.sample.appendingPathComponent("stations.geojson").path,
                     "-nln", "s", "-sql", #"SELECT id AS code, name AS "站名", kind FROM stations"#])
        try assertFails(.stations, file("s.gpkg"), ["id", "code", "站名", "kind", "--field"])
        let store = try newStore("field")
        _ = try Importer.run(ImportOptions(layer: .stations, file: file("s.gpkg"), fields: ["id": "code", "name": "站名"]), into: store)
        let reference = try reference(.stations)
        XCTAssertEqual(try texts(store, "SELECT id, name, kind FROM stations ORDER BY id"),
                       try texts(reference, "SELECT id, name, kind FROM stations ORDER BY id"))
    }

    // MARK: - Broken files

    func testBrokenShapefilesAreClearErrors() throws {
        _ = try gbkShapefile("a")
        try FileManager.default.removeItem(at: file("a.shx"))
        try assertFails(.stations, file("a.shp"), [".shx"])

        _ = try gbkShapefile("b")
        try FileManager.default.removeItem(at: file("b.dbf"))
        try assertFails(.stations, file("b.shp"), [".dbf"])

        // Truncated in the middle of the records: the .shx still promises all of them.
        _ = try gbkShapefile("c")
        let shp = try Data(contentsOf: file("c.shp"))
        try shp.prefix(shp.count - 50).write(to: file("c.shp"))
        try assertFails(.stations, file("c.shp"), ["feature"])

        // A .prj no EPSG code matches: a Transverse Mercator on an odd central meridian.
        _ = try gbkShapefile("d")
        try #"PROJCS["odd",GEOGCS["GCS_China_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",118.37],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
            .write(to: file("d.prj"), atomically: true, encoding: .utf8)
        try assertFails(.stations, file("d.shp"), ["crs", "odd", "--crs"])
        // … which --crs then settles.
        let store = try newStore("d")
        _ = try Importer.run(ImportOptions(layer: .stations, file: file("d.shp"), crs: .epsg(4549)), into: store)
        XCTAssertEqual(try count(store, "stations"), 34)
    }

    func testBrokenSheetsAreClearErrors() throws {
        try "经度,纬度,编号,名称\n118.78,32.04,S1,甲站\n东经118度,32.05,S2,乙站\n".write(to: file("bad.csv"), atomically: true, encoding: .utf8)
        try ogr2ogr(["-f", "XLSX", file("bad.xlsx").path, file("bad.csv").path, "-nln", "站点"])
        try assertFails(.stations, file("bad.xlsx"), ["feature 2", "S2", "经度", "东经118度"])

        try "经度,纬度,编号,名称\n".write(to: file("empty.csv"), atomically: true, encoding: .utf8)
        try ogr2ogr(["-f", "XLSX", file("empty.xlsx").path, file("empty.csv").path, "-nln", "站点"])
        try assertFails(.stations, file("empty.xlsx"), ["no features"])
    }
}
