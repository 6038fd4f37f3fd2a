import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport

/// `doorstep import-osm` on the real Nanjing extract (Tests/Fixtures/osm/nanjing-xinjiekou.osm, a copy of
/// ../shared/geodata/nanjing-xinjiekou.osm): counts checked against an independent reading of the XML with
/// Foundation's XMLParser and against the sample's derived files, PBF input, walking coverage on the result, and bad
/// input that must leave the database exactly as it was.
final class ImportOSMTests: XCTestCase {
    static let root = packageRoot
    static let extract = root.appendingPathComponent("Tests/Fixtures/osm/nanjing-xinjiekou.osm")
    /// The box the sample city (geodata/nanjing-xinjiekou) was clipped to.
    static let sampleBox = BoundingBox(west: 118.763, south: 32.0355, east: 118.7962, north: 32.052)

    var work: URL!
    /// A fresh store (`TestStores`: a SpatiaLite file, or a PostGIS schema) and its address.
    var store: (any StoreWriter)!
    var address: String!
    /// The SpatiaLite store under `store`, or nil on PostGIS.
    var file: Store? { store as? Store }

    override func setUpWithError() throws {
        guard Osmium.locate() != nil else {
            throw XCTSkip("osmium is not installed (Debian osmium-tool; `make deps` installs it): OSM import tests skipped")
        }
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-osm-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        (store, address) = try freshStore(self, in: work)
    }

    override func tearDownWithError() throws {
        if let file {
            file.database.clearStatementCache()
            XCTAssertEqual(file.database.openStatements, [], "prepared statements leaked on the connection")
        }
        store = nil
        if let work { try? FileManager.default.removeItem(at: work) }
    }

    // MARK: Counts

    func testCountsPerLayerMatchAnIndependentReadingOfTheXML() throws {
        let summary = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let xml = try OSMXML(url: Self.extract)

        // ways: the documented filter, applied here to the XML's own tags.
        let highwayLines = xml.ways.filter { $0.tags["highway"] != nil && $0.tags["area"] != "yes" }
        XCTAssertEqual(highwayLines.count, 383, "the shared README's walkable_ways.geojson holds 383 ways (OSMnx's filter)")
        let walkable = xml.ways.filter(Self.walkable)
        XCTAssertEqual(try store.count(.ways), walkable.count)
        XCTAssertEqual(summary.ways.kept, walkable.count)
        // The documented differences from OSMnx: the inner-ring expressway and its tunnel (trunk) and the
        // motorroad=yes ramps are not for pedestrians.
        XCTAssertEqual(walkable.count, 374)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: summary.ways.skipped.map { ($0.reason, $0.count) }), [
            "motorroad=yes (汽车专用道)": 4, "highway=trunk without foot=yes or a sidewalk": 4,
            "highway=trunk_link without foot=yes or a sidewalk": 1, "area=yes (a square, not a line)": 1,
        ])
        let storedIDs = Set(try column("SELECT id FROM ways"))
        XCTAssertEqual(storedIDs, Set(walkable.map { "way/\($0.id)" }))

        // compounds: residential areas and buildings as areas (closed ways, multipolygon relations).
        let areas = xml.areas { $0["landuse"] == "residential" }
        let buildings = xml.areas { OSMRules.residentialBuildings.contains($0["building"] ?? "") && $0["landuse"] != "residential" }
        XCTAssertEqual(areas, 11)
        XCTAssertEqual(buildings, 88)
        XCTAssertEqual(summary.residentialAreas, areas)
        XCTAssertEqual(summary.residentialBuildings, buildings)
        // 70 buildings lie inside an area and are part of its compound: 11 + 18, as in the sample city, whose
        // generator decided the same question in its own (metric) plane.
        let sampleCompounds = try JSONValue.parse(String(contentsOf: Self.root.appendingPathComponent("geodata/nanjing-xinjiekou/compounds.geojson"), encoding: .utf8))
        guard case .array(let sampleFeatures)? = sampleCompounds["features"] else { return XCTFail("sample compounds unreadable") }
        XCTAssertEqual(try store.count(.compounds), sampleFeatures.count)
        XCTAssertEqual(try store.count(.compounds), 29)
        XCTAssertEqual(summary.compounds.skipped.first?.count, 70)
        XCTAssertEqual(try scalar("SELECT count(*) FROM compounds WHERE households IS NULL").flatMap { Int64($0) }, 29,
                       "OSM has no households: every compound is unknown")

        // stations: the two government offices (a node and a multipolygon relation).
        let stationCount = xml.nodes.filter { Self.communityService($0.tags) }.count + xml.areas(Self.communityService)
        XCTAssertEqual(stationCount, 2)
        XCTAssertEqual(try store.count(.stations), stationCount)
        let stations = try store.stations().sorted { $0.id < $1.id }
        XCTAssertEqual(stations.map(\.id), ["node/2327962138", "relation/2171965"])
        XCTAssertEqual(stations.map(\.name), ["秦淮区政府", "玄武区人民政府"])
        XCTAssertEqual(stations.map(\.kind), ["center", "center"])
        // The relation's point is inside its building.
        let inside = try scalar("""
            SELECT ST_Contains(SetSRID(GeomFromGeoJSON(?3), 4326), MakePoint(?1, ?2, 4326))
            """, [.double(stations[1].location.lon), .double(stations[1].location.lat), .text(try xml.geoJSON(relation: 2171965))])
        XCTAssertEqual(inside, "1")
        let tags = try scalar("SELECT properties FROM stations WHERE id = 'relation/2171965'") ?? ""
        XCTAssertTrue(tags.contains("\"amenity\":\"townhall\""), tags)
        XCTAssertTrue(tags.contains("Xuanwu District Office"), tags)

        // One import log line per layer, naming the OSM file.
        XCTAssertEqual(try column("SELECT file FROM import_log ORDER BY seq"),
                       ["nanjing-xinjiekou.osm (ways)", "nanjing-xinjiekou.osm (compounds)", "nanjing-xinjiekou.osm (stations)"])
    }

    func testNamedCompoundIsFound() throws {
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let rows = try column("SELECT id || ' ' || ifnull(households, 'unknown') FROM compounds WHERE name = '华侨路二十六号小区'")
        XCTAssertEqual(rows, ["way/857726131 unknown"])
        XCTAssertEqual(try scalar("SELECT properties FROM compounds WHERE id = 'way/857726131'"),
                       #"{"name_source":"osm","landuse":"residential"}"#)
        // Unnamed compounds get a name that says so and points at the OSM object.
        XCTAssertEqual(try column("SELECT name FROM compounds WHERE id = 'way/318702391'"), ["未命名小区 way/318702391"])
    }

    func testWalkingCoverageRunsOnTheResult() throws {
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let network = try WalkingNetwork.load(from: store, persist: true)
        XCTAssertGreaterThan(network.graph.edgeCount, 374)
        let report = try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(),
                                              network: network, options: CoverageOptions(reach: .perStation(fallback: 1000), walk: true))
        XCTAssertEqual(report.compounds.count, 29)
        XCTAssertEqual(Set(report.compounds.map(\.site.id)), Set(try column("SELECT id FROM compounds")))
        XCTAssertTrue(report.compounds.contains { $0.status == .covered }, "\(report.compounds.map(\.status))")
        XCTAssertTrue(report.compounds.contains { $0.status != .covered }, "two stations in the east cannot cover the west within 1 km")
        XCTAssertEqual(report.stationsOffNetwork, [])
    }

    func testPBFGivesTheSameLayers() throws {
        let pbf = work.appendingPathComponent("nanjing.osm.pbf")
        try osmium(["cat", Self.extract.path, "-o", pbf.path])
        let (fromXML, xmlAddress) = try freshStore(self, name: "xml", in: work)
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: fromXML)
        let summary = try OSMImporter.run(OSMImportOptions(file: pbf), into: store)
        XCTAssertEqual(summary.format, "OSM PBF")
        for layer in [Layer.ways, .compounds, .stations] {
            let sql = "SELECT id, name, AsText(geom) FROM \(layer.rawValue) ORDER BY id"
            XCTAssertEqual(try column(sql), try column(sql, at: xmlAddress), "\(layer)")
        }
        (fromXML as? Store)?.database.clearStatementCache()
    }

    func testBBoxKeepsWhatTouchesIt() throws {
        let summary = try OSMImporter.run(OSMImportOptions(file: Self.extract, bbox: Self.sampleBox), into: store)
        let outside = summary.ways.skipped.first { $0.reason == "outside the bbox" }?.count ?? 0
        let xml = try OSMXML(url: Self.extract)
        let b = Self.sampleBox
        let expected = xml.ways.filter(Self.walkable).filter { way in
            way.nodes.contains { id in xml.location[id].map { b.west <= $0.lon && $0.lon <= b.east && b.south <= $0.lat && $0.lat <= b.north } ?? false }
        }
        XCTAssertEqual(try store.count(.ways), expected.count)
        XCTAssertEqual(outside, 374 - expected.count)
        // Nothing is clipped: a kept way keeps its vertices outside the box.
        XCTAssertGreaterThan(try scalar("SELECT count(*) FROM ways WHERE MbrMinX(geom) < ?", [.double(b.west)]).flatMap { Int($0) } ?? 0, 0)
    }

    func testCandidatesInsteadOfStations() throws {
        let candidates = work.appendingPathComponent("candidates.geojson")
        let summary = try OSMImporter.run(OSMImportOptions(file: Self.extract, candidatesFile: candidates), into: store)
        XCTAssertEqual(summary.stations.kept, 2)
        XCTAssertEqual(try store.count(.stations), 0)
        XCTAssertEqual(try store.count(.compounds), 29)
        let read = try CandidatesFile.read(candidates)
        XCTAssertEqual(read.map(\.name).sorted(), ["玄武区人民政府", "秦淮区政府"])
    }

    // MARK: Bad input leaves the database as it was

    func testTruncatedXMLIsRefusedAndChangesNothing() throws {
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let before = try dump()
        let data = try Data(contentsOf: Self.extract)
        let truncated = work.appendingPathComponent("cut.osm")
        try data.prefix(data.count / 2).write(to: truncated)
        let error = try importError(OSMImportOptions(file: truncated, replace: true))
        XCTAssertTrue(error.description.hasPrefix("cut.osm: not a readable OSM file: XML parsing error at line"), error.description)
        XCTAssertTrue(error.description.hasSuffix("cut.osm: nothing was imported"), error.description)
        XCTAssertEqual(try dump(), before)
    }

    func testRelationWithMissingMembersIsRefusedAndChangesNothing() throws {
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let before = try dump()
        let file = try write("broken.osm", """
            <node id="1" lat="32.040" lon="118.780"/><node id="2" lat="32.041" lon="118.780"/>
            <node id="3" lat="32.041" lon="118.781"/><node id="4" lat="32.040" lon="118.782"/>
            <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/></way>
            <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="footway"/></way>
            <relation id="20"><member type="way" ref="10" role="outer"/><member type="way" ref="12" role="outer"/>
              <tag k="type" v="multipolygon"/><tag k="landuse" v="residential"/><tag k="name" v="断链小区"/></relation>
            """)
        let error = try importError(OSMImportOptions(file: file, replace: true))
        XCTAssertTrue(error.description.contains("broken.osm: relation/20: references way 12, which is not in the file"), error.description)
        XCTAssertTrue(error.description.contains("--skip-incomplete"), error.description)
        XCTAssertEqual(try dump(), before)

        // Asked to, the import leaves the relation out and says so.
        let summary = try OSMImporter.run(OSMImportOptions(file: file, skipIncomplete: true), into: store)
        XCTAssertEqual(summary.incomplete, ["relation/20 (way 12 missing)"])
        XCTAssertEqual(try column("SELECT id FROM ways WHERE id = 'way/11'"), ["way/11"])
        XCTAssertEqual(try column("SELECT id FROM compounds WHERE name = '断链小区'"), [])
    }

    func testWayWithNodesOutsideTheExtractIsRefused() throws {
        let before = try dump()
        let file = try write("cut-way.osm", """
            <node id="1" lat="32.040" lon="118.780"/><node id="2" lat="32.041" lon="118.780"/>
            <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="99"/><tag k="highway" v="residential"/></way>
            """)
        let error = try importError(OSMImportOptions(file: file))
        XCTAssertTrue(error.description.contains("cut-way.osm: way/10: references node 99, which is not in the file"), error.description)
        XCTAssertEqual(try dump(), before)
    }

    func testNothingInsideTheBBoxIsRefusedAndChangesNothing() throws {
        _ = try OSMImporter.run(OSMImportOptions(file: Self.extract), into: store)
        let before = try dump()
        let far = BoundingBox(west: 116.3, south: 39.9, east: 116.4, north: 40.0)
        let error = try importError(OSMImportOptions(file: Self.extract, bbox: far, replace: true))
        XCTAssertEqual(error.description, """
            nanjing-xinjiekou.osm: holds no walkable ways, residential compounds or community-service features inside the bbox 116.300000,39.900000,116.400000,40.000000; nothing to import
            nanjing-xinjiekou.osm: nothing was imported
            """)
        XCTAssertEqual(try dump(), before)
    }

    func testLayersAreStoredInOneTransaction() throws {
        // What import-osm relies on: when a later layer fails, the layers before it are rolled back too.
        let ways = work.appendingPathComponent("ways.geojson"), compounds = work.appendingPathComponent("compounds.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"w1"},"geometry":{"type":"LineString","coordinates":[[118.78,32.04],[118.78,32.041]]}}]}"#.utf8).write(to: ways)
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"c1"},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}]}"#.utf8).write(to: compounds)
        let before = try dump()
        XCTAssertThrowsError(try Importer.run([ImportOptions(layer: .ways, file: ways), ImportOptions(layer: .compounds, file: compounds)], into: store)) {
            XCTAssertTrue("\($0)".contains("compounds.geojson: feature 1 (id c1): name: missing"), "\($0)")
        }
        XCTAssertEqual(try dump(), before)
        // And a blank OSM name is no name, not an error.
        let file = try write("blank.osm", """
            <node id="1" lat="32.040" lon="118.780"/><node id="2" lat="32.041" lon="118.780"/>
            <node id="3" lat="32.041" lon="118.781"/><node id="4" lat="32.040" lon="118.781"/>
            <way id="11"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/><tag k="name" v=" "/></way>
            <way id="12"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
              <tag k="landuse" v="residential"/><tag k="name" v="   "/></way>
            """)
        _ = try OSMImporter.run(OSMImportOptions(file: file), into: store)
        XCTAssertEqual(try column("SELECT name FROM compounds"), ["未命名小区 way/12"])
        XCTAssertEqual(try scalar("SELECT count(*) FROM ways WHERE name IS NULL"), "1")
    }

    // MARK: Helpers

    /// The documented walkable-way filter, restated over the XML's tags.
    static func walkable(_ way: OSMXML.Way) -> Bool {
        let t = way.tags
        guard let highway = t["highway"], t["area"] != "yes" else { return false }
        if ["no", "private", "use_sidepath"].contains(t["foot"] ?? "") { return false }
        let footSaid = ["yes", "designated", "permissive", "official"].contains(t["foot"] ?? "")
        if !footSaid, ["private", "no"].contains(t["access"] ?? "") || t["motorroad"] == "yes" { return false }
        if ["footway", "path", "steps", "pedestrian", "living_street", "residential", "service", "track", "unclassified",
            "road", "corridor", "bridleway", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
            "primary_link"].contains(highway) { return true }
        let sidewalk = ["both", "left", "right", "yes"].contains(t["sidewalk"] ?? "")
        return ["motorway", "motorway_link", "trunk", "trunk_link", "cycleway"].contains(highway) && (footSaid || sidewalk)
    }

    static func communityService(_ tags: [String: String]) -> Bool {
        ["community_centre", "social_facility", "townhall"].contains(tags["amenity"] ?? "") || tags["office"] == "government"
    }

    private func write(_ name: String, _ body: String) throws -> URL {
        let url = work.appendingPathComponent(name)
        try Data("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\">\n\(body)\n</osm>\n".utf8).write(to: url)
        return url
    }

    private func importError(_ options: OSMImportOptions, file: StaticString = #filePath, line: UInt = #line) throws -> ImportError {
        do {
            _ = try OSMImporter.run(options, into: store)
        } catch let error as ImportError {
            return error
        }
        XCTFail("the import should have failed", file: file, line: line)
        throw XCTSkip("no error")
    }

    private func osmium(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = Osmium.locate()
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "osmium \(arguments.joined(separator: " "))")
    }

    /// The first column of `sql`'s rows as text, on this test's store or the one at `address`: SpatiaLite's SQL, run
    /// through `PostGISQuery` on PostGIS.
    private func column(_ sql: String, at address: String? = nil, _ arguments: [SQLValue] = []) throws -> [String] {
        let own = address == nil
        let address = address ?? self.address!
        guard TestStores.isPostgres(address) else {
            var out = [String]()
            let database = own ? file!.database : try Store(path: address, readOnly: true).database
            try database.prepare(sql).forEach(arguments) { out.append($0.text(0)) }
            return out
        }
        return try PostGISQuery.rows(address, sql, arguments).map { row in
            switch row.first ?? .null {
            case .null: ""
            case .int(let v): "\(v)"
            case .double(let v): "\(v)"
            case .text(let s): s
            case .blob(let b): String(decoding: b, as: UTF8.self)
            }
        }
    }

    /// The first value of `sql` as text, or nil (no row, or NULL).
    private func scalar(_ sql: String, _ arguments: [SQLValue] = []) throws -> String? {
        if let file { return try file.database.scalarText(sql, arguments) }
        return try PostGISQuery.rows(address, sql, arguments).first.flatMap { row -> String? in
            switch row.first ?? .null {
            case .null: nil
            case .int(let v): "\(v)"
            case .double(let v): "\(v)"
            case .text(let s): s
            case .blob(let b): String(decoding: b, as: UTF8.self)
            }
        }
    }

    /// Every row of every ordinary table (spatial index and network tables included), as sorted text.
    private func dump() throws -> [String] {
        guard let store = file else {
            let tables = try PostGISQuery.tables(address)
            XCTAssertTrue(tables.contains("ways") && tables.contains("import_log"))
            return try PostGISQuery.snapshot(address, tables: tables)
        }
        var tables = [String]()
        try store.database.prepare("""
            SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name
            """).forEach { tables.append($0.text(0)) }
        XCTAssertTrue(tables.contains("ways") && tables.contains("import_log"))
        var lines = [String]()
        for table in tables {
            try store.database.prepare("SELECT * FROM \"\(table)\"").forEach { row in
                var cells = [String]()
                for i in 0..<row.columnCount { cells.append("\(row.value(i))") }
                lines.append(table + ": " + cells.joined(separator: " | "))
            }
        }
        return lines.sorted()
    }
}

/// The OSM XML read with Foundation's XMLParser: nodes, ways and relations with their tags.
struct OSMXML {
    struct Node { var id: Int64; var lon, lat: Double; var tags: [String: String] }
    struct Way { var id: Int64; var nodes: [Int64]; var tags: [String: String] }
    struct Relation { var id: Int64; var members: [(type: String, ref: Int64)]; var tags: [String: String] }
    var nodes = [Node]()
    var ways = [Way]()
    var relations = [Relation]()
    var location = [Int64: Coordinate]()

    init(url: URL) throws {
        let delegate = Delegate()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = delegate
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.fileReadCorruptFile) }
        nodes = delegate.nodes
        ways = delegate.ways
        relations = delegate.relations
        for n in nodes { location[n.id] = Coordinate(lon: n.lon, lat: n.lat) }
    }

    /// Areas whose tags pass `test`: closed ways, and multipolygon relations.
    func areas(_ test: ([String: String]) -> Bool) -> Int {
        ways.filter { $0.nodes.count >= 4 && $0.nodes.first == $0.nodes.last && test($0.tags) }.count
            + relations.filter { $0.tags["type"] == "multipolygon" && test($0.tags) }.count
    }

    /// A multipolygon relation's outer ways joined end to end into one ring, as GeoJSON (enough for the one in the
    /// fixture).
    func geoJSON(relation id: Int64) throws -> String {
        guard let r = relations.first(where: { $0.id == id }) else { throw CocoaError(.fileReadUnknown) }
        var pieces = r.members.filter { $0.type == "way" }.compactMap { m in ways.first { $0.id == m.ref }?.nodes }
        var ring = pieces.removeFirst()
        while ring.first != ring.last, let i = pieces.firstIndex(where: { $0.first == ring.last || $0.last == ring.last }) {
            let piece = pieces.remove(at: i)
            ring += (piece.first == ring.last ? piece : piece.reversed()).dropFirst()
        }
        let text = ring.map { "[\(location[$0]!.lon),\(location[$0]!.lat)]" }.joined(separator: ",")
        return "{\"type\":\"Polygon\",\"coordinates\":[[\(text)]]}"
    }

    private final class Delegate: NSObject, XMLParserDelegate {
        var nodes = [Node]()
        var ways = [Way]()
        var relations = [Relation]()
        var current = ""
        var tags = [String: String]()
        var refs = [Int64]()
        var members = [(type: String, ref: Int64)]()
        var attributes = [String: String]()

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes a: [String: String] = [:]) {
            switch name {
            case "node", "way", "relation":
                current = name
                attributes = a
                tags = [:]
                refs = []
                members = []
            case "tag": tags[a["k"] ?? ""] = a["v"]
            case "nd": refs.append(Int64(a["ref"] ?? "") ?? 0)
            case "member": members.append((a["type"] ?? "", Int64(a["ref"] ?? "") ?? 0))
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let id = Int64(attributes["id"] ?? "") ?? 0
            switch name {
            case "node":
                nodes.append(Node(id: id, lon: Double(attributes["lon"] ?? "") ?? 0, lat: Double(attributes["lat"] ?? "") ?? 0, tags: tags))
            case "way": ways.append(Way(id: id, nodes: refs, tags: tags))
            case "relation": relations.append(Relation(id: id, members: members, tags: tags))
            default: break
            }
        }
    }
}
