import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// What the reading thread of an import learns besides the records: counts, problems, the CRS and encoding found.
///
/// `@unchecked Sendable`: only the reading thread writes it, and the writing thread reads it only after
/// `RecordChannel.next()` has returned nil, which happens after the reader's `close` under the channel's lock — the
/// lock orders every write before every read.
package final class ReadingState: @unchecked Sendable {
    package var features = 0
    package var problems = ProblemLog()
    package var repairs = [ImportProblem]()
    package var crs: InputCRS
    package var encoding: String?
    package var format = ""
    /// The credit the file states for itself (GeoJSON `attribution` or `metadata.attribution`).
    package var attribution: String?
    /// The extent of the database's layers before the import (for the Gauss-Kruger hint), set before reading starts.
    package var reference: BoundingBox?
    /// How many features the file holds, when the reader knows before reading them (GeoJSON's first pass).
    package var expectedFeatures: Int?

    package init(crs: InputCRS) { self.crs = crs }
}

/// A bounded hand-over of checked records from the reading thread to the writing one, in batches.
///
/// `@unchecked Sendable`: `filling` belongs to the reading thread alone (it is handed over, under `condition`, when
/// a batch is flushed); every other field is touched only while holding `condition`.
package final class RecordChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[FeatureRecord]] = []
    private var filling: [FeatureRecord] = []
    /// Batches the writer is done with, let go by the reader: memory goes back on the thread that took it (the writer,
    /// the busier of the two, spent a tenth of its time freeing records it did not allocate).
    private var spent: [[FeatureRecord]] = []
    private var closed = false
    private var cancelled = false
    private var failure: (any Error)?
    /// Batches in flight at most: memory stays bounded however large the file.
    private let capacity = 16
    private let batchSize = 512

    /// Called by the reader; false when the writer has given up (the reader should stop).
    package func push(_ record: FeatureRecord) -> Bool {
        filling.append(record)
        if filling.count < batchSize { return true }
        return flush()
    }

    private func flush() -> Bool {
        var done = [[FeatureRecord]]()
        defer { done = [] } // here, after the lock is let go
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        swap(&done, &spent)
        if cancelled { return false }
        if !filling.isEmpty { batches.append(filling) }
        filling = []
        condition.broadcast()
        return true
    }

    /// Called by the reader when it is done, with the error that stopped it if any.
    package func close(_ error: (any Error)?) {
        _ = flush()
        condition.lock()
        closed = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// Called by the writer: hands back `batch` (done with) and puts the next one there; false at the end; the
    /// reader's error.
    package func next(recycling batch: inout [FeatureRecord]) throws -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !batch.isEmpty && !closed {
            spent.append(batch)
            batch = []
        }
        while batches.isEmpty && !closed { condition.wait() }
        if !batches.isEmpty {
            batch = batches.removeFirst()
            condition.broadcast()
            return true
        }
        batch = []
        if let failure, !(failure is CancellationError) { throw failure }
        return false
    }

    /// Called by the writer when it stops early: releases a reader waiting for room, and waits for it to finish.
    package func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !closed { condition.wait() }
        condition.unlock()
    }
}

extension InputLocation {
    /// Position in the file, to sort problems found by the two threads.
    package var order: Int {
        switch self {
        case .file: return 0
        case .position(let line, _): return line
        case .feature(let index, _): return index
        case .line(let n, _): return n
        case .record(let index, _, _): return index
        }
    }
}

extension ProblemLog {
    /// The problems of both logs in file order, keeping the limit.
    package static func merged(_ a: ProblemLog, _ b: ProblemLog) -> ProblemLog {
        var out = ProblemLog()
        for p in (a.problems + b.problems).sorted(by: { $0.location.order < $1.location.order }) { out.add(p) }
        out.more += a.more + b.more
        return out
    }
}

/// The ids an import has read, each with where it was first (for "duplicate id … (first at …)").
///
/// Compact at province scale (10⁷ records): a location of the import's usual kind — a GeoJSON feature, a CSV line,
/// a GDAL record whose FID is its index plus a fixed offset — that carries the record's own id is kept as one 32-bit
/// number beside the id; any other location (rare) is kept whole on the side. The location given back is the one
/// that was added, exactly.
package struct SeenIDs {
    private enum Kind: Equatable {
        case feature, line
        case record(fidOffset: Int64)
    }
    /// id → index (≥ 0) of a location of `kind` with that id, or −(n + 1) for `others[n]`.
    private var first: [String: Int32] = [:]
    private var kind: Kind?
    private var others: [InputLocation] = []

    package init() {}

    package var isEmpty: Bool { first.isEmpty }

    /// Makes room for `count` ids at once (a province's ten million would otherwise be rehashed twenty times over).
    package mutating func reserve(_ count: Int) { first.reserveCapacity(count) }

    /// Where `id` was seen first; nil when it had not been, and then it is noted as seen at `location`.
    package mutating func firstLocation(of id: String, addingAt location: InputLocation) -> InputLocation? {
        if let code = first[id] { return self.location(code, id: id) }
        first[id] = encode(location, id: id)
        return nil
    }

    private mutating func encode(_ location: InputLocation, id: String) -> Int32 {
        let compact: (Kind, Int)?
        switch location {
        case .feature(let index, let named?) where named == id: compact = (.feature, index)
        case .line(let n, let named?) where named == id: compact = (.line, n)
        case .record(let index, let fid, let named?) where named == id:
            let (offset, overflow) = fid.subtractingReportingOverflow(Int64(index))
            compact = overflow ? nil : (.record(fidOffset: offset), index)
        default: compact = nil
        }
        if let (k, index) = compact, index >= 0, index <= Int(Int32.max), kind == nil || kind == k {
            kind = k
            return Int32(index)
        }
        others.append(location)
        return -Int32(others.count)
    }

    private func location(_ code: Int32, id: String) -> InputLocation {
        if code < 0 { return others[Int(-code) - 1] }
        let index = Int(code)
        switch kind! {
        case .feature: return .feature(index: index, id: id)
        case .line: return .line(index, id: id)
        case .record(let offset): return .record(index: index, fid: Int64(index) + offset, id: id)
        }
    }
}
