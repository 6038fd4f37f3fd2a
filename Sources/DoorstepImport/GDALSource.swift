import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import CGDAL
import Foundation

/// Reads one layer of any vector source GDAL opens (Shapefile, zipped Shapefile, GeoPackage, KML/KMZ, XLSX/XLS/ODS,
/// FlatGeobuf, GML, DXF …) and hands each feature, as properties and a GeoJSON-shaped geometry, to the same
/// `FeatureDecoder` the GeoJSON and CSV readers use: the rules of the data contract stay in one place.
///
/// GDAL's messages are collected on the reading thread (`GDALMessages`) and become Doorstep's own, naming the file,
/// the layer, the feature (FID) and the field.
package struct GDALSource {
    package let options: ImportOptions
    package let fileName: String
    package let stem: String
    package let driver: String
    package let path: String
    /// The GDAL drivers it may open: an import's (`SourceFormat.allowedDrivers`). The bench adds GeoJSON and CSV to
    /// measure GDAL's readers of those formats against Doorstep's own, with the same decoder behind both.
    package let drivers: [String]

    package init(options: ImportOptions, fileName: String, stem: String, driver: String, path: String,
                 drivers: [String] = SourceFormat.allowedDrivers) {
        self.options = options
        self.fileName = fileName
        self.stem = stem
        self.driver = driver
        self.path = path
        self.drivers = drivers
    }

    package func read(state: ReadingState, emit: (FeatureRecord) -> Bool) throws {
        GDAL.setUp()
        let messages = GDALMessages()
        try messages.collecting { try read(state: state, messages: messages, emit: emit) }
    }

    private func fail(_ message: String, field: String? = nil) -> ImportError {
        ImportError(file: fileName, ImportProblem(.file, field: field, message))
    }

    private func gdalSays(_ messages: [String]) -> String {
        messages.isEmpty ? "" : " (GDAL: \(messages.joined(separator: "; ")))"
    }

    private func read(state: ReadingState, messages: GDALMessages, emit: (FeatureRecord) -> Bool) throws {
        let flags = UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR)
        // A sheet of points has a header row: without this GDAL guesses none when every cell of the first data rows
        // is text (one text cell in 经度 is enough) and the fields become Field1, Field2 …. (GDAL 3.6 ignores the
        // HEADERS open option; the configuration option works. Thread-local: other imports are unaffected.)
        for option in ["OGR_XLSX_HEADERS", "OGR_ODS_HEADERS"] { CPLSetThreadLocalConfigOption(option, "FORCE") }
        defer { for option in ["OGR_XLSX_HEADERS", "OGR_ODS_HEADERS"] { CPLSetThreadLocalConfigOption(option, nil) } }
        // Only the drivers an import accepts, also for what a zip holds.
        let allowed = drivers.map { strdup($0) } + [nil]
        defer { for p in allowed { free(p) } }
        let list: [UnsafePointer<CChar>?] = allowed.map { $0.map { UnsafePointer($0) } }
        let opened = list.withUnsafeBufferPointer { GDALOpenEx(path, flags, $0.baseAddress, nil, nil) }
        guard let dataset = opened else {
            let what = driver == "zip" ? "a zip holding no vector data GDAL reads (a zipped Shapefile needs its .shp, .shx and .dbf)" : "\(driver) data"
            throw fail("cannot be opened as \(what)\(gdalSays(messages.takeFailures()))")
        }
        defer { GDALClose(dataset) }
        let driverName = GDALGetDatasetDriver(dataset).flatMap { GDALGetDriverShortName($0) }.map { String(cString: $0) } ?? driver
        let layers = (0..<GDALDatasetGetLayerCount(dataset)).compactMap { i -> String? in
            GDALDatasetGetLayer(dataset, i).flatMap { OGR_L_GetName($0) }.map { String(cString: $0) }
        }
        let layer: OGRLayerH
        let layerName: String
        if let wanted = options.sourceLayer {
            guard let l = GDALDatasetGetLayerByName(dataset, wanted) else {
                throw fail("has no layer \"\(wanted)\"; its layers are: \(layers.joined(separator: ", "))", field: "--layer")
            }
            layer = l
            layerName = wanted
        } else {
            guard !layers.isEmpty else { throw fail("holds no vector layers\(gdalSays(messages.takeFailures()))") }
            guard layers.count == 1, let l = GDALDatasetGetLayer(dataset, 0) else {
                throw fail("holds \(layers.count) layers (\(layers.joined(separator: ", "))); choose one with --layer NAME", field: "--layer")
            }
            layer = l
            layerName = layers[0]
        }
        if driverName == "ESRI Shapefile" { try checkShapefileParts(dataset, layerName) }
        // An empty sheet has no header row either: say it is empty, not that its fields are missing.
        if OGR_L_GetFeatureCount(layer, 0) == 0 { throw fail("layer \(layerName) holds no features; nothing to import") }

        // Text: GDAL recodes to UTF-8 when it knows the encoding (.cpg, the DBF's language driver, the format's
        // rules). A DBF that declares none is handed over as raw bytes: UTF-8 if valid, else GB18030 (GBK).
        let utf8 = OGR_L_TestCapability(layer, OLCStringsAsUTF8) != 0
        var sawGB18030 = false
        func text(_ p: UnsafePointer<CChar>?) -> String {
            guard let p else { return "" }
            if utf8 { return String(cString: p) }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))
            if let s = String(validating: bytes, as: UTF8.self) { return s }
            if let s = String(data: Data(bytes), encoding: String.Encoding.gb18030) { sawGB18030 = true; return s }
            return String(decoding: bytes, as: UTF8.self)
        }

        let definition = OGR_L_GetLayerDefn(layer)
        let fieldCount = Int(OGR_FD_GetFieldCount(definition))
        var names = [String](), types = [OGRFieldType](), subtypes = [OGRFieldSubType]()
        for i in 0..<fieldCount {
            let d = OGR_FD_GetFieldDefn(definition, Int32(i))
            names.append(text(OGR_Fld_GetNameRef(d)))
            types.append(OGR_Fld_GetType(d))
            subtypes.append(OGR_Fld_GetSubType(d))
        }
        let geometryless = OGR_FD_GetGeomFieldCount(definition) == 0 || OGR_L_GetGeomType(layer) == wkbNone
        let where_ = "layer \(layerName)"
        let mapping = try FieldMapping(sourceFields: names, layer: options.layer, explicit: options.fields,
                                       pointsFromColumns: geometryless) { field, message in
            ImportError(file: fileName, ImportProblem(.file, field: field, "\(where_): \(message)"))
        }

        // CRS: --crs wins; else the layer's own, identified as an EPSG code PROJ knows; none means WGS84.
        if options.crs == nil, let srs = OGR_L_GetSpatialRef(layer) {
            state.crs = try identify(srs, layerName)
        }
        let decoder = FeatureDecoder(layer: options.layer, transformer: try transformer(state.crs),
                                     closeRings: options.makeValid, fileStem: stem,
                                     reference: state.reference, makeValid: options.makeValid)
        state.format = driverName == "ESRI Shapefile" ? "Shapefile" : driverName
        if driverName != layerName && !(driverName == "ESRI Shapefile" && layers.count == 1) {
            state.format += ", layer \(layerName)"
        }
        state.format += " via GDAL"

        OGR_L_ResetReading(layer)
        var index = 0
        _ = messages.takeFailures()
        while let feature = OGR_L_GetNextFeature(layer) {
            defer { OGR_F_Destroy(feature) }
            index += 1
            state.features += 1
            let fid = Int64(OGR_F_GetFID(feature))
            let n = index
            func at(_ id: String?) -> InputLocation { .record(index: n, fid: fid, id: id) }
            var properties = [(String, JSONValue)]()
            properties.reserveCapacity(fieldCount)
            var coordinateProblem: (String, String)?
            var lonLat = [Double?](repeating: nil, count: 2)
            for i in 0..<fieldCount {
                let isLon = i == mapping.lonField, isLat = i == mapping.latField
                guard OGR_F_IsFieldSetAndNotNull(feature, Int32(i)) != 0 else {
                    if isLon || isLat, coordinateProblem == nil { coordinateProblem = (names[i], "missing") }
                    continue
                }
                if isLon || isLat {
                    let v: Double?
                    switch types[i] {
                    case OFTReal, OFTInteger, OFTInteger64: v = OGR_F_GetFieldAsDouble(feature, Int32(i))
                    default:
                        let t = text(OGR_F_GetFieldAsString(feature, Int32(i))).trimmed
                        v = Double(t).flatMap { $0.isFinite ? $0 : nil }
                        if v == nil, coordinateProblem == nil {
                            coordinateProblem = (names[i], t.isEmpty ? "missing" : "not a finite number: \"\(t)\"")
                        }
                    }
                    lonLat[isLon ? 0 : 1] = v
                    continue
                }
                properties.append((mapping.targets[i] ?? names[i], value(feature, i, types[i], subtypes[i], text)))
            }
            let idValue = mapping.targets.firstIndex(of: "id").flatMap { i in properties.first(where: { $0.0 == "id" })?.1 }
            if let (field, message) = coordinateProblem {
                state.problems.add(ImportProblem(at(FeatureDecoder.idText(idValue)), field: field, "\(where_): \(message)"))
                continue
            }
            let geometry: JSONValue
            if geometryless {
                geometry = .object([("type", .string("Point")), ("coordinates", .array([.number(lonLat[0]!), .number(lonLat[1]!)]))])
            } else {
                geometry = OGR_F_GetGeometryRef(feature).map(Self.geoJSON) ?? .null
            }
            let failures = messages.takeFailures()
            if !failures.isEmpty {
                state.problems.add(ImportProblem(at(FeatureDecoder.idText(idValue)), "\(where_): GDAL: \(failures.joined(separator: "; "))"))
                continue
            }
            if let record = decoder.decode(
                number: n, featureID: nil, properties: properties, geometry: geometry,
                location: at, problems: &state.problems, repairs: &state.repairs) {
                guard emit(record) else { throw CancellationError() }
            }
        }
        let failures = messages.takeFailures()
        if !failures.isEmpty {
            // Reading stopped on an error (a truncated file): the features after it are lost, so nothing is stored.
            state.problems.add(ImportProblem(.record(index: index + 1, fid: -1, id: nil), "\(where_): reading stopped after \(index) features: \(failures.joined(separator: "; "))"))
        }
        if !utf8 { state.encoding = sawGB18030 ? "GB18030 (detected)" : "UTF-8" }
        else if let e = GDALGetMetadataItem(layer, "SOURCE_ENCODING", "SHAPEFILE").map({ String(cString: $0) }), !e.isEmpty {
            state.encoding = e
        }
    }

    /// A Shapefile is three files at least; GDAL reads a .shp without its .dbf as features without attributes, and
    /// without its .shx not at all: say which part is missing.
    private func checkShapefileParts(_ dataset: GDALDatasetH, _ layerName: String) throws {
        guard let list = GDALGetFileList(dataset) else { return }
        defer { CSLDestroy(list) }
        var files = Set<String>()
        var i = 0
        while let p = list[i] {
            files.insert(URL(fileURLWithPath: String(cString: p)).lastPathComponent.lowercased())
            i += 1
        }
        for (ext, role) in [("shx", "index"), ("dbf", "attribute table")] where !files.contains("\(layerName.lowercased()).\(ext)") {
            throw fail("the Shapefile \(layerName) has no .\(ext) (its \(role)); a Shapefile needs its .shp, .shx and .dbf together")
        }
    }

    private func transformer(_ crs: InputCRS) throws -> CoordinateTransformer {
        do {
            return try CoordinateTransformer(from: crs)
        } catch let error as CRSError {
            throw fail(error.message, field: "crs")
        }
    }

    /// The EPSG code of a layer's spatial reference: its own authority, else PROJ's identification.
    private func identify(_ srs: OGRSpatialReferenceH, _ layerName: String) throws -> InputCRS {
        guard let clone = OSRClone(srs) else { return .wgs84 }
        defer { OSRRelease(clone) }
        OSRSetAxisMappingStrategy(clone, OAMS_TRADITIONAL_GIS_ORDER)
        func authority(_ s: OGRSpatialReferenceH) -> InputCRS? {
            guard let name = OSRGetAuthorityName(s, nil).map({ String(cString: $0) }),
                  let code = OSRGetAuthorityCode(s, nil).map({ String(cString: $0) }) else { return nil }
            if name.uppercased() == "OGC", code.uppercased() == "CRS84" { return .wgs84 }
            guard name.uppercased() == "EPSG", let n = Int(code) else { return nil }
            return InputCRS("EPSG:\(n)")
        }
        if let crs = authority(clone) { return crs }
        if OSRAutoIdentifyEPSG(clone) == OGRERR_NONE, let crs = authority(clone) { return crs }
        var count: Int32 = 0
        var confidences: UnsafeMutablePointer<Int32>?
        if let matches = OSRFindMatches(clone, nil, &count, &confidences) {
            defer { OSRFreeSRSArray(matches); VSIFree(confidences) }
            for i in 0..<Int(count) where (confidences?[i] ?? 0) >= 70 {
                if let m = matches[i], let crs = authority(m) { return crs }
            }
        }
        let name = OSRGetName(clone).map { String(cString: $0) } ?? "unnamed"
        throw fail("layer \(layerName): its CRS \"\(name)\" matches no EPSG code PROJ knows; give the CRS with --crs EPSG:n", field: "crs")
    }

    /// A field's value as the GeoJSON reader would have it.
    private func value(_ f: OGRFeatureH, _ i: Int, _ type: OGRFieldType, _ subtype: OGRFieldSubType,
                       _ text: (UnsafePointer<CChar>?) -> String) -> JSONValue {
        let i = Int32(i)
        switch type {
        case OFTInteger where subtype == OFSTBoolean: return .bool(OGR_F_GetFieldAsInteger(f, i) != 0)
        case OFTInteger, OFTInteger64: return .number(Double(OGR_F_GetFieldAsInteger64(f, i)))
        case OFTReal: return .number(OGR_F_GetFieldAsDouble(f, i))
        case OFTString:
            let s = text(OGR_F_GetFieldAsString(f, i))
            if subtype == OFSTJSON, let v = try? JSONValue.parse(s) { return v }
            return .string(s)
        case OFTStringList:
            var out = [JSONValue]()
            if let list = OGR_F_GetFieldAsStringList(f, i) {
                var k = 0
                while let p = list[k] { out.append(.string(text(p))); k += 1 }
            }
            return .array(out)
        case OFTIntegerList, OFTInteger64List, OFTRealList:
            var count: Int32 = 0
            guard let p = OGR_F_GetFieldAsDoubleList(f, i, &count) else { return .array([]) }
            return .array((0..<Int(count)).map { .number(p[$0]) })
        default:
            return .string(text(OGR_F_GetFieldAsString(f, i)))
        }
    }

    /// An OGR geometry as a GeoJSON geometry value (curves linearised, Z and M dropped).
    package static func geoJSON(_ geometry: OGRGeometryH) -> JSONValue {
        var g = geometry
        var linear: OGRGeometryH?
        if OGR_G_HasCurveGeometry(g, 0) != 0, let l = OGR_G_GetLinearGeometry(g, 0, nil) {
            linear = l
            g = l
        }
        defer { if let linear { OGR_G_DestroyGeometry(linear) } }
        if OGR_G_IsEmpty(g) != 0 { return .null }
        func positions(_ g: OGRGeometryH) -> JSONValue {
            .array((0..<OGR_G_GetPointCount(g)).map { .array([.number(OGR_G_GetX(g, $0)), .number(OGR_G_GetY(g, $0))]) })
        }
        func parts(_ g: OGRGeometryH, _ body: (OGRGeometryH) -> JSONValue) -> JSONValue {
            .array((0..<OGR_G_GetGeometryCount(g)).compactMap { OGR_G_GetGeometryRef(g, $0).map(body) })
        }
        func object(_ type: String, _ coordinates: JSONValue) -> JSONValue {
            .object([("type", .string(type)), ("coordinates", coordinates)])
        }
        let rings = { (p: OGRGeometryH) in parts(p, positions) }
        switch OGR_GT_Flatten(OGR_G_GetGeometryType(g)) {
        case wkbPoint: return object("Point", .array([.number(OGR_G_GetX(g, 0)), .number(OGR_G_GetY(g, 0))]))
        case wkbLineString, wkbLinearRing: return object("LineString", positions(g))
        case wkbPolygon, wkbTriangle: return object("Polygon", rings(g))
        case wkbMultiPoint: return object("MultiPoint", parts(g) { p in .array([.number(OGR_G_GetX(p, 0)), .number(OGR_G_GetY(p, 0))]) })
        case wkbMultiLineString: return object("MultiLineString", parts(g, positions))
        case wkbMultiPolygon, wkbPolyhedralSurface, wkbTIN: return object("MultiPolygon", parts(g, rings))
        case wkbGeometryCollection:
            return .object([("type", .string("GeometryCollection")), ("geometries", parts(g, geoJSON))])
        default:
            return .object([("type", .string(OGR_G_GetGeometryName(g).map { String(cString: $0) } ?? "unknown")), ("coordinates", .array([]))])
        }
    }
}
