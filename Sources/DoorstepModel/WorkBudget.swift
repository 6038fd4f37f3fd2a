#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How long one piece of analysis may run, and a way to stop it from outside: the HTTP service gives each analysis
/// request a budget (a time limit; cancelled when the client goes away or the server shuts down), and the long loops
/// of the analysis (service areas per station and band, the planner's candidate reach, greedy, swaps and branch and
/// bound) look at it between steps.
///
/// The budget is *ambient*: `run(_:)` makes it the current thread's budget, and the loops ask `WorkBudget.shouldStop`
/// (cheap: one thread-local read and, when a budget is set, one lock) or `try WorkBudget.checkpoint()`. Code run
/// without a budget — every CLI command — never stops early. A loop that stops early leaves a partial result behind;
/// the next `checkpoint()` (every analysis entry point ends with one) throws `WorkStopped`, so a partial result is
/// never returned as if it were complete.
///
/// `@unchecked Sendable` is safe because the only mutable member, `stopped`, is read and written with `lock` held.
public final class WorkBudget: @unchecked Sendable {
    /// Why work stopped.
    public enum Reason: Sendable, Equatable {
        /// The time limit ran out.
        case time
        /// The work was cancelled (the client went away, the server is shutting down).
        case cancelled
    }

    /// The time limit this budget was made with.
    public let limit: Duration
    private let deadline: ContinuousClock.Instant
    private let lock = NSLock()
    private var stopped: Reason?

    public init(limit: Duration) {
        self.limit = limit
        deadline = ContinuousClock.now.advanced(by: limit)
    }

    /// Stops the work at its next checkpoint.
    public func cancel() {
        lock.withLock { if stopped == nil { stopped = .cancelled } }
    }

    /// Why the work must stop now, or nil while it may go on.
    public var stopReason: Reason? {
        if let reason = lock.withLock({ stopped }) { return reason }
        if ContinuousClock.now >= deadline {
            lock.withLock { if stopped == nil { stopped = .time } }
            return lock.withLock { stopped }
        }
        return nil
    }

    /// Runs `body` with this budget as the current thread's budget.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let previous = pthread_getspecific(Self.key)
        pthread_setspecific(Self.key, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.key, previous) }
        let value = try body()
        try Self.checkpoint()
        return value
    }

    /// The budget of the work running on this thread, if any.
    public static var current: WorkBudget? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<WorkBudget>.fromOpaque(raw).takeUnretainedValue()
    }

    /// True when the current work must stop (no budget: never).
    public static var shouldStop: Bool { current?.stopReason != nil }

    /// Throws `WorkStopped` when the current work must stop.
    public static func checkpoint() throws {
        guard let budget = current, let reason = budget.stopReason else { return }
        throw WorkStopped(reason: reason, limit: budget.limit)
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// Analysis stopped before it finished (`WorkBudget`): out of time, or cancelled.
public struct WorkStopped: Error, CustomStringConvertible, Sendable {
    public let reason: WorkBudget.Reason
    public let limit: Duration

    public init(reason: WorkBudget.Reason, limit: Duration) {
        self.reason = reason
        self.limit = limit
    }

    public var description: String {
        switch reason {
        case .time: return "the analysis ran out of its time budget of \(String(format: "%g", limit.seconds)) s"
        case .cancelled: return "the analysis was cancelled"
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
