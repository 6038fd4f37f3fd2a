import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport

/// "A planner's own files in and out": numbers and references that do not mislead, and GIS clients opening the
/// database right. Expected values come from PROJ's command-line tools, GDAL's ogrinfo, QGIS (when installed) and
/// the sample city's files read here with JSONSerialization — not from Doorstep's code.
final class PlannerFilesTests: XCTestCase {
    static let root = packageRoot
    static let sample = root.appendingPathComponent("geodata/nanjing-xinjiekou")
    let nanjing = Coordinate(lon: 118.78, lat: 32.04)

    var directory: URL!
    /// A fresh store (`TestStores`: a SpatiaLite file, or a PostGIS schema) and its address.
    var store: (any StoreWriter)!
    var address: String!
    /// The SpatiaLite store under `store`, or nil on PostGIS.
    var file: Store? { store as? Store }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-planner-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        (store, address) = try freshStore(self, in: directory)
    }

    override func tearDownWithError() throws {
        if let file {
            file.database.clearStatementCache()
            XCTAssertEqual(file.database.openStatements, [], "prepared statements leaked on the connection")
        }
        store = nil
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: Helpers

    private func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @discardableResult
    private func importFile(_ layer: Layer, _ url: URL, crs: InputCRS? = nil, replace: Bool = false) throws -> ImportSummary {
        try Importer.run(ImportOptions(layer: layer, file: url, crs: crs, replace: replace, makeValid: layer == .compounds), into: store)
    }

    private func importError(_ layer: Layer, _ url: URL) throws -> String {
        do {
            try importFile(layer, url)
        } catch let error as ImportError {
            return "\(error)"
        }
        XCTFail("the import of \(url.lastPathComponent) should have failed")
        return ""
    }

    /// Runs a program, returning its standard output; fails the test on a non-zero status.
    private func run(_ program: String, _ arguments: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["QT_QPA_PLATFORM"] = "offscreen"
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
        try inp.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw XCTSkip("\(program) failed (\(p.terminationStatus)): \(String(decoding: errData, as: UTF8.self).prefix(400))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// lon/lat (CGCS2000) to the CRS `epsg`, by GDAL's gdaltransform (PROJ underneath, independent of Doorstep).
    private func project(_ c: Coordinate, to epsg: Int) throws -> (x: Double, y: Double) {
        let out = try run("gdaltransform", ["-s_srs", "EPSG:4490", "-t_srs", "EPSG:\(epsg)", "-output_xy"], input: "\(c.lon) \(c.lat)\n")
        let parts = out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double($0) }
        guard parts.count >= 2 else { throw XCTSkip("gdaltransform gave \(out)") }
        return (parts[0], parts[1])
    }

    private func stationsGeoJSON(_ points: [(String, Double, Double)]) -> String {
        let features = points.map { id, x, y in
            #"{"type": "Feature", "properties": {"id": "\#(id)", "name": "站\#(id)"}, "geometry": {"type": "Point", "coordinates": [\#(x), \#(y)]}}"#
        }
        return #"{"type": "FeatureCollection", "features": [\#(features.joined(separator: ", "))]}"#
    }

    /// Asserts that EPSG:`code` puts (x, y) within a metre of `expected`, through PROJ as Doorstep uses it.
    private func assertLands(_ x: Double, _ y: Double, in code: Int, at expected: Coordinate, line: UInt = #line) throws {
        let w = try XCTUnwrap(CoordinateTransformer(from: .epsg(code)).toWGS84(Coordinate(lon: x, lat: y)), line: line)
        XCTAssertEqual(Geodesic.distance(w, expected), 0, accuracy: 1, "EPSG:\(code) puts [\(x), \(y)] at \(w)", line: line)
    }

    // MARK: 1. The Gauss-Kruger hint names the zone the data is in

    func testZonePrefixedEastingsNameTheirZone() throws {
        // CGCS2000 3-degree zone 40 with the zone number in front: EPSG:4528 (PROJ: +lon_0=120 +x_0=40500000).
        let gk = try project(nanjing, to: 4528)
        XCTAssertEqual((gk.x / 1_000_000).rounded(.down), 40, "the easting carries zone 40 in front")
        let url = try write("zone40.geojson", stationsGeoJSON([("S1", gk.x, gk.y)]))
        let message = try importError(.stations, url)
        XCTAssertTrue(message.contains("--crs EPSG:4528"), message)
        XCTAssertTrue(message.contains("EPSG:4549"), message)
        XCTAssertFalse(message.contains("4548"), "EPSG:4548 is the 117°E zone: wrong for these eastings: \(message)")

        let hint = try XCTUnwrap(GaussKrugerHint.suggest(Coordinate(lon: gk.x, lat: gk.y), reference: nil))
        XCTAssertEqual(hint.codes, [4528, 4549])
        // Both suggestions put the point in Nanjing: the first as the file has it, the second without the prefix.
        try assertLands(gk.x, gk.y, in: 4528, at: nanjing)
        try assertLands(gk.x - 40_000_000, gk.y, in: 4549, at: nanjing)
        // And the import with the suggested CRS stores it there.
        let summary = try importFile(.stations, url, crs: .epsg(hint.codes[0]))
        XCTAssertEqual(summary.crs, .epsg(4528))
        let stored = try XCTUnwrap(store.stations().first?.location)
        XCTAssertEqual(Geodesic.distance(stored, nanjing), 0, accuracy: 0.01)
    }

    func testSixDegreeZoneAndSwappedAxesInACSV() throws {
        // 6-degree zone 20 (central meridian 117°E) with the zone number: EPSG:4498 (PROJ: +lon_0=117 +x_0=20500000);
        // northing first in the file.
        let gk = try project(nanjing, to: 4498)
        XCTAssertEqual((gk.x / 1_000_000).rounded(.down), 20)
        let url = try write("zone20.csv", "id,name,x,y\nS1,新街口,\(gk.y),\(gk.x)\n")
        let message = try importError(.stations, url)
        XCTAssertTrue(message.contains("--crs EPSG:4498"), message)
        XCTAssertTrue(message.contains("swapped"), message)
        let hint = try XCTUnwrap(GaussKrugerHint.suggest(Coordinate(lon: gk.y, lat: gk.x), reference: nil))
        XCTAssertEqual(hint.codes, [4498, 4509])
        try assertLands(gk.x, gk.y, in: 4498, at: nanjing)
        try assertLands(gk.x - 20_000_000, gk.y, in: 4509, at: nanjing)
    }

    func testEastingsWithoutPrefixUseTheDatabasesOtherLayers() throws {
        let gk = try project(nanjing, to: 4549)
        XCTAssertLessThan(gk.x, 1_000_000, "no zone number")
        // An empty database: the zone cannot be known; the families are listed.
        let lone = try importError(.stations, try write("plain.csv", "id,name,lon,lat\nS1,新街口,\(gk.x),\(gk.y)\n"))
        XCTAssertTrue(lone.contains("EPSG:4534–4554"), lone)
        XCTAssertFalse(lone.contains("4548"), lone)

        // With the sample city's grids stored, the data picks the zone.
        try importFile(.grids, Self.sample.appendingPathComponent("grids.geojson"))
        let message = try importError(.stations, try write("plain2.csv", "id,name,lon,lat\nS1,新街口,\(gk.x),\(gk.y)\n"))
        XCTAssertTrue(message.contains("--crs EPSG:4549"), message)
        let reference = try XCTUnwrap(store.sampleExtent())
        let hint = try XCTUnwrap(GaussKrugerHint.suggest(Coordinate(lon: gk.x, lat: gk.y), reference: reference))
        XCTAssertEqual(hint.codes.first, 4549)
        // Every code suggested puts the point near the grids, and the first puts it on Nanjing.
        for code in hint.codes {
            let w = try XCTUnwrap(CoordinateTransformer(from: .epsg(code)).toWGS84(Coordinate(lon: gk.x, lat: gk.y)))
            XCTAssertLessThan(abs(w.lon - reference.center.lon), 1, "EPSG:\(code) → \(w)")
        }
        try assertLands(gk.x, gk.y, in: hint.codes[0], at: nanjing)
        // The 117°E zone (EPSG:4548) would put the same numbers about 280 km west: not suggested.
        XCTAssertFalse(hint.codes.contains(4548))
        let wrong = try XCTUnwrap(CoordinateTransformer(from: .epsg(4548)).toWGS84(Coordinate(lon: gk.x, lat: gk.y)))
        XCTAssertGreaterThan(Geodesic.distance(wrong, nanjing), 200_000)
    }

    // MARK: 2. Unknown services are reported, and kept

    func testUnknownServicesAreListedWithCounts() throws {
        let rows: [(String, [String])] = [
            ("S1", ["rest", "(7:rest"]), ("S2", ["饮水", "(7:rest", "massage"]), ("S3", ["water", "charging"]),
            ("S4", ["Massage"]), ("S5", []),
        ]
        let features = rows.map { id, services in
            let list = services.map { "\"\($0)\"" }.joined(separator: ", ")
            return #"{"type": "Feature", "properties": {"id": "\#(id)", "name": "站\#(id)", "services": [\#(list)]}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}"#
        }
        let url = try write("services.geojson", #"{"type": "FeatureCollection", "features": [\#(features.joined(separator: ", "))]}"#)
        let summary = try importFile(.stations, url)

        // Independently: the README's nine services and their Chinese names, plus toilet/reading (如厕, 阅读).
        let readme: Set<String> = ["rest", "water", "charging", "meal", "medical", "legal", "elderly", "children", "meeting", "toilet", "reading",
                                   "休息", "饮水", "充电", "热饭", "医疗", "法律", "养老", "儿童", "会议"]
        var expected = [String: Int]()
        var stations = 0
        for (_, services) in rows {
            let unknown = Set(services.map { $0.lowercased() }.filter { !readme.contains($0) })
            if !unknown.isEmpty { stations += 1 }
            for u in unknown { expected[u, default: 0] += 1 }
        }
        XCTAssertEqual(summary.stationsWithUnknownServices, stations)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: summary.unknownServices.map { ($0.value, $0.count) }), expected)
        XCTAssertEqual(summary.unknownServices.map(\.count), summary.unknownServices.map(\.count).sorted(by: >), "most first")
        let warning = try XCTUnwrap(summary.warnings.first)
        XCTAssertTrue(warning.hasPrefix("\(stations) stations have services Doorstep does not know"), warning)
        XCTAssertTrue(warning.contains(#""(7:rest" (2)"#), warning)
        XCTAssertTrue(warning.contains(#""massage" (2)"#), warning)
        // Kept as given (lowercased, as every service is).
        let query = "SELECT services FROM stations WHERE id = 'S2'"
        let stored = try engineScalar(address, spatiaLite: query, postGIS: query)
        XCTAssertEqual(stored, #"["water","(7:rest","massage"]"#)
        // Known services only: nothing to say.
        let clean = try importFile(.stations, try write("clean.geojson", stationsGeoJSON([("S9", 118.78, 32.04)])))
        XCTAssertEqual(clean.warnings, [])
    }

    // MARK: 3. Entrances never silently point at a compound that is gone

    private func sampleFeatures(_ layer: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Self.sample.appendingPathComponent("\(layer).geojson"))
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(doc["features"] as? [[String: Any]])
    }

    private func props(_ f: [String: Any]) -> [String: Any] { f["properties"] as? [String: Any] ?? [:] }

    func testReplacingCompoundsReportsOrphanEntrancesAndLostHouseholds() throws {
        try importFile(.compounds, Self.sample.appendingPathComponent("compounds.geojson"))
        try importFile(.entrances, Self.sample.appendingPathComponent("entrances.geojson"))
        XCTAssertEqual(try store.info().orphanEntranceCount, 0)

        // A new survey that lacks the first 10 compounds that have entrances.
        let compounds = try sampleFeatures("compounds")
        let entrances = try sampleFeatures("entrances")
        let withEntrances = entrances.compactMap { props($0)["compound_id"] as? String }
        var dropped = Set<String>()
        for id in withEntrances where dropped.count < 10 { dropped.insert(id) }
        let kept = compounds.filter { !dropped.contains(props($0)["id"] as? String ?? "") }
        let survey = try JSONSerialization.data(withJSONObject: ["type": "FeatureCollection", "features": kept])
        let url = directory.appendingPathComponent("survey.geojson")
        try survey.write(to: url)
        let summary = try importFile(.compounds, url, replace: true)

        let expectedOrphans = entrances.compactMap { e -> OrphanEntrance? in
            let p = props(e)
            guard let cid = p["compound_id"] as? String, dropped.contains(cid), let id = p["id"] as? String else { return nil }
            return OrphanEntrance(id: id, compoundID: cid)
        }.sorted { $0.id < $1.id }
        XCTAssertGreaterThan(expectedOrphans.count, 9)
        XCTAssertEqual(summary.orphanEntranceCount, expectedOrphans.count)
        XCTAssertEqual(summary.orphanEntrances, Array(expectedOrphans.prefix(20)))
        let expectedLost = compounds.filter { dropped.contains(props($0)["id"] as? String ?? "") && props($0)["households"] is NSNumber }
            .compactMap { props($0)["id"] as? String }.sorted()
        XCTAssertEqual(summary.householdsLost, expectedLost.count)
        XCTAssertEqual(summary.householdsLostIDs, Array(expectedLost.prefix(20)))
        XCTAssertTrue(summary.warnings.contains { $0.hasPrefix("\(expectedOrphans.count) entrances now point at compounds that no longer exist") }, "\(summary.warnings)")

        // Kept, and `info` reports them.
        XCTAssertEqual(try store.count(.entrances), entrances.count)
        let info = try store.info()
        XCTAssertEqual(info.orphanEntranceCount, expectedOrphans.count)
        XCTAssertEqual(info.orphanEntrances, Array(expectedOrphans.prefix(20)))

        // The compounds coming back mends them.
        let back = try importFile(.compounds, Self.sample.appendingPathComponent("compounds.geojson"))
        XCTAssertEqual(back.orphanEntranceCount, 0)
        XCTAssertEqual(try store.info().orphanEntranceCount, 0)
    }

    func testOSMReplaceSaysWhichCompoundsLoseTheirHouseholds() throws {
        guard Osmium.locate() != nil else { throw XCTSkip("osmium is not installed (Debian osmium-tool)") }
        try importFile(.compounds, Self.sample.appendingPathComponent("compounds.geojson"))
        try importFile(.entrances, Self.sample.appendingPathComponent("entrances.geojson"))
        let extract = Self.root.appendingPathComponent("Tests/Fixtures/osm/nanjing-xinjiekou.osm")
        let result = try OSMImporter.run(OSMImportOptions(file: extract, replace: true), into: store)
        let compounds = try XCTUnwrap(result.imported.first { $0.layer == .compounds })

        var osmIDsWithHouseholds = Set<String>(), osmIDs = Set<String>()
        let query = "SELECT id, households FROM compounds"
        var rows = [[SQLValue]]()
        if let file {
            try file.database.prepare(query).forEach([]) { rows.append([$0.value(0), $0.value(1)]) }
        } else {
            rows = try PostGISQuery.rows(address, query)
        }
        for row in rows {
            guard case .text(let id) = row[0] else { continue }
            osmIDs.insert(id)
            if row[1] != .null { osmIDsWithHouseholds.insert(id) }
        }
        let sampleWithHouseholds = try sampleFeatures("compounds").filter { props($0)["households"] is NSNumber }
            .compactMap { props($0)["id"] as? String }
        let lost = Set(sampleWithHouseholds).subtracting(osmIDsWithHouseholds).sorted()
        XCTAssertGreaterThan(lost.count, 0)
        XCTAssertEqual(compounds.householdsLost, lost.count)
        XCTAssertEqual(compounds.householdsLostIDs, Array(lost.prefix(20)))
        XCTAssertTrue(compounds.warnings.contains { $0.hasPrefix("\(lost.count) compounds had a household count and now have none") }, "\(compounds.warnings)")
        let orphans = try sampleFeatures("entrances").filter { !osmIDs.contains(props($0)["compound_id"] as? String ?? "") }
        XCTAssertEqual(compounds.orphanEntranceCount, orphans.count)
        XCTAssertEqual(try store.info().orphanEntranceCount, orphans.count)
        // The other layers lose nothing of the kind.
        for other in result.imported where other.layer != .compounds { XCTAssertEqual(other.warnings, []) }
    }

    // MARK: 4. GIS clients see typed compounds

    /// The sample's compounds by geometry type and their extent, from the file.
    private func sampleCompoundsByType() throws -> [String: (count: Int, box: BoundingBox)] {
        var out = [String: (count: Int, box: BoundingBox)]()
        func walk(_ v: Any, _ box: inout BoundingBox?) {
            if let a = v as? [Any], a.count >= 2, let x = (a[0] as? NSNumber)?.doubleValue, let y = (a[1] as? NSNumber)?.doubleValue {
                let b = BoundingBox(west: x, south: y, east: x, north: y)
                box = box.map { $0.union(b) } ?? b
            } else if let a = v as? [Any] {
                for e in a { walk(e, &box) }
            }
        }
        for f in try sampleFeatures("compounds") {
            let g = try XCTUnwrap(f["geometry"] as? [String: Any])
            let type = (g["type"] as? String) == "Point" ? "Point" : "Polygon"
            var box: BoundingBox?
            walk(g["coordinates"] as Any, &box)
            let b = try XCTUnwrap(box)
            let prior = out[type]
            out[type] = (count: (prior?.count ?? 0) + 1, box: prior.map { $0.box.union(b) } ?? b)
        }
        return out
    }

    func testOgrinfoSeesTypedCompoundLayers() throws {
        try TestStores.requireSpatiaLite("ogrinfo opens the SpatiaLite file")
        try importFile(.compounds, Self.sample.appendingPathComponent("compounds.geojson"))
        let path = file!.database.path
        file!.database.clearStatementCache()
        let expected = try sampleCompoundsByType()
        XCTAssertNotNil(expected["Polygon"])
        for (layer, type, geometryLine) in [("compounds_polygons", "Polygon", "Geometry: Multi Polygon"), ("compounds_points", "Point", "Geometry: Point")] {
            guard let want = expected[type] else { continue }
            let out = try run("ogrinfo", ["-ro", "-so", path, layer])
            XCTAssertTrue(out.contains(geometryLine), out)
            XCTAssertTrue(out.contains(#"ID["EPSG",4326]"#), out)
            XCTAssertTrue(out.contains("Feature Count: \(want.count)"), out)
            let extentLine = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix("Extent:") })
            let numbers = extentLine.split(whereSeparator: { "(), -:".contains($0) }).compactMap { Double($0) }
            XCTAssertEqual(numbers.count, 4, String(extentLine))
            for (got, exp) in zip(numbers, [want.box.west, want.box.south, want.box.east, want.box.north]) {
                // GDAL reads the extent off the R*Tree, whose boxes are float32 rounded outwards (≈ 1e-5°).
                XCTAssertEqual(got, exp, accuracy: 3e-5, String(extentLine))
            }
        }
    }

    func testQGISLoadsTypedCompoundLayers() throws {
        try TestStores.requireSpatiaLite("QGIS opens the SpatiaLite file")
        try importFile(.compounds, Self.sample.appendingPathComponent("compounds.geojson"))
        let path = file!.database.path
        let script = """
            import sys
            try:
                from qgis.core import QgsApplication, QgsVectorLayer, QgsWkbTypes
            except ImportError:
                print("NOQGIS"); sys.exit(0)
            app = QgsApplication([], False); app.initQgis()
            for prov in ["spatialite", "ogr"]:
                for name in ["compounds_polygons", "compounds_points"]:
                    uri = "dbname='%s' table=\\"%s\\" (geom)" % (sys.argv[1], name) if prov == "spatialite" else "%s|layername=%s" % (sys.argv[1], name)
                    l = QgsVectorLayer(uri, "x", prov)
                    e = l.extent()
                    print(prov, name, l.isValid(), QgsWkbTypes.displayString(l.wkbType()), l.crs().authid(), l.featureCount(),
                          "%.7f %.7f %.7f %.7f" % (e.xMinimum(), e.yMinimum(), e.xMaximum(), e.yMaximum()))
            """
        let scriptURL = try write("qgis-check.py", script)
        let out = try run("/usr/bin/python3", [scriptURL.path, path])
        if out.contains("NOQGIS") { throw XCTSkip("python3-qgis is not installed (apt-get install python3-qgis)") }
        let expected = try sampleCompoundsByType()
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 10 else { continue }
            let want = expected[f[1] == "compounds_points" ? "Point" : "Polygon"]
            XCTAssertEqual(f[2], "True", String(line))
            XCTAssertEqual(f[3], f[1] == "compounds_points" ? "Point" : "MultiPolygon", String(line))
            XCTAssertEqual(f[4], "EPSG:4326", String(line))
            XCTAssertEqual(Int(f[5]), want?.count ?? 0, String(line))
            guard let want else { continue } // no such compounds in the sample: an empty layer, still typed
            let box = f[6...9].compactMap(Double.init)
            for (got, exp) in zip(box, [want.box.west, want.box.south, want.box.east, want.box.north]) {
                XCTAssertEqual(got, exp, accuracy: 3e-5, String(line))
            }
        }
        XCTAssertEqual(out.split(separator: "\n").filter { $0.split(separator: " ").count == 10 }.count,
                       4, out)
    }

    /// A database as Doorstep's schema version 2 left it, with `sql` run in it.
    private func makeVersion2Database(_ path: String, sql: String = "") throws {
        let db = try Database(path: path)
        _ = try db.scalarInt("SELECT InitSpatialMetaData(1)")
        try db.execute(Schema.migrations[0])
        try db.execute(Schema.migrations[1])
        if !sql.isEmpty { try db.execute(sql) }
        try db.execute("PRAGMA user_version = 2")
        db.close()
    }

    /// A database of schema version 2 (before the typed copies) migrates and gets them filled.
    func testVersion2FileMigratesToTypedCopies() throws {
        try TestStores.requireSpatiaLite("a SpatiaLite file of schema version 2")
        let path = directory.appendingPathComponent("old.sqlite").path
        try makeVersion2Database(path, sql: """
            INSERT INTO compounds(id, name, households, geom) VALUES
              ('C1', 'a', 10, GeomFromText('POLYGON((118.78 32.04, 118.79 32.04, 118.79 32.05, 118.78 32.04))', 4326)),
              ('C2', 'b', NULL, GeomFromText('POINT(118.77 32.03)', 4326));
            """)
        let old = try Store(path: path)
        XCTAssertEqual(try old.database.scalarInt("PRAGMA user_version"), Int64(Schema.currentVersion))
        XCTAssertEqual(try old.database.scalarText("SELECT group_concat(id || ':' || GeometryType(geom)) FROM compounds_polygons"), "C1:MULTIPOLYGON")
        XCTAssertEqual(try old.database.scalarText("SELECT group_concat(id || ':' || GeometryType(geom)) FROM compounds_points"), "C2:POINT")
        old.database.clearStatementCache()
    }

    /// After an upgrade of Doorstep, commands that only read still open an older database: it is brought up to date
    /// first when the file may be written, and left alone (with the message) when it may not.
    func testReadersUpgradeAnOlderWritableDatabase() throws {
        try TestStores.requireSpatiaLite("a SpatiaLite file of schema version 2")
        let path = directory.appendingPathComponent("old-read.sqlite").path
        try makeVersion2Database(path)
        chmod(path, 0o444)
        XCTAssertNoThrow(try Store.upgradeIfOlder(path: path))
        if getuid() != 0 { // root writes whatever the mode says
            XCTAssertThrowsError(try Store(path: path, readOnly: true)) { XCTAssertTrue("\($0)".contains("schema version 2"), "\($0)") }
        }
        chmod(path, 0o644)
        try Store.upgradeIfOlder(path: path)
        let store = try Store(path: path, readOnly: true)
        XCTAssertEqual(try store.database.scalarInt("PRAGMA user_version"), Int64(Schema.currentVersion))
        // A file that is not a Doorstep database is not touched.
        let foreign = directory.appendingPathComponent("foreign.txt").path
        try "not a database".write(toFile: foreign, atomically: true, encoding: .utf8)
        try Store.upgradeIfOlder(path: foreign)
        XCTAssertEqual(try String(contentsOfFile: foreign, encoding: .utf8), "not a database")
    }
}
