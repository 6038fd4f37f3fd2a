import DoorstepGeometry
import DoorstepModel
import DoorstepStore
import Foundation

/// A Doorstep store in a PostgreSQL/PostGIS schema: the second store beside the SpatiaLite file, for data a city or
/// province already keeps in PostGIS and for several servers on one store.
///
/// One connection (libpq), used by one thread at a time, as every `StoreReader` is. Reads of one call — and of a
/// whole `PostGISSource.withReader` — run in one REPEATABLE READ transaction: one committed state. An import is one
/// transaction under an advisory lock per schema (imports into one schema queue; readers never wait: MVCC).
public final class PostGISStore {
    package let connection: Connection
    public let address: PostGISAddress
    private let schemaName: String
    /// This store created the Doorstep tables in its schema (and the schema, when `createdSchema`): a failed first
    /// import removes them again (`discardCreated`).
    private var createdTables = false
    private var createdSchema = false
    /// True while `importTogether` runs: layer imports join its transaction.
    private var writeTransactionOpen = false

    public init(address: PostGISAddress, readOnly: Bool) throws {
        self.address = address
        schemaName = address.schema
        connection = try Connection(conninfo: address.conninfo, name: address.displayName)
        if readOnly {
            guard try PostGISStore.holdsStore(connection, schema: schemaName) else {
                throw PostGISError("\(address.displayName): no Doorstep store in schema \(schemaName); create it with `doorstep import LAYER FILE --db \(address.displayName)`")
            }
            try useSchema()
            let version = try schemaVersion()
            if version > PGSchema.currentVersion { throw newer(version) }
            guard version == PGSchema.currentVersion else {
                throw PostGISError("\(address.displayName): a Doorstep store of schema version \(version); this doorstep reads version \(PGSchema.currentVersion): any `doorstep import` into it brings it up to date")
            }
            try connection.execute("SET default_transaction_read_only = on")
        } else {
            try migrate()
        }
    }

    /// Whether `schema` holds a Doorstep store (its `doorstep_meta` table).
    package static func holdsStore(_ connection: Connection, schema: String) throws -> Bool {
        try connection.scalar("SELECT to_regclass($1) IS NOT NULL", ["\(Connection.identifier(schema)).doorstep_meta"]) == "t"
    }

    /// Whether the address's schema holds a Doorstep store.
    public static func exists(_ address: PostGISAddress) throws -> Bool {
        try holdsStore(Connection(conninfo: address.conninfo, name: address.displayName), schema: address.schema)
    }

    /// Brings a store of an older schema version up to date (a write: readers refuse other versions). Nothing to do
    /// for a store that is missing, current or newer.
    public static func upgradeIfOlder(_ address: PostGISAddress) throws {
        let connection = try Connection(conninfo: address.conninfo, name: address.displayName)
        guard try holdsStore(connection, schema: address.schema) else { return }
        let version = Int(try connection.scalar("SELECT value FROM \(Connection.identifier(address.schema)).doorstep_meta WHERE key = 'schema_version'") ?? "0") ?? 0
        if version < PGSchema.currentVersion { _ = try PostGISStore(address: address, readOnly: false) }
    }

    private var quotedSchema: String { Connection.identifier(schemaName) }

    private func useSchema() throws {
        // PostGIS is found where it was installed: the store's schema, public, or a schema named postgis.
        try connection.execute("SET search_path TO \(quotedSchema), public, postgis")
    }

    private func schemaVersion() throws -> Int {
        Int(try connection.scalar("SELECT value FROM doorstep_meta WHERE key = 'schema_version'") ?? "0") ?? 0
    }

    private func newer(_ version: Int) -> PostGISError {
        PostGISError("\(address.displayName): written by a newer Doorstep (schema version \(version); this doorstep knows versions up to \(PGSchema.currentVersion)); upgrade doorstep to use it — the store is left as it is")
    }

    /// Creates the schema, PostGIS and the tables when missing and runs the migrations this store lacks, in one
    /// transaction under the schema's advisory lock (two first imports at once create it once).
    private func migrate() throws {
        do {
            try connection.transaction("BEGIN") { try migrateInTransaction() }
        } catch {
            createdTables = false
            createdSchema = false
            throw error
        }
    }

    private func migrateInTransaction() throws {
        try lockSchema()
        if try connection.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [schemaName]) == "0" {
            try connection.execute("CREATE SCHEMA \(quotedSchema)")
            createdSchema = true
        }
        if try connection.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == "0" {
            do {
                try connection.execute("CREATE EXTENSION postgis")
            } catch let error as PostGISError {
                throw PostGISError("\(address.displayName): PostGIS is not installed in this database and cannot be installed by this user (\(error.message)); ask its administrator to run CREATE EXTENSION postgis")
            }
        }
        try useSchema()
        if try !PostGISStore.holdsStore(connection, schema: schemaName) {
            try connection.execute("""
                CREATE TABLE doorstep_meta(key text PRIMARY KEY, value text NOT NULL);
                INSERT INTO doorstep_meta(key, value) VALUES ('schema_version', '0'), ('store_id', gen_random_uuid()::text);
                """)
            createdTables = true
        }
        var version = try schemaVersion()
        if version > PGSchema.currentVersion { throw newer(version) }
        while version < PGSchema.currentVersion {
            try connection.execute(PGSchema.migrations[version])
            version += 1
            try connection.query("UPDATE doorstep_meta SET value = $1 WHERE key = 'schema_version'", [String(version)])
        }
    }

    private func lockSchema() throws {
        try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", ["doorstep:" + schemaName])
    }

    /// Removes what this store created — the schema, or Doorstep's tables in a schema that was there — after a failed
    /// first import, so it leaves nothing behind (as a failed import into a new SpatiaLite path leaves no file).
    package func discardCreated() {
        guard createdTables || createdSchema else { return }
        if connection.inTransaction { connection.rollback() }
        if createdSchema {
            try? connection.execute("DROP SCHEMA \(quotedSchema) CASCADE")
        } else {
            let views = PGSchema.ownedViews.joined(separator: ", "), tables = PGSchema.ownedTables.joined(separator: ", ")
            try? connection.execute("DROP VIEW IF EXISTS \(views); DROP TABLE IF EXISTS \(tables) CASCADE; DROP FUNCTION IF EXISTS doorstep_changed()")
        }
        createdTables = false
        createdSchema = false
    }

    /// Opens the store for writing and runs `body`; when it throws, what this call created is removed again.
    public static func writing<T>(_ address: PostGISAddress, _ body: (PostGISStore) throws -> T) throws -> T {
        let store = try PostGISStore(address: address, readOnly: false)
        do {
            return try body(store)
        } catch {
            store.discardCreated()
            throw error
        }
    }

    // MARK: Transactions

    /// Runs `body` in one read snapshot (inside an open transaction it joins it).
    package func read<T>(_ body: () throws -> T) throws -> T {
        if connection.inTransaction { return try body() }
        return try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Runs `body` in the open write transaction, else in one of its own under the schema's lock, with this session's
    /// changes marked as Doorstep's (the trigger then leaves counting them to `bumpGeneration`).
    private func inWrite<T>(_ body: () throws -> T) throws -> T {
        if writeTransactionOpen { return try body() }
        writeTransactionOpen = true
        defer { writeTransactionOpen = false }
        return try connection.transaction("BEGIN") {
            try lockSchema()
            try connection.execute("SET LOCAL doorstep.importing = 'on'")
            return try body()
        }
    }

    // MARK: Generations

    private func meta(_ key: String) throws -> String? {
        try connection.scalar("SELECT value FROM doorstep_meta WHERE key = $1", [key])
    }

    private func setMeta(_ key: String, _ value: String) throws {
        try connection.query("""
            INSERT INTO doorstep_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, [key, value])
    }

    /// Counts an import of `layer` and tells every listening server, which hears it when the transaction commits.
    private func bumpGeneration(_ layer: Layer) throws {
        try connection.query("""
            INSERT INTO doorstep_meta(key, value) VALUES ('generation', '1'), ($1, '1')
            ON CONFLICT (key) DO UPDATE SET value = (doorstep_meta.value::bigint + 1)::text
            """, ["generation:\(layer.rawValue)"])
        try connection.query("SELECT pg_notify('doorstep', $1)", [schemaName])
    }

    /// The store's own identity, made when it was created: another store made later in the same schema has another.
    public func storeID() throws -> String { try meta("store_id") ?? "" }
}

@available(*, unavailable)
extension PostGISStore: Sendable {}

// MARK: - StoreReader

extension PostGISStore: StoreWriter {
    public func generation() throws -> Int { Int(try meta("generation") ?? "0") ?? 0 }
    /// The generation: every table's trigger bumps it for any other writer's change, and imports bump it themselves.
    public func changeMark() throws -> Int { try generation() }

    public func generation(of layer: Layer) throws -> Int { Int(try meta("generation:\(layer.rawValue)") ?? "0") ?? 0 }

    public func count(_ layer: Layer) throws -> Int {
        Int(try connection.scalar("SELECT count(*) FROM \(layer.rawValue)") ?? "0") ?? 0
    }

    public func stations() throws -> [Station] {
        var out = [Station]()
        try read {
            try connection.forEach("""
                SELECT id, name, kind, services, address, phone, hours, radius_m, capacity, ST_X(geom), ST_Y(geom)
                FROM stations ORDER BY fid
                """) { r in
                out.append(Station(
                    id: r.string(0, 0), name: r.string(0, 1), kind: r.text(0, 2), services: JSONValue.stringList(r.text(0, 3)),
                    address: r.text(0, 4), phone: r.text(0, 5), hours: r.text(0, 6).flatMap { try? OpeningHours(parsing: $0) },
                    radiusMetres: r.double(0, 7), capacity: r.int(0, 8),
                    location: Coordinate(lon: r.double(0, 9) ?? .nan, lat: r.double(0, 10) ?? .nan)))
            }
        }
        return out
    }

    public func compoundSites() throws -> [CompoundSite] {
        try read {
            let grids = try gridLocator()
            var entrances = [String: [Coordinate]]()
            try connection.forEach("SELECT compound_id, ST_X(geom), ST_Y(geom) FROM entrances ORDER BY fid") { r in
                entrances[r.string(0, 0), default: []].append(Coordinate(lon: r.double(0, 1) ?? .nan, lat: r.double(0, 2) ?? .nan))
            }
            var out = [CompoundSite]()
            try connection.forEach("""
                SELECT id, name, households, population, kind, ref_lon, ref_lat, grid_id FROM compounds ORDER BY fid
                """) { r in
                let id = r.string(0, 0)
                let own = entrances[id] ?? []
                let surface = Coordinate(lon: r.double(0, 5) ?? .nan, lat: r.double(0, 6) ?? .nan)
                let grid = r.text(0, 7).flatMap(grids.grid(id:)) ?? grids.grid(containing: surface)
                out.append(CompoundSite(
                    id: id, name: r.string(0, 1), households: r.int(0, 2), population: r.int(0, 3), kind: r.text(0, 4),
                    referencePoints: own.isEmpty ? [surface] : own, hasEntrances: !own.isEmpty,
                    gridID: grid?.id, gridName: grid?.name, community: grid?.community,
                    street: grid?.street, district: grid?.district))
            }
            return out
        }
    }

    public func gridLocator() throws -> GridLocator {
        var grids = [(place: GridPlace, geometry: Geometry)]()
        try read {
            try connection.forEach("SELECT id, name, community, street, district, ST_AsBinary(geom) FROM grids ORDER BY fid") { r in
                guard let g = r.bytes(0, 5).flatMap(Geometry.init(wkb:)) else { return }
                grids.append((GridPlace(id: r.string(0, 0), name: r.string(0, 1), community: r.text(0, 2),
                                        street: r.text(0, 3), district: r.text(0, 4)), g))
            }
        }
        return GridLocator(grids)
    }

    private func wayLines(where condition: String) throws -> WayLines {
        var out = WayLines()
        try read {
            try connection.forEach("""
                SELECT id, ST_AsBinary(geom), bridge, tunnel, layer, mended FROM ways WHERE \(condition) ORDER BY fid
                """) { r in
                let lines: [[Coordinate]]
                switch r.bytes(0, 1).flatMap(Geometry.init(wkb:)) {
                case .lineString(let l)?: lines = [l]
                case .multiLineString(let ls)?: lines = ls
                default: return
                }
                out.append(id: r.string(0, 0), level: WayLevel(bridge: r.text(0, 2), tunnel: r.text(0, 3), layer: r.text(0, 4)),
                           mended: r.int(0, 5) == 1)
                for line in lines { out.appendLine(line) }
            }
        }
        return out
    }

    public func walkableWayLines() throws -> WayLines { try wayLines(where: WalkableWay.walkableSQL) }

    public func walkableWayLines(fids: Range<Int>) throws -> WayLines {
        try wayLines(where: "\(WalkableWay.walkableSQL) AND fid >= \(fids.lowerBound) AND fid < \(fids.upperBound)")
    }

    public func fidBounds(of layer: Layer) throws -> ClosedRange<Int>? {
        var bounds: ClosedRange<Int>?
        try read {
            try connection.forEach("SELECT min(fid), max(fid) FROM \(layer.rawValue)") { r in
                if let low = r.int(0, 0), let high = r.int(0, 1) { bounds = low...high }
            }
        }
        return bounds
    }

    public func waysClosedToPedestrians() throws -> Int {
        Int(try connection.scalar("SELECT count(*) FROM ways WHERE \(WalkableWay.closedSQL)") ?? "0") ?? 0
    }

    public func closedWayLines() throws -> WayLines { try wayLines(where: WalkableWay.closedSQL) }

    public func water() throws -> [WaterFeature] {
        var out = [WaterFeature]()
        try read {
            try connection.forEach("SELECT id, kind, name, ST_AsBinary(geom) FROM water ORDER BY fid") { r in
                guard let g = r.bytes(0, 3).flatMap(Geometry.init(wkb:)) else { return }
                out.append(WaterFeature(id: r.string(0, 0), kind: r.text(0, 1), name: r.text(0, 2), geometry: g))
            }
        }
        return out
    }

    public func connectorCount() throws -> Int {
        Int(try connection.scalar("SELECT count(*) FROM ways WHERE mended = 1") ?? "0") ?? 0
    }

    public func storedNetworkGeneration() throws -> Int? { try meta("network:ways_generation").flatMap { Int($0) } }

    public func networkInfo() throws -> NetworkInfo? {
        try read {
            guard let stored = try storedNetworkGeneration() else { return nil }
            var pieces = [(edges: Int, exampleWay: String)]()
            let rows = try connection.query("""
                SELECT component, count(*), coalesce(min(CASE WHEN way_id LIKE 'mend/%' THEN NULL ELSE way_id END), min(way_id))
                FROM network_edges GROUP BY component ORDER BY component
                """)
            for i in 0..<rows.count { pieces.append((rows.int(i, 1) ?? 0, rows.string(i, 2))) }
            let length = Double(try connection.scalar("SELECT coalesce(sum(length_m), 0) FROM network_edges") ?? "0") ?? 0
            return NetworkInfo(edges: pieces.reduce(0) { $0 + $1.edges }, lengthMetres: length, pieces: pieces,
                               stale: stored != (try generation(of: .ways)), waysClosedToPedestrians: try waysClosedToPedestrians())
        }
    }

    /// Count and extent of each layer: exact (from the geometries, not the index's rounded boxes).
    private func extents() throws -> [LayerExtent] { try Layer.allCases.map(extent) }

    private func extent(_ layer: Layer) throws -> LayerExtent {
        let r = try connection.query("""
            SELECT count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom)) FROM \(layer.rawValue)
            """)
        let n = r.int(0, 0) ?? 0
        let box = n == 0 || r.isNull(0, 1) ? nil
            : BoundingBox(west: r.double(0, 1)!, south: r.double(0, 2)!, east: r.double(0, 3)!, north: r.double(0, 4)!)
        return LayerExtent(layer: layer, count: n, bbox: box)
    }

    public func layerSummaries() throws -> [LayerExtent] { try read { try extents() } }

    /// A feature row → id, properties (every column but `fid`, `geom`, `properties` and `skipping`, in table order,
    /// `services` as a list, then the extra properties flattened in; a column wins) and geometry: what
    /// `FeatureRowReader` makes of a SpatiaLite row.
    private func feature(_ r: Rows, _ columns: [PGSchema.Column], idColumn: String = "id", skipping: Set<String> = [])
        -> (id: String, properties: [(String, JSONValue)], geometry: Geometry?) {
        var id = ""
        var geometry: Geometry?
        var properties = [(String, JSONValue)]()
        var extras = [(String, JSONValue)]()
        for (i, column) in columns.enumerated() {
            let value: JSONValue
            switch column.kind {
            case .geometry:
                geometry = r.bytes(0, i).flatMap(Geometry.init(wkb:))
                continue
            case .properties:
                if let text = r.text(0, i), case .object(let members)? = try? JSONValue.parse(text) { extras = members }
                continue
            case .services:
                value = .array(JSONValue.stringList(r.text(0, i)).map(JSONValue.string))
            case .integer:
                value = r.int(0, i).map { .number(Double($0)) } ?? .null
            case .real:
                value = r.double(0, i).flatMap { $0.isFinite ? .number($0) : nil } ?? .null
            case .text:
                value = r.text(0, i).map(JSONValue.string) ?? .null
            }
            if column.name == "fid" || skipping.contains(column.name) { continue }
            if column.name == idColumn {
                if case .number(let n) = value { id = String(Int64(n)) } else if case .string(let s) = value { id = s }
            }
            properties.append((column.name, value))
        }
        for extra in extras where !properties.contains(where: { $0.0 == extra.0 }) { properties.append(extra) }
        return (id, properties, geometry)
    }

    public func features(of layer: Layer, bbox: BoundingBox?, limit: Int, offset: Int,
                         known: (generation: Int, count: Int)?) throws -> FeaturePage {
        let columns = PGSchema.columns(layer)
        let select = PGSchema.selectList(columns)
        let table = layer.rawValue
        return try read {
            var condition = ""
            var parameters = [String?]()
            if let bbox {
                condition = "WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))"
                parameters = [bbox.west, bbox.south, bbox.east, bbox.north].map { String($0) }
            }
            let matched: Int
            if bbox == nil, let known, try generation() == known.generation {
                matched = known.count
            } else {
                matched = Int(try connection.scalar("SELECT count(*) FROM \(table) \(condition)", parameters) ?? "0") ?? 0
            }
            var features = [StoredFeature]()
            if matched > offset && limit > 0 {
                let n = parameters.count
                try connection.forEach("SELECT \(select) FROM \(table) \(condition) ORDER BY fid LIMIT $\(n + 1) OFFSET $\(n + 2)",
                                       parameters + [String(limit), String(offset)]) { r in
                    let f = feature(r, columns)
                    features.append(StoredFeature(id: f.id, geometry: f.geometry, properties: f.properties))
                }
            }
            return FeaturePage(numberMatched: matched, features: features)
        }
    }

    public func feature(of layer: Layer, id: String) throws -> StoredFeature? {
        let columns = PGSchema.columns(layer)
        var found: StoredFeature?
        try connection.forEach("SELECT \(PGSchema.selectList(columns)) FROM \(layer.rawValue) WHERE id = $1", [id]) { r in
            let f = feature(r, columns)
            found = StoredFeature(id: f.id, geometry: f.geometry, properties: f.properties)
        }
        return found
    }

    public func forEachFeature(of table: ExportTable,
                               _ body: (_ id: String, _ properties: [(String, JSONValue)], _ geometry: Geometry?) throws -> Void) throws {
        let columns = PGSchema.columns(table)
        let (name, order, idColumn): (String, String, String)
        switch table {
        case .layer(let l): (name, order, idColumn) = (l.rawValue, "fid", "id")
        case .network: (name, order, idColumn) = ("network_edges", "edge", "edge")
        }
        try read {
            try connection.forEach("SELECT \(PGSchema.selectList(columns)) FROM \(name) ORDER BY \(order)") { r in
                // The cached point on surface is a storage detail in a file meant for map tools.
                let f = feature(r, columns, idColumn: idColumn, skipping: ["ref_lon", "ref_lat"])
                try body(f.id, f.properties, f.geometry)
            }
        }
    }

    public func forEachGeometry(of layer: Layer, _ body: (_ id: String, _ geometry: Geometry) throws -> Void) throws {
        try read {
            try connection.forEach("SELECT id, ST_AsBinary(geom) FROM \(layer.rawValue) ORDER BY fid") { r in
                guard let g = r.bytes(0, 1).flatMap(Geometry.init(wkb:)) else { return }
                try body(r.string(0, 0), g)
            }
        }
    }

    public func forEachWay(_ body: (_ highway: String?, _ geometry: Geometry) throws -> Void) throws {
        try read {
            try connection.forEach("SELECT highway, ST_AsBinary(geom) FROM ways ORDER BY fid") { r in
                guard let g = r.bytes(0, 1).flatMap(Geometry.init(wkb:)) else { return }
                try body(r.text(0, 0), g)
            }
        }
    }

    public func geometry(of layer: Layer, id: String) throws -> Geometry? {
        let r = try connection.query("SELECT ST_AsBinary(geom) FROM \(layer.rawValue) WHERE id = $1", [id])
        return r.count > 0 ? r.bytes(0, 0).flatMap(Geometry.init(wkb:)) : nil
    }

    public func extent(of layer: Layer) throws -> BoundingBox? { try read { try extent(layer).bbox } }

    public func geometries(of layer: Layer) throws -> [String: JSONValue] {
        var out = [String: JSONValue]()
        try read {
            try connection.forEach("SELECT id, ST_AsGeoJSON(geom, 7) FROM \(layer.rawValue)") { r in
                if let text = r.text(0, 1), let g = try? JSONValue.parse(text) { out[r.string(0, 0)] = g }
            }
        }
        return out
    }

    public func credits(of layers: [Layer]) throws -> [String] {
        var out = [String]()
        for layer in layers {
            guard let text = try meta("credit:\(layer.rawValue)"), case .array(let values)? = try? JSONValue.parse(text) else { continue }
            for case .string(let s) in values where !out.contains(s) { out.append(s) }
        }
        return out
    }

    public func info() throws -> StoreInfo {
        try read {
            let layers = try extents().map { StoreInfo.LayerInfo(layer: $0.layer, count: $0.count, bbox: $0.bbox) }
            var imports = [StoreInfo.ImportEntry]()
            let rows = try connection.query("SELECT layer, file, features, crs, replaced, repaired, at FROM import_log ORDER BY seq DESC LIMIT 10")
            for i in 0..<rows.count {
                imports.append(.init(layer: rows.string(i, 0), file: rows.string(i, 1), features: rows.int(i, 2) ?? 0,
                                     crs: rows.string(i, 3), replaced: rows.int(i, 4) == 1, repaired: rows.int(i, 5) ?? 0,
                                     at: rows.string(i, 6)))
            }
            let size = Int(try connection.scalar("""
                SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind = 'r'
                """, [schemaName]) ?? "0") ?? 0
            let unknownHouseholds = Int(try connection.scalar("SELECT count(*) FROM compounds WHERE households IS NULL") ?? "0") ?? 0
            let orphans = try orphanEntrances(limit: 20)
            return StoreInfo(path: address.displayName, schemaVersion: PGSchema.currentVersion, fileSize: size,
                             layers: layers, metricZone: StoreInfo.metricZone(of: layers), recentImports: imports,
                             compoundsWithoutHouseholds: unknownHouseholds,
                             orphanEntrances: orphans.sample, orphanEntranceCount: orphans.count)
        }
    }

    public func sampleExtent() throws -> BoundingBox? {
        try read {
            var box: BoundingBox?
            for layer in Layer.allCases {
                let r = try connection.query("""
                    SELECT count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom))
                    FROM (SELECT geom FROM \(layer.rawValue) WHERE geom IS NOT NULL LIMIT 1000) AS s
                    """)
                guard (r.int(0, 0) ?? 0) > 0 else { continue }
                let b = BoundingBox(west: r.double(0, 1)!, south: r.double(0, 2)!, east: r.double(0, 3)!, north: r.double(0, 4)!)
                box = box.map { $0.union(b) } ?? b
            }
            return box
        }
    }

    public func orphanEntrances(limit: Int) throws -> (sample: [OrphanEntrance], count: Int) {
        try read {
            let sql = "FROM entrances AS e WHERE NOT EXISTS (SELECT 1 FROM compounds AS c WHERE c.id = e.compound_id)"
            let count = Int(try connection.scalar("SELECT count(*) \(sql)") ?? "0") ?? 0
            var sample = [OrphanEntrance]()
            if count > 0 {
                let r = try connection.query("SELECT e.id, e.compound_id \(sql) ORDER BY e.id LIMIT \(max(0, limit))")
                for i in 0..<r.count { sample.append(OrphanEntrance(id: r.string(i, 0), compoundID: r.string(i, 1))) }
            }
            return (sample, count)
        }
    }

    /// Ready when the schema is the version this build reads and every table answers.
    public func checkReadiness() throws {
        try read {
            let version = try schemaVersion()
            guard version == PGSchema.currentVersion else {
                throw PostGISError("schema version \(version), this Doorstep reads \(PGSchema.currentVersion)")
            }
            for table in Layer.allCases.map(\.rawValue) + ["network_edges"] {
                _ = try connection.query("SELECT 1 FROM \(table) LIMIT 1")
            }
        }
    }

    // MARK: Writing

    public func importTogether<T>(_ body: () throws -> T) throws -> T {
        try inWrite(body)
    }

    public func importing<T>(_ layer: Layer, replace: Bool, _ body: (any LayerSink) throws -> T) throws -> T {
        try inWrite {
            let table = layer.rawValue
            if layer == .compounds {
                // Which compounds had a household count, to say afterwards which lost it (`compoundChanges`).
                try connection.execute("""
                    DROP TABLE IF EXISTS pg_temp.doorstep_households_before;
                    CREATE TEMP TABLE doorstep_households_before ON COMMIT DROP AS SELECT id FROM compounds WHERE households IS NOT NULL;
                    """)
            }
            // DELETE, not TRUNCATE: TRUNCATE would lock readers out until the import commits; with DELETE every
            // server goes on reading the old rows until then.
            let empty = try replace || connection.scalar("SELECT EXISTS (SELECT 1 FROM \(table))") == "f"
            if replace { try connection.execute("DELETE FROM \(table)") }
            let writer = try LayerCopy(connection: connection, layer: layer, empty: empty)
            let result = try body(writer)
            try writer.finish()
            try connection.execute("ANALYZE \(table)")
            try bumpGeneration(layer)
            return result
        }
    }

    public func logImport(layer: Layer, file: String, features: Int, crs: InputCRS, replaced: Bool, repaired: Int) throws {
        try connection.query("""
            INSERT INTO import_log(layer, file, features, crs, replaced, repaired, at)
            VALUES ($1, $2, $3, $4, $5, $6, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
            """, [layer.rawValue, file, String(features), crs.description, replaced ? "1" : "0", String(repaired)])
    }

    public func recordCredit(_ credit: String, for layer: Layer, replacing: Bool) throws {
        var list = replacing ? [] : try credits(of: [layer])
        if !list.contains(credit) { list.append(credit) }
        try setMeta("credit:\(layer.rawValue)", JSONValue.array(list.map(JSONValue.string)).jsonText)
    }

    public func compoundChanges() throws -> CompoundChanges {
        let orphans = try orphanEntrances(limit: 20)
        let r = try connection.query("""
            SELECT b.id FROM pg_temp.doorstep_households_before AS b LEFT JOIN compounds AS c ON c.id = b.id
            WHERE c.households IS NULL ORDER BY b.id
            """)
        let lost = (0..<r.count).map { r.string($0, 0) }
        try connection.execute("DROP TABLE IF EXISTS pg_temp.doorstep_households_before")
        return CompoundChanges(orphans: orphans.sample, orphanCount: orphans.count,
                               householdsLost: lost.count, householdsLostIDs: Array(lost.prefix(20)))
    }

    public func storeNetwork(_ edges: NetworkEdges, waysGeneration: Int) throws {
        try inWrite {
            try connection.execute("DELETE FROM network_edges")
            try connection.copyIn("COPY network_edges(edge, source, target, length_m, way_id, component, geom) FROM STDIN") { copy in
                for e in edges {
                    try copy.row([String(e.edge), String(e.source), String(e.target), String(e.lengthMetres), e.wayID,
                                  String(e.component), "SRID=4326;" + Geometry.lineString(Array(e.line)).wkbHex])
                }
            }
            try setMeta("network:ways_generation", String(waysGeneration))
        }
    }

    public func storeGraphImage(waysGeneration: Int, _ write: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try inWrite {
            try connection.execute("DELETE FROM doorstep_graph")
            var part = 0
            try write { bytes in
                try connection.execute("INSERT INTO doorstep_graph(part, bytes) VALUES ($1::bigint, $2)", String(part), bytes: bytes)
                part += 1
            }
            try setMeta("graph:ways_generation", String(waysGeneration))
        }
    }

    public func storedGraphImageGeneration() throws -> Int? { Int(try meta("graph:ways_generation") ?? "") }

    public func readGraphImage<T>(waysGeneration: Int, _ body: (_ nextPart: () throws -> UnsafeRawBufferPointer?) throws -> T) throws -> T? {
        try read {
            guard try storedGraphImageGeneration() == waysGeneration, try generation(of: .ways) == waysGeneration else { return nil }
            let parts = Int(try connection.scalar("SELECT count(*) FROM doorstep_graph") ?? "0") ?? 0
            // One part per query (a part is tens of megabytes): the one before is let go when the next arrives.
            var next = 0
            var held = [Rows]()
            return try body {
                held.removeAll()
                guard next < parts else { return nil }
                let part = try connection.query("SELECT bytes FROM doorstep_graph WHERE part = $1::bigint", [String(next)], binaryResult: true)
                guard part.count == 1 else { throw PostGISError("the stored graph image lacks part \(next)") }
                next += 1
                held.append(part)
                return part.raw(0, 0)
            }
        }
    }

    @discardableResult
    public func replaceConnectors(with connectors: [NetworkConnector]) throws -> Int {
        try inWrite {
            let before = try connectorCount()
            try connection.execute("DELETE FROM ways WHERE mended = 1")
            let ids = try NetworkConnector.ids(count: connectors.count) { id in
                try connection.query("SELECT 1 FROM ways WHERE id = $1", [id]).count > 0
            }
            for (id, c) in zip(ids, connectors) {
                try connection.query("""
                    INSERT INTO ways(id, mended, length_m, reason, properties, geom)
                    VALUES ($1, 1, $2, $3, $4, ST_Multi(ST_GeomFromWKB(decode($5, 'hex'), 4326)))
                    """, [id, String(c.lengthMetres), c.reason, c.storedProperties, Geometry.lineString(c.line).wkbHex])
            }
            try bumpGeneration(.ways)
            return before
        }
    }

    public func storeWater(_ features: [WaterFeature], replace: Bool) throws {
        try inWrite {
            if replace { try connection.execute("DELETE FROM water") }
            for f in features {
                try connection.query("""
                    INSERT INTO water(id, kind, name, geom) VALUES ($1, $2, $3, ST_GeomFromWKB(decode($4, 'hex'), 4326))
                    ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, geom = excluded.geom
                    """, [f.id, f.kind, f.name, f.geometry.wkbHex])
            }
        }
    }
}

extension Geometry {
    /// WKB as hex text: how geometry travels to the server.
    var wkbHex: String { Hex.encode(wkb) }
}
