import Foundation

/// How far a long piece of work has come: what it is doing, count of total, for a status line on a terminal.
///
/// The loops that take long (import's records, coverage's compounds, service areas' stations, the planner's
/// candidates, export's features, the network's breaks) open a `WorkProgress` with `WorkProgress.begin(_:total:unit:)`,
/// `advance()` it per step and `finish()` it at the end. Where it is shown is the process's one `ProgressDisplay`:
/// the CLI installs a terminal line on standard error (only when that is a terminal and without `--quiet`); the server
/// and the tests install none, and then `begin` hands out an inert progress whose `advance()` is one branch.
///
/// Unlike `WorkBudget`, which belongs to one request's thread, the display is process-wide: a command is one piece of
/// work, and its loops may run on several threads (each `advance` takes the lock).
///
/// `@unchecked Sendable` is safe because the mutable members (`done`, `lastShown`, `finished`) are read and written
/// with `lock` held, and `display` is set once before any work starts.
public final class WorkProgress: @unchecked Sendable {
    /// What the work is doing, e.g. "coverage: walking from compounds".
    public let task: String
    /// How many steps there are, when known.
    public let total: Int?
    /// What a step is, e.g. "compounds".
    public let unit: String
    private let display: (any ProgressDisplay)?
    private let started = ContinuousClock.now
    private let lock = NSLock()
    private var done = 0
    private var lastShown: ContinuousClock.Instant?
    private var finished = false

    private init(task: String, total: Int?, unit: String, display: (any ProgressDisplay)?) {
        self.task = task
        self.total = total.map { max(0, $0) }
        self.unit = unit
        self.display = display
    }

    /// The shortest time between two redraws (at most ten a second).
    public static let redrawInterval: Duration = .milliseconds(100)

    /// Starts showing `task` (replacing what was shown).
    public static func begin(_ task: String, total: Int? = nil, unit: String = "") -> WorkProgress {
        let progress = WorkProgress(task: task, total: total, unit: unit, display: Self.display)
        progress.show(force: true)
        return progress
    }

    /// One step (or `n`) done.
    @inline(__always)
    public func advance(by n: Int = 1) {
        guard display != nil else { return }
        lock.withLock { done += n }
        show(force: false)
    }

    /// `done` steps done in all (for loops that skip some steps: where the index has got to).
    public func advance(to done: Int) {
        guard display != nil else { return }
        lock.withLock { self.done = max(self.done, done) }
        show(force: false)
    }

    /// Steps done so far (counted only while a display is installed).
    public var completed: Int { lock.withLock { done } }

    /// The work is over: the line is cleared.
    public func finish() {
        guard display != nil || Self.timings else { return }
        let first = lock.withLock { () -> Bool in
            defer { finished = true }
            return !finished
        }
        guard first else { return }
        if Self.timings {
            let line = String(format: "doorstep timing: %8.3f s  %@\n", (ContinuousClock.now - started).seconds, task)
            FileHandle.standardError.write(Data(line.utf8))
        }
        display?.clear()
    }

    /// Runs `body` as `task`, finishing the progress however it ends.
    public static func run<T>(_ task: String, total: Int? = nil, unit: String = "", _ body: (WorkProgress) throws -> T) rethrows -> T {
        let progress = begin(task, total: total, unit: unit)
        defer { progress.finish() }
        return try body(progress)
    }

    /// With `DOORSTEP_TIMINGS=1` in the environment, every piece of work writes its time to standard error when it
    /// finishes (`doorstep timing:   1.234 s  walking network: building it from the ways`): where a long run goes.
    public static let timings = ProcessInfo.processInfo.environment["DOORSTEP_TIMINGS"] == "1"

    /// Where progress is shown in this process; nil (the default, the server's) shows nothing. Set once, before work.
    public nonisolated(unsafe) static var display: (any ProgressDisplay)?

    private func show(force: Bool) {
        guard let display else { return }
        let now = ContinuousClock.now
        let state: ProgressState? = lock.withLock {
            if finished { return nil }
            if !force, let lastShown, now - lastShown < Self.redrawInterval { return nil }
            lastShown = now
            return ProgressState(task: task, done: done, total: total, unit: unit, elapsed: now - started)
        }
        if let state { display.show(state) }
    }
}

/// What a progress line shows at one moment.
public struct ProgressState: Sendable, Equatable {
    public let task: String
    public let done: Int
    public let total: Int?
    public let unit: String
    public let elapsed: Duration

    public init(task: String, done: Int, total: Int?, unit: String, elapsed: Duration) {
        self.task = task
        self.done = done
        self.total = total
        self.unit = unit
        self.elapsed = elapsed
    }

    /// Steps per second so far (nil before a step or a tenth of a second).
    public var rate: Double? {
        let seconds = elapsed.seconds
        guard done > 0, seconds >= 0.1 else { return nil }
        return Double(done) / seconds
    }

    /// Seconds left at the rate so far (nil without a total or a rate).
    public var secondsLeft: Double? {
        guard let total, let rate, rate > 0 else { return nil }
        return Double(max(0, total - done)) / rate
    }

    /// The line: `coverage: walking from compounds 1200/5000 compounds (24%), 830/s, ETA 5s`.
    public var line: String {
        if total == nil && done == 0 { return task + " …" }
        var text = task + " " + String(done)
        if let total { text += "/\(total)" }
        if !unit.isEmpty { text += " " + unit }
        if let total, total > 0 { text += " (\(min(100, done * 100 / total))%)" }
        if let rate { text += ", " + Self.rateText(rate) + "/s" }
        if let left = secondsLeft { text += ", ETA " + Self.durationText(left) }
        return text
    }

    static func rateText(_ rate: Double) -> String {
        rate >= 100 ? String(Int(rate.rounded())) : String(format: "%.1f", rate)
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func durationText(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}

/// Where progress lines go (the CLI's terminal line).
public protocol ProgressDisplay: AnyObject, Sendable {
    /// Shows `state`, replacing what was shown.
    func show(_ state: ProgressState)
    /// Removes the line.
    func clear()
}
