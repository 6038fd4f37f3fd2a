import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation


extension Store {
    /// Count and extent of every layer, in `Layer.allCases` order, read in one snapshot of the file.
    public func layerSummaries() throws -> [LayerExtent] { try database.read { try Layer.allCases.map(summary) } }

    /// Count and extent of one layer (in the caller's read).
    package func summary(of layer: Layer) throws -> LayerExtent {
        let s = try database.cached("""
            SELECT count(*), min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
            FROM \(layer.rawValue)
            """)
        try s.bind([])
        defer { s.reset() }
        guard try s.step() else { return LayerExtent(layer: layer, count: 0, bbox: nil) }
        let n = Int(s.int(0))
        let box = n == 0 || s.isNull(1)
            ? nil : BoundingBox(west: s.double(1), south: s.double(2), east: s.double(3), north: s.double(4))
        return LayerExtent(layer: layer, count: n, bbox: box)
    }

    /// A page of `layer`'s features, optionally only those whose geometry intersects `bbox` (WGS84 degrees), with
    /// the number matched; both read in one snapshot.
    ///
    /// The bbox goes through the layer's R*Tree (`fid IN (SELECT pkid FROM idx_<layer>_geom …)`), then the exact
    /// test (`Planar.intersects`, checked against GEOS's `ST_Intersects` in the tests). Every value is bound; the
    /// table name comes from `Layer`.
    ///
    /// `known` is the layer's count at a generation (a reader's snapshot): when the file is still at that generation
    /// and there is no bbox, `numberMatched` is that count instead of a `count(*)`, which scans the whole table.
    public func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int,
                         known: (generation: Int, count: Int)?) throws -> FeaturePage {
        let table = layer.rawValue
        return try database.read {
            guard let bbox else {
                let matched: Int
                if let known, try generation() == known.generation {
                    matched = known.count
                } else {
                    matched = Int(try database.scalarInt("SELECT count(*) FROM \(table)") ?? 0)
                }
                var features = [StoredFeature]()
                if matched > offset && limit > 0 {
                    let page = try database.cached("SELECT * FROM \(table) ORDER BY fid LIMIT ?1 OFFSET ?2")
                    let reader = FeatureRowReader(page)
                    try page.forEach([.int(Int64(limit)), .int(Int64(offset))]) { features.append(StoredFeature(try reader.read($0, store: self))) }
                }
                return FeaturePage(numberMatched: matched, features: features)
            }
            // The matching fids once (the count is their number; the page is a slice of them), then the page's rows
            // by fid: the exact test runs once per candidate, not once for the count and again for the page.
            // Candidates come from the layer's R*Tree read directly (SpatiaLite's `SpatialIndex` virtual table
            // prepares SQL of its own on every query: a fifth of a request); its boxes are rounded outwards to
            // floats, so the exact test follows, in Swift on the geometry (`Planar.intersects`, what GEOS answers).
            var fids = [Int64]()
            try database.cached("""
                SELECT fid, geom FROM \(table)
                WHERE fid IN (SELECT pkid FROM idx_\(table)_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
                ORDER BY fid
                """).forEach([.double(bbox.west), .double(bbox.south), .double(bbox.east), .double(bbox.north)]) { row in
                if let g = try geometry(row, 1) {
                    if Planar.intersects(g, bbox) { fids.append(row.int(0)) }
                } else if !row.isNull(1), try intersectsInSQL(row.blob(1), bbox) {
                    fids.append(row.int(0)) // a form the Swift readers do not take (a GeometryCollection): GEOS decides
                }
            }
            var features = [StoredFeature]()
            if fids.count > offset && limit > 0 {
                let row = try database.cached("SELECT * FROM \(table) WHERE fid = ?1")
                let reader = FeatureRowReader(row)
                for fid in fids[offset..<min(fids.count, offset + limit)] {
                    try row.forEach([.int(fid)]) { features.append(StoredFeature(try reader.read($0, store: self))) }
                }
            }
            return FeaturePage(numberMatched: fids.count, features: features)
        }
    }

    /// The feature of `layer` whose `id` is `id`, or nil.
    public func feature(of layer: Layer, id: String) throws -> StoredFeature? {
        var found: StoredFeature?
        let statement = try database.cached("SELECT * FROM \(layer.rawValue) WHERE id = ?1")
        let reader = FeatureRowReader(statement)
        try statement.forEach([.text(id)]) { found = StoredFeature(try reader.read($0, store: self)) }
        return found
    }

    /// GEOS's answer for a stored geometry blob and a box.
    private func intersectsInSQL(_ blob: [UInt8], _ b: BoundingBox) throws -> Bool {
        let s = try database.cached("SELECT ST_Intersects(?1, BuildMbr(?2, ?3, ?4, ?5, 4326))")
        try s.bind([.blob(blob), .double(b.west), .double(b.south), .double(b.east), .double(b.north)])
        defer { s.reset() }
        return try s.step() && s.int(0) == 1
    }

    /// The geometry in column `i` of `row`: SpatiaLite's blob read in Swift, or through `AsBinary` for the forms it
    /// does not read (compressed geometries); nil for NULL.
    package func geometry(_ row: Statement, _ i: Int32) throws -> Geometry? {
        if row.isNull(i) { return nil }
        if let g = row.withBlob(i, { Geometry(spatiaLiteBlob: $0) }) { return g }
        let wkb = try database.cached("SELECT AsBinary(?1)")
        try wkb.bind([.blob(row.blob(i))])
        defer { wkb.reset() }
        return try wkb.step() ? wkb.optionalBlob(0).flatMap { Geometry(wkb: $0) } : nil
    }
}

/// Turns rows of `SELECT *` from a layer (or the network table) into features: the one place a stored row becomes an
/// id, properties and a geometry, for the features API and for exports.
///
/// Properties are every column but `fid`, `geom`, `properties` and `skipping`, in table order (`services` as a
/// list), then the extra properties kept from the imported file (the `properties` column) flattened in; a column wins
/// over an extra of the same name.
package struct FeatureRowReader {
    private let names: [String]
    private let idColumn: String
    private let skipping: Set<String>

    package init(_ statement: Statement, idColumn: String = "id", skipping: Set<String> = []) {
        names = statement.columnNames
        self.idColumn = idColumn
        self.skipping = skipping
    }

    package func read(_ row: Statement, store: Store) throws -> (id: String, properties: [(String, JSONValue)], geometry: Geometry?) {
        var id = ""
        var geometry: Geometry?
        var properties = [(String, JSONValue)]()
        properties.reserveCapacity(names.count)
        var extras: [(String, JSONValue)] = []
        for (i, name) in names.enumerated() {
            let column = Int32(i)
            switch name {
            case "fid":
                continue
            case "geom":
                geometry = try store.geometry(row, column)
                continue
            case "properties":
                if let text = row.optionalText(column), case .object(let members)? = try? JSONValue.parse(text) { extras = members }
                continue
            case "services":
                properties.append((name, .array(JSONValue.stringList(row.optionalText(column)).map(JSONValue.string))))
                continue
            default:
                if skipping.contains(name) { continue }
            }
            let value: JSONValue
            switch row.value(column) {
            case .null, .blob: value = .null
            case .int(let v): value = .number(Double(v))
            case .double(let v): value = v.isFinite ? .number(v) : .null
            case .text(let v): value = .string(v)
            }
            if name == idColumn {
                if case .number(let n) = value { id = abs(n) < 9e18 ? String(Int64(n)) : String(n) } else if case .string(let s) = value { id = s }
            }
            properties.append((name, value))
        }
        // A dozen columns: a scan is cheaper than hashing them into a set for every row.
        for extra in extras where !properties.contains(where: { $0.0 == extra.0 }) { properties.append(extra) }
        return (id, properties, geometry)
    }
}

extension StoredFeature {
    package init(_ row: (id: String, properties: [(String, JSONValue)], geometry: Geometry?)) {
        self.init(id: row.id, geometry: row.geometry, properties: row.properties)
    }
}
