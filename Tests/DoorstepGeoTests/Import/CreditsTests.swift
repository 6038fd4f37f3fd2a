import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Credits come from the data: OpenStreetMap's ODbL notice only for layers that came from OpenStreetMap, a street
/// office's own credit for its own files, and every output carries the credits of the layers in it.
final class CreditsTests: XCTestCase {
    static let root = packageRoot
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-credits-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A street office's stations and compounds, in CSV and GeoJSON with no word of OpenStreetMap.
    private func officeFiles() throws -> (stations: URL, compounds: URL) {
        let stations = dir.appendingPathComponent("华侨路街道站点.csv")
        try """
        编号,名称,类型,经度,纬度
        S1,华侨路党群服务中心,党群服务中心,118.7716,32.0510
        S2,上海路驿站,驿站,118.7750,32.0470
        """.write(to: stations, atomically: true, encoding: .utf8)
        let compounds = dir.appendingPathComponent("compounds.geojson")
        try """
        {"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[118.7720,32.0505]},"properties":{"id":"C1","name":"上海路小区","households":300}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[118.7900,32.0400]},"properties":{"id":"C2","name":"远处小区","households":120}}]}
        """.write(to: compounds, atomically: true, encoding: .utf8)
        return (stations, compounds)
    }

    func testAnOfficesOwnDataCarriesItsOwnCreditNotOpenStreetMaps() throws {
        let files = try officeFiles()
        let store = try freshStore(self, in: dir).store
        var stations = ImportOptions(layer: .stations, file: files.stations)
        stations.attribution = "鼓楼区华侨路街道办事处，2026年11月"
        _ = try Importer.run(stations, into: store)
        _ = try Importer.run(ImportOptions(layer: .compounds, file: files.compounds), into: store)
        XCTAssertEqual(try store.credits(of: [.stations]), ["鼓楼区华侨路街道办事处，2026年11月"])
        XCTAssertEqual(try store.credits(of: [.compounds]), ["source: compounds.geojson"])

        // The layer export, the coverage export and the map all say so, and none of them credits OpenStreetMap.
        let layerOut = dir.appendingPathComponent("stations.out.geojson").path
        _ = try GeoJSONExport.layer(.stations, store: store, to: layerOut)
        let layerDoc = try JSONValue.parse(String(contentsOfFile: layerOut, encoding: .utf8))
        XCTAssertEqual(layerDoc["attribution"], .string("鼓楼区华侨路街道办事处，2026年11月"))
        let report = try CoverageAnalysis.run(stations: store.stations(), compounds: store.compoundSites(), network: nil,
                                              options: CoverageOptions(reach: .uniform(300)))
        let coverageOut = dir.appendingPathComponent("coverage.out.geojson").path
        _ = try GeoJSONExport.coverage(report, store: store, to: coverageOut)
        let coverageDoc = try JSONValue.parse(String(contentsOfFile: coverageOut, encoding: .utf8))
        XCTAssertEqual(coverageDoc["attribution"], .string("source: compounds.geojson; 鼓楼区华侨路街道办事处，2026年11月"))
        let svg = dir.appendingPathComponent("map.svg").path
        _ = try MapRenderer.render(report: report, store: store, to: svg)
        let drawn = try String(contentsOfFile: svg, encoding: .utf8)
        XCTAssertTrue(drawn.contains("鼓楼区华侨路街道办事处，2026年11月"))
        for text in [try String(contentsOfFile: layerOut, encoding: .utf8), try String(contentsOfFile: coverageOut, encoding: .utf8), drawn] {
            XCTAssertFalse(text.contains("OpenStreetMap"), "a false OpenStreetMap credit")
        }
    }

    func testReplaceResetsTheCreditAndAddingAddsIt() throws {
        let files = try officeFiles()
        let store = try freshStore(self, in: dir).store
        _ = try Importer.run(ImportOptions(layer: .stations, file: files.stations), into: store)
        var more = ImportOptions(layer: .stations, file: files.stations)
        more.attribution = "市民政局"
        _ = try Importer.run(more, into: store)
        XCTAssertEqual(try store.credits(of: [.stations]), ["source: 华侨路街道站点.csv", "市民政局"])
        more.replace = true
        more.attribution = "区数据局"
        _ = try Importer.run(more, into: store)
        XCTAssertEqual(try store.credits(of: [.stations]), ["区数据局"])
        // A failed import changes no credit.
        let bad = dir.appendingPathComponent("bad.csv")
        try "编号,名称,经度,纬度\nS9,,118.77,32.05\n".write(to: bad, atomically: true, encoding: .utf8)
        var failing = ImportOptions(layer: .stations, file: bad, replace: true)
        failing.attribution = "不应出现"
        XCTAssertThrowsError(try Importer.run(failing, into: store))
        XCTAssertEqual(try store.credits(of: [.stations]), ["区数据局"])
    }

    /// The sample city's files say they are OpenStreetMap's (metadata.attribution), so their layers carry ODbL.
    func testAFileThatStatesItsCreditIsBelieved() throws {
        let store = try freshStore(self, in: dir).store
        let sample = Self.root.appendingPathComponent("geodata/nanjing-xinjiekou/stations.geojson")
        _ = try Importer.run(ImportOptions(layer: .stations, file: sample), into: store)
        let stated = try XCTUnwrap(JSONValue.parse(String(contentsOf: sample, encoding: .utf8))["metadata"]?["attribution"])
        XCTAssertEqual(try store.credits(of: [.stations]).map(JSONValue.string), [stated])
        XCTAssertTrue(try store.credits(of: [.stations])[0].contains("ODbL"))
    }

    func testOpenStreetMapImportsAreCreditedToOpenStreetMap() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/osmium") else { throw XCTSkip("osmium-tool is not installed") }
        let store = try freshStore(self, in: dir).store
        let extract = Self.root.appendingPathComponent("Tests/Fixtures/osm/nanjing-xinjiekou.osm")
        _ = try OSMImporter.run(OSMImportOptions(file: extract), into: store)
        for layer in [Layer.ways, .compounds, .stations] {
            XCTAssertEqual(try store.credits(of: [layer]), [Credits.openStreetMap], "\(layer)")
        }
    }
}
