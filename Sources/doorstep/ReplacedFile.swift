import DoorstepGeo
import Foundation

/// An output file written whole or not at all: the bytes go to a temporary file next to the target
/// (`.NAME.PID.partial`, same folder so the rename cannot cross file systems), renamed onto the target by `commit`.
/// Until then the target is untouched: a run stopped by an error, Ctrl-C (SIGINT) or SIGTERM leaves the previous
/// file, or none, and removes the temporary one (the signals are caught while a file is open; SIGKILL leaves the
/// `.partial` file, never a half-written target). `-` is standard output, written as it comes.
final class ReplacedFile {
    let target: String
    private let temporary: String?
    private let output: BufferedOutput

    init(_ path: String) throws {
        target = path
        if path == "-" {
            temporary = nil
            output = try BufferedOutput(path: "-")
            return
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial").path
        self.temporary = temporary
        ReplacedFile.arm(temporary)
        do { output = try BufferedOutput(path: temporary) } catch {
            ReplacedFile.disarm()
            throw CLIError("cannot write \(path): check that the folder exists and is writable")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        output.json.raw(bytes)
        try output.flushIfFull()
    }

    /// Closes the file and puts it in place of the target.
    func commit() throws {
        try output.close()
        guard let temporary else { return }
        defer { ReplacedFile.disarm() }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("cannot write \(target): \(reason)")
        }
    }

    /// Removes the temporary file (an error stopped the run).
    func discard() {
        try? output.close()
        guard let temporary else { return }
        unlink(temporary)
        ReplacedFile.disarm()
    }

    // MARK: Signals

    /// The temporary file a signal must remove (C string, read by the handler: unlink and _exit are safe there).
    nonisolated(unsafe) private static var pending: UnsafeMutablePointer<CChar>?

    private static func arm(_ path: String) {
        pending = strdup(path)
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            signal(signo) { signo in
                if let path = ReplacedFile.pending { unlink(path) }
                _exit(128 + signo)
            }
        }
    }

    private static func disarm() {
        for signo in [SIGINT, SIGTERM, SIGHUP] { signal(signo, SIG_DFL) }
        let path = pending
        pending = nil
        free(path)
    }
}
