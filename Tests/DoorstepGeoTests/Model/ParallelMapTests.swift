import DoorstepModel
import Foundation
import XCTest

/// `ParallelMap`: results in index order whatever thread made them, every index exactly once, one state per thread,
/// and the caller's budget on every thread.
final class ParallelMapTests: XCTestCase {
    func testOrderEveryIndexOnceAndStatePerThread() throws {
        let states = Counter()
        for (count, threads, chunk) in [(0, 4, 8), (1, 4, 8), (7, 3, 1), (1000, 2, 64), (1000, 8, 7), (10_000, 5, 64)] {
            states.reset()
            let out = try ParallelMap.map(count: count, threads: threads, chunk: chunk, makeState: { () -> [Int] in states.add(); return [] }) { seen, i -> Int in
                seen.append(i)
                // Uneven work, so threads interleave.
                if i % 97 == 0 { usleep(200) }
                return i * i
            }
            XCTAssertEqual(out, (0..<count).map { $0 * $0 }, "count \(count), threads \(threads)")
            // A state for each thread that took work: the caller and at most one helper fewer than the cores.
            XCTAssertLessThanOrEqual(states.value, min(threads, ParallelMap.cores), "count \(count), threads \(threads)")
            XCTAssertEqual(states.value > 0, count > 0, "count \(count)")
        }
    }

    func testTheCallersBudgetHoldsOnEveryThread() throws {
        let budget = WorkBudget(limit: .seconds(60))
        budget.cancel()
        let stopped = try? budget.run {
            try ParallelMap.map(count: 500, threads: 4, chunk: 10, makeState: { () }) { _, _ in WorkBudget.shouldStop }
        }
        XCTAssertNil(stopped, "a cancelled budget's run throws at its checkpoint")
        let seen = try WorkBudget(limit: .seconds(60)).run {
            try ParallelMap.map(count: 500, threads: 4, chunk: 10, makeState: { () }) { _, _ in WorkBudget.current != nil && !WorkBudget.shouldStop }
        }
        XCTAssertEqual(seen, Array(repeating: true, count: 500), "every thread sees the caller's live budget")
        let none = try ParallelMap.map(count: 500, threads: 4, chunk: 10, makeState: { () }) { _, _ in WorkBudget.current == nil }
        XCTAssertEqual(none, Array(repeating: true, count: 500), "no budget, none on the threads")
    }

    /// Work whose result is kept (a walking graph) runs to its end under a stopped budget.
    func testUnbudgetedWorkFinishesUnderAStoppedBudget() throws {
        let budget = WorkBudget(limit: .seconds(60))
        budget.cancel()
        var out: [Int]?
        _ = try? budget.run {
            out = try ParallelMap.map(count: 5000, threads: 4, chunk: 7, budgeted: false, makeState: { () }) { _, i in i * 3 }
        }
        XCTAssertEqual(out, (0..<5000).map { $0 * 3 }, "every result made, in order, though the caller's budget had stopped")
        // And the results made before a budgeted call stops are released, not leaked or returned.
        let made = Counter()
        let stopping = WorkBudget(limit: .seconds(60))
        let partial = try? stopping.run {
            try ParallelMap.map(count: 10_000, threads: 2, chunk: 5, makeState: { () }) { _, i -> Tracked in
                if i == 500 { stopping.cancel() }
                return Tracked(made)
            }
        }
        XCTAssertNil(partial, "a budget stopped half-way throws")
        XCTAssertEqual(made.value, 0, "every result made before the stop was released")
    }
}

/// Counts itself alive in a counter.
private final class Tracked {
    let counter: Counter
    init(_ counter: Counter) { self.counter = counter; counter.add() }
    deinit { counter.remove() }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    func remove() { lock.withLock { n -= 1 } }
    func reset() { lock.withLock { n = 0 } }
    var value: Int { lock.withLock { n } }
}
