import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// What to load from an OpenStreetMap extract and how.
public struct OSMImportOptions: Sendable {
    /// An `.osm` (XML, optionally `.gz`/`.bz2`) or `.osm.pbf` file.
    public var file: URL
    /// Keep only features with a position inside this box (or covering it); nothing is clipped.
    public var bbox: BoundingBox?
    /// Replace the layers written instead of updating them by id.
    public var replace: Bool
    /// Write the community-service features to this GeoJSON file as planner candidates instead of the stations layer.
    public var candidatesFile: URL?
    /// Leave out ways and relations that reference objects missing from the file instead of refusing the import.
    public var skipIncomplete: Bool

    public init(file: URL, bbox: BoundingBox? = nil, replace: Bool = false, candidatesFile: URL? = nil,
                skipIncomplete: Bool = false) {
        self.file = file
        self.bbox = bbox
        self.replace = replace
        self.candidatesFile = candidatesFile
        self.skipIncomplete = skipIncomplete
    }
}

/// What an OSM import found, kept and left out, layer by layer.
public struct OSMImportSummary: Sendable {
    /// One layer's selection: how many features were kept and, by reason, how many were left out.
    public struct Selection: Sendable {
        public let layer: String
        public internal(set) var kept = 0
        /// Reasons in the order first met, with counts.
        public internal(set) var skipped: [(reason: String, count: Int)] = []

        package init(_ layer: String) { self.layer = layer }

        package mutating func skip(_ reason: String) {
            if let i = skipped.firstIndex(where: { $0.reason == reason }) {
                skipped[i].count += 1
            } else {
                skipped.append((reason, 1))
            }
        }

        public var skippedTotal: Int { skipped.reduce(0) { $0 + $1.count } }
    }

    public let file: String
    public let format: String
    public let ways: Selection
    public let compounds: Selection
    public let stations: Selection
    /// Residential areas and residential buildings found (before buildings inside areas were folded into them).
    public let residentialAreas: Int
    public let residentialBuildings: Int
    /// What each layer import stored (layers with nothing kept are not imported and do not appear).
    public let imported: [ImportSummary]
    /// Water features (rivers, canals, lakes) stored as barriers for `network mend`.
    public let water: Int
    /// The candidates file written with `--as-candidates`, and how many candidates it holds.
    public let candidatesFile: String?
    /// Ways and relations left out with `skipIncomplete`, as `way/123 (node 456 missing)`.
    public let incomplete: [String]
    /// Geometries osmium could not build (broken rings, self-intersecting multipolygons), with what it said.
    public let geometryErrors: [String]
}

/// Loads a city from an OpenStreetMap extract: walkable ways, residential compounds and community-service stations
/// (OSMRules), all in one transaction.
///
/// osmium selects the candidates by tag (`tags-filter`), checks that they are complete (`check-refs`) and builds their
/// geometries (`export` as GeoJSON text sequences); Doorstep applies the layer rules, writes each layer as GeoJSON in
/// a scratch folder and imports it through `Importer`, so checks and messages are those of `doorstep import`.
public enum OSMImporter {
    public static func run(_ options: OSMImportOptions, into store: any StoreWriter) throws -> OSMImportSummary {
        let url = options.file
        let fileName = url.lastPathComponent
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ImportError(file: url.path, ImportProblem(.file, "no such file, or it cannot be read"))
        }
        guard let executable = Osmium.locate() else {
            throw ImportError(file: fileName, ImportProblem(.file, "reading OpenStreetMap files needs osmium (Debian package osmium-tool; `make deps` installs it)"))
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-osm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let osmium = Osmium(executable: executable, scratch: scratch, fileName: fileName)

        // 1. Select by tag. The format follows the name (.osm, .osm.pbf, .osm.bz2 …); osmium says when it cannot.
        let selected = scratch.appendingPathComponent("selected.osm.pbf")
        _ = try osmium.run(["tags-filter", url.path] + OSMRules.tagFilters + ["-o", selected.path, "--overwrite", "--no-progress"])

        // 2. References: osmium export drops a way with a missing node or a relation with a missing member without a
        // word, so the selection is checked first.
        let refs = try osmium.run(["check-refs", "--check-relations", "--show-ids", "--no-progress", selected.path], acceptedStatuses: [0, 1])
        let missing = missingReferences(refs.stdout)
        if !missing.isEmpty && !options.skipIncomplete {
            var problems = missing.prefix(ProblemLog.limit).map {
                ImportProblem(.file, field: $0.object, "references \($0.missing), which is not in the file")
            }
            problems.append(ImportProblem(.file, "\(missing.count) way\(missing.count == 1 ? "" : "s") or relation\(missing.count == 1 ? "" : "s") of the selection are incomplete: the extract was cut without osmium's smart strategy (`osmium extract --strategy smart`) or is damaged; --skip-incomplete leaves them out"))
            throw ImportError(file: fileName, problems: problems, more: max(0, missing.count - ProblemLog.limit))
        }

        // 3. Geometries.
        let config = scratch.appendingPathComponent("export.json")
        try Data(OSMRules.exportConfig.utf8).write(to: config)
        let sequence = scratch.appendingPathComponent("selected.geojsonseq")
        let export = try osmium.run(["export", selected.path, "-c", config.path, "-f", "geojsonseq", "-o", sequence.path,
                                     "--overwrite", "--no-progress", "--show-errors"])
        let geometryErrors = export.messages.filter { $0.localizedCaseInsensitiveContains("error") }

        // 4. Layer rules.
        var sorter = LayerSorter(bbox: options.bbox)
        try WorkProgress.run("import-osm: sorting osmium's features into layers", unit: "features") { progress in
            try forEachFeature(in: sequence, fileName: fileName) { sorter.add($0); progress.advance() }
        }
        sorter.foldBuildingsIntoAreas()

        // 5. Store, one transaction for every layer.
        let format = url.path.lowercased().hasSuffix(".pbf") ? "OSM PBF" : "OSM XML"
        var imports = [ImportOptions]()
        func layerFile(_ layer: Layer, _ features: [JSONValue]) throws {
            guard !features.isEmpty else { return }
            let file = scratch.appendingPathComponent("\(layer.rawValue).geojson")
            try writeCollection(features, to: file)
            // Written by Doorstep from osmium's output, so no size cap: a province's ways pass 1 GiB.
            var layerImport = ImportOptions(layer: layer, file: file, replace: options.replace, makeValid: layer == .compounds,
                                            sourceName: "\(fileName) (\(layer.rawValue))", limits: ImportLimits(maxFileBytes: .max))
            layerImport.attribution = Credits.openStreetMap
            imports.append(layerImport)
        }
        try layerFile(.ways, sorter.ways)
        try layerFile(.compounds, sorter.compoundFeatures)
        if options.candidatesFile == nil { try layerFile(.stations, sorter.stations) }
        guard !imports.isEmpty || (options.candidatesFile != nil && !sorter.stations.isEmpty) else {
            let where_ = options.bbox.map { String(format: " inside the bbox %.6f,%.6f,%.6f,%.6f", $0.west, $0.south, $0.east, $0.north) } ?? ""
            throw ImportError(file: fileName, ImportProblem(.file, "holds no walkable ways, residential compounds or community-service features\(where_); nothing to import"))
        }
        // The candidates are checked like stations (in a scratch store) before the layers are stored, and written
        // only once they have been.
        let draft = scratch.appendingPathComponent("candidates.geojson")
        if options.candidatesFile != nil, !sorter.stations.isEmpty {
            try writeCollection(sorter.stations, to: draft)
            _ = try CandidatesFile.read(draft)
        }
        // The water goes with the layers, in their transaction: upserted by OSM id (replaced with `replace`).
        let imported = try store.importTogether {
            let imported = imports.isEmpty ? [] : try Importer.run(imports, into: store)
            if !sorter.water.isEmpty || options.replace { try store.storeWater(sorter.water, replace: options.replace) }
            return imported
        }
        if let candidates = options.candidatesFile, !sorter.stations.isEmpty {
            do {
                try AtomicOutput.write(to: candidates.path) { try FileManager.default.copyItem(atPath: draft.path, toPath: $0) }
            } catch {
                throw ImportError(file: candidates.path, ImportProblem(.file, "the layers were stored, but the candidates file cannot be written: \(error.localizedDescription)"))
            }
        }
        return OSMImportSummary(
            file: url.path, format: format, ways: sorter.waySelection, compounds: sorter.compoundSelection,
            stations: sorter.stationSelection, residentialAreas: sorter.areaCount, residentialBuildings: sorter.buildingCount,
            imported: imported, water: sorter.water.count, candidatesFile: options.candidatesFile?.path,
            incomplete: missing.map { "\($0.object) (\($0.missing) missing)" }, geometryErrors: geometryErrors)
    }

    /// `check-refs --show-ids` lines such as `n99 in w10` and `w12 in r20`: the ways and relations that cannot be built.
    /// Missing relation members of relations and nodes of relations are left alone: no area is built from them.
    package static func missingReferences(_ output: Data) -> [(object: String, missing: String)] {
        var out = [(object: String, missing: String)]()
        var seen = Set<String>()
        for line in String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[1] == "in", let a = parts[0].first, let b = parts[2].first,
                  (a == "n" && b == "w") || (a == "w" && b == "r") else { continue }
            let object = (b == "w" ? "way/" : "relation/") + parts[2].dropFirst()
            guard seen.insert(object).inserted else { continue }
            out.append((object, (a == "n" ? "node " : "way ") + parts[0].dropFirst()))
        }
        return out
    }

    /// Calls `body` with each feature of a GeoJSON text sequence written by osmium.
    package static func forEachFeature(in url: URL, fileName: String, _ body: (JSONValue) throws -> Void) throws {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Void in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self))
            while true {
                parser.skipWhitespace()
                if parser.atEnd { break }
                let value: JSONValue
                do {
                    value = try parser.parseValue()
                } catch let error as JSONSyntaxError {
                    throw ImportError(file: fileName, ImportProblem(.file, "osmium's GeoJSON output cannot be read: \(error.message)"))
                }
                try body(value)
            }
        }
    }

    /// Writes features as a GeoJSON FeatureCollection, a few at a time.
    package static func writeCollection(_ features: [JSONValue], to url: URL) throws {
        let output = try BufferedOutput(path: url.path, capacity: 1 << 20)
        output.append("{\"type\":\"FeatureCollection\",\"features\":[\n")
        for (i, feature) in features.enumerated() {
            if i > 0 { output.append(",\n") }
            output.json.value(feature)
            try output.flushIfFull()
        }
        output.append("\n]}\n")
        try output.close()
    }
}

/// Applies the layer rules to osmium's features.
package struct LayerSorter {
    package let bbox: BoundingBox?
    package var ways = [JSONValue]()
    package var stations = [JSONValue]()
    /// Water kept as barriers for `network mend` (lines and areas), each OSM object once.
    package var water = [WaterFeature]()
    private var waterIDs = Set<String>()
    package var waySelection = OSMImportSummary.Selection("ways")
    package var compoundSelection = OSMImportSummary.Selection("compounds")
    package var stationSelection = OSMImportSummary.Selection("stations")
    package var areaCount = 0
    package var buildingCount = 0

    private struct Compound {
        package var id: String
        package var source: OSMRules.CompoundSource
        package var polygons: [[[Coordinate]]]
        package var box: BoundingBox
        package var feature: JSONValue
    }
    private var compounds = [Compound]()
    package var compoundFeatures: [JSONValue] { compounds.map(\.feature) }

    package init(bbox: BoundingBox?) { self.bbox = bbox }

    package mutating func add(_ feature: JSONValue) {
        guard case .object(let members)? = feature["properties"], case .string(let type)? = feature["properties"]?["@type"],
              case .number(let number)? = feature["properties"]?["@id"], let geometryValue = feature["geometry"] else { return }
        let id = "\(type)/\(Int64(number))"
        var tags = [String: String]()
        var tagList = [(String, JSONValue)]()
        for (key, value) in members where !key.hasPrefix("@") {
            // A blank value says nothing (a blank name must not make the name "missing" and refuse the import).
            if case .string(let s) = value, !s.trimmed.isEmpty {
                tags[key] = s
                tagList.append((key, value))
            }
        }
        var notes = [String]()
        guard let geometry = try? GeoJSONReader.geometry(geometryValue, closeRings: false, repaired: &notes) else { return }
        let isArea: Bool
        switch geometry {
        case .polygon, .multiPolygon: isArea = true
        default: isArea = false
        }

        if tags["highway"] != nil, case .lineString = geometry {
            if let reason = OSMRules.wayExclusion(tags) { waySelection.skip(reason); return }
            guard inside(geometry) else { waySelection.skip("outside the bbox"); return }
            waySelection.kept += 1
            var properties: [(String, JSONValue)] = [("id", .string(id)), ("highway", .string(tags["highway"]!))]
            if let name = tags["name"] ?? tags["name:zh"] { properties.append(("name", .string(name))) }
            if let foot = tags["foot"] { properties.append(("foot", .string(foot))) }
            // The level: ways on different levels (bridges, tunnels, layers) cross without meeting.
            for key in ["bridge", "tunnel", "layer"] {
                if let value = tags[key] { properties.append((key, .string(value))) }
            }
            ways.append(Self.feature(geometryValue, properties))
            return
        }
        if let kind = OSMRules.waterKind(tags, isArea: isArea), tags["highway"] == nil {
            if inside(geometry), waterIDs.insert(id).inserted {
                water.append(WaterFeature(id: id, kind: kind, name: tags["name"] ?? tags["name:zh"], geometry: geometry))
            }
            return
        }
        if tags["highway"] != nil, isArea, OSMRules.compoundSource(tags) == nil, OSMRules.stationKind(tags) == nil {
            waySelection.skip("area=yes (a square, not a line)")
            return
        }
        if let kind = OSMRules.stationKind(tags) {
            let point: Coordinate
            switch geometry {
            case .point(let c): point = c
            case .polygon(let rings): point = Planar.interiorPoint(rings)
            case .multiPolygon(let polygons): point = Planar.interiorPoint(Planar.largest(polygons))
            default: stationSelection.skip("not a point or an area"); return
            }
            guard inside(.point(point)) else { stationSelection.skip("outside the bbox"); return }
            stationSelection.kept += 1
            let name = tags["name"] ?? tags["name:zh"] ?? tags["official_name"] ?? "\(OSMRules.stationLabel(tags)) \(id)"
            var properties: [(String, JSONValue)] = [("id", .string(id)), ("name", .string(name)), ("kind", .string(kind))]
            let services = OSMRules.services(tags)
            if !services.isEmpty { properties.append(("services", .array(services.map { .string($0) }))) }
            if let address = Self.address(tags) { properties.append(("address", .string(address))) }
            if let phone = tags["phone"] ?? tags["contact:phone"] { properties.append(("phone", .string(phone))) }
            // Only hours Doorstep can read; the tag itself stays in osm_tags.
            if let hours = tags["opening_hours"], (try? OpeningHours(parsing: hours)) != nil {
                properties.append(("hours", .string(hours)))
            }
            properties.append(("osm_tags", .object(tagList)))
            stations.append(Self.feature(.object([("type", .string("Point")),
                                                   ("coordinates", .array([.number(point.lon), .number(point.lat)]))]), properties))
            return
        }
        if isArea, let source = OSMRules.compoundSource(tags) {
            if source == .area { areaCount += 1 } else { buildingCount += 1 }
            guard inside(geometry) else { compoundSelection.skip("outside the bbox"); return }
            let polygons: [[[Coordinate]]]
            switch geometry {
            case .polygon(let rings): polygons = [rings]
            case .multiPolygon(let p): polygons = p
            default: return
            }
            var properties: [(String, JSONValue)] = [("id", .string(id))]
            if let name = tags["name"] ?? tags["name:zh"] {
                properties += [("name", .string(name)), ("name_source", .string("osm"))]
            } else if let address = Self.address(tags, withCity: false) {
                properties += [("name", .string(address)), ("name_source", .string("address"))]
            } else {
                properties += [("name", .string("未命名小区 \(id)")), ("name_source", .string("none"))]
            }
            properties.append(source == .area ? ("landuse", .string("residential")) : ("building", .string(tags["building"]!)))
            for key in ["building:levels", "addr:street", "addr:housenumber"] {
                if let value = tags[key] { properties.append((key, .string(value))) }
            }
            compounds.append(Compound(id: id, source: source, polygons: polygons, box: Planar.box(polygons),
                                      feature: Self.feature(geometryValue, properties)))
        }
    }

    /// A building whose interior point lies in a residential area is part of that area's compound: counting both
    /// would count its households twice, so the building is dropped.
    package mutating func foldBuildingsIntoAreas() {
        let areas = compounds.filter { $0.source == .area }
        guard !areas.isEmpty else {
            compoundSelection.kept = compounds.count
            return
        }
        // A grid of cells about 1 km wide over the areas' boxes keeps this linear in the number of buildings.
        var grid = CellIndex(cellWidth: 0.01)
        for (i, area) in areas.enumerated() {
            grid.insert(Int32(i), west: area.box.west, south: area.box.south, east: area.box.east, north: area.box.north)
        }
        compounds = compounds.filter { compound in
            guard compound.source == .building else { return true }
            let p = Planar.interiorPoint(Planar.largest(compound.polygons))
            let inArea = grid.candidates(x: p.lon, y: p.lat).contains { i in areas[Int(i)].polygons.contains { Planar.contains($0, p) } }
            if inArea { compoundSelection.skip("building inside a residential area (part of its compound)") }
            return !inArea
        }
        compoundSelection.kept = compounds.count
    }

    private func inside(_ geometry: Geometry) -> Bool {
        guard let bbox else { return true }
        var any = false
        var box = BoundingBox(west: .infinity, south: .infinity, east: -.infinity, north: -.infinity)
        geometry.forEachCoordinate { c in
            if c.lon >= bbox.west, c.lon <= bbox.east, c.lat >= bbox.south, c.lat <= bbox.north { any = true }
            box = BoundingBox(west: min(box.west, c.lon), south: min(box.south, c.lat), east: max(box.east, c.lon), north: max(box.north, c.lat))
        }
        // A feature around the whole box (a large estate) has no position inside it but is in it.
        return any || (box.west <= bbox.west && box.east >= bbox.east && box.south <= bbox.south && box.north >= bbox.north)
    }

    private static func feature(_ geometry: JSONValue, _ properties: [(String, JSONValue)]) -> JSONValue {
        .object([("type", .string("Feature")), ("properties", .object(properties)), ("geometry", geometry)])
    }

    /// `addr:street` + `addr:housenumber` (上海路111号), after `addr:city`/`addr:district` when asked.
    private static func address(_ tags: [String: String], withCity: Bool = true) -> String? {
        if let full = tags["addr:full"] { return full }
        guard let street = tags["addr:street"] else { return nil }
        var text = withCity ? (tags["addr:city"] ?? "") + (tags["addr:district"] ?? "") : ""
        text += street
        if let number = tags["addr:housenumber"] {
            text += number
            if number.last.map({ $0.isNumber }) ?? false { text += "号" }
        }
        return text
    }
}
