import DoorstepModel
import DoorstepGeometry
import DoorstepStore
extension Store {
    /// Whether this database can serve now (`/health`): the schema version is the one this build reads, and each
    /// layer's table, its spatial index and the network table answer a read of their first and last rows (cheap:
    /// two B-tree descents a table). Throws `DatabaseError` naming what failed: a file replaced by garbage, a
    /// corrupt page on those paths, a table gone.
    public func checkReadiness() throws {
        try database.read {
            let version = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
            guard version == Schema.currentVersion else {
                throw DatabaseError(code: 0, message: "schema version \(version), this Doorstep reads \(Schema.currentVersion)")
            }
            _ = try generation()
            for table in Layer.allCases.map(\.rawValue) + ["network_edges"] {
                for order in ["ASC", "DESC"] {
                    _ = try database.scalarInt("SELECT rowid FROM \(table) ORDER BY rowid \(order) LIMIT 1")
                }
            }
            for layer in Layer.allCases {
                _ = try database.scalarInt("SELECT count(*) FROM (SELECT 1 FROM idx_\(layer.rawValue)_geom LIMIT 1)")
            }
        }
    }
}
