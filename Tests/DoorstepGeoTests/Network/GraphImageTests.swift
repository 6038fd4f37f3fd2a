import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport

/// The walking graph's stored image (`WalkGraph.writeImage`, `StoreWriter.storeGraphImage`): read back it is the graph
/// built from the ways, array for array; it is used only while the ways are of its generation (a SQL client's change
/// counts); a damaged or cut image is refused and the graph built from the ways, and written again by a command that
/// may write.
final class GraphImageTests: XCTestCase {
    private func assertSame(_ a: WalkGraph, _ b: WalkGraph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.nodes, b.nodes, file: file, line: line)
        XCTAssertEqual(a.edgeSource, b.edgeSource, file: file, line: line)
        XCTAssertEqual(a.edgeTarget, b.edgeTarget, file: file, line: line)
        XCTAssertEqual(a.edgeLength.map(\.bitPattern), b.edgeLength.map(\.bitPattern), file: file, line: line)
        XCTAssertEqual(a.edgeWay, b.edgeWay, file: file, line: line)
        XCTAssertEqual(a.wayIDs, b.wayIDs, file: file, line: line)
        XCTAssertEqual(Array(a.wayLevels), Array(b.wayLevels), file: file, line: line)
        XCTAssertEqual(a.wayMended, b.wayMended, file: file, line: line)
        XCTAssertEqual(a.vertexStart, b.vertexStart, file: file, line: line)
        XCTAssertEqual(a.vertices.map(\.lon.bitPattern), b.vertices.map(\.lon.bitPattern), file: file, line: line)
        XCTAssertEqual(a.vertices.map(\.lat.bitPattern), b.vertices.map(\.lat.bitPattern), file: file, line: line)
        XCTAssertEqual(a.incidentStart, b.incidentStart, file: file, line: line)
        XCTAssertEqual(a.incident, b.incident, file: file, line: line)
        XCTAssertEqual(a.incidentNode, b.incidentNode, file: file, line: line)
        XCTAssertEqual(a.component, b.component, file: file, line: line)
        XCTAssertEqual(a.componentSizes, b.componentSizes, file: file, line: line)
    }

    private func image(_ graph: WalkGraph, partBytes: Int) throws -> [[UInt8]] {
        var parts = [[UInt8]]()
        try graph.writeImage(partBytes: partBytes) { parts.append(Array($0)) }
        return parts
    }

    private func read(_ parts: [[UInt8]]) throws -> WalkGraph {
        var next = 0
        return try WalkGraph(image: {
            guard next < parts.count else { return nil }
            defer { next += 1 }
            return parts[next].withUnsafeBytes { $0 }
        })
    }

    /// Ways on three levels, a connector, two pieces, names in Chinese and with quotes; in parts of 7 bytes (every
    /// array crosses parts) and in one part.
    func testImageReadsBackAsTheGraph() throws {
        let ways = [
            WalkableWay(id: "路 1", lines: [[at(0, 0), at(100, 0), at(200, 0)]]),
            WalkableWay(id: "bridge \"b\"", lines: [[at(100, 0), at(100, 100)]], level: WayLevel(layer: 1, bridge: true, tunnel: false)),
            WalkableWay(id: "tunnel", lines: [[at(100, 100), at(200, 100)], [at(200, 100), at(200, 0)]],
                        level: WayLevel(layer: -2, bridge: false, tunnel: true)),
            WalkableWay(id: "mend/1", lines: [[at(200, 0), at(200, 50)]], mended: true),
            WalkableWay(id: "island", lines: [[at(900, 900), at(950, 900)]]),
        ]
        let graph = WalkGraph(ways: ways)
        XCTAssertEqual(graph.componentSizes.count, 2)
        XCTAssertEqual(Set(graph.wayLevels).count, 3)
        XCTAssertTrue(graph.wayMended.contains(true))
        let small = try image(graph, partBytes: 7)
        XCTAssertGreaterThan(small.count, 50)
        assertSame(try read(small), graph)
        let whole = try image(graph, partBytes: WalkGraph.imagePartBytes)
        XCTAssertEqual(whole.count, 1)
        XCTAssertEqual(whole[0], small.flatMap { $0 }, "the parts are one stream")
        assertSame(try read(whole), graph)
        // No ways: an empty graph goes and comes back too.
        assertSame(try read(try image(WalkGraph(ways: []), partBytes: 5)), WalkGraph(ways: []))
    }

    /// Every byte that matters is checked: a changed byte anywhere, a part missing, bytes added, are refused.
    func testDamagedImagesAreRefused() throws {
        let graph = WalkGraph(ways: lattice().enumerated().map { WalkableWay(id: "w\($0.offset)", lines: [$0.element]) })
        let whole = try image(graph, partBytes: 1 << 20)[0]
        func refused(_ bytes: [UInt8], _ expected: String, _ line: UInt = #line) {
            XCTAssertThrowsError(try read([bytes]), line: line) { error in
                XCTAssertTrue(error is GraphImageProblem, "\(error)", line: line)
                XCTAssertTrue("\(error)".contains(expected), "\(error)", line: line)
            }
        }
        // Bytes spread over the whole image, each changed in turn (the header's counts, indexes, coordinates, ids …).
        for at in stride(from: 8, to: whole.count, by: max(1, whole.count / 97)) {
            var bytes = whole
            bytes[at] ^= 0x10
            XCTAssertThrowsError(try read([bytes]), "byte \(at) changed") { XCTAssertTrue($0 is GraphImageProblem, "\($0)") }
        }
        var wrongMagic = whole
        wrongMagic[0] = UInt8(ascii: "X")
        refused(wrongMagic, "not a walking graph image")
        refused(Array(whole.dropLast(9)), "ends early")
        refused(whole + [0], "bytes after the end")
        XCTAssertThrowsError(try read([Array(whole.prefix(100)), Array(whole.dropFirst(100)), [1, 2]])) { XCTAssertTrue("\($0)".contains("bytes after the end"), "\($0)") }
        XCTAssertThrowsError(try read([])) { XCTAssertTrue("\($0)".contains("ends early"), "\($0)") }
    }

    private func sampleCity() throws -> String {
        let address = try TestStores.fresh(self)
        try StoreBackends.writing(address) { store in
            try importSampleCity(into: store)
            // What `doorstep import ways` does after the import.
            _ = try WalkingNetwork.storeGraph(in: store)
        }
        return address
    }

    private static func execute(_ address: String, _ sql: String) throws {
        if TestStores.isPostgres(address) { return try PostGISQuery.execute(address, sql) }
        try Store(path: address).database.execute(sql)
    }

    private func coverage(_ address: String) throws -> (json: String, fromImage: Bool) {
        let source = DatabaseSource(try StoreBackends.open(address, readOnly: false), persistNetwork: true,
                                    besideNetwork: { try StoreBackends.open(address, readOnly: true) })
        let options = try CoverageUseCase.Options(AnalysisOptions(radius: 300, walk: true))
        let json = try CoverageUseCase.run(options, on: source).json.jsonText
        return (json, try XCTUnwrap(source.walkingNetwork()).loadedFromImage)
    }

    /// The stored image is the graph the ways make, and a walking answer from it is the answer from the ways.
    func testStoredImageIsTheGraphOfTheWays() throws {
        let address = try sampleCity()
        let store = try StoreBackends.open(address, readOnly: true)
        let generation = try store.generation(of: .ways)
        XCTAssertEqual(try store.storedGraphImageGeneration(), generation)
        let loaded = try WalkingNetwork.load(from: store)
        XCTAssertTrue(loaded.loadedFromImage)
        let built = WalkGraph(lines: try store.walkableWayLines())
        XCTAssertGreaterThan(built.edgeCount, 500)
        XCTAssertGreaterThan(Set(built.wayLevels).count, 1, "the sample has bridges or tunnels")
        assertSame(loaded.graph, built)
        let fromImage = try coverage(address)
        XCTAssertTrue(fromImage.fromImage)
        // The image made stale by hand: the graph is built from the ways, the answer is the same, and the image is
        // written again by the command (it may write).
        try Self.execute(address, "UPDATE doorstep_meta SET value = '-1' WHERE key = 'graph:ways_generation'")
        let fromWays = try coverage(address)
        XCTAssertFalse(fromWays.fromImage)
        XCTAssertEqual(fromWays.json, fromImage.json)
        XCTAssertTrue(fromImage.json.contains("\"walking_m\":"), "a walking answer")
        XCTAssertEqual(try store.storedGraphImageGeneration(), generation, "written again")
        XCTAssertTrue(try coverage(address).fromImage)
    }

    /// A way changed by another SQL client (QGIS editing the file, psql on the database) moves the ways' generation on:
    /// the old image is not used, and the graph is the changed ways' graph.
    func testWaysChangedBySQLAreNotReadFromTheOldImage() throws {
        let address = try sampleCity()
        let before = try StoreBackends.open(address, readOnly: true)
        let generation = try before.generation(of: .ways)
        let old = try WalkingNetwork.load(from: before)
        XCTAssertTrue(old.loadedFromImage)
        let victim = old.graph.wayIDs[Int(old.graph.edgeWay[old.graph.edgeCount / 2])]
        try Self.execute(address, "DELETE FROM ways WHERE id = '\(victim)'")
        let store = try StoreBackends.open(address, readOnly: true)
        XCTAssertGreaterThan(try store.generation(of: .ways), generation, "the change counts")
        let network = try WalkingNetwork.load(from: store)
        XCTAssertFalse(network.loadedFromImage)
        XCTAssertFalse(network.graph.wayIDs.contains(victim))
        XCTAssertLessThan(network.graph.edgeCount, old.graph.edgeCount)
        assertSame(network.graph, WalkGraph(lines: try store.walkableWayLines()))
    }

    /// An image damaged in the store (one byte changed, or its last part gone) is refused: the graph comes from the
    /// ways, the answer is the same, and a command that may write stores a good image again.
    func testDamagedStoredImageIsRebuilt() throws {
        let address = try sampleCity()
        let expected = try coverage(address)
        XCTAssertTrue(expected.fromImage)
        let flip = TestStores.isPostgres(address)
            ? "UPDATE doorstep_graph SET bytes = set_byte(bytes, 5000, (get_byte(bytes, 5000) + 1) % 256) WHERE part = 0"
            : "UPDATE doorstep_graph SET bytes = CAST(substr(bytes, 1, 5000) || CASE WHEN substr(bytes, 5001, 1) = X'00' THEN X'01' ELSE X'00' END || substr(bytes, 5002) AS BLOB) WHERE part = 0"
        for damage in [flip, "DELETE FROM doorstep_graph"] {
            try Self.execute(address, damage)
            let reader = try StoreBackends.open(address, readOnly: true)
            XCTAssertFalse(try WalkingNetwork.load(from: reader).loadedFromImage, damage)
            let answer = try coverage(address)
            XCTAssertFalse(answer.fromImage, damage)
            XCTAssertEqual(answer.json, expected.json, damage)
            XCTAssertTrue(try WalkingNetwork.load(from: StoreBackends.open(address, readOnly: true)).loadedFromImage, "stored again after \(damage)")
        }
    }

    /// `import ways` builds its graph from the ways as it writes them (`ImportOptions.walkableWaysWritten`): they are
    /// the walkable ways the store gives back, with `foot` and the level in every spelling the two stores' SQL and the
    /// Swift rule could read differently.
    func testWaysWrittenAreTheWaysReadBack() throws {
        let feet: [String?] = [nil, "no", " No ", "NO", "no  ", "nO", "yes", "nö", "ｎｏ", "n o", "no\t", "designated", "", "non", "on"]
        var features = [String]()
        for (i, foot) in feet.enumerated() {
            let footJSON = foot.map { "\"\(JSONValue.string($0).jsonText.dropFirst().dropLast())\"" } ?? "null"
            let level = [("null", "null", "null"), ("\"yes\"", "null", "1"), ("null", "\"building_passage\"", "\"-1\""),
                         ("\"no\"", "\"yes\"", "\" 2 \""), ("null", "null", "\"x\"")][i % 5]
            let x = 118.78 + Double(i) * 0.001
            let geometry = i % 3 == 0
                ? "{\"type\":\"MultiLineString\",\"coordinates\":[[[\(x),32.04],[\(x),32.041]],[[\(x),32.041],[\(x + 0.0005),32.0415]]]}"
                : "{\"type\":\"LineString\",\"coordinates\":[[\(x),32.04],[\(x),32.041],[\(x + 0.001),32.041]]}"
            features.append("""
                {"type":"Feature","geometry":\(geometry),"properties":{"id":"w<\(i)>\\"","foot":\(footJSON),"bridge":\(level.0),"tunnel":\(level.1),"layer":\(level.2)}}
                """)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ways-\(UUID().uuidString).geojson")
        try Data("{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        final class Written: @unchecked Sendable { var lines: WayLines? }
        for replace in [false, true] {
            let address = try TestStores.fresh(self)
            let written = Written()
            try StoreBackends.writing(address) { store in
                if replace { _ = try Importer.run(ImportOptions(layer: .ways, file: CoverageByTimeTests.sampleCity.appendingPathComponent("ways.geojson")), into: store) }
                var options = ImportOptions(layer: .ways, file: file, replace: replace)
                options.walkableWaysWritten = { written.lines = $0 }
                _ = try Importer.run(options, into: store)
            }
            let store = try StoreBackends.open(address, readOnly: true)
            let back = try store.walkableWayLines()
            let lines = try XCTUnwrap(written.lines, "handed over (replace: \(replace))")
            XCTAssertEqual(lines.ids, back.ids)
            XCTAssertEqual(Array(lines.levels), Array(back.levels))
            XCTAssertEqual(lines.mended, back.mended)
            XCTAssertEqual(lines.lineWay, back.lineWay)
            XCTAssertEqual(lines.lineStart, back.lineStart)
            XCTAssertEqual(lines.coordinates, back.coordinates)
            let closed = feet.filter { WalkableWay.isClosedToPedestrians(foot: $0?.trimmingCharacters(in: .whitespacesAndNewlines)) }.count
            XCTAssertEqual(try store.waysClosedToPedestrians(), closed)
            XCTAssertEqual(closed, 6, "no, No, NO, no␠␠, nO, no⇥ (the import trims the tab)")
            XCTAssertEqual(Set(back.levels).count, 4)
            assertSame(WalkGraph(lines: lines), WalkGraph(lines: back))
        }
        // Ways added to a layer that holds others are not handed over: the graph is built from the whole layer.
        let address = try TestStores.fresh(self)
        let written = Written()
        try StoreBackends.writing(address) { store in
            _ = try Importer.run(ImportOptions(layer: .ways, file: CoverageByTimeTests.sampleCity.appendingPathComponent("ways.geojson")), into: store)
            var options = ImportOptions(layer: .ways, file: file)
            options.walkableWaysWritten = { written.lines = $0 }
            _ = try Importer.run(options, into: store)
        }
        XCTAssertNil(written.lines)
    }
}
