import DoorstepGeometry
import DoorstepModel
import DoorstepStore
import Foundation

/// One layer's import into PostGIS, inside the import's transaction: records stream through `COPY` as the import checks
/// them. Into an empty layer (a first import, or `--replace`) they go straight into its table; into a layer holding
/// rows they go into a temporary table, and before the next statement on the connection (the import log, the
/// compounds' changes …, or the end of the import) one `INSERT … ON CONFLICT (id) DO UPDATE` upserts them in the order
/// they came, as the SpatiaLite writer does. (Ids are unique within an import: the importer refuses duplicates.)
package final class LayerCopy: LayerSink {
    private let connection: Connection
    private let layer: Layer
    /// The columns an import writes: id, the layer's fields, properties (compounds: the reference point), geom.
    private let columns: [String]
    /// Entrances: the compounds they may name, read before the copy starts (no query can run during a COPY).
    private var compounds: Set<String>?
    private var copy: CopyIn?
    private var sequence = 0
    /// The layer was empty: rows are copied into its table directly.
    private let direct: Bool

    package init(connection: Connection, layer: Layer, empty: Bool) throws {
        self.connection = connection
        self.layer = layer
        direct = empty
        columns = ["id"] + layer.fields.map(\.name) + ["properties"] + (layer == .compounds ? ["ref_lon", "ref_lat"] : []) + ["geom"]
        if layer == .entrances {
            var ids = Set<String>()
            try connection.forEach("SELECT id FROM compounds") { ids.insert($0.string(0, 0)) }
            compounds = ids
        }
        guard !direct else { return }
        // The staging table has the layer's columns without their constraints, and the order each record came in.
        try connection.execute("""
            DROP TABLE IF EXISTS pg_temp.doorstep_stage;
            CREATE TEMP TABLE doorstep_stage ON COMMIT DROP AS
                SELECT 0::bigint AS seq, \(columns.joined(separator: ", ")) FROM \(layer.rawValue) WITH NO DATA;
            ALTER TABLE doorstep_stage ALTER COLUMN geom TYPE geometry;
            """)
    }

    /// Stores what was copied and removes the staging table; call once the import's writes are done.
    package func finish() throws {
        try connection.execute("DROP TABLE IF EXISTS pg_temp.doorstep_stage")
    }

    /// Ends the open copy and, into a layer that held rows, upserts the staged rows into it. Static, with what it
    /// needs: the connection runs it before its next statement, which may come after the writer is gone.
    private static func merge(_ copy: CopyIn, on connection: Connection, layer: Layer, columns: [String], direct: Bool) throws {
        try connection.endCopy(copy)
        guard !direct else { return }
        let list = columns.joined(separator: ", ")
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try connection.execute("""
            INSERT INTO \(layer.rawValue)(\(list)) SELECT \(list) FROM doorstep_stage ORDER BY seq
            ON CONFLICT (id) DO UPDATE SET \(updates);
            TRUNCATE doorstep_stage;
            """)
    }

    package func write(_ record: FeatureRecord) throws -> Result<String?, ImportProblem> {
        if let compounds, case .text(let compoundID) = record.values[0], !compounds.contains(compoundID) {
            return .failure(ImportProblem(record.location, field: "compound_id", "no compound with id \"\(compoundID)\" (import compounds first)"))
        }
        var fields: [String?] = direct ? [record.id] : [String(sequence), record.id]
        sequence += 1
        for value in record.values {
            switch value {
            case .null: fields.append(nil)
            case .int(let v): fields.append(String(v))
            case .double(let v): fields.append(String(v))
            case .text(let v): fields.append(v)
            case .blob(let v): fields.append("\\x" + Hex.encode(v))
            }
        }
        fields.append(record.extraProperties)
        if layer == .compounds {
            guard let p = record.referencePoint else { return .failure(ImportProblem(record.location, field: "geometry", "no reference point")) }
            fields += [String(p.lon), String(p.lat)]
        }
        // The table's type: grids are MultiPolygons and ways MultiLineStrings, whatever the file had.
        let geometry: Geometry
        switch (layer, record.geometry) {
        case (.grids, .polygon(let rings)): geometry = .multiPolygon([rings])
        case (.ways, .lineString(let line)): geometry = .multiLineString([line])
        default: geometry = record.geometry
        }
        fields.append("SRID=4326;" + geometry.wkbHex)
        let copy = try self.copy ?? open()
        try copy.row(fields)
        return .success(nil)
    }

    /// Starts a copy into the staging table, to be merged before the connection's next statement.
    private func open() throws -> CopyIn {
        let target = direct ? "\(layer.rawValue)(\(columns.joined(separator: ", ")))" : "doorstep_stage(seq, \(columns.joined(separator: ", ")))"
        let copy = try connection.startCopy("COPY \(target) FROM STDIN")
        self.copy = copy
        let (connection, layer, columns, direct) = (self.connection, self.layer, self.columns, self.direct)
        // The connection owns these closures and runs them before its next statement (or on rollback), so they
        // hold it unowned; the writer they hold weakly, only to forget its copy.
        connection.beforeNextStatement = (
            finish: { [unowned connection, weak self] in
                self?.copy = nil
                try LayerCopy.merge(copy, on: connection, layer: layer, columns: columns, direct: direct)
            },
            abandon: { [unowned connection, weak self] in
                self?.copy = nil
                try? connection.endCopy(copy, failing: "the import stopped")
            })
        return copy
    }
}
