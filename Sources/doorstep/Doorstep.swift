import ArgumentParser
import DoorstepGeo
import Foundation

@main
struct Doorstep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doorstep",
        abstract: "家门口 Doorstep: a community service station within walking reach of every home.",
        version: DoorstepVersion.string,
        subcommands: [Import.self, ImportOSM.self, Info.self, Network.self, Nearest.self, Coverage.self, Access.self, Gaps.self, Areas.self, Plan.self, WhatIf.self, Export.self, Render.self, Serve.self]
    )
}

/// Options every subcommand that reads or writes a database takes.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The store: a SpatiaLite file, or PostGIS as postgresql://user@host:port/dbname?schema=city.")
    var db: String = "doorstep.sqlite"

    /// An existing database, read-only or for writing (analyses that store the walking network they build); only
    /// the import commands create one (`write`).
    func open(readOnly: Bool = false) throws -> any StoreWriter {
        try requireExisting()
        return try StoreBackends.open(db, readOnly: readOnly)
    }

    /// Opens another read-only connection to the database when called (on a thread of its own): the second connection
    /// walking analyses and `import ways` read beside the first.
    var secondReader: @Sendable () throws -> any StoreReader {
        let address = db
        return {
            let reader: any StoreWriter = try StoreBackends.open(address, readOnly: true)
            return reader
        }
    }

    /// Throws when there is no database file at `--db`, with how to make one. A PostGIS address is left to opening
    /// it, which says whether the server, the database or the store in the schema is missing.
    func requireExisting() throws {
        if !StoreBackends.isPostGIS(db) && !StoreBackends.exists(db) {
            throw CLIError("\(db): no such database; create it with `doorstep import LAYER FILE --db \(db)`")
        }
    }

    /// Runs `body` on the database opened for writing, creating it when there is none; when `body` fails, a database
    /// this call created is removed again (`StoreBackends.writing`).
    func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T {
        try StoreBackends.writing(db, body)
    }

    /// What an interrupted command that writes the database removes: the database, when this command creates it.
    /// (None for PostGIS, whose interrupted import the server rolls back: no connection is made to find that out.)
    var createdFiles: [String] {
        let files = StoreBackends.files(db)
        return files.isEmpty || StoreBackends.exists(db) ? [] : files
    }
}

/// An error shown to the user as one clear message.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Output formats of listings.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv, geojson
}

extension InputCRS: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// Runs a use case's part of a command: a refusal (`UseCaseError`) is shown with the CLI's names (`--snap-limit`).
func cli<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as UseCaseError { throw CLIError(error.cliMessage) }
}

/// `validate()` of a command: a use case's refusal of its options is a usage error, shown with the usage.
func validating(_ body: () throws -> Void) throws {
    do { try body() } catch let error as UseCaseError { throw ValidationError(error.cliMessage) }
}

/// Writes `text` to the file at `path`, whole or not at all (`AtomicOutput`); `-` is standard output (as for every
/// `--out`).
func writeOut(_ text: String, to path: String) throws {
    if path == "-" {
        print(text)
    } else {
        try AtomicOutput.write(to: path) { try Data(text.utf8).write(to: URL(fileURLWithPath: $0)) }
    }
}

/// Where `--out` went, for notes.
func destination(_ path: String) -> String { path == "-" ? "standard output" : path }

/// The stations a walking answer could not use.
func noteOffNetwork(_ ids: [String], snapLimit: Double) {
    if let text = Records.offNetworkNote(ids, snapLimit: snapLimit) { note("note: \(text)") }
}
