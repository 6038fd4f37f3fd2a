import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// GeoJSON export (golden files for winding, precision and properties; GDAL's ogrinfo as the independent reader)
/// and the rendered coverage map (SVG parsed as XML; PNG through rsvg-convert when it is installed).
///
/// Golden files live in Tests/Fixtures/export/*.golden.geojson; run with DOORSTEP_UPDATE_GOLDEN=1 to rewrite them
/// after a deliberate change, and read the diff.
final class ExportTests: XCTestCase {
    static let root = packageRoot
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/export")
    static let sample = root.appendingPathComponent("geodata/nanjing-xinjiekou")

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-export-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    func path(_ name: String) -> String { work.appendingPathComponent(name).path }

    /// A store holding the small fixtures (compounds and stations).
    func fixtureStore() throws -> any StoreWriter {
        let store = try freshStore(self, name: "fixtures", in: work).store
        _ = try Importer.run(ImportOptions(layer: .compounds, file: Self.fixtures.appendingPathComponent("compounds.geojson")), into: store)
        _ = try Importer.run(ImportOptions(layer: .stations, file: Self.fixtures.appendingPathComponent("stations.geojson")), into: store)
        return store
    }

    /// A store holding the sample city.
    func sampleStore() throws -> any StoreWriter {
        let store = try freshStore(self, name: "sample", in: work).store
        try importSampleCity(into: store, from: Self.sample)
        return store
    }

    func assertGolden(_ file: String, _ golden: String, line: UInt = #line) throws {
        let produced = try String(contentsOfFile: file, encoding: .utf8)
        let goldenURL = Self.fixtures.appendingPathComponent(golden)
        if ProcessInfo.processInfo.environment["DOORSTEP_UPDATE_GOLDEN"] == "1" {
            try produced.write(to: goldenURL, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: goldenURL, encoding: .utf8)
        XCTAssertEqual(produced, expected, "\(golden) differs (DOORSTEP_UPDATE_GOLDEN=1 rewrites it)", line: line)
    }

    func json(_ file: String) throws -> JSONValue { try JSONValue.parse(String(contentsOfFile: file, encoding: .utf8)) }

    // MARK: Golden files

    func testLayerExportMatchesGoldenFile() throws {
        let store = try fixtureStore()
        let out = path("compounds.geojson")
        let summary = try GeoJSONExport.layer(.compounds, store: store, to: out)
        XCTAssertEqual(summary.features, 3)
        try assertGolden(out, "compounds.golden.geojson")
    }

    func testCoverageExportMatchesGoldenFile() throws {
        let store = try fixtureStore()
        let report = try CoverageAnalysis.run(stations: store.stations(), compounds: store.compoundSites(), network: nil,
                                              options: CoverageOptions(reach: .uniform(300)))
        let out = path("coverage.geojson")
        _ = try GeoJSONExport.coverage(report, store: store, to: out, options: ExportOptions(style: true))
        try assertGolden(out, "coverage.golden.geojson")
    }

    func testRingsFollowTheRightHandRule() throws {
        let store = try fixtureStore()
        let out = path("compounds.geojson")
        _ = try GeoJSONExport.layer(.compounds, store: store, to: out)
        guard case .array(let features)? = try json(out)["features"] else { return XCTFail("no features") }
        var polygons = 0
        for f in features {
            guard case .array(let rings)? = f["geometry"]?["coordinates"], f["geometry"]?["type"] == .string("Polygon") else { continue }
            for (i, ring) in rings.enumerated() {
                guard case .array(let positions) = ring else { return XCTFail() }
                let cs = positions.map { p -> Coordinate in
                    guard case .array(let xy) = p, case .number(let x) = xy[0], case .number(let y) = xy[1] else { return Coordinate(lon: 0, lat: 0) }
                    return Coordinate(lon: x, lat: y)
                }
                // Shoelace written out here, independent of the writer's.
                var area = 0.0
                for k in 0..<(cs.count - 1) { area += cs[k].lon * cs[k + 1].lat - cs[k + 1].lon * cs[k].lat }
                if i == 0 { XCTAssertGreaterThan(area, 0, "exterior ring must be counter-clockwise") } else { XCTAssertLessThan(area, 0, "holes must be clockwise") }
            }
            polygons += 1
        }
        XCTAssertEqual(polygons, 2)
    }

    func testPositionsHaveAtMostSevenDecimalsAndNoCRSMember() throws {
        let store = try fixtureStore()
        let out = path("stations.geojson")
        _ = try GeoJSONExport.layer(.stations, store: store, to: out)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertFalse(text.contains("\"crs\""))
        // 118.780500004 rounds to 118.7805 (trailing zeros dropped), 32.040500004 to 32.0405.
        XCTAssertTrue(text.contains("[118.7805,32.0405]"), text)
        let numbers = try NSRegularExpression(pattern: "-?[0-9]+\\.([0-9]+)")
        for m in numbers.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            XCTAssertLessThanOrEqual(m.range(at: 1).length, 7, (text as NSString).substring(with: m.range))
        }
        let doc = try json(out)
        XCTAssertEqual(doc["bbox"], .array([.number(118.7805), .number(32.0405), .number(118.7995), .number(32.06)]))
        XCTAssertEqual(doc["features"].flatMap { if case .array(let a) = $0 { return a.count } else { return nil } }, 2)
    }

    func testFixedPointFormatting() throws {
        let out = try BufferedOutput(path: path("numbers.txt"))
        for v in [0, -0.00000004, 1e-7, -1e-7, 118.78, 32.0500000551, -73.9999999, 180, 0.5] {
            out.appendFixed(v)
            out.append(UInt8(ascii: " "))
        }
        try out.close()
        XCTAssertEqual(try String(contentsOfFile: path("numbers.txt"), encoding: .utf8),
                       "0 0 0.0000001 -0.0000001 118.78 32.0500001 -73.9999999 180 0.5 ")
    }

    func testJSONNumbersReadBackAsTheSameDoubleInTheShortestForm() throws {
        // Doubles of every kind the writer meets: coordinates (7 decimals), rounded distances, integers, tiny and huge
        // values, and arbitrary ones. Each must read back (Double(String), an independent parser) as the same value,
        // in Swift's shortest round-trip text.
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 0.5, 1e-4, 9.99e-5, 1e-7, 123.4, 1e8, 99_999_999.9999999, 1e15, 1e16,
                                -2.5e-300, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 118.7812345, 32.0500000551]
        for _ in 0..<20_000 {
            values.append((Double.random(in: -180...180, using: &generator) * 1e7).rounded() / 1e7)
            values.append((Double.random(in: 0...20_000, using: &generator) * 10).rounded() / 10)
            values.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
        }
        for v in values where v.isFinite {
            var out = JSONBytes()
            out.number(v)
            let text = out.text
            XCTAssertEqual(Double(text), v, "\(v) written as \(text)")
            let shortest = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : v.description
            XCTAssertEqual(text, shortest, "\(v)")
        }
        var special = JSONBytes()
        special.value(.array([.number(.nan), .number(.infinity), .number(-.infinity)]))
        XCTAssertEqual(special.text, "[null,null,null]")
    }

    func testJSONStringsAndStructureReadBackWithFoundation() throws {
        // Escapes, control characters, Chinese text and emoji, through JSONSerialization as the independent reader.
        let strings = ["plain", "quote \" and backslash \\", "line\nbreak\ttab\r", "\u{0}\u{1}\u{1F}", "南京市秦淮区新街口 1号",
                       "🏠 家门口", "'; DROP TABLE stations; --", ""]
        var out = JSONBytes()
        out.beginObject()
        for (i, s) in strings.enumerated() { out.member("k\(i)", s) }
        out.member("list", strings)
        out.member("none", nil as String?)
        out.key("nested")
        out.value(.object([("a", .array([.number(1.5), .bool(true), .null])), ("b", .object([]))]))
        out.member("flag", false)
        out.endObject()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.bytes)) as? [String: Any], out.text)
        for (i, s) in strings.enumerated() { XCTAssertEqual(object["k\(i)"] as? String, s) }
        XCTAssertEqual(object["list"] as? [String], strings)
        XCTAssertTrue(object["none"] is NSNull)
        XCTAssertEqual(object["flag"] as? Bool, false)
        let nested = try XCTUnwrap(object["nested"] as? [String: Any])
        XCTAssertEqual((nested["a"] as? [Any])?.count, 3)
        // The tree form and the member-sink form write the same text.
        var list = JSONMemberList()
        for (i, s) in strings.enumerated() { list.member("k\(i)", s) }
        var direct = JSONBytes()
        direct.beginObject()
        for (i, s) in strings.enumerated() { direct.member("k\(i)", s) }
        direct.endObject()
        XCTAssertEqual(JSONValue.object(list.members).jsonText, direct.text)
    }

    func testShiftedExportIsMarkedAndShifted() throws {
        let store = try fixtureStore()
        let out = path("gcj.geojson")
        _ = try GeoJSONExport.layer(.stations, store: store, to: out, options: ExportOptions(crs: .gcj02))
        let doc = try json(out)
        XCTAssertEqual(doc["doorstep:crs"], .string("gcj02"))
        if case .string(let note)? = doc["doorstep:note"] { XCTAssertTrue(note.contains("RFC 7946")) } else { XCTFail("no note") }
        guard case .array(let features)? = doc["features"], case .array(let xy)? = features[0]["geometry"]?["coordinates"],
              case .number(let lon) = xy[0], case .number(let lat) = xy[1] else { return XCTFail() }
        let expected = ChinaShift.wgs84ToGCJ02(Coordinate(lon: 118.780500004, lat: 32.040500004))
        XCTAssertEqual(lon, expected.lon, accuracy: 1e-7)
        XCTAssertEqual(lat, expected.lat, accuracy: 1e-7)
        XCTAssertGreaterThan(Geodesic.distance(Coordinate(lon: lon, lat: lat), Coordinate(lon: 118.7805, lat: 32.0405)), 300)
    }

    func testStyleAddsSimplestyleProperties() throws {
        let store = try fixtureStore()
        let out = path("stations.geojson")
        _ = try GeoJSONExport.layer(.stations, store: store, to: out, options: ExportOptions(style: true))
        guard case .array(let features)? = try json(out)["features"] else { return XCTFail() }
        XCTAssertEqual(features[0]["properties"]?["marker-color"], .string("#b2182b"))
        XCTAssertEqual(features[0]["properties"]?["marker-symbol"], .string("town-hall"))
        XCTAssertEqual(features[1]["properties"]?["marker-color"], .string("#e08214"))
    }

    // MARK: GDAL reads every export

    /// `ogrinfo -ro -al -so` on `file`: (feature count, geometry type).
    func ogrinfo(_ file: String) throws -> (count: Int, geometry: String)? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ogrinfo") else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ogrinfo")
        p.arguments = ["-ro", "-al", "-so", file]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertFalse(text.contains("ERROR"), text)
        var count = -1, geometry = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Feature Count: ") { count = Int(line.dropFirst("Feature Count: ".count)) ?? -1 }
            if line.hasPrefix("Geometry: ") { geometry = String(line.dropFirst("Geometry: ".count)) }
        }
        return (count, geometry)
    }

    func testOgrinfoReadsEveryExportOfTheSampleCity() throws {
        let store = try sampleStore()
        let expected: [Layer: String] = [.stations: "Point", .compounds: "Polygon", .entrances: "Point", .grids: "Multi Polygon", .ways: "Multi Line String"]
        for layer in Layer.allCases {
            let out = path("\(layer.rawValue).geojson")
            let summary = try GeoJSONExport.layer(layer, store: store, to: out, options: ExportOptions(style: true))
            XCTAssertEqual(summary.features, try store.count(layer))
            guard let info = try ogrinfo(out) else { throw XCTSkip("ogrinfo (gdal-bin) is not installed") }
            XCTAssertEqual(info.count, try store.count(layer), layer.rawValue)
            XCTAssertEqual(info.geometry, expected[layer], layer.rawValue)
        }

        let network = try WalkingNetwork.load(from: store, persist: true)
        let net = try GeoJSONExport.network(store: store, to: path("network.geojson"))
        XCTAssertEqual(net.features, network.graph.edgeCount)
        XCTAssertEqual(try ogrinfo(path("network.geojson"))?.count, network.graph.edgeCount)
        XCTAssertEqual(try ogrinfo(path("network.geojson"))?.geometry, "Line String")

        let report = try CoverageAnalysis.run(stations: store.stations(), compounds: store.compoundSites(), network: network,
                                              options: CoverageOptions(reach: .uniform(300), walk: true))
        _ = try GeoJSONExport.coverage(report, store: store, to: path("coverage.geojson"), options: ExportOptions(style: true))
        XCTAssertEqual(try ogrinfo(path("coverage.geojson"))?.count, report.compounds.count)
        let gaps = try GeoJSONExport.gaps(report, store: store, to: path("gaps.geojson"))
        XCTAssertGreaterThan(gaps.features, 0, "the 5-minute walk leaves gaps in the sample city")
        XCTAssertEqual(try ogrinfo(path("gaps.geojson"))?.count, report.gaps.count)
        let grids = try GeoJSONExport.gridCoverage(report, store: store, to: path("grid-coverage.geojson"))
        XCTAssertEqual(grids.features, try store.count(.grids))
        XCTAssertEqual(try ogrinfo(path("grid-coverage.geojson"))?.geometry, "Multi Polygon")

        // Gaps come ranked, and each carries what the CLI shows.
        guard case .array(let features)? = try json(path("gaps.geojson"))["features"] else { return XCTFail() }
        XCTAssertEqual(features.first?["properties"]?["rank"], .number(1))
        XCTAssertEqual(features.first?["properties"]?["covered"], .bool(false))
        XCTAssertNotNil(features.first?["properties"]?["walking_m"])
        XCTAssertNotNil(features.first?["properties"]?["nearest_station"])
        if let file = store as? Store { // SQLite's prepared statements
            file.database.clearStatementCache()
            XCTAssertEqual(file.database.openStatements, [], "every streaming statement is finalized")
        }
    }

    // MARK: The map

    func testRenderedMapIsXMLWithLegendScaleBarAndAttribution() throws {
        let store = try sampleStore()
        let report = try CoverageAnalysis.run(stations: store.stations(), compounds: store.compoundSites(), network: nil,
                                              options: CoverageOptions(reach: .uniform(300)))
        let svg = path("map.svg")
        let summary = try MapRenderer.render(report: report, store: store, to: svg, options: MapOptions(date: "2026-01-01"))
        XCTAssertEqual(summary.compounds, try store.count(.compounds))

        final class Collector: NSObject, XMLParserDelegate {
            var ids = Set<String>()
            var elements = [String: Int]()
            var text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                elements[name, default: 0] += 1
                if let id = attributes["id"] { ids.insert(id) }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
        }
        let parser = XMLParser(contentsOf: URL(fileURLWithPath: svg))!
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), parser.parserError.map { "\($0)" } ?? "")
        for id in ["title", "legend", "scale-bar", "north-arrow", "attribution", "grids", "streets", "service-areas", "compounds", "stations"] {
            XCTAssertTrue(collector.ids.contains(id), "no element with id \(id)")
        }
        XCTAssertTrue(collector.text.contains("© OpenStreetMap contributors, ODbL"))
        XCTAssertTrue(collector.text.contains("图例 Legend"))
        XCTAssertTrue(collector.text.contains("300 m"), "the title names the radius")
        XCTAssertTrue(collector.text.contains("straight-line"), "the title names the mode")
        XCTAssertEqual(collector.elements["circle", default: 0] >= 2 * (try store.count(.stations)), true, "a service circle (fill and outline) per station")

        let rsvg = "/usr/bin/rsvg-convert"
        guard FileManager.default.isExecutableFile(atPath: rsvg) else { throw XCTSkip("rsvg-convert (librsvg2-bin) is not installed") }
        let png = path("map.png")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: rsvg)
        p.arguments = ["-o", png, svg]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertGreaterThan(bytes.count, 50_000)
    }
}
