import Foundation

/// Independent pieces of work on as many threads as cores: `count` items, each made by `body(&state, index)` with a
/// per-thread `state` (a search's scratch arrays) made once per thread by `makeState`. Results come back in index
/// order, whatever thread made them. The caller's `WorkBudget` holds on every thread (a stopped budget makes the
/// remaining items whatever `body` returns for it, and the caller's checkpoint discards the result, as on one thread).
/// Threads take items in small chunks from a shared counter, so an uneven item does not leave a core idle.
/// One thread, or few items, runs inline.
public enum ParallelMap {
    public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    public static func map<State, T>(count: Int, threads: Int = cores, chunk: Int = 64, makeState: @escaping () -> State,
                                     _ body: @escaping (inout State, Int) -> T) -> [T] {
        let workers = max(1, min(threads, (count + chunk - 1) / max(1, chunk)))
        guard workers > 1 else {
            var state = makeState()
            return (0..<count).map { body(&state, $0) }
        }
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let next = NextIndex()
        let budget = WorkBudget.current
        // Each thread writes only the results of the indices it took; the buffer outlives them (`group.wait()`).
        let shared = Shared(body: body, makeState: makeState, results: results)
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                let work = {
                    var state = shared.makeState()
                    while let range = next.take(chunk, of: count) {
                        for i in range { shared.results[i] = shared.body(&state, i) }
                    }
                }
                if let budget { _ = try? budget.run(work) } else { work() }
                group.leave()
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
        group.wait()
        return results.map { $0! }
    }

    /// The closures and the result buffer, handed to the threads. `@unchecked Sendable`: see `map`.
    private final class Shared<State, T>: @unchecked Sendable {
        let body: (inout State, Int) -> T
        let makeState: () -> State
        let results: UnsafeMutableBufferPointer<T?>

        init(body: @escaping (inout State, Int) -> T, makeState: @escaping () -> State, results: UnsafeMutableBufferPointer<T?>) {
            self.body = body
            self.makeState = makeState
            self.results = results
        }
    }

    /// The next chunk of indices to take. `@unchecked Sendable`: `value` is used with `lock` held.
    private final class NextIndex: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(_ chunk: Int, of count: Int) -> Range<Int>? {
            lock.withLock {
                guard value < count else { return nil }
                let start = value
                value = min(count, value + chunk)
                return start..<value
            }
        }
    }
}
