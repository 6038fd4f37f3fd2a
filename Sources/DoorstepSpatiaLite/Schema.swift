import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import CSpatiaLite

/// The schema, as numbered migrations recorded in `PRAGMA user_version`.
///
/// A migration is never edited once released; a change to the schema is a new migration at the end.
package enum Schema {
    package static let migrations: [String] = [
        // 1: the five layers of the data contract, WGS84 geometry registered with SpatiaLite, R*Tree indexes.
        """
        CREATE TABLE doorstep_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE import_log(
            seq INTEGER PRIMARY KEY, layer TEXT NOT NULL, file TEXT NOT NULL, features INTEGER NOT NULL,
            crs TEXT NOT NULL, replaced INTEGER NOT NULL, repaired INTEGER NOT NULL, at TEXT NOT NULL);
        CREATE TABLE stations(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, kind TEXT, services TEXT,
            address TEXT, phone TEXT, hours TEXT, radius_m REAL, capacity INTEGER, properties TEXT);
        SELECT AddGeometryColumn('stations', 'geom', 4326, 'POINT', 'XY', 1);
        SELECT CreateSpatialIndex('stations', 'geom');
        CREATE TABLE compounds(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, households INTEGER,
            population INTEGER, kind TEXT, grid_id TEXT, ref_lon REAL, ref_lat REAL, properties TEXT);
        SELECT AddGeometryColumn('compounds', 'geom', 4326, 'GEOMETRY', 'XY', 1);
        SELECT CreateSpatialIndex('compounds', 'geom');
        CREATE TABLE entrances(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, compound_id TEXT NOT NULL, name TEXT, properties TEXT);
        CREATE INDEX entrances_compound ON entrances(compound_id);
        SELECT AddGeometryColumn('entrances', 'geom', 4326, 'POINT', 'XY', 1);
        SELECT CreateSpatialIndex('entrances', 'geom');
        CREATE TABLE grids(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, community TEXT, street TEXT,
            district TEXT, properties TEXT);
        SELECT AddGeometryColumn('grids', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
        SELECT CreateSpatialIndex('grids', 'geom');
        CREATE TABLE ways(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, highway TEXT, name TEXT, foot TEXT, properties TEXT);
        SELECT AddGeometryColumn('ways', 'geom', 4326, 'MULTILINESTRING', 'XY', 1);
        SELECT CreateSpatialIndex('ways', 'geom');
        """,
        // 2: the walking graph built from the ways (network_edges), kept for map tools and `info`.
        """
        CREATE TABLE network_edges(
            edge INTEGER PRIMARY KEY, source INTEGER NOT NULL, target INTEGER NOT NULL, length_m REAL NOT NULL,
            way_id TEXT NOT NULL, component INTEGER NOT NULL);
        SELECT AddGeometryColumn('network_edges', 'geom', 4326, 'LINESTRING', 'XY', 1);
        """,
        // 3: typed copies of the compounds for GIS clients. `compounds.geom` is GEOMETRY (the contract allows Polygon,
        // MultiPolygon and Point), which QGIS and GDAL show as an untyped layer; SpatiaLite views inherit that type
        // from the table they read (measured with ogrinfo), so typed tables it is: rebuilt from `compounds` by every
        // compounds import (Store.refreshCompoundCopies), read-only by convention.
        """
        CREATE TABLE compounds_polygons(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, households INTEGER,
            population INTEGER, kind TEXT, grid_id TEXT);
        SELECT AddGeometryColumn('compounds_polygons', 'geom', 4326, 'MULTIPOLYGON', 'XY', 1);
        SELECT CreateSpatialIndex('compounds_polygons', 'geom');
        CREATE TABLE compounds_points(
            fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, households INTEGER,
            population INTEGER, kind TEXT, grid_id TEXT);
        SELECT AddGeometryColumn('compounds_points', 'geom', 4326, 'POINT', 'XY', 1);
        SELECT CreateSpatialIndex('compounds_points', 'geom');
        """ + compoundCopiesSQL,
        // 4: mending the walking network (issue 16). The ways keep their level (OSM's bridge, tunnel and layer), so
        // crossings at different levels are not joined; `network mend` stores its connectors as ways with
        // `mended = 1`, their length and the reason (QGIS shows them with the ways; `network mend --undo` deletes
        // them). Water (rivers, lakes, canals) is kept as a barrier no connector may cross.
        """
        ALTER TABLE ways ADD COLUMN bridge TEXT;
        ALTER TABLE ways ADD COLUMN tunnel TEXT;
        ALTER TABLE ways ADD COLUMN layer TEXT;
        ALTER TABLE ways ADD COLUMN mended INTEGER;
        ALTER TABLE ways ADD COLUMN length_m REAL;
        ALTER TABLE ways ADD COLUMN reason TEXT;
        CREATE INDEX ways_mended ON ways(mended) WHERE mended = 1;
        CREATE TABLE water(fid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT, name TEXT);
        SELECT AddGeometryColumn('water', 'geom', 4326, 'GEOMETRY', 'XY', 1);
        SELECT CreateSpatialIndex('water', 'geom');
        """,
        // 5: the walking graph as bytes (`WalkGraph.writeImage`), in parts, so a walking analysis loads it instead of
        // building it from the ways (a province's ways take 15 s to read and node; the image 2 s to load). It is used
        // only while the ways are of the generation it was made from, so a change to the ways by any SQL client
        // (QGIS editing the file) now counts as an import of them, as the PostGIS store's trigger counts it. Doorstep's
        // own writers set these triggers aside (`suspendingTriggers`) or count themselves; `mend` counts once more.
        """
        CREATE TABLE doorstep_graph(part INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
        INSERT OR IGNORE INTO doorstep_meta(key, value) VALUES ('generation', '0'), ('generation:ways', '0');
        """ + ["INSERT", "UPDATE", "DELETE"].map {
            """
            CREATE TRIGGER doorstep_ways_\($0.lowercased()) AFTER \($0) ON ways BEGIN
                UPDATE doorstep_meta SET value = CAST(value AS INTEGER) + 1 WHERE key IN ('generation', 'generation:ways');
            END;

            """
        }.joined(),
    ]

    /// Fills the typed copies of the compounds (migration 3) from `compounds`.
    package static let compoundCopiesSQL = """
        DELETE FROM compounds_polygons;
        DELETE FROM compounds_points;
        INSERT INTO compounds_polygons(fid, id, name, households, population, kind, grid_id, geom)
            SELECT fid, id, name, households, population, kind, grid_id, CastToMultiPolygon(geom) FROM compounds
            WHERE GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') ORDER BY fid;
        INSERT INTO compounds_points(fid, id, name, households, population, kind, grid_id, geom)
            SELECT fid, id, name, households, population, kind, grid_id, geom FROM compounds
            WHERE GeometryType(geom) = 'POINT' ORDER BY fid;
        """

    /// Tables each migration gives a geometry column.
    package static let geometryTables: [[String]] = [Layer.allCases.map(\.rawValue), ["network_edges"], ["compounds_polygons", "compounds_points"], ["water"], []]

    /// The version a database has once every migration has run.
    package static var currentVersion: Int { migrations.count }

    /// Brings the file up to the current schema, each migration in its own transaction.
    package static func migrate(_ db: Database) throws {
        var version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version > currentVersion { throw newer(db.path, version) }
        // Ours (a new file, or one DatabaseFile.inspect recognised by its schema): say so in the header first, so even
        // a file whose creation is interrupted is known as Doorstep's.
        if try db.scalarInt("PRAGMA application_id") != Int64(DatabaseFile.applicationID) {
            try db.execute("PRAGMA application_id = \(DatabaseFile.applicationID)")
        }
        if version == 0 {
            let hasMetadata = try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'") ?? 0
            if hasMetadata == 0 {
                // The `1` makes SpatiaLite do it in one transaction: 0.05 s instead of 11 s (SPATIALITE-NOTES.md).
                // It reports failure as 0, not as an SQL error.
                guard try db.scalarInt("SELECT InitSpatialMetaData(1)") == 1 else {
                    throw DatabaseError(code: sqlite3_extended_errcode(db.handle), message: "SpatiaLite could not create its metadata tables (InitSpatialMetaData): \(String(cString: sqlite3_errmsg(db.handle)))")
                }
            }
        }
        while version < currentVersion {
            try db.transaction {
                try db.execute(migrations[version])
                try checkGeometryColumns(db, geometryTables[version])
                try db.execute("PRAGMA user_version = \(version + 1)")
            }
            version += 1
        }
    }

    /// The error for a database written by a newer Doorstep.
    package static func newer(_ path: String, _ version: Int) -> StoreError {
        StoreError(path: path, "was written by a newer Doorstep (schema version \(version); this doorstep knows versions up to \(currentVersion)); upgrade doorstep to use it — the file is left as it is")
    }

    /// AddGeometryColumn reports failure as a 0 result, not an error; a wrong schema must not pass silently.
    private static func checkGeometryColumns(_ db: Database, _ tables: [String]) throws {
        for table in tables {
            let n = try db.scalarInt("SELECT count(*) FROM geometry_columns WHERE f_table_name = ?", [.text(table)]) ?? 0
            if n != 1 {
                throw DatabaseError(code: 0, message: "geometry column of \(table) was not registered")
            }
        }
    }
}
