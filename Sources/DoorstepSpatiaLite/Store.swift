import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import CSpatiaLite
import Foundation

/// SQLITE_FULL as an Int32 (the primary result code of a full disk or a file at its size limit).
package let SQLITE_FULL_CODE = Int32(SQLITE_FULL)

/// A Doorstep database: one SpatiaLite file holding the layers of a city.
///
/// Not `Sendable`: it owns one connection. Each task opens its own `Store` (opening costs about 1 ms).
public final class Store {
    public let database: Database

    /// How the file was before this store opened it for writing: `.absent` or `.empty` when this store created the
    /// database (`discardCreatedFile` undoes that); nil when read-only.
    private let origin: DatabaseFile.State?

    /// Opens the file, creating it and bringing its schema up to date unless `readOnly`.
    ///
    /// Only a Doorstep database (or nothing, or a zero-length file) is opened for writing: anything else throws a
    /// `StoreError` naming the file before SQLite writes a byte to it. A database of a newer schema than this build
    /// knows is refused with a `StoreError` saying so, for reading and writing.
    public init(path: String, readOnly: Bool = false) throws {
        let state = try DatabaseFile.inspect(path)
        if readOnly {
            switch state {
            case .absent: throw StoreError(path: path, "no such database; create it with `doorstep import LAYER FILE --db \(path)`")
            case .empty: throw StoreError(path: path, "is an empty file, not yet a Doorstep database; create it with `doorstep import LAYER FILE --db \(path)`")
            case .doorstep: break
            }
            database = try Database(path: path, readOnly: true)
            origin = nil
            let version = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
            if version > Schema.currentVersion { throw Schema.newer(path, version) }
            guard version == Schema.currentVersion else {
                throw StoreError(path: path, "is a Doorstep database of schema version \(version); this doorstep reads version \(Schema.currentVersion): any `doorstep import` into it brings it up to date")
            }
        } else {
            if state != .doorstep, path != ":memory:", let free = DatabaseFile.freeBytes(near: path), free < DatabaseFile.newDatabaseBytes {
                // SpatiaLite's metadata alone is 7 MB, and SpatiaLite reports a full disk in its set-up as a cascade
                // of messages on the terminal: check first, say it once.
                throw StoreError(path: path, "the disk is full: \(ImportLimits.describe(bytes: free)) free where a new Doorstep database needs about \(ImportLimits.describe(bytes: DatabaseFile.newDatabaseBytes)); nothing was created — free some space and run the command again")
            }
            database = try Database(path: path)
            origin = state
            do {
                try Schema.migrate(database)
            } catch {
                discardCreatedFile()
                throw Store.diskFullFirst(error, path: path)
            }
        }
    }

    /// Brings a Doorstep database of an older schema up to date when the file may be written, so commands that
    /// only read keep working after Doorstep is upgraded (a file that may not be written is left to `init`'s message).
    /// Anything but an older Doorstep database is left untouched.
    public static func upgradeIfOlder(path: String) throws {
        guard (try? DatabaseFile.inspect(path)) == .doorstep, access(path, W_OK) == 0 else { return }
        let version = try Int(Database(path: path, readOnly: true).scalarInt("PRAGMA user_version") ?? 0)
        guard version >= 1 && version < Schema.currentVersion else { return }
        _ = try Store(path: path)
    }

    /// Opens `path` for writing and runs `body` (an import, a network build). When `body` throws and the database was
    /// created by this call, the file is removed again (a zero-length file is left empty), with its `-wal`, `-shm` and
    /// `-journal`: a failed import into a new path leaves nothing behind. A full disk is reported alone, first.
    public static func writing<T>(path: String, _ body: (Store) throws -> T) throws -> T {
        let store = try Store(path: path)
        do {
            return try body(store)
        } catch {
            store.discardCreatedFile()
            throw diskFullFirst(error, path: path)
        }
    }

    /// Whether this store created its file (it did not exist, or was empty, before).
    public var createdFile: Bool { origin == .absent || origin == .empty }

    /// Closes the connection and, when this store created the file, removes it and the files beside it.
    package func discardCreatedFile() {
        guard createdFile, database.path != ":memory:" else { return }
        let path = database.path
        database.close()
        for companion in DatabaseFile.companions(path) { unlink(companion) }
        if origin == .absent { unlink(path) } else { truncate(path, 0) }
    }

    /// `error`, or when the disk (or the file's quota) was full anywhere beneath it, that alone: every later message
    /// (a failed rollback, SpatiaLite's own) follows from it and would only hide it.
    package static func diskFullFirst(_ error: any Error, path: String) -> any Error {
        guard let e = error as? DatabaseError else { return error }
        let full = e.code & 0xFF == SQLITE_FULL_CODE || e.message.contains("disk is full")
            || (DatabaseFile.freeBytes(near: path).map { $0 < 1 << 20 } ?? false)
        guard full else { return error }
        return StoreError(path: path, "the disk is full (SQLite could not write the database: \(e.message)); nothing was stored — free some space and run the command again")
    }

    public var schemaVersion: Int { Schema.currentVersion }

    // MARK: Import

    /// True while `importTogether` runs: layer imports then join its transaction instead of opening their own.
    private var importTransactionOpen = false

    /// Runs `body` — several imports — in one write transaction: they are all stored, or none is if it throws.
    public func importTogether<T>(_ body: () throws -> T) throws -> T {
        // Inside another (an import that mends the network after it): one transaction, the outer one.
        if importTransactionOpen { return try body() }
        // A big transaction spills pages to the WAL twice when the page cache (2 MB by default) is small: 64 MB.
        try database.execute("PRAGMA cache_size = -65536")
        do {
            var committing: WorkProgress?
            defer { committing?.finish() }
            return try database.transaction {
                importTransactionOpen = true
                defer { importTransactionOpen = false }
                let value = try body()
                committing = WorkProgress.begin("import: committing") // the transaction's COMMIT (and checkpoint)
                return value
            }
        } catch {
            throw Store.diskFullFirst(error, path: database.path)
        }
    }

    /// Runs `body` with a writer for `layer` in a write transaction of its own, or in the one `importTogether`
    /// opened; nothing is stored if it throws.
    public func importing<T>(_ layer: Layer, replace: Bool, _ body: (any LayerSink) throws -> T) throws -> T {
        if importTransactionOpen {
            return try importingLayer(layer, replace: replace, body)
        }
        return try importTogether { try importingLayer(layer, replace: replace, body) }
    }

    private func importingLayer<T>(_ layer: Layer, replace: Bool, _ body: (any LayerSink) throws -> T) throws -> T {
        let table = layer.rawValue
        // The writer keeps the R*Tree itself and writes well-formed BLOBs: SpatiaLite's triggers are set aside.
        let result = try suspendingTriggers(on: table) { () -> T in
            if layer == .compounds {
                // Which compounds had a household count, to say afterwards which lost it (`compoundChanges`).
                try database.execute("""
                    DROP TABLE IF EXISTS temp.doorstep_households_before;
                    CREATE TEMP TABLE doorstep_households_before(id TEXT PRIMARY KEY);
                    INSERT INTO temp.doorstep_households_before SELECT id FROM main.compounds WHERE households IS NOT NULL;
                    """)
            }
            if replace {
                try database.execute("DELETE FROM \(table); DELETE FROM idx_\(table)_geom")
            }
            let writer = try LayerWriter(db: database, layer: layer)
            let result = try body(writer)
            try WorkProgress.run("import \(table): building the spatial index") { _ in try writer.finish() }
            return result
        }
        try database.execute("""
            UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            WHERE f_table_name = '\(table)'
            """)
        if layer == .compounds {
            try refreshCompoundCopies()
        }
        try bumpGeneration(layer)
        return result
    }

    /// Runs `body` with SpatiaLite's triggers on `table` dropped, recreating them afterwards, inside the caller's
    /// transaction (a failure rolls the drop back with everything else). SpatiaLite's triggers prepare SQL again for
    /// every row (RTreeAlign) and read the metadata; writers that keep the index themselves and write well-formed BLOBs go
    /// without them.
    package func suspendingTriggers<T>(on table: String, _ body: () throws -> T) throws -> T {
        precondition(database.inTransaction, "triggers are set aside only inside a transaction, which restores them on failure")
        var triggers = [(name: String, sql: String)]()
        try database.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?")
            .forEach([.text(table)]) { triggers.append(($0.text(0), $0.text(1))) }
        for trigger in triggers { try database.execute("DROP TRIGGER \"\(trigger.name)\"") }
        let result = try body()
        for trigger in triggers { try database.execute(trigger.sql) }
        return result
    }

    public func logImport(layer: Layer, file: String, features: Int, crs: InputCRS, replaced: Bool, repaired: Int) throws {
        try database.cached("""
            INSERT INTO import_log(layer, file, features, crs, replaced, repaired, at)
            VALUES(?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
            """).run([.text(layer.rawValue), .text(file), .int(Int64(features)), .text(crs.description),
                      .int(replaced ? 1 : 0), .int(Int64(repaired))])
    }

    package func bumpGeneration(_ layer: Layer) throws {
        for key in ["generation", "generation:\(layer.rawValue)"] {
            try database.cached("""
                INSERT INTO doorstep_meta(key, value) VALUES(?, '1')
                ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
                """).run([.text(key)])
        }
    }

    /// Increases with every committed import of `layer` (0 before the first).
    public func generation(of layer: Layer) throws -> Int {
        Int(try meta("generation:\(layer.rawValue)") ?? "") ?? 0
    }

    /// Increases with every committed import; readers compare it to know when to reload.
    public func generation() throws -> Int {
        Int(try meta("generation") ?? "") ?? 0
    }

    /// The value of `key` in `doorstep_meta`, or nil when there is none.
    func meta(_ key: String) throws -> String? {
        try database.scalarText("SELECT value FROM doorstep_meta WHERE key = ?", [.text(key)])
    }

    /// Sets `key` in `doorstep_meta` to `value` (inside the caller's transaction, if any).
    func setMeta(_ key: String, _ value: String) throws {
        try database.cached("""
            INSERT INTO doorstep_meta(key, value) VALUES(?, ?)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """).run([.text(key), .text(value)])
    }

    /// SQLite's `data_version`: it changes when another connection (of any process) commits to the file.
    public func changeMark() throws -> Int {
        Int(try database.scalarInt("PRAGMA data_version") ?? 0)
    }

    /// Number of features in a layer.
    public func count(_ layer: Layer) throws -> Int {
        Int(try database.scalarInt("SELECT count(*) FROM \(layer.rawValue)") ?? 0)
    }

    // MARK: Reading

    /// Every station, for building the in-memory nearest index.
    public func stations() throws -> [Station] {
        var out = [Station]()
        out.reserveCapacity(try count(.stations))
        try database.read {
            try database.prepare("""
                SELECT id, name, kind, services, address, phone, hours, radius_m, capacity, ST_X(geom), ST_Y(geom)
                FROM stations ORDER BY fid
                """).forEach { row in
                out.append(Station(
                    id: row.text(0), name: row.text(1), kind: row.optionalText(2),
                    services: JSONValue.stringList(row.optionalText(3)), address: row.optionalText(4),
                    phone: row.optionalText(5), hours: row.optionalText(6).flatMap { try? OpeningHours(parsing: $0) },
                    radiusMetres: row.optionalDouble(7), capacity: row.optionalInt(8).map(Int.init),
                    location: Coordinate(lon: row.double(9), lat: row.double(10))))
            }
        }
        return out
    }

    /// Rebuilds the typed copies of the compounds (`compounds_polygons`, `compounds_points`, schema migration 3) that
    /// GIS clients open: with SpatiaLite's index triggers set aside, the R*Trees packed afterwards as for the layers.
    package func refreshCompoundCopies() throws {
        for table in ["compounds_polygons", "compounds_points"] {
            try suspendingTriggers(on: table) {
                let (filter, geometry) = table == "compounds_points"
                    ? ("GeometryType(geom) = 'POINT'", "geom")
                    : ("GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')", "CastToMultiPolygon(geom)")
                try database.execute("""
                    DELETE FROM \(table);
                    INSERT INTO \(table)(fid, id, name, households, population, kind, grid_id, geom)
                        SELECT fid, id, name, households, population, kind, grid_id, \(geometry) FROM compounds WHERE \(filter) ORDER BY fid;
                    UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE f_table_name = '\(table)';
                    """)
                var boxes = [RTreeBulkLoad.Entry]()
                try database.prepare("SELECT fid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM \(table)")
                    .forEach([]) { boxes.append(RTreeBulkLoad.Entry(id: $0.int(0), minX: $0.double(1), maxX: $0.double(2), minY: $0.double(3), maxY: $0.double(4))) }
                try RTreeBulkLoad.replace("idx_\(table)_geom", in: database, with: LayerWriter.mortonOrder(boxes))
            }
        }
    }

    public func compoundChanges() throws -> CompoundChanges {
        let orphans = try orphanEntrances(limit: 20)
        var lostIDs = [String]()
        try database.prepare("""
            SELECT b.id FROM temp.doorstep_households_before AS b LEFT JOIN main.compounds AS c ON c.id = b.id
            WHERE c.households IS NULL ORDER BY b.id
            """).forEach([]) { lostIDs.append($0.text(0)) }
        try database.execute("DROP TABLE IF EXISTS temp.doorstep_households_before")
        return CompoundChanges(orphans: orphans.sample, orphanCount: orphans.count,
                               householdsLost: lostIDs.count, householdsLostIDs: Array(lostIDs.prefix(20)))
    }

    /// Entrances whose `compound_id` names no compound (the first `limit` by id), and how many there are.
    public func orphanEntrances(limit: Int = 20) throws -> (sample: [OrphanEntrance], count: Int) {
        try database.read {
            let sql = "FROM entrances AS e WHERE NOT EXISTS (SELECT 1 FROM compounds AS c WHERE c.id = e.compound_id)"
            let count = Int(try database.scalarInt("SELECT count(*) \(sql)") ?? 0)
            var sample = [OrphanEntrance]()
            if count > 0 {
                try database.prepare("SELECT e.id, e.compound_id \(sql) ORDER BY e.id LIMIT \(max(0, limit))")
                    .forEach([]) { sample.append(OrphanEntrance(id: $0.text(0), compoundID: $0.text(1))) }
            }
            return (sample, count)
        }
    }

    /// Where the database's data lies, from up to 1000 features of each layer (constant time, whatever the size):
    /// the Gauss-Kruger hint of an import compares projected coordinates with it. Nil when every layer is empty.
    public func sampleExtent() throws -> BoundingBox? {
        try database.read {
            var box: BoundingBox?
            for layer in Layer.allCases {
                let s = try database.cached("""
                    SELECT count(*), min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
                    FROM (SELECT geom FROM \(layer.rawValue) WHERE geom IS NOT NULL LIMIT 1000)
                    """)
                try s.bind([])
                defer { s.reset() }
                guard try s.step(), s.int(0) > 0 else { continue }
                let b = BoundingBox(west: s.double(1), south: s.double(2), east: s.double(3), north: s.double(4))
                box = box.map { $0.union(b) } ?? b
            }
            return box
        }
    }

    /// Layers with counts and extents, the metric zone, schema version and file size.
    public func info() throws -> StoreInfo {
        try database.read {
            var layers = [StoreInfo.LayerInfo]()
            for layer in Layer.allCases {
                let s = try database.cached("""
                    SELECT count(*), min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
                    FROM \(layer.rawValue)
                    """)
                try s.bind([])
                try s.step()
                let n = Int(s.int(0))
                let box = n == 0 ? nil : BoundingBox(west: s.double(1), south: s.double(2), east: s.double(3), north: s.double(4))
                s.reset()
                layers.append(.init(layer: layer, count: n, bbox: box))
            }
            var imports = [StoreInfo.ImportEntry]()
            try database.cached("SELECT layer, file, features, crs, replaced, repaired, at FROM import_log ORDER BY seq DESC LIMIT 10")
                .forEach { row in
                    imports.append(.init(layer: row.text(0), file: row.text(1), features: Int(row.int(2)), crs: row.text(3),
                                         replaced: row.int(4) == 1, repaired: Int(row.int(5)), at: row.text(6)))
                }
            let size = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? nil
            let unknownHouseholds = Int(try database.scalarInt("SELECT count(*) FROM compounds WHERE households IS NULL") ?? 0)
            let orphans = try orphanEntrances(limit: 20)
            return StoreInfo(path: database.path, schemaVersion: Schema.currentVersion, fileSize: size ?? 0,
                             layers: layers, metricZone: StoreInfo.metricZone(of: layers), recentImports: imports,
                             compoundsWithoutHouseholds: unknownHouseholds,
                             orphanEntrances: orphans.sample, orphanEntranceCount: orphans.count)
        }
    }
}

@available(*, unavailable)
extension Store: Sendable {}

/// The SpatiaLite file is the embedded store: it reads and writes through the store protocols.
extension Store: StoreWriter {}


