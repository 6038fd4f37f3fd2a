import Foundation

/// Rendered features pages of one generation, so a page asked for again is not read and written again.
///
/// A generation never changes, so neither does its page for a given collection, bbox, limit, offset and link base;
/// map tools ask for the same pages over and over (GDAL reads the first page several times when it opens a layer,
/// QGIS again on every redraw). Lives in a `DataSnapshot`: a new generation starts with an empty cache.
///
/// Bounded by bytes (`capacity`, 0 turns it off) and evicted oldest first. `@unchecked Sendable` is safe because
/// `pages`, `order` and `bytes` are read and written only with `lock` held; the stored bodies are immutable arrays.
public final class PageCache: @unchecked Sendable {
    /// Total bytes of bodies kept at most.
    public let capacity: Int
    /// A single page larger than this is not kept (it would push out many small ones).
    private var maxPage: Int { capacity / 8 }
    private let lock = NSLock()
    private var pages: [String: [UInt8]] = [:]
    private var order: [String] = []
    private var first = 0
    private var bytes = 0

    public static let defaultCapacity = 32 << 20

    public init(capacity: Int = PageCache.defaultCapacity) { self.capacity = max(0, capacity) }

    /// The page stored under `key`, or nil.
    public func page(_ key: String) -> [UInt8]? {
        guard capacity > 0 else { return nil }
        return lock.withLock { pages[key] }
    }

    /// Keeps `body` under `key`, evicting the oldest pages when over capacity.
    public func store(_ key: String, _ body: [UInt8]) {
        guard capacity > 0, body.count <= maxPage else { return }
        lock.withLock {
            guard pages[key] == nil else { return }
            pages[key] = body
            order.append(key)
            bytes += body.count
            while bytes > capacity, first < order.count {
                if let old = pages.removeValue(forKey: order[first]) { bytes -= old.count }
                first += 1
            }
            if first > 1024 && first * 2 > order.count { // drop evicted keys now and then, not on every eviction
                order.removeFirst(first)
                first = 0
            }
        }
    }

    /// Pages and bytes kept (tests, `/health`).
    public var usage: (pages: Int, bytes: Int) { lock.withLock { (pages.count, bytes) } }
}
