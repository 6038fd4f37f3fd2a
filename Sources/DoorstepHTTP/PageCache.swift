import Foundation

/// Rendered features pages of one generation, so a page asked for again is not read and written again.
///
/// A generation never changes, so neither does its page for a given collection, bbox, limit, offset and link base;
/// map tools ask for the same pages over and over (GDAL reads the first page several times when it opens a layer,
/// QGIS again on every redraw). Lives in a `DataSnapshot`: a new generation starts with an empty cache. A page is
/// kept as two parts around the place of its `timeStamp`, which every response writes anew.
///
/// Bounded by bytes (`capacity`, 0 turns it off) and evicted oldest first. `@unchecked Sendable` is safe because
/// `pages`, `order`, `first`, `bytes` and `stored` are read and written only with `lock` held; the stored parts are
/// immutable arrays.
public final class PageCache: @unchecked Sendable {
    /// A kept page: `head`, then the response's own `timeStamp` value, then `tail`.
    public struct Page: Sendable {
        public let head: [UInt8]
        public let tail: [UInt8]

        public init(head: [UInt8], tail: [UInt8]) {
            self.head = head
            self.tail = tail
        }

        var count: Int { head.count + tail.count }
    }

    /// Total bytes of pages kept at most.
    public let capacity: Int
    /// A single page larger than this is not kept (it would push out many small ones).
    private var maxPage: Int { capacity / 8 }
    private let lock = NSLock()
    private var pages: [String: (page: Page, serial: Int)] = [:]
    /// Keys in the order they were stored, with the serial of that storing (a key stored again after its eviction
    /// appears twice; only the entry with the current serial evicts it).
    private var order: [(key: String, serial: Int)] = []
    private var first = 0
    private var bytes = 0
    private var stored = 0

    public static let defaultCapacity = 32 << 20

    public init(capacity: Int = PageCache.defaultCapacity) { self.capacity = max(0, capacity) }

    /// The page stored under `key`, or nil.
    public func page(_ key: String) -> Page? {
        guard capacity > 0 else { return nil }
        return lock.withLock { pages[key]?.page }
    }

    /// Keeps `page` under `key`, evicting the oldest pages when over capacity.
    public func store(_ key: String, _ page: Page) {
        guard capacity > 0, page.count <= maxPage else { return }
        lock.withLock {
            guard pages[key] == nil else { return }
            stored += 1
            pages[key] = (page, stored)
            order.append((key, stored))
            bytes += page.count
            while bytes > capacity, first < order.count {
                let (old, serial) = order[first]
                if let kept = pages[old], kept.serial == serial {
                    pages[old] = nil
                    bytes -= kept.page.count
                }
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
