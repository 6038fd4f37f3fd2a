import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// `export … --out FILE` in the format of FILE's extension: the sample city written as GeoPackage (with QGIS styles),
/// workbook, (zipped, GBK) Shapefile and CSV, every file read back by GDAL's own tools (ogrinfo, ogr2ogr) and
/// compared with the GeoJSON export of the same thing.
final class FormatExportTests: XCTestCase {
    static let sample = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-formats-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// The sample city, imported as `make run` does.
    func store() throws -> any StoreWriter {
        let store = try freshStore(self, name: "sample", in: work).store
        try importSampleCity(into: store, from: Self.sample)
        return store
    }

    func report(_ store: any StoreReader) throws -> CoverageReport {
        try CoverageAnalysis.run(stations: store.stations(), compounds: store.compoundSites(), network: nil,
                                 options: CoverageOptions(reach: .uniform(300)))
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(tool) \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
        return String(decoding: data, as: UTF8.self)
    }

    func ogrinfo(_ arguments: [String]) throws -> String { try run("/usr/bin/ogrinfo", ["-ro"] + arguments, environment: ["OGR_XLSX_HEADERS": "FORCE"]) }

    /// A layer of any file as GeoJSON features, converted by ogr2ogr at full precision (the independent reader).
    func features(_ source: String, layer: String? = nil, openOptions: [String] = []) throws -> [JSONValue] {
        let out = path("back-\(UUID()).geojson")
        try run("/usr/bin/ogr2ogr", ["-f", "GeoJSON", "-lco", "COORDINATE_PRECISION=15", out, source] + openOptions + (layer.map { [$0] } ?? []),
                environment: ["OGR_XLSX_HEADERS": "FORCE"])
        let json = try JSONValue.parse(String(contentsOfFile: out, encoding: .utf8))
        guard case .array(let f)? = json["features"] else { XCTFail("no features in \(out)"); return [] }
        return f
    }

    /// Doorstep's GeoJSON export, read as it is.
    func geojson(_ file: String) throws -> [JSONValue] {
        guard case .array(let f)? = try JSONValue.parse(String(contentsOfFile: file, encoding: .utf8))["features"] else { return [] }
        return f
    }

    func property(_ feature: JSONValue, _ key: String) -> JSONValue? { feature["properties"]?[key] }

    func text(_ feature: JSONValue, _ key: String) -> String? {
        if case .string(let s)? = property(feature, key) { return s } else { return nil }
    }

    func number(_ feature: JSONValue, _ key: String) -> Double? {
        if case .number(let n)? = property(feature, key) { return n } else { return nil }
    }

    /// Every position of a feature's geometry, sorted (ring orientation may differ between formats).
    func positions(_ feature: JSONValue) -> [[Double]] {
        var out = [[Double]]()
        func walk(_ v: JSONValue) {
            guard case .array(let items) = v else { return }
            if items.count >= 2, case .number(let x) = items[0], case .number(let y) = items[1] { out.append([x, y]); return }
            items.forEach(walk)
        }
        if let c = feature["geometry"]?["coordinates"] { walk(c) }
        return out.sorted { $0[0] != $1[0] ? $0[0] < $1[0] : $0[1] < $1[1] }
    }

    func byID(_ features: [JSONValue], key: String = "id") -> [String: JSONValue] {
        var out = [String: JSONValue]()
        for f in features {
            if let id = text(f, key) { out[id] = f } else if case .string(let id)? = f["id"] { out[id] = f }
        }
        return out
    }

    func assertSamePositions(_ got: JSONValue, _ want: JSONValue, _ id: String, line: UInt = #line) {
        let a = positions(got), b = positions(want)
        XCTAssertEqual(a.count, b.count, "positions of \(id)", line: line)
        XCTAssertFalse(b.isEmpty, "\(id) has positions", line: line)
        for (p, q) in zip(a, b) {
            XCTAssertEqual(p[0], q[0], accuracy: 1e-7, "lon of \(id)", line: line)
            XCTAssertEqual(p[1], q[1], accuracy: 1e-7, "lat of \(id)", line: line)
        }
    }

    // MARK: GeoPackage

    func testGeoPackageCoverageHasTypedFieldsCreditsAndQGISStyle() throws {
        let store = try store()
        let report = try report(store)
        let statuses = Set(report.compounds.map(\.status.rawValue))
        XCTAssertTrue(statuses.contains("covered") && statuses.contains("uncovered"), "the sample has both: \(statuses)")
        _ = try GeoJSONExport.coverage(report, store: store, to: path("coverage.geojson"))
        let summary = try GeoJSONExport.coverage(report, store: store, to: path("coverage.gpkg"))
        XCTAssertEqual(summary.features, report.compounds.count)

        let info = try ogrinfo(["-al", "-so", path("coverage.gpkg"), "coverage"])
        XCTAssertTrue(info.contains("Feature Count: \(report.compounds.count)"), info)
        XCTAssertTrue(info.contains("ID[\"EPSG\",4326]"), "EPSG:4326: \(info)")
        XCTAssertTrue(info.contains("households: Integer64"), info)
        XCTAssertTrue(info.contains("straight_m: Real"), info)
        XCTAssertTrue(info.contains("covered: Integer(Boolean)"), info)
        XCTAssertTrue(info.contains("status: String"), info)
        let credits = try XCTUnwrap(Credits.line(store.credits(of: GeoJSONExport.creditedLayers(report))))
        XCTAssertTrue(info.contains("attribution=\(credits)"), "credits in gpkg_metadata: \(info)")
        XCTAssertTrue(info.contains(credits), info)

        // Same features, same values, same positions as the GeoJSON export.
        let want = byID(try geojson(path("coverage.geojson")))
        let got = try features(path("coverage.gpkg"), layer: "coverage")
        XCTAssertEqual(got.count, want.count)
        for f in got {
            let id = try XCTUnwrap(text(f, "id"))
            let w = try XCTUnwrap(want[id], id)
            XCTAssertEqual(text(f, "status"), text(w, "status"), id)
            XCTAssertEqual(property(f, "households"), property(w, "households"), id)
            XCTAssertEqual(property(f, "covered"), property(w, "covered"), id)
            assertSamePositions(f, w, id)
        }

        // layer_styles: QGIS's table, one default row for the layer, a categorized renderer on status.
        let stylesInfo = try ogrinfo(["-so", path("coverage.gpkg"), "layer_styles"])
        for column in ["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML",
                       "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"] {
            XCTAssertTrue(stylesInfo.contains("\(column): "), "layer_styles.\(column): \(stylesInfo)")
        }
        let styles = try features(path("coverage.gpkg"), layer: "layer_styles")
        XCTAssertEqual(styles.count, 1)
        XCTAssertEqual(text(styles[0], "f_table_name"), "coverage")
        XCTAssertEqual(text(styles[0], "f_geometry_column"), "geom")
        XCTAssertEqual(property(styles[0], "useAsDefault"), .bool(true))
        let qml = try XCTUnwrap(text(styles[0], "styleQML"))
        let doc = try XMLDocument(data: Data(qml.utf8))
        let renderer = try XCTUnwrap(doc.rootElement()?.elements(forName: "renderer-v2").first)
        XCTAssertEqual(doc.rootElement()?.name, "qgis")
        XCTAssertEqual(renderer.attribute(forName: "type")?.stringValue, "categorizedSymbol")
        XCTAssertEqual(renderer.attribute(forName: "attr")?.stringValue, "status")
        let categories = renderer.elements(forName: "categories").first?.elements(forName: "category") ?? []
        let values = categories.compactMap { $0.attribute(forName: "value")?.stringValue }
        XCTAssertEqual(Set(values), ["covered", "uncovered", "no_path", "unreachable"])
        // Each category's symbol is filled with the map's colour: covered green, uncovered red, no path orange, unreachable grey.
        let symbols = renderer.elements(forName: "symbols").first?.elements(forName: "symbol") ?? []
        let expected = ["covered": "26,152,80", "uncovered": "215,48,39", "no_path": "244,109,67", "unreachable": "140,140,140"]
        for c in categories {
            let value = c.attribute(forName: "value")!.stringValue!
            let symbolName = c.attribute(forName: "symbol")?.stringValue
            let symbol = try XCTUnwrap(symbols.first { $0.attribute(forName: "name")?.stringValue == symbolName }, value)
            XCTAssertEqual(symbol.attribute(forName: "type")?.stringValue, "fill", "sample compounds are polygons")
            let colour = try symbol.nodes(forXPath: "layer/Option/Option[@name='color']/@value").first?.stringValue
            XCTAssertTrue(colour?.hasPrefix(expected[value]! + ",") == true, "\(value): \(colour ?? "none")")
        }
        let sld = try XCTUnwrap(text(styles[0], "styleSLD"))
        XCTAssertNoThrow(try XMLDocument(data: Data(sld.utf8)))
    }

    func testGeoPackageStationsAreStyledByKind() throws {
        let store = try store()
        _ = try GeoJSONExport.layer(.stations, store: store, to: path("stations.gpkg"))
        let styles = try features(path("stations.gpkg"), layer: "layer_styles")
        let qml = try XCTUnwrap(styles.first.flatMap { text($0, "styleQML") })
        let renderer = try XCTUnwrap(try XMLDocument(data: Data(qml.utf8)).rootElement()?.elements(forName: "renderer-v2").first)
        XCTAssertEqual(renderer.attribute(forName: "attr")?.stringValue, "kind")
        let kinds = Set(try features(path("stations.gpkg"), layer: "stations").compactMap { text($0, "kind") })
        let values = Set((renderer.elements(forName: "categories").first?.elements(forName: "category") ?? []).compactMap { $0.attribute(forName: "value")?.stringValue })
        XCTAssertTrue(kinds.isSubset(of: values), "every kind in the data has a category: \(kinds) vs \(values)")
        XCTAssertTrue(try ogrinfo(["-so", path("stations.gpkg"), "stations"]).contains("Geometry: Point"))
    }

    /// QGIS itself (python3-qgis, headless) opens the GeoPackage with the stored style and draws covered compounds
    /// green and uncovered ones red. Skipped where QGIS is not installed.
    func testQGISOpensTheGeoPackageColoured() throws {
        guard FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/qgis/__init__.py") else {
            throw XCTSkip("python3-qgis is not installed")
        }
        let store = try store()
        let report = try report(store)
        _ = try GeoJSONExport.coverage(report, store: store, to: path("coverage.gpkg"))
        let script = """
        import sys, os
        from qgis.core import QgsApplication, QgsVectorLayer, QgsMapSettings, QgsMapRendererSequentialJob
        from qgis.PyQt.QtCore import QSize
        from qgis.PyQt.QtGui import QColor
        app = QgsApplication([], False); app.initQgis()
        layer = QgsVectorLayer(sys.argv[1] + "|layername=coverage", "coverage", "ogr")
        assert layer.isValid()
        msg, ok = layer.loadDefaultStyle()
        r = layer.renderer()
        print("renderer", r.type(), r.classAttribute())
        for c in r.categories(): print("category", c.value(), c.symbol().color().name())
        s = QgsMapSettings(); s.setLayers([layer]); s.setOutputSize(QSize(600, 400)); s.setExtent(layer.extent())
        s.setBackgroundColor(QColor("white"))
        job = QgsMapRendererSequentialJob(s); job.start(); job.waitForFinished()
        img = job.renderedImage(); red = green = 0
        for x in range(600):
            for y in range(400):
                c = QColor(img.pixel(x, y))
                if c.red() > 180 and c.green() < 140 and c.blue() < 140: red += 1
                if c.green() > c.red() + 40 and c.green() > c.blue() + 20: green += 1
        print("pixels red", red, "green", green)
        sys.stdout.flush(); os._exit(0)  # QGIS 3.22's exitQgis() crashes headless; nothing is left to clean up
        """
        try script.write(toFile: path("render.py"), atomically: true, encoding: .utf8)
        let out = try run("/usr/bin/python3", [path("render.py"), path("coverage.gpkg")], environment: ["QT_QPA_PLATFORM": "offscreen"])
        XCTAssertTrue(out.contains("renderer categorizedSymbol status"), out)
        for (value, colour) in [("covered", "#1a9850"), ("uncovered", "#d73027"), ("no_path", "#f46d43"), ("unreachable", "#8c8c8c")] {
            XCTAssertTrue(out.contains("category \(value) \(colour)"), "\(value): \(out)")
        }
        let counts = out.split(separator: "\n").first { $0.hasPrefix("pixels") }?.split(separator: " ").compactMap { Int($0) } ?? []
        XCTAssertEqual(counts.count, 2, out)
        XCTAssertTrue(counts.allSatisfy { $0 > 0 }, "red and green drawn: \(out)")
    }

    // MARK: Workbook

    func testCoverageWorkbookHasASheetPerLevelWithChineseHeaders() throws {
        let store = try store()
        let report = try report(store)
        let summary = try GeoJSONExport.coverageWorkbook(report, store: store, to: path("coverage.xlsx"))
        XCTAssertEqual(summary.features, report.compounds.count)
        let info = try ogrinfo(["-so", path("coverage.xlsx")])
        for sheet in ["小区", "网格", "社区", "街道", "区县", "说明"] {
            XCTAssertTrue(info.contains(": \(sheet) "), "sheet \(sheet): \(info)")
        }
        let compounds = try ogrinfo(["-so", path("coverage.xlsx"), "小区"])
        for header in ["名称", "户数", "覆盖状态", "经度", "纬度", "直线距离(米)"] {
            XCTAssertTrue(compounds.contains("\(header): "), "header \(header): \(compounds)")
        }
        XCTAssertTrue(compounds.contains("Feature Count: \(report.compounds.count)"), compounds)
        let rows = try features(path("coverage.xlsx"), layer: "小区")
        let sites = Dictionary(uniqueKeysWithValues: report.compounds.map { ($0.site.id, $0) })
        XCTAssertEqual(rows.count, sites.count)
        for r in rows {
            let id = try XCTUnwrap(text(r, "编号"))
            let c = try XCTUnwrap(sites[id])
            let p = try XCTUnwrap(c.site.referencePoints.first)
            XCTAssertEqual(try XCTUnwrap(number(r, "经度")), p.lon, accuracy: 1e-7, id)
            XCTAssertEqual(try XCTUnwrap(number(r, "纬度")), p.lat, accuracy: 1e-7, id)
            XCTAssertEqual(text(r, "覆盖状态"), c.status.rawValue)
        }
        // The districts sheet adds up to the whole.
        let districts = try features(path("coverage.xlsx"), layer: "区县")
        for header in ["户数", "已覆盖户数", "覆盖率(%)"] { XCTAssertTrue(districts.contains { number($0, header) != nil }, header) }
        XCTAssertEqual(districts.compactMap { number($0, "已覆盖户数") }.reduce(0, +), Double(report.total.householdsCovered))
        XCTAssertEqual(try features(path("coverage.xlsx"), layer: "网格").count, report.groups(by: .grid).count)
        // Credits on the about sheet.
        let about = try features(path("coverage.xlsx"), layer: "说明")
        let credits = try XCTUnwrap(Credits.line(store.credits(of: GeoJSONExport.creditedLayers(report))))
        XCTAssertTrue(about.contains { text($0, "内容") == credits }, "\(about)")

        _ = try GeoJSONExport.coverageWorkbook(report, store: store, to: path("coverage-en.xlsx"), options: ExportOptions(language: .en))
        let en = try ogrinfo(["-so", path("coverage-en.xlsx"), "compounds"])
        XCTAssertTrue(en.contains("households_covered_pct: ") || en.contains("households: "), en)
        XCTAssertTrue(try ogrinfo(["-so", path("coverage-en.xlsx")]).contains(": districts "))
    }

    func testLayerWorkbookIsOneSheetWithPlaces() throws {
        let store = try store()
        _ = try GeoJSONExport.layer(.stations, store: store, to: path("stations.geojson"))
        _ = try GeoJSONExport.layer(.stations, store: store, to: path("stations.xlsx"))
        let info = try ogrinfo(["-so", path("stations.xlsx")])
        XCTAssertTrue(info.contains(": 站点 "), info)
        let want = byID(try geojson(path("stations.geojson")))
        let rows = try features(path("stations.xlsx"), layer: "站点")
        XCTAssertEqual(rows.count, want.count)
        for r in rows {
            let id = try XCTUnwrap(text(r, "编号"))
            let w = try XCTUnwrap(want[id])
            let p = positions(w)[0]
            XCTAssertEqual(try XCTUnwrap(number(r, "经度")), p[0], accuracy: 1e-7, id)
            XCTAssertEqual(try XCTUnwrap(number(r, "纬度")), p[1], accuracy: 1e-7, id)
            XCTAssertEqual(text(r, "名称"), text(w, "name"))
        }
    }

    // MARK: Shapefile

    func testZippedShapefileInGBKRoundTrips() throws {
        let store = try store()
        _ = try GeoJSONExport.layer(.compounds, store: store, to: path("compounds.geojson"))
        _ = try GeoJSONExport.layer(.compounds, store: store, to: path("小区.zip"), options: ExportOptions(encoding: "gbk"))
        let listing = try run("/usr/bin/unzip", ["-Z1", path("小区.zip")])
        XCTAssertEqual(Set(listing.split(separator: "\n").map(String.init)), ["小区.shp", "小区.shx", "小区.dbf", "小区.prj", "小区.cpg"])
        XCTAssertEqual(try run("/usr/bin/unzip", ["-p", path("小区.zip"), "小区.cpg"]), "936")
        let source = "/vsizip/\(path("小区.zip"))/小区.shp"
        let info = try ogrinfo(["-al", "-so", source])
        XCTAssertTrue(info.contains("ID[\"EPSG\",4326]") || info.contains("GEOGCRS[\"WGS 84\""), info)
        let want = byID(try geojson(path("compounds.geojson")))
        let got = try features(source)
        XCTAssertEqual(got.count, want.count)
        var sawChinese = false
        for f in got {
            let id = try XCTUnwrap(text(f, "id"))
            let w = try XCTUnwrap(want[id])
            XCTAssertEqual(text(f, "name"), text(w, "name"), "GBK text round-trips")
            if text(f, "name")?.unicodeScalars.contains(where: { $0.value > 0x4E00 }) == true { sawChinese = true }
            assertSamePositions(f, w, id)
        }
        XCTAssertTrue(sawChinese, "the sample's names are Chinese")
        // The DBF holds GBK bytes, not UTF-8.
        let dbfPath = path("x.dbf")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unzip")
        p.arguments = ["-p", path("小区.zip"), "小区.dbf"]
        FileManager.default.createFile(atPath: dbfPath, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dbfPath))
        try p.run(); p.waitUntilExit()
        let dbf = try Data(contentsOf: URL(fileURLWithPath: dbfPath))
        let name = try XCTUnwrap(got.compactMap { text($0, "name") }.first { $0.unicodeScalars.contains { $0.value > 0x4E00 } })
        XCTAssertNotNil(dbf.range(of: try XCTUnwrap(name.data(using: String.Encoding.gb18030))), "GBK bytes of \(name)")
        XCTAssertNil(dbf.range(of: Data(name.utf8)), "no UTF-8 bytes of \(name)")
    }

    func testShapefileFieldNamesAreCutUniquely() throws {
        let store = try store()
        let report = try report(store)
        let summary = try GeoJSONExport.coverage(report, store: store, to: path("coverage.shp"))
        XCTAssertTrue(summary.notes.contains { $0.contains("households_covered") || $0.contains("nearest_station_name") }, "\(summary.notes)")
        let info = try ogrinfo(["-al", "-so", path("coverage.shp")])
        let fields = info.split(separator: "\n").compactMap { line -> String? in
            guard let colon = line.firstIndex(of: ":"), line.contains("(") else { return nil }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            return name.contains(" ") ? nil : name
        }
        XCTAssertTrue(fields.contains("households"), "\(fields)")
        XCTAssertTrue(fields.contains("nearest_st"), "\(fields)")
        XCTAssertTrue(fields.contains("nearest__1"), "\(fields)")
        XCTAssertEqual(Set(fields.map { $0.lowercased() }).count, fields.count, "unique: \(fields)")
        XCTAssertTrue(fields.allSatisfy { $0.utf8.count <= 10 }, "\(fields)")
        XCTAssertTrue(info.contains("Feature Count: \(report.compounds.count)"))
        XCTAssertEqual(try String(contentsOfFile: path("coverage.cpg"), encoding: .utf8), "UTF-8")
    }

    // MARK: CSV

    func testCSVHasBOMAndPlacesAtFullPrecision() throws {
        let store = try store()
        for layer in [Layer.stations, .compounds, .ways] {
            _ = try GeoJSONExport.layer(layer, store: store, to: path("\(layer.rawValue).geojson"))
            _ = try GeoJSONExport.layer(layer, store: store, to: path("\(layer.rawValue).csv"))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path("\(layer.rawValue).csv")))
            XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF], "BOM")
        }
        let credits = try XCTUnwrap(Credits.line(store.credits(of: [.stations])))
        // Stations: lon/lat are the points.
        let want = byID(try geojson(path("stations.geojson")))
        let rows = try features(path("stations.csv"), openOptions: ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "AUTODETECT_TYPE=YES"])
        XCTAssertEqual(rows.count, want.count)
        for r in rows {
            let id = try XCTUnwrap(text(r, "id"))
            assertSamePositions(r, try XCTUnwrap(want[id]), id)
            XCTAssertEqual(text(r, "name"), text(want[id]!, "name"))
            XCTAssertEqual(text(r, "attribution"), credits)
        }
        // Compounds: a point inside each polygon.
        let polygons = byID(try geojson(path("compounds.geojson")))
        let compoundRows = try features(path("compounds.csv"), openOptions: ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat"])
        XCTAssertEqual(compoundRows.count, polygons.count)
        for r in compoundRows {
            let id = try XCTUnwrap(text(r, "id"))
            let p = positions(r)
            XCTAssertEqual(p.count, 1, id)
            guard case .array(let rings)? = polygons[id]?["geometry"]?["coordinates"], case .array(let ring)? = rings.first else { XCTFail(id); continue }
            let outer = ring.compactMap { v -> (Double, Double)? in
                if case .array(let xy) = v, case .number(let x) = xy[0], case .number(let y) = xy[1] { return (x, y) } else { return nil }
            }
            var inside = false
            var j = outer.count - 1
            for i in 0..<outer.count {
                let (xi, yi) = outer[i], (xj, yj) = outer[j]
                if (yi > p[0][1]) != (yj > p[0][1]) && p[0][0] < (xj - xi) * (p[0][1] - yi) / (yj - yi) + xi { inside.toggle() }
                j = i
            }
            XCTAssertTrue(inside, "\(id): \(p[0]) inside its polygon")
        }
        // Ways: no place, the line as WKT.
        let header = try String(contentsOfFile: path("ways.csv"), encoding: .utf8).split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix(",lon,lat,wkt,attribution"), String(header))
        XCTAssertTrue(try String(contentsOfFile: path("ways.csv"), encoding: .utf8).contains("LINESTRING ("), "WKT of the lines")
    }

    func testUnknownExtensionAndShiftedCRSAreRefused() throws {
        let store = try store()
        XCTAssertThrowsError(try GeoJSONExport.layer(.stations, store: store, to: path("stations.kml"))) { error in
            XCTAssertTrue("\(error)".contains(".gpkg"), "\(error)")
        }
        XCTAssertThrowsError(try GeoJSONExport.layer(.stations, store: store, to: path("stations.gpkg"), options: ExportOptions(crs: .gcj02)))
    }
}
