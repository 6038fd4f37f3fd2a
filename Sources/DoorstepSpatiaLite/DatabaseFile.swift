import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import CSpatiaLite
import Foundation

/// A database file Doorstep will not use, and why (another application's file, a newer Doorstep's, not a file…).
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// What is at a database path, found before anything writes there (README, "Doorstep writes only Doorstep databases").
///
/// A Doorstep database carries `PRAGMA application_id` = `DatabaseFile.applicationID` from its creation on. Files made
/// by earlier versions have application_id 0 and are recognised by their schema (`PRAGMA user_version` ≥ 1 and the
/// tables of migration 1); opening one for writing stamps the id.
package enum DatabaseFile {
    /// "Door" in ASCII.
    package static let applicationID: Int32 = 0x446F_6F72

    /// Tables every Doorstep database has had since schema version 1.
    package static let doorstepTables: Set<String> = ["doorstep_meta", "import_log", "stations", "compounds", "entrances", "grids", "ways"]

    package enum State: Equatable {
        /// Nothing there: opening for writing creates a new database.
        case absent
        /// A zero-length file, treated as new.
        case empty
        /// A Doorstep database (perhaps of an older schema version).
        case doorstep
    }

    /// What is at `path`; throws `StoreError` for anything that is not a Doorstep database (or nothing). Reads the file
    /// without writing to it: the header with plain reads, the schema through an immutable read-only connection.
    package static func inspect(_ path: String) throws -> State {
        if path == ":memory:" || path.isEmpty { return .absent }
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return .absent }
            throw StoreError(path: path, "cannot use the database file: \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw StoreError(path: path, "is a directory, not a database file")
        default: throw StoreError(path: path, "is not a regular file, so not a Doorstep database")
        }
        if info.st_size == 0 { return .empty }
        let header: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            header = Array(try handle.read(upToCount: 100) ?? Data())
        } catch {
            throw StoreError(path: path, "cannot read the database file: \(error.localizedDescription)")
        }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\u{0}".utf8)) else {
            throw StoreError(path: path, "is not a Doorstep database (not even an SQLite file); Doorstep leaves it untouched — give --db a new file name")
        }
        func int32(_ offset: Int) -> Int32 {
            Int32(bitPattern: header[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
        let applicationID = int32(68)
        if applicationID == DatabaseFile.applicationID { return .doorstep }
        if applicationID != 0 {
            throw StoreError(path: path, String(format: "is an SQLite database of another application (application_id 0x%08X), not a Doorstep database; Doorstep leaves it untouched — give --db a new file name", UInt32(bitPattern: applicationID)))
        }
        // application_id 0: a Doorstep database of an earlier version, or anyone's. The schema tells. With a `-wal`
        // beside it the newest schema may be there, so the file is read through it; otherwise immutable, which
        // creates nothing beside the file.
        let hasWAL = FileManager.default.fileExists(atPath: path + "-wal")
        let db: Database
        do {
            db = try Database(path: path, readOnly: true, immutable: !hasWAL)
            try check(db)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, "is not a Doorstep database (SQLite cannot read it: \(error)); Doorstep leaves it untouched")
        }
        return .doorstep
    }

    /// Throws unless the open database is a Doorstep one (by application_id or, for older files, by schema).
    package static func check(_ db: Database) throws {
        let applicationID = try db.scalarInt("PRAGMA application_id") ?? 0
        if applicationID == Int64(DatabaseFile.applicationID) { return }
        var tables = [String]()
        try db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").forEach { tables.append($0.text(0)) }
        let version = try db.scalarInt("PRAGMA user_version") ?? 0
        if applicationID == 0, version >= 1, DatabaseFile.doorstepTables.isSubset(of: tables) { return }
        let what: String
        if applicationID != 0 {
            what = String(format: "an SQLite database of another application (application_id 0x%08X)", UInt32(truncatingIfNeeded: applicationID))
        } else if tables.isEmpty {
            what = "an SQLite database without tables, not made by Doorstep"
        } else {
            let shown = tables.prefix(5).map(TextRules.printable).joined(separator: ", ") + (tables.count > 5 ? ", …" : "")
            what = "an SQLite database of another application (tables \(shown))"
        }
        throw StoreError(path: db.path, "is \(what), not a Doorstep database; Doorstep leaves it untouched — give --db a new file name")
    }

    /// Free space a new database needs: SpatiaLite's metadata (7 MB) passes through the WAL before it is checkpointed
    /// into the file (a 12 MB file system was too small, 16 MB enough), and the first layer needs room too.
    package static let newDatabaseBytes = 24 << 20

    /// Bytes free to this user on the file system that holds (or would hold) `path`, or nil when unknown.
    package static func freeBytes(near path: String) -> Int? {
        let directory = (path as NSString).deletingLastPathComponent
        var info = statvfs()
        guard statvfs(directory.isEmpty ? "." : directory, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Files SQLite may keep beside a database.
    package static func companions(_ path: String) -> [String] { ["-wal", "-shm", "-journal"].map { path + $0 } }
}
