import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import CGDAL
import Foundation

/// A QGIS style stored with a GeoPackage layer (the `layer_styles` table QGIS reads and writes), so the layer opens
/// coloured: coverage and gaps by `status`, stations by `kind`, in the colours of ``Simplestyle`` and the rendered map.
package struct QGISStyle {
    package enum Symbol: String { case marker, line, fill }

    package let layer: String
    package let attribute: String
    /// Value, label, colour (#rrggbb).
    package let categories: [(value: String, label: String, colour: String)]
    package let symbol: Symbol

    /// The style for what is exported, nil when it has none (a plain layer other than stations).
    package static func make(content: String, layer: String, geometries: [Geometry]) -> QGISStyle? {
        let symbol: Symbol
        switch geometries.first {
        case .point?, .multiPoint?: symbol = .marker
        case .lineString?, .multiLineString?: symbol = .line
        case nil: return nil
        default: symbol = .fill
        }
        switch content {
        case "coverage", "gaps":
            let statuses: [(CompoundCoverage.Status, String)] = [(.covered, "covered 已覆盖"), (.uncovered, "uncovered 未覆盖"),
                                                                  (.noPath, "no path 无步行路径"), (.unreachable, "unreachable 不可达")]
            return QGISStyle(layer: layer, attribute: "status",
                             categories: statuses.map { ($0.0.rawValue, $0.1, Simplestyle.colour(of: $0.0)) }, symbol: symbol)
        case "stations":
            let kinds = [("center", "center 中心"), ("station", "station 站"), ("post", "post 点")]
            return QGISStyle(layer: layer, attribute: "kind",
                             categories: kinds.map { ($0.0, $0.1, Simplestyle.colour(ofKind: $0.0)) } + [("", "other 其他", Simplestyle.colour(ofKind: nil))],
                             symbol: symbol)
        default:
            return nil
        }
    }

    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// "r,g,b,a" as QGIS writes colours.
    package static func rgba(_ hex: String, alpha: Int = 255) -> String {
        let v = Int(hex.dropFirst(), radix: 16) ?? 0
        return "\((v >> 16) & 255),\((v >> 8) & 255),\(v & 255),\(alpha)"
    }

    /// One symbol: its properties both as QGIS ≥ 3.26 writes them (`Option` map) and as older 3.x did (`prop`).
    private func symbolXML(name: String, colour: String) -> String {
        var props: [(String, String)]
        let layerClass: String
        switch symbol {
        case .marker:
            layerClass = "SimpleMarker"
            props = [("name", "circle"), ("color", Self.rgba(colour)), ("outline_color", "35,35,35,255"),
                     ("outline_width", "0.2"), ("size", "2.6"), ("size_unit", "MM")]
        case .line:
            layerClass = "SimpleLine"
            props = [("line_color", Self.rgba(colour)), ("line_width", "0.6"), ("line_style", "solid")]
        case .fill:
            layerClass = "SimpleFill"
            props = [("color", Self.rgba(colour, alpha: 153)), ("style", "solid"), ("outline_color", Self.rgba(colour)),
                     ("outline_style", "solid"), ("outline_width", "0.26")]
        }
        let options = props.map { "<Option type=\"QString\" name=\"\($0.0)\" value=\"\($0.1)\"/>" }.joined()
        let legacy = props.map { "<prop k=\"\($0.0)\" v=\"\($0.1)\"/>" }.joined()
        return "<symbol type=\"\(symbol.rawValue)\" name=\"\(name)\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">"
            + "<layer class=\"\(layerClass)\" enabled=\"1\" locked=\"0\" pass=\"0\"><Option type=\"Map\">\(options)</Option>\(legacy)</layer></symbol>"
    }

    /// A QML document with a categorized renderer on `attribute`.
    package var qml: String {
        var s = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        s += "<qgis version=\"3.28.0\" styleCategories=\"Symbology\">\n"
        s += "<renderer-v2 type=\"categorizedSymbol\" attr=\"\(Self.escape(attribute))\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" referencescale=\"-1\">\n<categories>\n"
        for (i, c) in categories.enumerated() {
            s += "<category value=\"\(Self.escape(c.value))\" label=\"\(Self.escape(c.label))\" symbol=\"\(i)\" render=\"true\" type=\"string\"/>\n"
        }
        s += "</categories>\n<symbols>\n"
        for (i, c) in categories.enumerated() { s += symbolXML(name: "\(i)", colour: c.colour) + "\n" }
        s += "</symbols>\n<source-symbol>" + symbolXML(name: "0", colour: "#8c8c8c") + "</source-symbol>\n"
        s += "</renderer-v2>\n<layerGeometryType>\(symbol == .marker ? 0 : symbol == .line ? 1 : 2)</layerGeometryType>\n</qgis>\n"
        return s
    }

    /// The same rules as an SLD 1.1 document, for other readers of `layer_styles`.
    package var sld: String {
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<StyledLayerDescriptor xmlns=\"http://www.opengis.net/sld\" xmlns:ogc=\"http://www.opengis.net/ogc\" xmlns:se=\"http://www.opengis.net/se\" version=\"1.1.0\">"
        s += "<NamedLayer><se:Name>\(Self.escape(layer))</se:Name><UserStyle><se:Name>\(Self.escape(layer))</se:Name><se:FeatureTypeStyle>"
        for c in categories {
            s += "<se:Rule><se:Name>\(Self.escape(c.label))</se:Name><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>\(Self.escape(attribute))</ogc:PropertyName><ogc:Literal>\(Self.escape(c.value))</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
            switch symbol {
            case .marker:
                s += "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName><se:Fill><se:SvgParameter name=\"fill\">\(c.colour)</se:SvgParameter></se:Fill></se:Mark><se:Size>10</se:Size></se:Graphic></se:PointSymbolizer>"
            case .line:
                s += "<se:LineSymbolizer><se:Stroke><se:SvgParameter name=\"stroke\">\(c.colour)</se:SvgParameter></se:Stroke></se:LineSymbolizer>"
            case .fill:
                s += "<se:PolygonSymbolizer><se:Fill><se:SvgParameter name=\"fill\">\(c.colour)</se:SvgParameter><se:SvgParameter name=\"fill-opacity\">0.6</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name=\"stroke\">\(c.colour)</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>"
            }
            s += "</se:Rule>"
        }
        s += "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>\n"
        return s
    }

    /// Adds the `layer_styles` table (created as QGIS creates it: through OGR, an attributes table with FID `id`)
    /// and this style's row, the default style of the layer.
    package func store(in dataset: GDALDatasetH, messages: GDALMessages) throws {
        let options = OGRFile.options([("FID", "id"), ("DESCRIPTION", "QGIS layer styles")])
        defer { CSLDestroy(options) }
        guard let table = GDALDatasetCreateLayer(dataset, "layer_styles", nil, wkbNone, options) else {
            throw ExportError("cannot create the layer_styles table (GDAL: \(messages.takeFailures().joined(separator: "; ")))")
        }
        let fields: [(String, OGRFieldType, OGRFieldSubType, Int32)] = [
            ("f_table_catalog", OFTString, OFSTNone, 256), ("f_table_schema", OFTString, OFSTNone, 256),
            ("f_table_name", OFTString, OFSTNone, 256), ("f_geometry_column", OFTString, OFSTNone, 256),
            ("styleName", OFTString, OFSTNone, 30), ("styleQML", OFTString, OFSTNone, 0), ("styleSLD", OFTString, OFSTNone, 0),
            ("useAsDefault", OFTInteger, OFSTBoolean, 0), ("description", OFTString, OFSTNone, 0),
            ("owner", OFTString, OFSTNone, 30), ("ui", OFTString, OFSTNone, 30), ("update_time", OFTDateTime, OFSTNone, 0),
        ]
        for (name, type, subtype, width) in fields {
            let d = OGR_Fld_Create(name, type)!
            defer { OGR_Fld_Destroy(d) }
            if subtype != OFSTNone { OGR_Fld_SetSubType(d, subtype) }
            if width > 0 { OGR_Fld_SetWidth(d, width) }
            guard OGR_L_CreateField(table, d, 0) == OGRERR_NONE else { throw ExportError("cannot create layer_styles.\(name)") }
        }
        let f = OGR_F_Create(OGR_L_GetLayerDefn(table))!
        defer { OGR_F_Destroy(f) }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let values: [(Int32, String)] = [(0, ""), (1, ""), (2, layer), (3, "geom"), (4, layer), (5, qml), (6, sld),
                                         (8, "Doorstep: \(attribute) coloured as on its maps"), (9, "doorstep"), (10, ""), (11, stamp)]
        for (i, v) in values { OGR_F_SetFieldString(f, i, v) }
        OGR_F_SetFieldInteger(f, 7, 1)
        guard OGR_L_CreateFeature(table, f) == OGRERR_NONE else {
            throw ExportError("cannot write the QGIS style (GDAL: \(messages.takeFailures().joined(separator: "; ")))")
        }
    }
}
