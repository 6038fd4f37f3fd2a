import ArgumentParser
import DoorstepGeo
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--quiet`, and what every long command sets up before it works: the progress line on a terminal, and Ctrl-C
/// (SIGINT) or SIGTERM leaving no half-written output.
struct ConsoleOptions: ParsableArguments {
    @Flag(help: "Show no progress line (it is shown on standard error only when that is a terminal).")
    var quiet = false

    /// Installs the terminal's progress line (unless `--quiet`, or standard error is no terminal) and the interrupt
    /// handler. `removeOnInterrupt` are files to remove when interrupted (a database this command is creating).
    func start(removeOnInterrupt: [String] = []) {
        if !quiet && isatty(STDERR_FILENO) == 1 {
            let line = TerminalProgress()
            TerminalProgress.shared = line
            WorkProgress.display = line
        }
        Interruption.install(removing: removeOnInterrupt)
    }
}

/// The progress line: redrawn in place on standard error (`\r`, at most ten times a second, cut to the terminal's
/// width so it never wraps) and cleared when the work ends or a note is written. `@unchecked Sendable`: `shown` is
/// used with `lock` held.
final class TerminalProgress: ProgressDisplay, @unchecked Sendable {
    nonisolated(unsafe) static var shared: TerminalProgress?
    private let lock = NSLock()
    private var shown = false

    func show(_ state: ProgressState) {
        var text = state.line
        let columns = Self.columns() - 1
        if text.terminalWidth > columns {
            while text.terminalWidth > max(0, columns - 1), !text.isEmpty { text.removeLast() }
            text += "…"
        }
        lock.withLock {
            Self.write("\r" + text + "\u{1B}[K")
            shown = true
        }
    }

    func clear() {
        lock.withLock {
            if shown { Self.write("\r\u{1B}[K") }
            shown = false
        }
    }

    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private static func columns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10 { return Int(size.ws_col) }
        return 80
    }
}

/// SIGINT (status 130) and SIGTERM (143): the progress line is cleared, the temporary files of outputs being written
/// (`AtomicOutput`) and a database this command was creating are removed, one line says so, and the process exits at
/// once. A database that existed keeps what it had: an import is one SQLite transaction, and an uncommitted one is
/// rolled back when the file is next opened.
enum Interruption {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var removing: [String] = []
    private static let queue = DispatchQueue(label: "doorstep.interruption")

    static func install(removing files: [String]) {
        removing = files
        guard sources.isEmpty else { return }
        for signo in [SIGINT, SIGTERM] {
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
            source.setEventHandler { interrupted(signo) }
            source.resume()
            sources.append(source)
        }
    }

    private static func interrupted(_ signo: Int32) -> Never {
        TerminalProgress.shared?.clear()
        let partial = AtomicOutput.writing
        AtomicOutput.discardPending()
        for file in removing { unlink(file) }
        let name = signo == SIGINT ? "interrupted" : "terminated"
        TerminalProgress.write("doorstep: \(name); nothing half-written is left ("
            + (partial ? "the output being written was removed, a previous file at its place is untouched" : "the database keeps what it had")
            + ")\n")
        _exit(128 + signo)
    }
}

/// Writes `text` to standard error (progress and notes stay out of piped output), clearing the progress line first.
func note(_ text: String) {
    TerminalProgress.shared?.clear()
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
