import DoorstepModel

/// The walking graph as bytes, for the store to keep beside the ways it was built from (`StoreWriter.storeGraphImage`):
/// a walking analysis loads it in a second or two instead of reading and noding the ways (15–20 s for a province of
/// 10⁷ edges). The graph it gives back is the one written, array for array.
///
/// Layout (native little-endian): "DSWALKG1", the format version and seven counts as UInt64, then the graph's arrays
/// as they lie in memory, in the order `writeImage` writes them, then a checksum of all of them. What is quickly made
/// again is left out: the incidence lists (`WalkGraph.incidence`), and the first and last vertex of every edge (its
/// nodes' positions, bit for bit: nodes are positions met exactly). That halves a province's image. The bytes go to
/// the store in parts of `partBytes` (small enough that a part is no large allocation to the store).
///
/// An image is the store's cache, never its data: one that does not read back whole (a part missing, a count that
/// disagrees, a checksum that does not match, an index out of range) is refused with a `GraphImageProblem`, and the
/// graph is built from the ways as if there were none.
extension WalkGraph {
    static let imageMagic = Array("DSWALKG1".utf8)
    /// Changes whenever the layout or the way the graph is built from the ways changes: an image of another version is
    /// refused (and built again by the next walking command that may write).
    static let imageVersion: UInt64 = 2
    public static let imagePartBytes = 4 << 20

    /// Writes the image in parts of `partBytes` to `emit` (each part valid only during the call).
    public func writeImage(partBytes: Int = WalkGraph.imagePartBytes, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var idOffsets = [Int32](), idBytes = [UInt8]()
        idOffsets.reserveCapacity(wayIDs.count + 1)
        idOffsets.append(0)
        for id in wayIDs {
            idBytes.append(contentsOf: id.utf8)
            guard idBytes.count <= Int(Int32.max) else { throw GraphImageProblem("the way ids take more than 2 GB") }
            idOffsets.append(Int32(idBytes.count))
        }
        var levels = [Int64]()
        for level in wayLevels.distinctLevels { levels += [Int64(level.layer), level.bridge ? 1 : 0, level.tunnel ? 1 : 0] }
        let mended = wayMended.map { UInt8($0 ? 1 : 0) }
        var interior = [Coordinate]()
        interior.reserveCapacity(vertices.count - 2 * edgeCount)
        for e in 0..<edgeCount {
            let first = Int(vertexStart[e]), last = Int(vertexStart[e + 1]) - 1
            guard WalkGraph.same(vertices[first], nodes[Int(edgeSource[e])]), WalkGraph.same(vertices[last], nodes[Int(edgeTarget[e])]) else {
                throw GraphImageProblem("edge \(e) does not start and end at its nodes' positions")
            }
            interior.append(contentsOf: vertices[(first + 1)..<last])
        }
        var out = PartWriter(partBytes: partBytes)
        defer { out.release() }
        var checksum = ImageChecksum()
        let counts: [UInt64] = [WalkGraph.imageVersion, UInt64(nodes.count), UInt64(edgeCount), UInt64(wayIDs.count),
                                UInt64(vertices.count), UInt64(componentSizes.count), UInt64(wayLevels.distinctLevels.count),
                                UInt64(idBytes.count)]
        try WalkGraph.imageMagic.withUnsafeBytes { try out.write($0, to: emit) }
        func section<T>(_ array: [T]) throws {
            try array.withUnsafeBytes { bytes in
                checksum.add(bytes)
                try out.write(bytes, to: emit)
            }
        }
        try section(counts)
        try section(nodes)
        try section(edgeSource)
        try section(edgeTarget)
        try section(edgeLength)
        try section(edgeWay)
        try section(idOffsets)
        try section(idBytes)
        try section(levels)
        try section(wayLevels.levelIndex)
        try section(mended)
        try section(vertexStart)
        try section(interior)
        try section(component)
        try section(componentSizes.map(Int64.init))
        try [checksum.value].withUnsafeBytes { try out.write($0, to: emit) }
        try out.flush(to: emit)
    }

    /// Reads an image back from its parts, pulled in order (`nextPart` returns nil after the last).
    public init(image nextPart: () throws -> UnsafeRawBufferPointer?) throws {
        var input = PartReader()
        var magic = [UInt8](repeating: 0, count: 8)
        try magic.withUnsafeMutableBytes { try input.fill($0, from: nextPart) }
        guard magic == WalkGraph.imageMagic else { throw GraphImageProblem("not a walking graph image") }
        var checksum = ImageChecksum()
        func section<T: BitwiseCopyable>(_ type: T.Type, _ count: Int) throws -> [T] {
            guard count >= 0, count <= Int(Int32.max) else { throw GraphImageProblem("a count of \(count) is out of range") }
            let array = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                try input.fill(UnsafeMutableRawBufferPointer(buffer), from: nextPart)
                initialized = count
            }
            array.withUnsafeBytes { checksum.add($0) }
            return array
        }
        let counts = try section(UInt64.self, 8)
        guard counts[0] == WalkGraph.imageVersion else { throw GraphImageProblem("image version \(counts[0]), this doorstep reads \(WalkGraph.imageVersion)") }
        guard counts.dropFirst().allSatisfy({ $0 <= UInt64(Int32.max) }) else { throw GraphImageProblem("a count is out of range") }
        let n = counts.map { Int($0) }
        let (nodeCount, edgeCount, wayCount, vertexCount, componentCount, levelCount, idByteCount) = (n[1], n[2], n[3], n[4], n[5], n[6], n[7])
        guard vertexCount >= 2 * edgeCount else { throw GraphImageProblem("fewer vertices than edge ends") }
        let nodes = try section(Coordinate.self, nodeCount)
        let edgeSource = try section(Int32.self, edgeCount)
        let edgeTarget = try section(Int32.self, edgeCount)
        let edgeLength = try section(Double.self, edgeCount)
        let edgeWay = try section(Int32.self, edgeCount)
        let idOffsets = try section(Int32.self, wayCount + 1)
        let idBytes = try section(UInt8.self, idByteCount)
        let levels = try section(Int64.self, 3 * levelCount)
        let levelIndex = try section(Int32.self, wayCount)
        let mended = try section(UInt8.self, wayCount)
        let vertexStart = try section(Int32.self, edgeCount + 1)
        let interior = try section(Coordinate.self, vertexCount - 2 * edgeCount)
        let component = try section(Int32.self, nodeCount)
        let componentSizes = try section(Int64.self, componentCount)
        var stored: UInt64 = 0
        try withUnsafeMutableBytes(of: &stored) { try input.fill($0, from: nextPart) }
        guard stored == checksum.value else { throw GraphImageProblem("its checksum does not match (damaged)") }
        guard input.atEnd, try nextPart() == nil else { throw GraphImageProblem("bytes after the end of the image") }

        // What the search and snapping rely on, checked once: every index in range, every run within its array.
        func within(_ array: [Int32], _ bound: Int, _ what: String) throws {
            guard !array.contains(where: { $0 < 0 || Int($0) >= bound }) else { throw GraphImageProblem("\(what) out of range") }
        }
        func runs(_ starts: [Int32], end: Int, _ what: String) throws {
            guard starts.first == 0, Int(starts.last!) == end, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw GraphImageProblem("\(what) do not cover their array")
            }
        }
        try within(edgeSource, nodeCount, "edge sources")
        try within(edgeTarget, nodeCount, "edge targets")
        try within(edgeWay, wayCount, "edge ways")
        try within(component, componentCount, "components")
        try runs(idOffsets, end: idByteCount, "way ids")
        try runs(vertexStart, end: vertexCount, "edge vertices")
        guard zip(vertexStart, vertexStart.dropFirst()).allSatisfy({ $1 - $0 >= 2 }) else { throw GraphImageProblem("an edge has fewer than 2 vertices") }
        guard mended.allSatisfy({ $0 <= 1 }), levels.enumerated().allSatisfy({ $0.offset % 3 == 0 || $0.element == 0 || $0.element == 1 }),
              let wayLevels = WayLevels(distinct: stride(from: 0, to: levels.count, by: 3).map {
                  WayLevel(layer: Int(levels[$0]), bridge: levels[$0 + 1] == 1, tunnel: levels[$0 + 2] == 1)
              }, index: levelIndex) else { throw GraphImageProblem("way levels out of range") }

        self.nodes = nodes
        self.edgeSource = edgeSource
        self.edgeTarget = edgeTarget
        self.edgeLength = edgeLength
        self.edgeWay = edgeWay
        self.wayIDs = idBytes.withUnsafeBufferPointer { bytes in
            (0..<wayCount).map { String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(idOffsets[$0])..<Int(idOffsets[$0 + 1])]), as: UTF8.self) }
        }
        self.wayLevels = wayLevels
        self.wayMended = mended.map { $0 == 1 }
        self.vertexStart = vertexStart
        // Each edge's vertices: its source's position, its interior ones, its target's position.
        self.vertices = [Coordinate](unsafeUninitializedCapacity: vertexCount) { out, initialized in
            for e in 0..<edgeCount {
                let first = Int(vertexStart[e]), last = Int(vertexStart[e + 1]) - 1
                out[first] = nodes[Int(edgeSource[e])]
                for v in (first + 1)..<last { out[v] = interior[v - 2 * e - 1] }
                out[last] = nodes[Int(edgeTarget[e])]
            }
            initialized = vertexCount
        }
        let (incidentStart, incident, incidentNode) = WalkGraph.incidence(nodeCount: nodeCount, source: edgeSource, target: edgeTarget)
        self.incidentStart = incidentStart
        self.incident = incident
        self.incidentNode = incidentNode
        self.component = component
        self.componentSizes = componentSizes.map { Int($0) }
    }
}

extension WalkGraph {
    /// The same position, bit for bit.
    static func same(_ a: Coordinate, _ b: Coordinate) -> Bool {
        a.lon.bitPattern == b.lon.bitPattern && a.lat.bitPattern == b.lat.bitPattern
    }
}

/// Why a stored graph image was not used.
public struct GraphImageProblem: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = "the stored walking graph: \(description)" }
}

/// Bytes gathered into parts of a fixed size and handed on as each fills.
private struct PartWriter {
    private let part: UnsafeMutableRawBufferPointer
    private var used = 0

    init(partBytes: Int) {
        part = .allocate(byteCount: max(1, partBytes), alignment: 16)
    }

    func release() { part.deallocate() }

    mutating func write(_ bytes: UnsafeRawBufferPointer, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var from = 0
        while from < bytes.count {
            let n = min(part.count - used, bytes.count - from)
            UnsafeMutableRawBufferPointer(rebasing: part[used..<(used + n)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[from..<(from + n)]))
            used += n
            from += n
            if used == part.count { try flush(to: emit) }
        }
    }

    mutating func flush(to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard used > 0 else { return }
        try emit(UnsafeRawBufferPointer(rebasing: part[0..<used]))
        used = 0
    }
}

/// Bytes pulled from parts in order, whatever their sizes.
private struct PartReader {
    private var part = UnsafeRawBufferPointer(start: nil, count: 0)
    private var offset = 0

    /// True when the part in hand is used up.
    var atEnd: Bool { offset == part.count }

    mutating func fill(_ destination: UnsafeMutableRawBufferPointer, from nextPart: () throws -> UnsafeRawBufferPointer?) throws {
        var to = 0
        while to < destination.count {
            if offset == part.count {
                guard let next = try nextPart() else { throw GraphImageProblem("it ends early (a part is missing)") }
                part = next
                offset = 0
                continue
            }
            let n = min(part.count - offset, destination.count - to)
            UnsafeMutableRawBufferPointer(rebasing: destination[to..<(to + n)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: part[offset..<(offset + n)]))
            offset += n
            to += n
        }
    }
}

/// A 64-bit checksum of the image's sections, each taken whole: four lanes of multiply-rotate over 8-byte words (a
/// gigabyte in a fraction of a second), then the tail and the length. It finds damage, not tampering.
private struct ImageChecksum {
    private(set) var value: UInt64 = 0x243F_6A88_85A3_08D3

    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    @inline(__always) private static func round(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = h &+ w &* p2
        return ((x << 31) | (x >> 33)) &* p1
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var h = (value, value ^ ImageChecksum.p1, value ^ ImageChecksum.p2, value &+ ImageChecksum.p1 &+ ImageChecksum.p2)
        let blocks = bytes.count / 32
        var at = 0
        for _ in 0..<blocks {
            h.0 = ImageChecksum.round(h.0, bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            h.1 = ImageChecksum.round(h.1, bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            h.2 = ImageChecksum.round(h.2, bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))
            h.3 = ImageChecksum.round(h.3, bytes.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))
            at += 32
        }
        var v = ImageChecksum.round(ImageChecksum.round(ImageChecksum.round(h.0, h.1), h.2), h.3)
        while at < bytes.count {
            v = ImageChecksum.round(v, UInt64(bytes[at]))
            at += 1
        }
        value = ImageChecksum.round(v, UInt64(bytes.count))
    }
}
