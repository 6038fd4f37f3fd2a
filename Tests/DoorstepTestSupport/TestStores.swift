import Foundation
import XCTest

/// Where the store-facing tests keep their stores: one fresh, empty store address per call, removed when the test
/// ends. The same suite runs on both backends (`make test` runs it twice):
/// - by default, a SpatiaLite file in a new temporary directory;
/// - when `DOORSTEP_TEST_STORE` holds a PostgreSQL URL (`postgresql://…` or `postgres://…`, e.g. the private cluster of
///   `tools/pg/cluster url`), that database with a schema of its own, `?schema=t_<random>`, dropped at tear-down.
/// The addresses are what a user passes to `--db`; tests open them through `StoreBackends`, never a backend's type.
/// This target does not link libpq: the schema is dropped by running `psql`.
public enum TestStores {
    /// The environment variable naming the PostgreSQL database of a PostGIS run.
    public static let variable = "DOORSTEP_TEST_STORE"

    /// The PostgreSQL URL of this run (without a `schema` parameter), or nil for SpatiaLite. Any other non-empty value
    /// of the variable is a mistake, reported by `fresh`.
    public static let postgresURL: String? = {
        guard let value = ProcessInfo.processInfo.environment[variable], isPostgres(value) else { return nil }
        return removingSchema(value)
    }()

    /// Whether this run's stores are PostGIS schemas.
    public static var isPostGIS: Bool { postgresURL != nil }

    /// Which store this run uses, for the log.
    public static var describe: String {
        if let postgresURL { return "PostGIS: a schema t_… per test in \(postgresURL) (\(variable))" }
        return "SpatiaLite: a file per test under \(FileManager.default.temporaryDirectory.path) (\(variable) unset)"
    }

    /// Whether `address` selects PostgreSQL (the rule of `StoreBackends`).
    public static func isPostgres(_ address: String) -> Bool {
        address.hasPrefix("postgresql://") || address.hasPrefix("postgres://")
    }

    /// A fresh, empty store address for `test`, removed at its tear-down. A SpatiaLite file is `name`.sqlite in
    /// `directory` when given (the caller removes the directory, the file is removed here too), else in a new
    /// temporary directory of its own; a PostGIS store is a new schema. Call it again for a second store in one test.
    public static func fresh(_ test: XCTestCase, name: String = "city", in directory: URL? = nil) throws -> String {
        let address = try make(name: name, in: directory)
        test.addTeardownBlock { try remove(address) }
        return address
    }

    /// A fresh, empty store address that the caller removes (`remove`): for fixtures made once per class.
    public static func make(name: String = "city", in directory: URL? = nil) throws -> String {
        announce()
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty, !isPostgres(value) {
            throw TestSupportError("\(variable)=\(value): expected a postgresql:// URL, or nothing for SpatiaLite")
        }
        if let postgresURL {
            let schema = "t_" + randomName(12)
            return postgresURL + (postgresURL.contains("?") ? "&" : "?") + "schema=" + schema
        }
        return try (directory ?? ownDirectory()).appendingPathComponent("\(name).sqlite").path
    }

    /// A new temporary directory for one store's file (removed with it).
    private static func ownDirectory() throws -> URL {
        let own = FileManager.default.temporaryDirectory.appendingPathComponent("\(ownPrefix)\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        return own
    }

    /// Removes the store at `address`: the file and SQLite's companions (and the temporary directory `make` made for
    /// it), or the PostGIS schema with everything in it.
    public static func remove(_ address: String) throws {
        guard isPostgres(address) else {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: address + suffix) }
            let parent = URL(fileURLWithPath: address).deletingLastPathComponent()
            if parent.lastPathComponent.hasPrefix(ownPrefix) { try? FileManager.default.removeItem(at: parent) }
            return
        }
        guard let schema = schema(of: address) else { return }
        try psql(address, "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
    }

    /// Runs one SQL command with `psql` on the database of `address` (its `schema` parameter, which libpq does not
    /// know, left out); throws with psql's message when it fails.
    @discardableResult
    public static func psql(_ address: String, _ sql: String) throws -> String {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/psql"),
                                    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", removingSchema(address), "-c", sql],
                                    environment: ProcessInfo.processInfo.environment.merging(
                                        ["PGOPTIONS": "-c client_min_messages=warning"]) { $1 },
                                    timeout: 120)
        guard result.status == 0 else { throw TestSupportError("psql \(sql): \(result.err)\(result.out)") }
        return result.out
    }

    /// Skips the calling test under PostGIS: for a method that checks SpatiaLite's own behaviour (its file, its WAL,
    /// its SQL), never for a whole store-facing class.
    public static func requireSpatiaLite(_ reason: String) throws {
        if isPostGIS { throw XCTSkip("SpatiaLite only: \(reason)") }
    }

    /// The `schema` query parameter of a PostgreSQL address.
    public static func schema(of address: String) -> String? {
        URLComponents(string: address)?.queryItems?.first { $0.name == "schema" }?.value
    }

    /// `address` without its `schema` parameter (which libpq, and so psql, does not know).
    public static func removingSchema(_ address: String) -> String {
        guard var components = URLComponents(string: address), let items = components.queryItems else { return address }
        let kept = items.filter { $0.name != "schema" }
        components.queryItems = kept.isEmpty ? nil : kept
        return components.string ?? address
    }

    private static func randomName(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }

    /// Prints `describe` once per test process, so every log says which store the run used.
    private static func announce() { _ = announced }
    private static let announced: Void = {
        FileHandle.standardError.write(Data("doorstep tests: stores are \(describe)\n".utf8))
    }()

    /// The name of the temporary directories `make` creates (removed with their file).
    private static let ownPrefix = "doorstep-store-"
}
