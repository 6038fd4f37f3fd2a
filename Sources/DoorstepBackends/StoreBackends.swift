import DoorstepSpatiaLite
import DoorstepStore
import Foundation

/// Opens a store by its address. The one place that knows which backends exist: today a SpatiaLite file path (the
/// embedded default). Everything else — the CLI, the HTTP service — holds the protocols (`StoreReader`,
/// `StoreWriter`, `StoreSource`) and never a backend's type.
public enum StoreBackends {
    /// Whether a store exists at `address` (for a file: the file is there).
    public static func exists(_ address: String) -> Bool {
        FileManager.default.fileExists(atPath: address)
    }

    /// The files a store at `address` is kept in (the file and SQLite's journals beside it): what to remove when a
    /// command creating it is interrupted.
    public static func files(_ address: String) -> [String] {
        [address] + DatabaseFile.companions(address)
    }

    /// An existing store, read-only or for writing. A read-only open of a store written by an older Doorstep
    /// upgrades it first (the upgrade is a write, so it cannot happen on the read-only connection).
    public static func open(_ address: String, readOnly: Bool) throws -> any StoreWriter {
        if readOnly { try Store.upgradeIfOlder(path: address) }
        return try Store(path: address, readOnly: readOnly)
    }

    /// Runs `body` on the store opened for writing, creating it when there is none; when `body` fails, a store this
    /// call created is removed again.
    public static func writing<T>(_ address: String, _ body: (any StoreWriter) throws -> T) throws -> T {
        try Store.writing(path: address) { try body($0) }
    }

    /// Brings a store written by an older Doorstep up to the current schema (readers refuse other versions).
    public static func upgradeIfOlder(_ address: String) throws {
        try Store.upgradeIfOlder(path: address)
    }

    /// A source of read connections for a server.
    public static func source(_ address: String) throws -> any StoreSource {
        try StorePool(path: address)
    }
}
