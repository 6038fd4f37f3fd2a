import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// The `osmium` command-line tool (Debian `osmium-tool`, over libosmium), which reads OSM XML and PBF for Doorstep.
///
/// Doorstep does not parse OSM formats itself: osmium selects the objects by tag, checks references and builds
/// lines and (multi)polygons, and hands over GeoJSON text sequences.
package struct Osmium {
    package let executable: URL
    /// Where the tool's output files go (the import's scratch folder).
    package let scratch: URL
    /// The input's name for messages.
    package let fileName: String

    /// `$DOORSTEP_OSMIUM` when set, else the first `osmium` on `PATH`.
    package static func locate() -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["DOORSTEP_OSMIUM"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? URL(fileURLWithPath: given) : nil
        }
        for folder in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("osmium")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    package struct Output {
        package let stdout: Data
        /// Standard error, lines without blanks.
        package let messages: [String]
    }

    /// Runs `osmium ARGUMENTS`; a failing exit status becomes an `ImportError` that names the input file and quotes
    /// what osmium said. `acceptedStatuses` lists statuses that are answers, not failures (check-refs exits 1 when
    /// references are missing).
    package func run(_ arguments: [String], acceptedStatuses: Set<Int32> = [0]) throws -> Output {
        let step = arguments.first ?? ""
        let out = scratch.appendingPathComponent("osmium-\(step).out")
        let err = scratch.appendingPathComponent("osmium-\(step).err")
        // Files, not pipes: nothing can block on a full pipe, whatever osmium writes.
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let outHandle = try FileHandle(forWritingTo: out)
        let errHandle = try FileHandle(forWritingTo: err)
        defer {
            try? outHandle.close()
            try? errHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        do {
            try process.run()
        } catch {
            throw ImportError(file: fileName, ImportProblem(.file, "cannot run \(executable.path): \(error.localizedDescription)"))
        }
        process.waitUntilExit()
        let stdout = (try? Data(contentsOf: out)) ?? Data()
        let messages = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
            .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        try? FileManager.default.removeItem(at: out)
        try? FileManager.default.removeItem(at: err)
        if process.terminationReason == .uncaughtSignal {
            throw ImportError(file: fileName, ImportProblem(.file, "osmium \(step) was killed by signal \(process.terminationStatus)"))
        }
        guard acceptedStatuses.contains(process.terminationStatus) else {
            let said = messages.isEmpty ? "exit status \(process.terminationStatus)" : messages.prefix(3).joined(separator: "; ")
            throw ImportError(file: fileName, ImportProblem(.file, "not a readable OSM file: \(Self.plain(said)) (osmium \(step))"))
        }
        return Output(stdout: stdout, messages: messages)
    }

    /// osmium's messages, without its own prefixes that repeat what the caller says.
    private static func plain(_ message: String) -> String {
        message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
    }
}
