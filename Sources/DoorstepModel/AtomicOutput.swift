#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file written whole or not at all: the writer writes into a hidden folder beside the target
/// (`.doorstep-PID-N.partial/NAME`, so the name, its extension and its stem stay what the formats expect), and only
/// when it has finished are the files in it (the file, and a Shapefile's `.shx`/`.dbf`/`.prj`/`.cpg`) renamed into
/// place, each replacing the one before at once. A writer that fails leaves nothing behind; an interrupted command
/// calls `discardPending()` (the CLI's SIGINT/SIGTERM handler), which removes the folders of writes still under way.
/// Either way the previous file at the target, if any, is untouched.
///
/// The one place for this: every `--out` of the CLI (export in each format, render's SVG and PNG, areas, network
/// check and mend) goes through `write(to:_:)`. `-` (standard output) is passed through unchanged.
public enum AtomicOutput {
    /// Runs `body` with the path it should write instead of `path`, then moves what it wrote into place.
    public static func write<T>(to path: String, _ body: (String) throws -> T) throws -> T {
        if path == "-" { return try body(path) }
        let target = URL(fileURLWithPath: path)
        let folder = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        // Not named after the file: GDAL reads a path's first ".zip" or ".xlsx" as the archive (/vsizip/).
        let partial = folder.appendingPathComponent(".doorstep-\(getpid())-\(counter.next()).partial")
        do {
            try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: false)
        } catch {
            throw ExportError("cannot create \(path): check that the folder exists and is writable")
        }
        pending.insert(partial.path)
        defer {
            try? FileManager.default.removeItem(at: partial)
            pending.remove(partial.path)
        }
        let temporary = partial.appendingPathComponent(name).path
        let value: T
        do {
            value = try body(temporary)
        } catch {
            // A message naming the temporary names the file asked for instead.
            let text = "\(error)"
            guard text.contains(partial.path) else { throw error }
            throw ExportError(text.replacingOccurrences(of: temporary, with: path).replacingOccurrences(of: partial.path, with: folder.path))
        }
        // The file itself last: whoever waits for it finds its companions already there.
        let written = try FileManager.default.contentsOfDirectory(atPath: partial.path).sorted { ($0 == name ? 1 : 0, $0) < ($1 == name ? 1 : 0, $1) }
        for file in written {
            if rename(partial.appendingPathComponent(file).path, folder.appendingPathComponent(file).path) != 0 {
                throw ExportError("cannot move the finished \(file) into \(folder.path): \(String(cString: strerror(errno)))")
            }
        }
        return value
    }

    /// Removes the temporary folders of the writes under way (for an interrupted command, which exits next).
    public static func discardPending() {
        for folder in pending.drain() { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Whether a write is under way (for the interruption message).
    public static var writing: Bool { !pending.isEmpty }

    private static let pending = PendingFolders()
    private static let counter = PendingFolders.Counter()
}

/// The temporary folders of `AtomicOutput`'s writes under way. `@unchecked Sendable`: every member is used with
/// `lock` held.
private final class PendingFolders: @unchecked Sendable {
    private let lock = NSLock()
    private var folders = Set<String>()

    func insert(_ folder: String) { lock.withLock { _ = folders.insert(folder) } }
    func remove(_ folder: String) { lock.withLock { _ = folders.remove(folder) } }
    func drain() -> Set<String> { lock.withLock { defer { folders.removeAll() }; return folders } }
    var isEmpty: Bool { lock.withLock { folders.isEmpty } }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}
