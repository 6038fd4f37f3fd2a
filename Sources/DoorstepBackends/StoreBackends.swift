import DoorstepPostGIS
import DoorstepSpatiaLite
import DoorstepStore
import Foundation

/// Opens a store by its address. The one place that knows which backends exist: a SpatiaLite file path (the embedded
/// default), or a PostgreSQL/PostGIS address `postgresql://user@host:port/dbname?schema=city` (`PostGISAddress`).
/// Everything else — the CLI, the HTTP service — holds the protocols (`StoreReader`, `StoreWriter`, `StoreSource`)
/// and never a backend's type.
public enum StoreBackends {
    /// Whether `address` names a PostGIS store.
    public static func isPostGIS(_ address: String) -> Bool { PostGISAddress.isPostGIS(address) }

    /// Whether a store exists at `address`: for a file, the file is there; for PostGIS, its schema holds a Doorstep
    /// store (false when the server cannot be reached: opening it then says why).
    public static func exists(_ address: String) -> Bool {
        guard isPostGIS(address) else { return FileManager.default.fileExists(atPath: address) }
        return (try? PostGISStore.exists(PostGISAddress(address))) ?? false
    }

    /// The files a store at `address` is kept in (the file and SQLite's journals beside it): what to remove when a
    /// command creating it is interrupted. None for PostGIS: an interrupted import is a transaction the server rolls
    /// back.
    public static func files(_ address: String) -> [String] {
        isPostGIS(address) ? [] : [address] + DatabaseFile.companions(address)
    }

    /// An existing store, read-only or for writing. A read-only open of a store written by an older Doorstep
    /// upgrades it first (the upgrade is a write, so it cannot happen on the read-only connection).
    public static func open(_ address: String, readOnly: Bool) throws -> any StoreWriter {
        if isPostGIS(address) {
            let pg = try PostGISAddress(address)
            if readOnly { try PostGISStore.upgradeIfOlder(pg) }
            return try PostGISStore(address: pg, readOnly: readOnly)
        }
        if readOnly { try Store.upgradeIfOlder(path: address) }
        return try Store(path: address, readOnly: readOnly)
    }

    /// Runs `body` on the store opened for writing, creating it when there is none; when `body` fails, a store this
    /// call created is removed again.
    public static func writing<T>(_ address: String, _ body: (any StoreWriter) throws -> T) throws -> T {
        if isPostGIS(address) { return try PostGISStore.writing(PostGISAddress(address)) { try body($0) } }
        return try Store.writing(path: address) { try body($0) }
    }

    /// Brings a store written by an older Doorstep up to the current schema (readers refuse other versions).
    public static func upgradeIfOlder(_ address: String) throws {
        if isPostGIS(address) { return try PostGISStore.upgradeIfOlder(PostGISAddress(address)) }
        try Store.upgradeIfOlder(path: address)
    }

    /// A source of read connections for a server.
    public static func source(_ address: String) throws -> any StoreSource {
        if isPostGIS(address) { return try PostGISSource(address: PostGISAddress(address)) }
        return try StorePool(path: address)
    }
}
