/// A way pedestrians may use, as the walking graph is built from it: its id, its lines (the parts of a LineString or
/// MultiLineString), the level it is on, and whether it is a connector `doorstep network mend` added.
public struct WalkableWay: Sendable {
    public var id: String
    public var lines: [[Coordinate]]
    public var level: WayLevel
    /// A connector added by `network mend` (`ways.mended`): each end of its lines that lies on another way's line
    /// splits that line there, so the connector joins it (WalkGraph).
    public var mended: Bool

    public init(id: String, lines: [[Coordinate]], level: WayLevel = .ground, mended: Bool = false) {
        self.id = id
        self.lines = lines
        self.level = level
        self.mended = mended
    }

    /// The rule that keeps a way out of the walking network, as the stores' SQL says it (on the `foot` column) and as
    /// Swift says it (on a value about to be stored): `foot=no`, whatever the case, with spaces around. SQL's `trim`
    /// takes only spaces and SQLite's `lower` only ASCII letters; PostgreSQL's `lower` takes every letter, but no
    /// other letter lowers to an ASCII `n` or `o`, so the two stores and `isClosedToPedestrians` agree on every value
    /// (`GraphImageTests` checks hostile ones on both).
    public static let closedSQL = "lower(trim(foot)) = 'no'"
    public static let walkableSQL = "(foot IS NULL OR lower(trim(foot)) <> 'no')"

    public static func isClosedToPedestrians(foot: String?) -> Bool {
        guard let foot else { return false }
        let bytes = Array(foot.utf8)
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }), let last = bytes.lastIndex(where: { $0 != 0x20 }),
              last - first == 1 else { return false }
        return bytes[first] | 0x20 == UInt8(ascii: "n") && bytes[last] | 0x20 == UInt8(ascii: "o")
    }
}

/// The level a way is on, from OpenStreetMap's `bridge`, `tunnel` and `layer` tags (the ways layer keeps them): two
/// ways on different levels that cross pass over or under each other and must not be joined there.
///
/// `bridge` and `tunnel` count when given with any value but `no` (`tunnel=building_passage`, a passage through a
/// building at street level, and `tunnel=culvert`, water under the way, do not make a tunnel); `layer` is a whole
/// number (anything else, or nothing, is 0, as OSM reads it).
public struct WayLevel: Hashable, Sendable, CustomStringConvertible {
    public let layer: Int
    public let bridge: Bool
    public let tunnel: Bool

    public static let ground = WayLevel(layer: 0, bridge: false, tunnel: false)

    public init(layer: Int, bridge: Bool, tunnel: Bool) {
        self.layer = layer
        self.bridge = bridge
        self.tunnel = tunnel
    }

    /// The level of a way from its stored tags.
    public init(bridge: String?, tunnel: String?, layer: String?) {
        func said(_ value: String?, except: Set<String> = []) -> Bool {
            guard let v = value?.trimmed.lowercased(), !v.isEmpty else { return false }
            return v != "no" && !except.contains(v)
        }
        self.bridge = said(bridge)
        self.tunnel = said(tunnel, except: ["building_passage", "culvert"])
        self.layer = layer.flatMap { Int($0.trimmed) } ?? 0
    }

    /// On the ground: no bridge, no tunnel, layer 0.
    public var isGround: Bool { self == .ground }

    public var description: String {
        var parts = [String]()
        if bridge { parts.append("bridge") }
        if tunnel { parts.append("tunnel") }
        if layer != 0 || parts.isEmpty { parts.append("layer \(layer)") }
        return parts.joined(separator: ", ")
    }
}

/// Ways as the walking graph reads them, flat: every line's points in one array, so a province's ten million ways
/// cost a few arrays, not two allocations each. Way `w` is `ids[w]`, `levels[w]`, `mended[w]`; line `l` belongs to
/// way `lineWay[l]` and its points are `coordinates[lineStart[l] ..< lineStart[l + 1]]`. Ways' lines are in way
/// order, so a way's lines are consecutive.
public struct WayLines: Sendable {
    public private(set) var ids: [String] = []
    public private(set) var levels = WayLevels()
    public private(set) var mended: [Bool] = []
    public private(set) var lineWay: [Int32] = []
    public private(set) var lineStart: [Int] = [0]
    public private(set) var coordinates: [Coordinate] = []

    public init() {}

    public init(_ ways: [WalkableWay]) {
        for way in ways {
            append(id: way.id, level: way.level, mended: way.mended)
            for line in way.lines { appendLine(line) }
        }
    }

    public var count: Int { ids.count }
    public var lineCount: Int { lineWay.count }

    /// Starts a way; its lines follow with `appendLine`.
    public mutating func append(id: String, level: WayLevel, mended: Bool) {
        ids.append(id)
        levels.append(level)
        self.mended.append(mended)
    }

    /// Adds a line to the last way.
    public mutating func appendLine<C: Collection>(_ points: C) where C.Element == Coordinate {
        precondition(!ids.isEmpty, "a line needs a way")
        coordinates.append(contentsOf: points)
        lineWay.append(Int32(ids.count - 1))
        lineStart.append(coordinates.count)
    }

    /// Makes room for `ways` ways and `points` points in all.
    public mutating func reserve(ways: Int, points: Int) {
        ids.reserveCapacity(ways); levels.reserveCapacity(ways); mended.reserveCapacity(ways)
        lineWay.reserveCapacity(ways); lineStart.reserveCapacity(ways + 1); coordinates.reserveCapacity(points)
    }

    public func line(_ l: Int) -> ArraySlice<Coordinate> { coordinates[lineStart[l]..<lineStart[l + 1]] }

    /// Appends `other`'s ways after these: a layer read in pieces, joined in order.
    public mutating func append(contentsOf other: WayLines) {
        let wayBase = Int32(ids.count), pointBase = coordinates.count
        ids += other.ids
        levels.append(contentsOf: other.levels)
        mended += other.mended
        lineWay += other.lineWay.lazy.map { $0 + wayBase }
        lineStart += other.lineStart.dropFirst().lazy.map { $0 + pointBase }
        coordinates += other.coordinates
    }

    /// The ways one by one (for the few that need them so: mending's barriers, tests).
    public var ways: [WalkableWay] {
        var out = ids.indices.map { WalkableWay(id: ids[$0], lines: [], level: levels[$0], mended: mended[$0]) }
        for l in 0..<lineCount { out[Int(lineWay[l])].lines.append(Array(line(l))) }
        return out
    }
}

/// The levels of many ways, compact: each way's level is an index into the few distinct levels there are (a province's
/// ten million ways hold four bytes each, not sixteen).
public struct WayLevels: RandomAccessCollection, Sendable {
    private var distinct: [WayLevel] = []
    private var lookup: [WayLevel: Int32] = [:]
    private var index: [Int32] = []

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { index.count }
    public subscript(i: Int) -> WayLevel { distinct[Int(index[i])] }

    public mutating func append(_ level: WayLevel) {
        if let i = lookup[level] { index.append(i); return }
        let i = Int32(distinct.count)
        distinct.append(level)
        lookup[level] = i
        index.append(i)
    }

    public mutating func reserveCapacity(_ n: Int) { index.reserveCapacity(n) }

    /// The distinct levels, and each way's position among them: the two halves `init(distinct:index:)` takes back
    /// (the walking graph's stored image keeps them so).
    public var distinctLevels: [WayLevel] { distinct }
    public var levelIndex: [Int32] { index }

    /// Levels from their two halves; nil when a position is outside `distinct` or a level repeats.
    public init?(distinct: [WayLevel], index: [Int32]) {
        var lookup = [WayLevel: Int32]()
        for (i, level) in distinct.enumerated() {
            guard lookup.updateValue(Int32(i), forKey: level) == nil else { return nil }
        }
        guard !index.contains(where: { $0 < 0 || Int($0) >= distinct.count }) else { return nil }
        self.distinct = distinct
        self.lookup = lookup
        self.index = index
    }

    /// Appends `other`'s levels: its few distinct levels looked up once, not once per way.
    public mutating func append(contentsOf other: WayLevels) {
        let mine = other.distinct.map { level -> Int32 in
            if let i = lookup[level] { return i }
            let i = Int32(distinct.count)
            distinct.append(level)
            lookup[level] = i
            return i
        }
        index += other.index.lazy.map { mine[Int($0)] }
    }
}
