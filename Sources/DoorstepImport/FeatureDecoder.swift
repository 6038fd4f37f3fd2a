import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation


/// Checks one feature's id, properties and geometry against the data contract of its layer and converts its
/// coordinates to WGS84. GeoJSON and CSV both come through here, so the rules live in one place.
package struct FeatureDecoder {
    package let layer: Layer
    package let transformer: CoordinateTransformer
    package let closeRings: Bool
    /// Used to make ids for layers where `id` is optional: "<stem>#<feature number>", stable across re-imports.
    package let fileStem: String
    /// The extent of the data already in the database, for the Gauss-Kruger hint (`GaussKrugerHint`).
    package let reference: BoundingBox?
    /// The layer's contract, computed once rather than per feature.
    private let fields: [Layer.Field]
    private let contractNames: Set<String>
    private let geometryTypes: Set<String>

    /// Repair invalid polygons with GEOS's MakeValid instead of refusing them (`--make-valid`).
    package let makeValid: Bool

    package init(layer: Layer, transformer: CoordinateTransformer, closeRings: Bool, fileStem: String, reference: BoundingBox? = nil,
                 makeValid: Bool = false) {
        self.makeValid = makeValid
        self.reference = reference
        self.layer = layer
        self.transformer = transformer
        self.closeRings = closeRings
        self.fileStem = fileStem
        fields = layer.fields
        contractNames = Set(fields.map(\.name) + ["id"])
        geometryTypes = layer.geometryTypes
    }
    /// Opening hours already parsed in this import: stations share a handful of schedules, and parsing was 8 % of
    /// an import's time.
    package let parsedHours = HoursMemo()

    package final class HoursMemo {
        package var normalized: [String: String] = [:]
    }
    /// Gauss-Kruger hints already worked out, by the millions of the position (a hint may try 32 zones with PROJ).
    package let hints = HintMemo()

    package final class HintMemo {
        package var byBlock: [Int: GaussKrugerHint?] = [:]
    }

    /// Decodes a feature or records why not. `location` makes the feature's location once its id is known.
    package func decode(
        number: Int, featureID: JSONValue?, properties: [(String, JSONValue)], geometry: JSONValue?,
        location: (String?) -> InputLocation, problems: inout ProblemLog, repairs: inout [ImportProblem]
    ) -> FeatureRecord? {
        var ok = true
        func problem(_ field: String?, _ message: String, id: String?) {
            problems.add(ImportProblem(location(id), field: field, message))
            ok = false
        }

        // Control characters first (TextRules): nothing below may see, store or print a NUL.
        guard textIsClean(featureID: featureID, properties: properties, location: location, problems: &problems) else { return nil }

        // id: properties.id, else the Feature's id; both and different is an error.
        let propertyID = properties.first(where: { $0.0 == "id" })?.1
        var id: String?
        switch (Self.idText(propertyID), Self.idText(featureID)) {
        case let (p?, f?) where p != f:
            problem("id", "properties.id \"\(p)\" differs from the Feature id \"\(f)\"", id: p)
            return nil
        case let (p?, _): id = p
        case let (nil, f?): id = f
        case (nil, nil):
            if let v = propertyID ?? featureID, v != .null, !(v == .string("")) {
                problem("id", "must be a string or a number, found \(v.typeName)", id: nil)
                return nil
            }
        }
        if id == nil {
            if layer.requiresID {
                problem("id", "missing (every \(layer.rawValue) feature needs a unique id)", id: nil)
                return nil
            }
            id = "\(fileStem)#\(number)"
        }
        let theID = id!

        var values = [FieldValue]()
        values.reserveCapacity(fields.count)
        for field in fields {
            let raw = properties.first(where: { $0.0 == field.name })?.1 ?? .null
            do {
                if field.type == .hours, case .string(let text) = raw, let known = parsedHours.normalized[text] {
                    values.append(.text(known))
                    continue
                }
                let value = try Self.value(raw, as: field.type)
                if field.type == .hours, case .string(let text) = raw, case .text(let normalized) = value {
                    parsedHours.normalized[text] = normalized
                }
                values.append(value)
            } catch {
                problem(field.name, error.message, id: theID)
                values.append(.null)
            }
        }
        if layer.requiresName, values.first == .null {
            problem("name", "missing (every \(layer.rawValue) feature needs a name)", id: theID)
        }
        if layer == .entrances, values.first == .null {
            problem("compound_id", "missing (an entrance belongs to a compound)", id: theID)
        }

        let extras = properties.filter { !contractNames.contains($0.0) }
        let extraText = extras.isEmpty ? nil : JSONValue.object(extras).jsonText

        guard let geometry, geometry != .null else {
            problem("geometry", "missing (a \(layer.rawValue) feature needs a \(geometryTypes.sorted().joined(separator: " or ")))", id: theID)
            return nil
        }
        var repairedNotes = [String]()
        let decoded: Geometry
        do {
            decoded = try GeoJSONReader.geometry(geometry, closeRings: closeRings, repaired: &repairedNotes)
        } catch {
            problem("geometry", error.message, id: theID)
            return nil
        }
        guard geometryTypes.contains(decoded.typeName) else {
            problem("geometry", "\(decoded.typeName) is not allowed in \(layer.rawValue) (takes \(geometryTypes.sorted().joined(separator: ", ")))", id: theID)
            return nil
        }
        var wgs84: Geometry
        do {
            wgs84 = try toWGS84(decoded)
        } catch {
            problem("geometry", error.message, id: theID)
            return nil
        }
        if case .failure(let message) = checkPolygon(&wgs84, notes: &repairedNotes) {
            problem("geometry", message.message, id: theID)
            return nil
        }
        var reference: Coordinate?
        if layer == .compounds {
            reference = try? GeometryEngine.pointOnSurface(wgs84)
            if reference == nil { problem("geometry", "GEOS finds no point inside it", id: theID) }
        }
        for note in repairedNotes { repairs.append(ImportProblem(location(theID), field: "geometry", note)) }
        guard ok else { return nil }
        return FeatureRecord(id: theID, geometry: wgs84, values: values, extraProperties: extraText, location: location(theID),
                             referencePoint: reference)
    }

    /// Polygons with less area than this (square degrees, about 0.01 m²) are degenerate: a ring whose positions are
    /// collinear has a rounding-error area of about 1e-16 and passes GEOS's validity test.
    package static let minimumArea = 1e-12

    /// A polygon must be valid and have area (GEOS, `GeometryEngine`); with `makeValid` an invalid one is replaced by
    /// the polygons of its repair, and the repair is noted. Other geometries pass as they are.
    private func checkPolygon(_ g: inout Geometry, notes: inout [String]) -> Result<Void, ProblemText> {
        switch g {
        case .polygon, .multiPolygon: break
        default: return .success(())
        }
        do {
            guard let check = try GeometryEngine.validity(of: g) else { return .failure(ProblemText("GEOS cannot read the polygon")) }
            guard !check.valid || check.area < Self.minimumArea else { return .success(()) }
            let what = check.valid ? "degenerate polygon (zero area)" : check.reason
            guard makeValid else { return .failure(ProblemText("invalid polygon: \(what) (use --make-valid to repair)")) }
            guard let repaired = try GeometryEngine.validPolygons(g),
                  let area = try GeometryEngine.validity(of: repaired)?.area, area >= Self.minimumArea else {
                return .failure(ProblemText("invalid polygon: \(what); ST_MakeValid leaves no area to keep"))
            }
            g = repaired
            notes.append("invalid polygon (\(what)) repaired with ST_MakeValid")
            return .success(())
        } catch {
            return .failure(ProblemText("GEOS cannot check the polygon: \(error)"))
        }
    }

    /// Properties that hold ids, checked under the rules of ids.
    package static let idProperties: Set<String> = ["id", "compound_id", "grid_id"]

    /// Applies `TextRules` to the id and to every property name and value, nested ones included; records one problem
    /// per offending property and returns false when there was any.
    private func textIsClean(featureID: JSONValue?, properties: [(String, JSONValue)],
                             location: (String?) -> InputLocation, problems: inout ProblemLog) -> Bool {
        func firstProblem(_ value: JSONValue, id: Bool) -> String? {
            switch value {
            case .string(let s): return TextRules.problem(id ? s.trimmed : s, id: id)
            case .array(let items): return items.lazy.compactMap { firstProblem($0, id: false) }.first
            case .object(let members):
                for (name, v) in members {
                    if let p = TextRules.problem(name, id: true) { return "a member name \(p)" }
                    if let p = firstProblem(v, id: false) { return p }
                }
                return nil
            default: return nil
            }
        }
        // The feature is named by its id when that id is printable.
        let rawID = Self.idText(properties.first(where: { $0.0 == "id" })?.1) ?? Self.idText(featureID)
        let shownID = rawID.map(TextRules.printable)
        var clean = true
        if let featureID, let p = firstProblem(featureID, id: true) {
            problems.add(ImportProblem(location(shownID), field: "id", "the Feature id \(p)"))
            clean = false
        }
        for (name, value) in properties {
            if let p = TextRules.problem(name, id: true) {
                problems.add(ImportProblem(location(shownID), field: TextRules.printable(name), "the property name \(p)"))
                clean = false
            } else if let p = firstProblem(value, id: Self.idProperties.contains(name)) {
                problems.add(ImportProblem(location(shownID), field: name, p))
                clean = false
            }
        }
        return clean
    }

    package static func idText(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s)?:
            let t = s.trimmed
            return t.isEmpty ? nil : t
        case .number(let n)?:
            return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default: return nil
        }
    }

    /// Converts and checks every coordinate; says which one is wrong and what it looks like.
    package func toWGS84(_ g: Geometry) throws(GeometryProblem) -> Geometry {
        var n = 0
        var failure: GeometryProblem?
        let out = g.mapCoordinates { c -> Coordinate in
            n += 1
            if failure != nil { return c }
            if let problem = check(c, number: n) {
                failure = problem
                return c
            }
            return transformer.toWGS84(c)!
        }
        if let failure { throw failure }
        return out
    }

    private func check(_ c: Coordinate, number n: Int) -> GeometryProblem? {
        // The position as text, for the messages: only written when there is one (formatting two doubles for every
        // position was a fifth of a large import's reading).
        var at: String { g(c) }
        let crs = transformer.crs
        if crs.isProjected {
            func fits(_ p: Coordinate) -> Bool {
                guard let w = transformer.toWGS84(p), (-180...180).contains(w.lon), (-90...90).contains(w.lat) else { return false }
                return transformer.isPlausible(w)
            }
            if fits(c) { return nil }
            if fits(Coordinate(lon: c.lat, lat: c.lon)) {
                return GeometryProblem("position \(n) \(at) is outside the area of \(crs); easting and northing look swapped (x/easting must come first)")
            }
            let area = transformer.areaOfUse.map { String(format: " (lon %.1f…%.1f, lat %.1f…%.1f)", $0.west, $0.east, $0.south, $0.north) } ?? ""
            return GeometryProblem("position \(n) \(at) is outside the area of \(crs)\(area): is --crs right?")
        }
        let lonOK = (-180...180).contains(c.lon), latOK = (-90...90).contains(c.lat)
        if lonOK && latOK { return nil }
        if !latOK, (-90...90).contains(c.lon), (-180...180).contains(c.lat) {
            return GeometryProblem("position \(n) \(at): latitude \(c.lat) is out of range; longitude and latitude look swapped (give longitude first, e.g. [118.78, 32.04])")
        }
        if !lonOK {
            return GeometryProblem("position \(n) \(at): longitude \(c.lon) is out of range −180…180\(bigHint(c))")
        }
        return GeometryProblem("position \(n) \(at): latitude \(c.lat) is out of range −90…90\(bigHint(c))")
    }

    private func bigHint(_ c: Coordinate) -> String {
        guard abs(c.lon) > 1000 || abs(c.lat) > 1000 else { return "" }
        let block = Int((c.lon / 1_000_000).rounded(.down).clamped(-1000, 1000)) * 10_000
            + Int((c.lat / 1_000_000).rounded(.down).clamped(-1000, 1000))
        let hint: GaussKrugerHint?
        if let known = hints.byBlock[block] {
            hint = known
        } else {
            hint = GaussKrugerHint.suggest(c, reference: reference)
            hints.byBlock[block] = hint
        }
        guard let hint else { return " (metres? give their CRS with --crs EPSG:n)" }
        return " (metres? give their CRS with --crs: \(hint.text))"
    }

    private func g(_ c: Coordinate) -> String { "[\(c.lon), \(c.lat)]" }
}

/// Why a property value is not acceptable.
package struct ValueProblem: Error {
    package let message: String
    package init(_ message: String) { self.message = message }
}

extension FeatureDecoder {
    /// Checks and converts one property value to its column value.
    package static func value(_ raw: JSONValue, as type: Layer.FieldType) throws(ValueProblem) -> FieldValue {
        if raw == .null { return .null }
        if case .string(let s) = raw, s.trimmed.isEmpty { return .null }
        switch type {
        case .text:
            switch raw {
            case .string(let s): return .text(s.trimmed)
            case .number, .bool: return .text(raw.jsonText)
            default: throw ValueProblem("expected text, found \(raw.typeName)")
            }
        case .count:
            let n = try number(raw)
            guard n >= 0 else { throw ValueProblem("must not be negative, found \(format(n))") }
            guard n == n.rounded() else { throw ValueProblem("must be a whole number, found \(format(n))") }
            guard n < 1e12 else { throw ValueProblem("is implausibly large: \(format(n))") }
            return .int(Int64(n))
        case .positiveReal:
            let n = try number(raw)
            guard n > 0 else { throw ValueProblem("must be a positive number of metres, found \(format(n))") }
            guard n <= 100_000 else { throw ValueProblem("is implausibly large: \(format(n)) m") }
            return .double(n)
        case .services:
            let items: [String]
            switch raw {
            case .array(let values):
                var out = [String]()
                for v in values {
                    guard case .string(let s) = v else { throw ValueProblem("expected a list of service names, found a \(v.typeName) in it") }
                    out.append(s)
                }
                items = out
            case .string(let s):
                items = s.split(whereSeparator: { ";；,，、/|".contains($0) }).map(String.init)
            default:
                throw ValueProblem("expected a list of service names, found \(raw.typeName)")
            }
            let services = Services.normalize(items)
            return .text(JSONValue.array(services.map { .string($0) }).jsonText)
        case .kind:
            guard case .string(let s) = raw else { throw ValueProblem("expected text, found \(raw.typeName)") }
            return .text(StationKind.normalize(s))
        case .hours:
            guard case .string(let s) = raw else { throw ValueProblem("expected opening hours text, found \(raw.typeName)") }
            do {
                let hours = try OpeningHours(parsing: s)
                return .text(hours.text)
            } catch {
                throw ValueProblem("\(error)")
            }
        }
    }

    private static func number(_ raw: JSONValue) throws(ValueProblem) -> Double {
        switch raw {
        case .number(let n): return n
        case .string(let s):
            let t = s.trimmed.replacingOccurrences(of: ",", with: "")
            guard let n = Double(t), n.isFinite, t.allSatisfy({ "0123456789.-+eE".contains($0) }) else {
                throw ValueProblem("not a number: \"\(s)\"")
            }
            return n
        default:
            throw ValueProblem("expected a number, found \(raw.typeName)")
        }
    }

    private static func format(_ n: Double) -> String {
        n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
    }
}


private extension Double {
    package func clamped(_ lo: Double, _ hi: Double) -> Double { isFinite ? Swift.min(hi, Swift.max(lo, self)) : 0 }
}

/// A problem's message, as an error (for `Result`).
package struct ProblemText: Error {
    package let message: String
    package init(_ message: String) { self.message = message }
}
