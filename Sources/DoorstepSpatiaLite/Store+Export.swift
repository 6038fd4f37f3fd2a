import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation

extension ExportTable {
    package var tableName: String {
        switch self {
        case .layer(let l): return l.rawValue
        case .network: return "network_edges"
        }
    }

    /// The column that identifies a row.
    package var idColumn: String {
        switch self {
        case .layer: return "id"
        case .network: return "edge"
        }
    }
}

extension Store {
    /// Calls `body` for every row of `table` in storage order with its id, its properties (every column but `fid`,
    /// the geometry and the cached reference point, in table order, then the extra properties kept from the imported file; a column wins over
    /// an extra of the same name) and its geometry.
    ///
    /// Rows are read one at a time from one statement inside one read transaction, so memory does not grow with
    /// the table and the whole export sees one snapshot of the file.
    public func forEachFeature(of table: ExportTable,
                               _ body: (_ id: String, _ properties: [(String, JSONValue)], _ geometry: Geometry?) throws -> Void) throws {
        try database.read {
            let statement = try database.prepare("SELECT * FROM \(table.tableName) ORDER BY \(table == .network ? "edge" : "fid")")
            // The cached point on surface is a storage detail in a file meant for map tools.
            let reader = FeatureRowReader(statement, idColumn: table.idColumn, skipping: ["ref_lon", "ref_lat"])
            try statement.forEach { row in
                let feature = try reader.read(row, store: self)
                try body(feature.id, feature.properties, feature.geometry)
            }
        }
    }

    /// Calls `body` with the id and geometry of every feature of `layer`, in storage order, one row at a time.
    public func forEachGeometry(of layer: Layer, _ body: (_ id: String, _ geometry: Geometry) throws -> Void) throws {
        try database.read {
            try database.prepare("SELECT id, geom FROM \(layer.rawValue) ORDER BY fid").forEach { row in
                guard let g = try geometry(row, 1) else { return }
                try body(row.text(0), g)
            }
        }
    }

    /// Calls `body` with the `highway` tag and geometry of every way, in storage order (for drawing streets).
    public func forEachWay(_ body: (_ highway: String?, _ geometry: Geometry) throws -> Void) throws {
        try database.read {
            try database.prepare("SELECT highway, geom FROM ways ORDER BY fid").forEach { row in
                guard let g = try geometry(row, 1) else { return }
                try body(row.optionalText(0), g)
            }
        }
    }

    /// The geometry of the feature of `layer` whose `id` is `id` (through the table's unique index on `id`).
    public func geometry(of layer: Layer, id: String) throws -> Geometry? {
        let statement = try database.cached("SELECT geom FROM \(layer.rawValue) WHERE id = ?1")
        try statement.bind([.text(id)])
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return try geometry(statement, 0)
    }

    /// The extent of a layer from its stored geometries (SQL), nil when it is empty.
    public func extent(of layer: Layer) throws -> BoundingBox? { try database.read { try summary(of: layer).bbox } }
}
