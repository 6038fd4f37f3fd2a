import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// What to import and how.
public struct ImportOptions: Sendable {
    public var layer: Layer
    public var file: URL
    /// The CRS of the coordinates; nil means the file's legacy `crs` member, else WGS84.
    public var crs: InputCRS?
    /// Text encoding of a CSV file; nil means detect (UTF-8 with or without BOM, else GB18030).
    public var encoding: TextEncodingChoice?
    /// Replace the whole layer instead of upserting by `id`.
    public var replace: Bool
    /// Repair invalid polygons with ST_MakeValid (and close unclosed rings) instead of refusing them.
    public var makeValid: Bool
    /// The name messages and the import log give the input, when `file` is an intermediate one (`city.osm (ways)`);
    /// nil means the file's own name.
    public var sourceName: String?
    /// The largest file and CSV record accepted.
    public var limits: ImportLimits
    /// The data's credit, recorded for the layer and shown wherever it is (`Credits`); nil credits the file by name.
    public var attribution: String?
    /// The layer (or sheet) to read from a source GDAL reads that holds several; nil means its only one.
    public var sourceLayer: String?
    /// Source field names for contract fields (`--field TARGET=SOURCE`), over the usual aliases; GDAL sources only.
    public var fields: [String: String]
    /// For an import of ways that leaves the layer holding only the ways written (`replace`, or an empty layer):
    /// called with the walkable ones, as the store would give them back (`walkableWayLines()`), once they are written
    /// and indexed, before anything is committed. `import ways` builds its walking graph from them while the store
    /// commits, instead of reading the ways back afterwards.
    public var walkableWaysWritten: (@Sendable (WayLines) -> Void)?

    public init(layer: Layer, file: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil,
                replace: Bool = false, makeValid: Bool = false, sourceName: String? = nil, limits: ImportLimits = ImportLimits(),
                sourceLayer: String? = nil, fields: [String: String] = [:]) {
        self.limits = limits
        self.layer = layer
        self.file = file
        self.crs = crs
        self.encoding = encoding
        self.replace = replace
        self.makeValid = makeValid
        self.sourceName = sourceName
        self.sourceLayer = sourceLayer
        self.fields = fields
    }
}

/// What an import stored.
public struct ImportSummary: Sendable {
    public let layer: Layer
    public let file: String
    public let format: String
    public let crs: InputCRS
    public let encoding: String?
    /// Features read and stored.
    public let features: Int
    /// Of those, how many replaced an existing feature with the same id.
    public let updated: Int
    /// Features repaired with --make-valid, and how.
    public let repairs: [ImportProblem]
    /// Layer size after the import.
    public let layerCount: Int
    /// Stations: service values outside `Services.known` (stored as given), each with the number of stations
    /// that have it, most first; and how many stations have at least one.
    public internal(set) var unknownServices: [ValueCount] = []
    public internal(set) var stationsWithUnknownServices = 0
    /// Compounds: entrances whose compound no longer exists after this import (ids, sorted), and how many in all.
    public internal(set) var orphanEntrances: [OrphanEntrance] = []
    public internal(set) var orphanEntranceCount = 0
    /// Compounds: compounds that had a household count before the import and have none now (gone, or
    /// stored without one), and the first 20 of their ids.
    public internal(set) var householdsLost = 0
    public internal(set) var householdsLostIDs: [String] = []

    /// What the import stored but a planner should look at, one sentence each (the CLI prints them to stderr).
    public var warnings: [String] {
        var out = [String]()
        if stationsWithUnknownServices > 0 {
            let values = unknownServices.prefix(20).map { "\"\(TextRules.printable($0.value))\" (\($0.count))" }.joined(separator: ", ")
                + (unknownServices.count > 20 ? ", … \(unknownServices.count - 20) more" : "")
            out.append("\(stationsWithUnknownServices) station\(stationsWithUnknownServices == 1 ? " has" : "s have") services Doorstep does not know: \(values); kept as given (known: \(Services.known.sorted().joined(separator: ", ")))")
        }
        if orphanEntranceCount > 0 {
            let listed = orphanEntrances.map { "\($0.id) → \($0.compoundID)" }.joined(separator: ", ")
                + (orphanEntranceCount > orphanEntrances.count ? ", … \(orphanEntranceCount - orphanEntrances.count) more" : "")
            out.append("\(orphanEntranceCount) entrance\(orphanEntranceCount == 1 ? "" : "s") now point at compounds that no longer exist (kept; walking reach ignores them until those compounds come back or the entrances are re-imported): \(listed)")
        }
        if householdsLost > 0 {
            out.append("\(householdsLost) compound\(householdsLost == 1 ? "" : "s") had a household count and now have none (coverage counts them as unknown): "
                       + householdsLostIDs.joined(separator: ", ") + (householdsLost > householdsLostIDs.count ? ", …" : ""))
        }
        return out
    }
}

/// A value and how often it occurs.
public struct ValueCount: Sendable, Equatable {
    public let value: String
    public let count: Int
}


/// Loads one file into one layer, all or nothing (DESIGN.md, "Data contract").
public enum Importer {
    /// Imports several files in one transaction, in order: every one is stored, or none is.
    public static func run(_ imports: [ImportOptions], into store: any StoreWriter) throws -> [ImportSummary] {
        try store.importTogether { try imports.map { try run($0, into: store) } }
    }

    public static func run(_ options: ImportOptions, into store: any StoreWriter) throws -> ImportSummary {
        let url = options.file
        let (fileName, format) = try checkSource(options)
        let stem = url.deletingPathExtension().lastPathComponent
        let before = try store.count(options.layer)
        // Reading and checking run on a thread of their own while this one writes: the two halves cost about the same.
        let reading = ReadingState(crs: options.crs ?? .wgs84)
        reading.reference = try store.sampleExtent()
        let channel = RecordChannel()
        let reader = Thread {
            do {
                // Duplicate ids are found here, on the reading thread (the writing one is the busier).
                var ids = SeenIDs()
                try readFeatures(options, fileName: fileName, stem: stem, format: format, state: reading) { record in
                    // Room for the ids the file announces, at most 16 M (a file of empty objects announces more than it holds).
                    if ids.isEmpty, let n = reading.expectedFeatures { ids.reserve(min(n, 1 << 24)) }
                    if let first = ids.firstLocation(of: record.id, addingAt: record.location) {
                        reading.problems.add(ImportProblem(record.location, field: "id", "duplicate id \"\(record.id)\" (first at \(first))"))
                        return true
                    }
                    return channel.push(record)
                }
                channel.close(nil)
            } catch {
                channel.close(error)
            }
        }
        reader.stackSize = 8 << 20
        reader.start()
        defer { channel.cancel() }

        var problems = ProblemLog()
        var repairs = [ImportProblem]()
        var features = 0
        let servicesIndex = options.layer == .stations ? options.layer.fields.firstIndex { $0.name == "services" } : nil
        var unknownServices = [String: Int]()
        var stationsWithUnknown = 0
        var compoundChanges: CompoundChanges?
        // The walkable ways written, when they will be the whole layer.
        var walkable = options.layer == .ways && options.walkableWaysWritten != nil && (options.replace || before == 0) ? WayLines() : nil
        let level = WayRecordFields(options.layer)
        do {
            try store.importing(options.layer, replace: options.replace) { writer in
                let progress = WorkProgress.begin("import \(options.layer.rawValue): reading \(fileName)", unit: "features")
                defer { progress.finish() }
                var batch = [FeatureRecord]()
                while try channel.next(recycling: &batch) {
                    progress.advance(by: batch.count)
                    for record in batch {
                        guard problems.isEmpty else { continue } // keep checking, but stop writing once the import is lost
                        if let servicesIndex, case .text(let list) = record.values[servicesIndex] {
                            let unknown = JSONValue.stringList(list).filter { !Services.known.contains($0) }
                            if !unknown.isEmpty {
                                stationsWithUnknown += 1
                                for value in unknown { unknownServices[value, default: 0] += 1 }
                            }
                        }
                        switch try writer.write(record) {
                        case .success(let note):
                            if let note { repairs.append(ImportProblem(record.location, field: "geometry", note)) }
                            if walkable != nil { level.appendIfWalkable(record, to: &walkable!) }
                        case .failure(let p): problems.add(p)
                        }
                    }
                }
                // The reader has finished (next() returned false after close), so its state is settled.
                features = reading.features
                problems = ProblemLog.merged(reading.problems, problems)
                repairs = (reading.repairs + repairs).sorted { $0.location.order < $1.location.order }
                if !problems.isEmpty { throw problems.error(file: fileName) }
                if features == 0 {
                    throw ImportError(file: fileName, ImportProblem(.file, "holds no features; nothing to import"))
                }
                try store.logImport(layer: options.layer, file: options.sourceName ?? url.path, features: features, crs: reading.crs,
                                    replaced: options.replace, repaired: repairs.count)
                if options.layer == .compounds { compoundChanges = try store.compoundChanges() }
                // The credit: as given, else as the file states it, else the file itself.
                try store.recordCredit(options.attribution ?? reading.attribution ?? Credits.file(fileName), for: options.layer,
                                       replacing: options.replace)
            }
        }
        // Handed over once the spatial index is built (its memory let go), before the caller commits.
        if let lines = walkable.take() { options.walkableWaysWritten?(lines) }
        let after = try store.count(options.layer)
        let updated = options.replace ? 0 : features - (after - before)
        var summary = ImportSummary(layer: options.layer, file: options.sourceName ?? url.path, format: reading.format, crs: reading.crs, encoding: reading.encoding,
                                    features: features, updated: updated, repairs: repairs, layerCount: after)
        summary.unknownServices = unknownServices.map { ValueCount(value: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.value) < ($0.count, $1.value) }
        summary.stationsWithUnknownServices = stationsWithUnknown
        if let compoundChanges {
            summary.orphanEntrances = compoundChanges.orphans
            summary.orphanEntranceCount = compoundChanges.orphanCount
            summary.householdsLost = compoundChanges.householdsLost
            summary.householdsLostIDs = compoundChanges.householdsLostIDs
        }
        return summary
    }

    /// Reads and checks a file as an import into `options.layer` would, without storing anything: every record in
    /// file order, or the error the import would give (a planner's candidates file is read this way).
    public static func read(_ options: ImportOptions) throws -> [FeatureRecord] {
        let (fileName, format) = try checkSource(options)
        let reading = ReadingState(crs: options.crs ?? .wgs84)
        var records = [FeatureRecord]()
        try readFeatures(options, fileName: fileName, stem: options.file.deletingPathExtension().lastPathComponent,
                         format: format, state: reading) { records.append($0); return true }
        var problems = ProblemLog()
        var ids = SeenIDs()
        for record in records {
            if let first = ids.firstLocation(of: record.id, addingAt: record.location) {
                problems.add(ImportProblem(record.location, field: "id", "duplicate id \"\(record.id)\" (first at \(first))"))
            }
        }
        problems = ProblemLog.merged(reading.problems, problems)
        if !problems.isEmpty { throw problems.error(file: fileName) }
        if reading.features == 0 { throw ImportError(file: fileName, ImportProblem(.file, "holds no features; nothing to import")) }
        return records
    }

    /// The checks before a file is read: a regular file within the size limit, in a format Doorstep reads for
    /// this layer. Returns the name messages give the file, and its format (from the content).
    private static func checkSource(_ options: ImportOptions) throws -> (fileName: String, format: SourceFormat) {
        let url = options.file
        let fileName = options.sourceName ?? url.lastPathComponent
        // stat first: a FIFO or a device is never opened (reading /dev/zero never ends, a FIFO blocks).
        let size: Int
        switch InputFileCheck.regularFileSize(url.path) {
        case .success(let n): size = n
        case .failure(let problem): throw ImportError(file: url.path, problem)
        }
        guard size <= options.limits.maxFileBytes else {
            throw ImportError(file: fileName, ImportProblem(.file, """
                is \(ImportLimits.describe(bytes: size)); Doorstep imports files of up to \(ImportLimits.describe(bytes: options.limits.maxFileBytes)) \
                (raise the limit with --max-file-mb, or split the layer into several files: imports without --replace add to it)
                """))
        }
        let format = SourceFormat.detect(url) // from the content: GeoJSON, CSV, or anything GDAL reads
        if case .refused(let driver) = format {
            throw ImportError(file: fileName, ImportProblem(.file, """
                is \(driver) data, which Doorstep does not import (it can refer to other files or URLs);                 formats read: GeoJSON, CSV, \(SourceFormat.allowedDrivers.joined(separator: ", "))
                """))
        }
        let isCSV = format == .csv
        if isCSV && !options.layer.acceptsCSV {
            throw ImportError(file: fileName, ImportProblem(.file, "CSV holds points; the \(options.layer.rawValue) layer needs GeoJSON"))
        }
        return (fileName, format)
    }

    /// Reads, checks and converts every feature of the file, handing each good record to `emit` (which returns false
    /// when the writer has given up). Runs on the reading thread; everything it learns goes into `state`.
    private static func readFeatures(_ options: ImportOptions, fileName: String, stem: String, format: SourceFormat,
                                     state: ReadingState, emit: (FeatureRecord) -> Bool) throws {
        let url = options.file
        if case .gdal(let driver, let path) = format {
            try GDALSource(options: options, fileName: fileName, stem: stem, driver: driver, path: path).read(state: state, emit: emit)
            return
        }
        if format == .csv {
            state.format = "CSV"
            let table = try CSVTable(url: url, encoding: options.encoding, limits: options.limits)
            defer { state.encoding = table.encoding } // settled by the first record that is not ASCII
            let decoder = FeatureDecoder(layer: options.layer, transformer: try transformer(state.crs, fileName),
                                         closeRings: false, fileStem: stem,
                                         reference: state.reference)
            let mapping = try CSVColumns(header: table.header, layer: options.layer, fileName: fileName)
            try table.forEachRow { line, fields in
                state.features += 1
                let row = mapping.feature(fields)
                if let (field, message) = row.coordinateProblem {
                    state.problems.add(ImportProblem(.line(line, id: row.id.map(TextRules.printable)), field: field, message))
                    return
                }
                if let record = decoder.decode(
                    number: line, featureID: nil, properties: row.properties, geometry: row.geometry,
                    location: { .line(line, id: $0) }, problems: &state.problems, repairs: &state.repairs) {
                    guard emit(record) else { throw CancellationError() }
                }
            }
            return
        }
        state.format = "GeoJSON"
        let reader = try GeoJSONReader(url: url)
        var decoder: FeatureDecoder?
        try reader.read(outline: { outline in
            state.attribution = outline.attribution.map { String(TextRules.printable($0).prefix(500)) }
            state.expectedFeatures = outline.featureCount
            if options.crs == nil, let member = outline.crs {
                switch GeoJSONReader.legacyCRS(member) {
                case .success(let crs): state.crs = crs
                case .failure(let p): throw ImportError(file: fileName, p)
                }
            }
            decoder = FeatureDecoder(layer: options.layer, transformer: try transformer(state.crs, fileName),
                                     closeRings: options.makeValid, fileStem: stem,
                                     reference: state.reference, makeValid: options.makeValid)
        }, feature: { index, value in
            state.features += 1
            guard case .object = value, value["type"] == .string("Feature") else {
                state.problems.add(ImportProblem(.feature(index: index, id: nil), "expected a Feature object, found \(value["type"].map { $0.jsonText } ?? value.typeName)"))
                return
            }
            var properties: [(String, JSONValue)] = []
            switch value["properties"] {
            case .object(let members)?: properties = members
            case .null?, nil: break
            case let other?:
                state.problems.add(ImportProblem(.feature(index: index, id: nil), field: "properties", "must be an object, found \(other.typeName)"))
                return
            }
            if let record = decoder!.decode(
                number: index, featureID: value["id"], properties: properties, geometry: value["geometry"],
                location: { .feature(index: index, id: $0) }, problems: &state.problems, repairs: &state.repairs) {
                guard emit(record) else { throw CancellationError() }
            }
        })
    }

    private static func transformer(_ crs: InputCRS, _ fileName: String) throws -> CoordinateTransformer {
        do {
            return try CoordinateTransformer(from: crs)
        } catch let error as CRSError {
            throw ImportError(file: fileName, ImportProblem(.file, field: "crs", error.message))
        }
    }
}

/// Where a ways record keeps what the walking graph reads: `foot` (`WalkableWay.isClosedToPedestrians`), and the
/// level (`bridge`, `tunnel`, `layer`).
private struct WayRecordFields {
    let foot: Int?, bridge: Int?, tunnel: Int?, layer: Int?

    init(_ layer: Layer) {
        func index(_ name: String) -> Int? { layer.fields.firstIndex { $0.name == name } }
        (foot, bridge, tunnel, self.layer) = (index("foot"), index("bridge"), index("tunnel"), index("layer"))
    }

    private func text(_ record: FeatureRecord, _ i: Int?) -> String? {
        guard let i, case .text(let value) = record.values[i] else { return nil }
        return value
    }

    /// Appends the record's way and its lines (as the layer stores them) unless it is closed to pedestrians.
    func appendIfWalkable(_ record: FeatureRecord, to lines: inout WayLines) {
        guard !WalkableWay.isClosedToPedestrians(foot: text(record, foot)) else { return }
        let parts: [[Coordinate]]
        switch record.geometry {
        case .lineString(let line): parts = [line]
        case .multiLineString(let ls): parts = ls
        default: return
        }
        lines.append(id: record.id, level: WayLevel(bridge: text(record, bridge), tunnel: text(record, tunnel), layer: text(record, layer)),
                     mended: false)
        for part in parts { lines.appendLine(part) }
    }
}
