import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// Which source field feeds which field of the data contract, for sources with named fields (GDAL layers).
///
/// The aliases are the CSV reader's (`CSVColumns.aliases`, the one table); `--field TARGET=SOURCE` overrides them.
public struct FieldMapping {
    /// For each source field, in order: the contract field it feeds, or nil when it is kept as an extra property.
    package let targets: [String?]
    /// Source fields holding longitude/x and latitude/y, for tables of points without a geometry (spreadsheets).
    package let lonField: Int?
    package let latField: Int?

    package static func key(_ s: String) -> String {
        s.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "_", with: "")
    }

    /// - Parameters:
    ///   - explicit: target → source field name, from `--field`; targets are contract fields, `id`, `lon`, `lat`.
    ///   - pointsFromColumns: whether the source has no geometry and points come from lon/lat columns.
    package init(sourceFields: [String], layer: Layer, explicit: [String: String], pointsFromColumns: Bool,
         problem: (String?, String) -> ImportError) throws {
        let contract = ["id"] + layer.fields.map(\.name)
        let listing = sourceFields.isEmpty ? "the source has no fields" : "the source's fields are: \(sourceFields.joined(separator: ", "))"
        var targets = [String?](repeating: nil, count: sourceFields.count)
        var lon: Int?, lat: Int?
        // --field first: it wins over aliases.
        for (target, source) in explicit.sorted(by: { $0.key < $1.key }) {
            guard contract.contains(target) || target == "lon" || target == "lat" else {
                throw problem(target, "--field \(target)=\(source): \(layer.rawValue) has no field \(target) (it has \((contract + (pointsFromColumns ? ["lon", "lat"] : [])).joined(separator: ", ")))")
            }
            guard let i = sourceFields.firstIndex(of: source) ?? sourceFields.firstIndex(where: { Self.key($0) == Self.key(source) }) else {
                throw problem(target, "--field \(target)=\(source): no field \"\(source)\"; \(listing)")
            }
            if target == "lon" { lon = i } else if target == "lat" { lat = i } else { targets[i] = target }
        }
        var lookup = [String: String]()
        for (field, names) in CSVColumns.aliases where contract.contains(field) {
            for n in names { lookup[Self.key(n)] = field }
        }
        // 小区编号 is a compound's own id in the compounds layer, the owner in entrances.
        if layer == .entrances { lookup[Self.key("小区编号")] = "compound_id" }
        var given = [String: String]()
        for (i, t) in targets.enumerated() { if let t { given[t] = sourceFields[i] } }
        let lonKeys = Set(CSVColumns.lonAliases.map(Self.key)), latKeys = Set(CSVColumns.latAliases.map(Self.key))
        for (i, name) in sourceFields.enumerated() where targets[i] == nil && i != lon && i != lat {
            let k = Self.key(name)
            if pointsFromColumns, lonKeys.contains(k) { if lon == nil && !explicit.keys.contains("lon") { lon = i }; continue }
            if pointsFromColumns, latKeys.contains(k) { if lat == nil && !explicit.keys.contains("lat") { lat = i }; continue }
            guard let field = lookup[k], !explicit.keys.contains(field) else { continue }
            if let other = given[field] {
                throw problem(field, "fields \"\(other)\" and \"\(name)\" both give \(field); choose one with --field \(field)=NAME")
            }
            given[field] = name
            targets[i] = field
        }
        var required = [String]()
        if layer.requiresID { required.append("id") }
        if layer.requiresName { required.append("name") }
        if layer == .entrances { required.append("compound_id") }
        for field in required where given[field] == nil {
            throw problem(field, "no source field gives \(field); \(listing); name one with --field \(field)=FIELD")
        }
        if pointsFromColumns {
            guard let lon else {
                throw problem(nil, "the table has no geometry and no longitude column (one of: \(CSVColumns.lonAliases.joined(separator: ", "))); \(listing); name it with --field lon=FIELD")
            }
            guard let lat else {
                throw problem(nil, "the table has no geometry and no latitude column (one of: \(CSVColumns.latAliases.joined(separator: ", "))); \(listing); name it with --field lat=FIELD")
            }
            lonField = lon
            latField = lat
        } else {
            lonField = nil
            latField = nil
        }
        self.targets = targets
    }

    /// Parses `TARGET=SOURCE` options.
    public static func parse(_ options: [String]) -> Result<[String: String], FieldOptionError> {
        var out = [String: String]()
        for option in options {
            guard let eq = option.firstIndex(of: "=") else {
                return .failure(FieldOptionError(message: "--field \(option): expected TARGET=SOURCE, e.g. --field name=站名"))
            }
            let target = String(option[..<eq]).trimmed.lowercased(), source = String(option[option.index(after: eq)...]).trimmed
            guard !target.isEmpty, !source.isEmpty else {
                return .failure(FieldOptionError(message: "--field \(option): expected TARGET=SOURCE, e.g. --field name=站名"))
            }
            if out[target] != nil { return .failure(FieldOptionError(message: "--field \(target) is given twice")) }
            out[target] = source
        }
        return .success(out)
    }
}

/// A `--field` option that cannot be used.
public struct FieldOptionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
