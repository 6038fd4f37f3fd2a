import Foundation

/// Independent pieces of work on the cores: `count` items, each made by `body(&state, index)` with a per-thread
/// `state` (a search's scratch arrays) made once per thread by `makeState`. Results come back in index order, whatever
/// thread made them.
///
/// - **The caller works too**, with helper threads beside it. Helpers are a process-wide allowance of one fewer than
///   the cores: a call takes what is free, so several analyses at once (the server's pool) never run more threads
///   than their own plus that allowance, and a call that finds none free runs on its caller alone.
/// - **Budgets**: the caller's `WorkBudget` holds on every thread; once it stops, no further chunk is handed out and
///   the call throws `WorkStopped` (as `WorkBudget.checkpoint()` does) instead of returning a partial answer.
/// - Threads take items in small chunks from a shared counter, so an uneven item does not leave a core idle.
public enum ParallelMap {
    public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// `budgeted: false` is for work whose result is kept whatever the request that caused it (a walking graph, a
    /// snapping index): it runs to its end even when the caller's budget stops, and never throws.
    public static func map<State, T>(count: Int, threads: Int = cores, chunk: Int = 64, budgeted: Bool = true,
                                     makeState: @escaping () -> State, _ body: @escaping (inout State, Int) -> T) throws -> [T] {
        let wanted = max(1, min(threads, (count + chunk - 1) / max(1, chunk)))
        let helpers = wanted > 1 ? Allowance.shared.take(wanted - 1) : 0
        defer { Allowance.shared.give(helpers) }
        let budget = budgeted ? WorkBudget.current : nil
        // The results are made in place in the array's own storage (a city's million results are never held twice);
        // each thread writes only the slots of the chunks it took, and the storage outlives them (`group.wait()`).
        return try [T](unsafeUninitializedCapacity: count) { results, initialized in
            let shared = Shared(body: body, makeState: makeState, results: results, budget: budget, chunk: max(1, chunk))
            let group = DispatchGroup()
            for _ in 0..<helpers {
                group.enter()
                let thread = Thread {
                    if let budget { _ = try? budget.run(shared.work) } else { shared.work() }
                    group.leave()
                }
                thread.stackSize = 1 << 22
                thread.start()
            }
            shared.work()
            group.wait()
            do {
                if budgeted { try WorkBudget.checkpoint() }
            } catch {
                shared.deinitializeDone()
                initialized = 0
                throw error
            }
            guard shared.allDone else {
                // Only a stopped budget leaves chunks undone: the ones made go, and the checkpoint says why.
                shared.deinitializeDone()
                initialized = 0
                try WorkBudget.checkpoint()
                throw WorkStopped(reason: .cancelled, limit: budget?.limit ?? .zero)
            }
            initialized = count
        }
    }

    /// Helper threads free in the process: one fewer than the cores.
    private final class Allowance: @unchecked Sendable {
        static let shared = Allowance(ProcessInfo.processInfo.activeProcessorCount - 1)
        private let lock = NSLock()
        private var free: Int

        init(_ free: Int) { self.free = max(0, free) }

        func take(_ wanted: Int) -> Int { lock.withLock { let n = min(wanted, free); free -= n; return n } }
        func give(_ n: Int) { lock.withLock { free += n } }
    }

    /// The closures, the result buffer and the next chunk, shared by the threads of one call. `@unchecked Sendable`:
    /// `next` and `done` are used with `lock` held; each result slot is written by the one thread that took its chunk.
    private final class Shared<State, T>: @unchecked Sendable {
        let body: (inout State, Int) -> T
        let makeState: () -> State
        let results: UnsafeMutableBufferPointer<T>
        let budget: WorkBudget?
        let chunk: Int
        private let lock = NSLock()
        private var next = 0
        /// The chunks made, by their start.
        private var done: [Range<Int>] = []

        init(body: @escaping (inout State, Int) -> T, makeState: @escaping () -> State, results: UnsafeMutableBufferPointer<T>,
             budget: WorkBudget?, chunk: Int) {
            self.chunk = chunk
            self.body = body
            self.makeState = makeState
            self.results = results
            self.budget = budget
        }

        func work() {
            var state: State?
            while let range = take() {
                if state == nil { state = makeState() }
                for i in range { (results.baseAddress! + i).initialize(to: body(&state!, i)) }
                lock.withLock { done.append(range) }
            }
        }

        /// Every slot made (after the threads are done).
        var allDone: Bool { lock.withLock { done.reduce(0) { $0 + $1.count } == results.count } }

        /// Releases the results made (after the threads are done), when the call gives up.
        func deinitializeDone() {
            lock.withLock { for range in done { (results.baseAddress! + range.lowerBound).deinitialize(count: range.count) } }
        }

        /// The next chunk, none once all are taken or the budget has stopped.
        private func take() -> Range<Int>? {
            if budget?.stopReason != nil { return nil }
            return lock.withLock {
                guard next < results.count else { return nil }
                let start = next
                next = min(results.count, next + chunk)
                return start..<next
            }
        }
    }
}
