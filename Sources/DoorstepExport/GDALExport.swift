import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import CGDAL
import Foundation

/// A place to put a feature on a map from a table: a point's position, a polygon's point on surface (GEOS through
/// OGR), and for lines their WKT.
package enum ExportPlace {
    package static func round7(_ v: Double) -> Double { (v * 1e7).rounded() / 1e7 }

    package static func of(_ g: Geometry) throws -> (point: Coordinate?, wkt: String?) {
        switch g {
        case .point(let c): return (c, nil)
        case .multiPoint(let cs): return (cs.first, nil)
        case .lineString, .multiLineString:
            let o = OGRGeometryBuilder.make(g)
            defer { OGR_G_DestroyGeometry(o) }
            var text: UnsafeMutablePointer<CChar>?
            guard OGR_G_ExportToWkt(o, &text) == OGRERR_NONE, let text else { return (nil, nil) }
            defer { VSIFree(text) }
            return (nil, String(cString: text))
        case .polygon, .multiPolygon:
            GDAL.setUp()
            let o = OGRGeometryBuilder.make(g)
            defer { OGR_G_DestroyGeometry(o) }
            let messages = GDALMessages()
            return messages.collecting {
                guard let p = OGR_G_PointOnSurface(o) else { return (nil, nil) }
                defer { OGR_G_DestroyGeometry(p) }
                guard OGR_G_IsEmpty(p) == 0 else { return (nil, nil) }
                return (Coordinate(lon: OGR_G_GetX(p, 0), lat: OGR_G_GetY(p, 0)), nil)
            }
        }
    }
}

/// Doorstep's geometries as OGR's, positions rounded to 7 decimals as the GeoJSON export writes them.
package enum OGRGeometryBuilder {
    package static func make(_ g: Geometry) -> OGRGeometryH {
        func line(_ type: OGRwkbGeometryType, _ cs: [Coordinate]) -> OGRGeometryH {
            let l = OGR_G_CreateGeometry(type)!
            for c in cs { OGR_G_AddPoint_2D(l, ExportPlace.round7(c.lon), ExportPlace.round7(c.lat)) }
            return l
        }
        func polygon(_ rings: [[Coordinate]]) -> OGRGeometryH {
            let p = OGR_G_CreateGeometry(wkbPolygon)!
            for r in rings { OGR_G_AddGeometryDirectly(p, line(wkbLinearRing, r)) }
            return p
        }
        switch g {
        case .point(let c):
            let p = OGR_G_CreateGeometry(wkbPoint)!
            OGR_G_SetPoint_2D(p, 0, ExportPlace.round7(c.lon), ExportPlace.round7(c.lat))
            return p
        case .lineString(let cs): return line(wkbLineString, cs)
        case .polygon(let rs): return polygon(rs)
        case .multiPoint(let cs):
            let m = OGR_G_CreateGeometry(wkbMultiPoint)!
            for c in cs { OGR_G_AddGeometryDirectly(m, make(.point(c))) }
            return m
        case .multiLineString(let ls):
            let m = OGR_G_CreateGeometry(wkbMultiLineString)!
            for l in ls { OGR_G_AddGeometryDirectly(m, line(wkbLineString, l)) }
            return m
        case .multiPolygon(let ps):
            let m = OGR_G_CreateGeometry(wkbMultiPolygon)!
            for p in ps { OGR_G_AddGeometryDirectly(m, polygon(p)) }
            return m
        }
    }

    /// The layer type for a set of geometries: the one type, or the multi type of one family (Polygon and
    /// MultiPolygon → MultiPolygon), else nil (mixed families).
    package static func layerType(_ geometries: [Geometry]) -> OGRwkbGeometryType? {
        var families = Set<Int>(), multi = false
        for g in geometries {
            switch g {
            case .point: families.insert(0)
            case .multiPoint: families.insert(0); multi = true
            case .lineString: families.insert(1)
            case .multiLineString: families.insert(1); multi = true
            case .polygon: families.insert(2)
            case .multiPolygon: families.insert(2); multi = true
            }
        }
        guard families.count <= 1 else { return nil }
        switch families.first {
        case nil: return wkbNone
        case 0?: return multi ? wkbMultiPoint : wkbPoint
        case 1?: return multi ? wkbMultiLineString : wkbLineString
        default: return multi ? wkbMultiPolygon : wkbPolygon
        }
    }

    /// The geometry promoted to the layer's multi type when the layer is one.
    package static func promoted(_ g: Geometry, to type: OGRwkbGeometryType) -> Geometry {
        switch (g, type) {
        case (.point(let c), wkbMultiPoint): return .multiPoint([c])
        case (.lineString(let l), wkbMultiLineString): return .multiLineString([l])
        case (.polygon(let p), wkbMultiPolygon): return .multiPolygon([p])
        default: return g
        }
    }
}

/// A table to write through GDAL: a layer of a GeoPackage or Shapefile, or a sheet of a workbook.
package struct OGRTable {
    package struct Row {
        package var geometry: Geometry?
        package var properties: [(String, JSONValue)]
    }

    package var name: String
    package var rows: [Row] = []
    /// Header text of a property key (a sheet's Chinese headers); the key itself when nil.
    package var header: ((String) -> String)? = nil
    package var description: String? = nil
    package var metadata: [(String, String)] = []
    package var geometry = true

    /// The columns: every key in order of first appearance, each with the OGR type its values fit.
    package func columns() -> [(key: String, type: OGRFieldType, subtype: OGRFieldSubType)] {
        var order = [String](), kinds = [String: Int]()   // 0 null, 1 bool, 2 integer, 3 real, 4 text, 5 json
        for row in rows {
            for (k, v) in row.properties {
                if kinds[k] == nil { order.append(k); kinds[k] = 0 }
                let kind: Int
                switch v {
                case .null: kind = 0
                case .bool: kind = 1
                case .number(let n): kind = n == n.rounded() && abs(n) < 9e15 ? 2 : 3
                case .string: kind = 4
                case .array, .object: kind = 5
                }
                let old = kinds[k]!
                if old == 0 { kinds[k] = kind }
                else if kind == 0 || kind == old { continue }
                else if (old == 2 || old == 3) && (kind == 2 || kind == 3) { kinds[k] = 3 }
                else { kinds[k] = 4 }
            }
        }
        return order.map { k in
            switch kinds[k]! {
            case 1: return (k, OFTInteger, OFSTBoolean)
            case 2: return (k, OFTInteger64, OFSTNone)
            case 3: return (k, OFTReal, OFSTNone)
            case 5: return (k, OFTString, OFSTJSON)
            default: return (k, OFTString, OFSTNone)
            }
        }
    }
}

/// `.gpkg`, `.xlsx`, `.shp` and zipped Shapefiles: features collected, then written through GDAL at `finish`.
package final class OGRFeatureWriter: FeatureSink {
    private let path: String
    private let format: ExportFormat
    private let header: ExportHeader
    private let options: ExportOptions
    private var table: OGRTable
    private var box = BoxAccumulator()
    package private(set) var featureCount = 0
    package private(set) var notes: [String] = []

    package init(path: String, format: ExportFormat, header: ExportHeader, options: ExportOptions) throws {
        self.path = path
        self.format = format
        self.header = header
        self.options = options
        let name: String
        switch format {
        case .shp: name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case .shpZip:
            var stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if stem.lowercased().hasSuffix(".shp") { stem = String(stem.dropLast(4)) }
            name = stem
        case .xlsx: name = WorkbookText.sheet(header.content, options.language)
        default: name = header.content.replacingOccurrences(of: "-", with: "_")
        }
        table = OGRTable(name: name)
        table.description = [header.title, header.credits].compactMap { $0 }.joined(separator: ". ")
        if let credits = header.credits { table.metadata.append(("attribution", credits)) }
        table.metadata.append(("doorstep:content", header.content))
        if format == .xlsx {
            table.geometry = false
            if options.language == .zh { table.header = { WorkbookText.header($0, .zh) } }
        }
    }

    package func write(geometry: Geometry?, properties: [(String, JSONValue)], id: String?) throws {
        var p = properties
        if let id, !p.contains(where: { $0.0 == "id" }) { p.insert(("id", .string(id)), at: 0) }
        if let g = geometry { box.add(g) }
        if format == .xlsx {
            let place = try geometry.map(ExportPlace.of)
            if let c = place?.point {
                p += [("lon", .number(ExportPlace.round7(c.lon))), ("lat", .number(ExportPlace.round7(c.lat)))]
            } else if let wkt = place?.wkt {
                p.append(("wkt", .string(wkt)))
            }
        }
        table.rows.append(.init(geometry: geometry, properties: p))
        featureCount += 1
    }

    package func finish() throws -> BoundingBox? {
        var tables = [table]
        if format == .xlsx { tables.append(WorkbookText.aboutSheet(title: header.title, credits: header.credits, extra: [], options.language)) }
        let style = format == .gpkg ? QGISStyle.make(content: header.content, layer: table.name, geometries: table.rows.compactMap(\.geometry)) : nil
        notes = try OGRFile.write(path: path, format: format, tables: tables, encoding: options.encoding, style: style)
        return box.box
    }
}

/// Writes tables through GDAL's drivers, GDAL's messages collected and turned into Doorstep's.
package enum OGRFile {
    /// Writes `tables` to `path`; returns notes for the reader (fields renamed).
    package static func write(path: String, format: ExportFormat, tables: [OGRTable], encoding: String?, style: QGISStyle?) throws -> [String] {
        GDAL.setUp()
        let messages = GDALMessages()
        return try messages.collecting {
            switch format {
            case .shp: return try writeShapefile(path: path, table: tables[0], encoding: encoding, messages: messages)
            case .shpZip:
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-shp-\(UUID())")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: dir) }
                let name = tables[0].name
                let notes = try writeShapefile(path: dir.appendingPathComponent("\(name).shp").path, table: tables[0], encoding: encoding, messages: messages)
                try zip(directory: dir, name: name, to: path, messages: messages)
                return notes
            case .gpkg:
                try writeDataset(path: path, driver: "GPKG", tables: tables, layerOptions: { t in
                    [("IDENTIFIER", t.name), ("DESCRIPTION", t.description ?? ""), ("GEOMETRY_NAME", "geom"), ("FID", "fid")]
                }, fieldName: { $0 }, messages: messages) { dataset in
                    if let style { try style.store(in: dataset, messages: messages) }
                }
                return []
            case .xlsx:
                try writeDataset(path: path, driver: "XLSX", tables: tables, layerOptions: { _ in [] }, fieldName: { $0 }, messages: messages)
                return []
            case .geojson, .csv:
                throw ExportError("internal: \(format.rawValue) is not written through GDAL")
            }
        }
    }

    private static func gdalSays(_ messages: GDALMessages) -> String {
        let f = messages.takeFailures()
        return f.isEmpty ? "" : " (GDAL: \(f.joined(separator: "; ")))"
    }

    package static func options(_ pairs: [(String, String)]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        var list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        for (k, v) in pairs { list = CSLSetNameValue(list, k, v) }
        return list
    }

    /// Creates the dataset, one layer per table (EPSG:4326 when it has geometries), fills it in one transaction.
    package static func writeDataset(path: String, driver driverName: String, tables: [OGRTable],
                             layerOptions: (OGRTable) -> [(String, String)], fieldName: (String) -> String,
                             messages: GDALMessages, before close: (GDALDatasetH) throws -> Void = { _ in }) throws {
        guard let driver = GDALGetDriverByName(driverName) else { throw ExportError("this GDAL has no \(driverName) driver") }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        guard let dataset = GDALCreate(driver, path, 0, 0, 0, GDT_Unknown, nil) else {
            throw ExportError("cannot create \(path)\(gdalSays(messages))")
        }
        var closed = false
        defer { if !closed { GDALClose(dataset) } }
        let srs = OSRNewSpatialReference(nil)!
        defer { OSRRelease(srs) }
        OSRImportFromEPSG(srs, 4326)
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER)
        for table in tables {
            try fill(dataset, table, srs: srs, options: layerOptions(table), fieldName: fieldName, messages: messages, path: path)
        }
        try close(dataset)
        closed = true
        GDALClose(dataset)
        let failures = messages.takeFailures()
        if !failures.isEmpty { throw ExportError("writing \(path) failed (GDAL: \(failures.joined(separator: "; ")))") }
    }

    package static func fill(_ dataset: GDALDatasetH, _ table: OGRTable, srs: OGRSpatialReferenceH, options: [(String, String)],
                     fieldName: (String) -> String, messages: GDALMessages, path: String) throws {
        let geometries = table.rows.compactMap(\.geometry)
        var type = wkbNone
        if table.geometry && !geometries.isEmpty {
            if let t = OGRGeometryBuilder.layerType(geometries) {
                type = t
            } else if URL(fileURLWithPath: path).pathExtension.lowercased() == "gpkg" {
                type = wkbUnknown
            } else {
                throw ExportError("\(table.name) mixes points, lines and polygons, which a Shapefile cannot hold; export it as .gpkg")
            }
        }
        try fill(dataset, table, type: type, srs: srs, options: options, fieldName: fieldName, messages: messages, path: path)
    }

    private static func fill(_ dataset: GDALDatasetH, _ table: OGRTable, type: OGRwkbGeometryType, srs: OGRSpatialReferenceH,
                             options: [(String, String)], fieldName: (String) -> String, messages: GDALMessages, path: String) throws {
        let list = self.options(options)
        defer { CSLDestroy(list) }
        guard let layer = GDALDatasetCreateLayer(dataset, table.name, type == wkbNone ? nil : srs, type, list) else {
            throw ExportError("cannot create layer \(table.name) in \(path)\(gdalSays(messages))")
        }
        let columns = table.columns()
        for c in columns {
            let name = table.header?(c.key) ?? fieldName(c.key)
            let d = OGR_Fld_Create(name, c.type)!
            defer { OGR_Fld_Destroy(d) }
            if c.subtype != OFSTNone { OGR_Fld_SetSubType(d, c.subtype) }
            guard OGR_L_CreateField(layer, d, 1) == OGRERR_NONE else {
                throw ExportError("cannot create field \(name) in \(path)\(gdalSays(messages))")
            }
        }
        for (k, v) in table.metadata { GDALSetMetadataItem(layer, k, v, nil) }
        var index = [String: Int32]()
        for (i, c) in columns.enumerated() { index[c.key] = Int32(i) }
        let definition = OGR_L_GetLayerDefn(layer)
        let transaction = GDALDatasetStartTransaction(dataset, 0) == OGRERR_NONE
        for row in table.rows {
            let f = OGR_F_Create(definition)!
            defer { OGR_F_Destroy(f) }
            for (k, v) in row.properties {
                guard let i = index[k] else { continue }
                switch v {
                case .null: OGR_F_SetFieldNull(f, i)
                case .bool(let b): OGR_F_SetFieldInteger(f, i, b ? 1 : 0)
                case .number(let n):
                    if columns[Int(i)].type == OFTInteger64 { OGR_F_SetFieldInteger64(f, i, GIntBig(n)) }
                    else if columns[Int(i)].type == OFTReal { OGR_F_SetFieldDouble(f, i, n) }
                    else { OGR_F_SetFieldString(f, i, JSONValue.number(n).jsonText) }
                case .string(let s): OGR_F_SetFieldString(f, i, s)
                case .array, .object: OGR_F_SetFieldString(f, i, v.jsonText)
                }
            }
            if type != wkbNone, let g = row.geometry {
                OGR_F_SetGeometryDirectly(f, OGRGeometryBuilder.make(OGRGeometryBuilder.promoted(g, to: type)))
            }
            guard OGR_L_CreateFeature(layer, f) == OGRERR_NONE else {
                throw ExportError("cannot write a feature of \(table.name) to \(path)\(gdalSays(messages))")
            }
        }
        if transaction { GDALDatasetCommitTransaction(dataset) }
    }

    /// A DBF field name holds at most 10 bytes (in the file's encoding): names are cut, and made unique with a
    /// number where two cuts meet (`households_covered` → `households`, `households_covered_pct` → `househol_1`).
    package static func shapefileNames(_ keys: [String], encoding: String?) -> [String: String] {
        func bytes(_ s: String) -> Int {
            if encoding != nil, let d = s.data(using: String.Encoding.gb18030) { return d.count }
            return s.utf8.count
        }
        func cut(_ s: String, _ limit: Int) -> String {
            var out = ""
            for ch in s {
                if bytes(out + String(ch)) > limit { break }
                out.append(ch)
            }
            return out
        }
        var used = Set<String>(), out = [String: String]()
        for key in keys {
            var name = cut(key, 10)
            var n = 1
            while used.contains(name.lowercased()) {
                let suffix = "_\(n)"
                name = cut(key, 10 - suffix.count) + suffix
                n += 1
            }
            used.insert(name.lowercased())
            out[key] = name
        }
        return out
    }

    package static func writeShapefile(path: String, table: OGRTable, encoding: String?, messages: GDALMessages) throws -> [String] {
        let names = shapefileNames(table.columns().map(\.key), encoding: encoding)
        let renamed = table.columns().map(\.key).filter { names[$0] != $0 }
        let gbk = encoding != nil
        try writeDataset(path: path, driver: "ESRI Shapefile", tables: [table], layerOptions: { _ in
            [("ENCODING", gbk ? "CP936" : "UTF-8")]
        }, fieldName: { names[$0] ?? $0 }, messages: messages)
        let base = URL(fileURLWithPath: path).deletingPathExtension()
        // ArcGIS and GDAL both read a code page number; GDAL itself wrote "CP936".
        try Data((gbk ? "936" : "UTF-8").utf8).write(to: base.appendingPathExtension("cpg"))
        if renamed.isEmpty { return [] }
        return ["Shapefile field names hold at most 10 bytes; renamed: " + renamed.map { "\($0) → \(names[$0]!)" }.joined(separator: ", ")]
    }

    /// Zips the Shapefile set `name`.* of `directory` into `path` through GDAL's /vsizip/.
    package static func zip(directory: URL, name: String, to path: String, messages: GDALMessages) throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            let source = directory.appendingPathComponent("\(name).\(ext)")
            guard let data = FileManager.default.contents(atPath: source.path) else { continue }
            guard let f = VSIFOpenL("/vsizip/\(absolute)/\(name).\(ext)", "wb") else {
                throw ExportError("cannot write \(path)\(gdalSays(messages))")
            }
            let written = data.withUnsafeBytes { VSIFWriteL($0.baseAddress, 1, $0.count, f) }
            VSIFCloseL(f)
            guard written == data.count else { throw ExportError("cannot write \(name).\(ext) into \(path)\(gdalSays(messages))") }
        }
    }
}
