import DoorstepGeometry
import DoorstepModel
import DoorstepStore
import Foundation

/// One layer's import into PostGIS, inside the import's transaction: records stream through `COPY` into a temporary
/// table as the import checks them; before the next statement on the connection (the import log, the compounds'
/// changes …, or the end of the import) one `INSERT … ON CONFLICT (id) DO UPDATE` upserts them — by id, the last record
/// of an id winning and new ids stored in the order they first came, as the SpatiaLite writer does.
package final class LayerCopy: LayerSink {
    private let connection: Connection
    private let layer: Layer
    /// The columns an import writes: id, the layer's fields, properties (compounds: the reference point), geom.
    private let columns: [String]
    /// Entrances: the compounds they may name, read before the copy starts (no query can run during a COPY).
    private var compounds: Set<String>?
    private var copy: CopyIn?
    private var sequence = 0

    package init(connection: Connection, layer: Layer) throws {
        self.connection = connection
        self.layer = layer
        columns = ["id"] + layer.fields.map(\.name) + ["properties"] + (layer == .compounds ? ["ref_lon", "ref_lat"] : []) + ["geom"]
        if layer == .entrances {
            var ids = Set<String>()
            try connection.forEach("SELECT id FROM compounds") { ids.insert($0.string(0, 0)) }
            compounds = ids
        }
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

    /// Ends the open copy and upserts its rows into the layer.
    private func merge(_ copy: CopyIn) throws {
        self.copy = nil
        try connection.endCopy(copy)
        let geometry: String
        switch layer {
        case .grids, .ways: geometry = "ST_Multi(geom)"
        default: geometry = "geom"
        }
        let list = columns.joined(separator: ", ")
        let values = columns.map { $0 == "geom" ? geometry : $0 }.joined(separator: ", ")
        let updates = columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        try connection.execute("""
            INSERT INTO \(layer.rawValue)(\(list))
            SELECT \(values) FROM (
                SELECT DISTINCT ON (id) *, min(seq) OVER (PARTITION BY id) AS first_seq FROM doorstep_stage ORDER BY id, seq DESC
            ) AS s ORDER BY first_seq
            ON CONFLICT (id) DO UPDATE SET \(updates);
            TRUNCATE doorstep_stage;
            """)
    }

    package func write(_ record: FeatureRecord) throws -> Result<String?, ImportProblem> {
        if let compounds, case .text(let compoundID) = record.values[0], !compounds.contains(compoundID) {
            return .failure(ImportProblem(record.location, field: "compound_id", "no compound with id \"\(compoundID)\" (import compounds first)"))
        }
        var fields: [String?] = [String(sequence), record.id]
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
        fields.append("SRID=4326;" + record.geometry.wkbHex)
        let copy = try self.copy ?? open()
        try copy.row(fields)
        return .success(nil)
    }

    /// Starts a copy into the staging table, to be merged before the connection's next statement.
    private func open() throws -> CopyIn {
        let copy = try connection.startCopy("COPY doorstep_stage(seq, \(columns.joined(separator: ", "))) FROM STDIN")
        self.copy = copy
        connection.beforeNextStatement = (finish: { [unowned self] in try self.merge(copy) },
                                          abandon: { [unowned self] in
                                              self.copy = nil
                                              try? self.connection.endCopy(copy, failing: "the import stopped")
                                          })
        return copy
    }
}
