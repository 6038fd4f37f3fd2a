#if canImport(Glibc)
import Glibc
#endif
import DoorstepGeo
import Foundation
import HTTPTypes

/// Where the analysis routes (`/v1/coverage`, `/v1/gaps`, `/v1/areas`, `/v1/plan` and the analysis collections) do
/// their work: a few threads of their own, never Swift's cooperative pool, so `/v1/nearest`, features pages, the web
/// page and `/health` — which run there — never wait behind them.
///
/// - At most `workers` analyses run at once (default: the number of cores), at a lower CPU priority (`nice` 10), so a
///   burst of heavy requests takes the cores nobody else wants.
/// - At most `queue` more wait; beyond that a request is refused at once with 503 `busy` and `Retry-After`.
/// - Each request has a `WorkBudget` of `budget` (default 30 s, counted from its arrival, queueing included); the
///   analysis stops at its next checkpoint when the budget runs out (503 `budget_exceeded`), when the client goes away
///   (the connection closes) or when the server shuts down (`cancelAll()`).
///
/// `@unchecked Sendable` is safe because the mutable members (`jobs`, `running`, `budgets`, `started`, `closed`) are
/// only touched with `condition` locked, and a job's continuation is resumed exactly once, by the worker that runs or
/// discards it, or by `submit` when it refuses the job.
public final class AnalysisPool: @unchecked Sendable {
    public struct Options: Sendable {
        /// Analyses running at once.
        public var workers: Int
        /// Analyses waiting for a worker, beyond which requests are refused (503 busy).
        public var queue: Int
        /// Time budget of one analysis request, from its arrival.
        public var budget: Duration

        public init(workers: Int = ProcessInfo.processInfo.activeProcessorCount, queue: Int? = nil, budget: Duration = .seconds(30)) {
            self.workers = max(1, workers)
            self.queue = max(0, queue ?? 2 * max(1, workers))
            self.budget = budget
        }
    }

    /// The pool of the process (`doorstep serve` configures it once, before serving).
    public static let shared = AnalysisPool()

    /// The pool the current request's analysis uses (a router sets it for its requests; default `shared`).
    @TaskLocal public static var current: AnalysisPool = shared

    public private(set) var options: Options
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var running = 0
    private var started = 0
    private var closed = false
    /// Budgets of the jobs queued or running, so shutdown can cancel them all.
    private var budgets: [ObjectIdentifier: WorkBudget] = [:]

    public init(_ options: Options = Options()) {
        self.options = options
    }

    /// Sets the options; threads already started stay (call before serving).
    public func configure(_ options: Options) {
        condition.withLock { self.options = options }
    }

    private struct Job {
        let budget: WorkBudget
        let work: @Sendable () -> Void
        let refuse: @Sendable (any Error) -> Void
    }

    /// Analyses running and waiting now.
    public var load: (running: Int, queued: Int) { condition.withLock { (running, jobs.count) } }

    /// Runs `body` on one of the pool's threads under a fresh `WorkBudget`; throws `APIError` 503 `busy` when the
    /// queue is full, 503 `budget_exceeded` when the budget runs out, and stops the work when the calling task is
    /// cancelled or the client's connection closes.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let budget = WorkBudget(limit: options.budget)
        // The client went away: nobody will read the answer.
        let watch = ClientConnection.watch
        let key = watch?.onGone { budget.cancel() }
        defer { if let watch, let key { watch.cancel(key) } }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                    let job = Job(budget: budget, work: {
                        do {
                            continuation.resume(returning: try budget.run(body))
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }, refuse: { continuation.resume(throwing: $0) })
                    submit(job)
                }
            } onCancel: {
                budget.cancel()
            }
        } catch let stopped as WorkStopped {
            throw Self.error(stopped)
        }
    }

    /// Cancels every queued and running analysis and refuses new ones (server shutdown).
    public func cancelAll() {
        let all = condition.withLock {
            closed = true
            condition.broadcast()
            return Array(budgets.values)
        }
        for b in all { b.cancel() }
    }

    private func submit(_ job: Job) {
        condition.lock()
        if closed {
            condition.unlock()
            job.refuse(APIError(.serviceUnavailable, code: "unavailable", "the server is shutting down"))
            return
        }
        if running + jobs.count >= options.workers + options.queue {
            let (busy, waiting) = (running, jobs.count)
            condition.unlock()
            job.refuse(APIError(.serviceUnavailable, code: "busy",
                                "the server is busy with other analyses (\(busy) running, \(waiting) waiting); try again shortly",
                                headers: [.retryAfter: "2"]))
            return
        }
        jobs.append(job)
        budgets[ObjectIdentifier(job.budget)] = job.budget
        if started < options.workers && started < running + jobs.count {
            started += 1
            let thread = Thread { [self] in work() }
            thread.name = "doorstep-analysis"
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    private func work() {
        #if canImport(Glibc)
        // Lower priority for this thread only (on Linux nice is per thread, and `who` 0 is the calling thread):
        // requests on the other threads come first.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        while true {
            condition.lock()
            while jobs.isEmpty && !closed { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            running += 1
            condition.unlock()
            if let reason = job.budget.stopReason {
                job.refuse(WorkStopped(reason: reason, limit: job.budget.limit))
            } else {
                job.work()
            }
            condition.withLock {
                running -= 1
                budgets[ObjectIdentifier(job.budget)] = nil
            }
        }
    }

    static func error(_ stopped: WorkStopped) -> APIError {
        switch stopped.reason {
        case .time:
            return APIError(.serviceUnavailable, code: "budget_exceeded",
                            "\(stopped.description); ask for less (fewer stations, bands or candidates, a smaller radius), or ask the operator to raise serve --analysis-budget",
                            headers: [.retryAfter: "2"])
        case .cancelled:
            return APIError(.serviceUnavailable, code: "unavailable", "the analysis was cancelled (the server is shutting down or the client left)")
        }
    }
}

/// The connection of the request being handled (set per connection by `DoorstepHTTPChannel`), so long work can stop
/// when its client goes away.
enum ClientConnection {
    @TaskLocal static var watch: ClientWatch?
}
