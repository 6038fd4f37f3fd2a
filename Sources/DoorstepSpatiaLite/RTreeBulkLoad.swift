import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// Builds a layer's whole spatial index (SQLite R*Tree `idx_<layer>_geom`) at once by writing its shadow tables,
/// instead of inserting entry by entry: SQLite's R*Tree insert re-chooses a subtree and splits nodes for every row,
/// which was 1.0 s of a 2.4 s import of 100,000 points; packing sorted entries into full nodes takes a tenth of that.
///
/// The format is SQLite's (ext/rtree/rtree.c): table `_node(nodeno, data)` holds nodes of a fixed size (the root's
/// blob length; 1228 bytes = 51 cells with SQLite's 4096-byte pages), the root is node 1 and its first two bytes are
/// the tree's depth, every node then holds a 2-byte cell count and cells of a big-endian 64-bit rowid (the entry's
/// id in a leaf, the child's node number above) followed by xmin, xmax, ymin, ymax as big-endian 32-bit floats,
/// rounded outwards from the doubles exactly as rtree.c's `rtreeValueDown`/`rtreeValueUp` do. `_rowid(rowid, nodeno)`
/// names each entry's leaf, `_parent(nodeno, parentnode)` each non-root node's parent. `SELECT rtreecheck(…)` (SQLite's
/// own consistency check) passes on what this writes; the tests run it.
package struct RTreeBulkLoad {
    package struct Entry {
        package var id: Int64
        package var minX, maxX, minY, maxY: Double
    }

    /// Replaces the whole content of the R*Tree `table` with `entries`, packed in the given order (callers sort them
    /// spatially: consecutive entries share leaves). Runs inside the caller's transaction.
    package static func replace(_ table: String, in db: Database, with entries: [Entry]) throws {
        let nodeSize = Int(try db.scalarInt("SELECT length(data) FROM \"\(table)_node\" WHERE nodeno = 1") ?? 0)
        let cellSize = 8 + 4 * 4
        let capacity = (nodeSize - 4) / cellSize
        guard capacity >= 2 else {
            throw DatabaseError(code: 0, message: "\(table): unexpected R*Tree node size \(nodeSize)")
        }
        try db.execute("DELETE FROM \"\(table)_node\"; DELETE FROM \"\(table)_rowid\"; DELETE FROM \"\(table)_parent\"")
        let insertNode = try db.prepare("INSERT INTO \"\(table)_node\"(nodeno, data) VALUES(?, ?)")
        let insertRowid = try db.prepare("INSERT INTO \"\(table)_rowid\"(rowid, nodeno) VALUES(?, ?)")
        let insertParent = try db.prepare("INSERT INTO \"\(table)_parent\"(nodeno, parentnode) VALUES(?, ?)")

        /// A cell as stored: id and the float box.
        struct Cell { var id: Int64; var minX, maxX, minY, maxY: Float }
        var level = entries.map {
            Cell(id: $0.id, minX: down($0.minX), maxX: up($0.maxX), minY: down($0.minY), maxY: up($0.maxY))
        }
        var nextNode: Int64 = 2
        var depth = 0
        func blob(_ cells: ArraySlice<Cell>, depth: Int?) -> [UInt8] {
            var data = [UInt8](repeating: 0, count: nodeSize)
            if let depth { data[0] = UInt8(depth >> 8); data[1] = UInt8(depth & 0xFF) }
            data[2] = UInt8(cells.count >> 8); data[3] = UInt8(cells.count & 0xFF)
            var at = 4
            func put(_ v: UInt64, _ bytes: Int) {
                for k in 0..<bytes { data[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(bytes - 1 - k))) }
                at += bytes
            }
            for c in cells {
                put(UInt64(bitPattern: c.id), 8)
                for f in [c.minX, c.maxX, c.minY, c.maxY] { put(UInt64(f.bitPattern), 4) }
            }
            return data
        }
        // Leaves, then each level above, until one node's worth is left: that becomes the root, node 1. Nodes are
        // written in node number order; the entries' leaves and the nodes' parents are collected and written in
        // rowid order afterwards (inserting the leaves' rowids in spatial order split B-tree pages all over).
        var leafOf = [(id: Int64, node: Int64)]()
        leafOf.reserveCapacity(level.count)
        var parentOf = [(id: Int64, node: Int64)]()
        func noteChildren(_ cells: ArraySlice<Cell>, of node: Int64) {
            for c in cells {
                if depth == 0 { leafOf.append((c.id, node)) } else { parentOf.append((c.id, node)) }
            }
        }
        func write(_ node: Int64, _ data: [UInt8]) throws {
            try data.withUnsafeBytes { bytes in
                insertNode.reset()
                try insertNode.bind(.int(node), at: 1)
                try insertNode.bindBlobUntilReset(bytes, at: 2)
                defer { insertNode.reset() }
                try insertNode.step()
            }
        }
        while level.count > capacity {
            var parents = [Cell]()
            parents.reserveCapacity(level.count / capacity + 1)
            var start = level.startIndex
            while start < level.endIndex {
                let cells = level[start..<min(start + capacity, level.endIndex)]
                let node = nextNode
                nextNode += 1
                try write(node, blob(cells, depth: nil))
                noteChildren(cells, of: node)
                var box = cells.first!
                for c in cells.dropFirst() {
                    box.minX = min(box.minX, c.minX); box.maxX = max(box.maxX, c.maxX)
                    box.minY = min(box.minY, c.minY); box.maxY = max(box.maxY, c.maxY)
                }
                box.id = node
                parents.append(box)
                start += capacity
            }
            level = parents
            depth += 1
        }
        try write(1, blob(level[...], depth: depth))
        noteChildren(level[...], of: 1)
        for (statement, pairs) in [(insertRowid, leafOf), (insertParent, parentOf)] {
            for pair in pairs.sorted(by: { $0.id < $1.id }) {
                statement.reset()
                try statement.bind(.int(pair.id), at: 1)
                try statement.bind(.int(pair.node), at: 2)
                try statement.step()
            }
            statement.reset()
        }
    }

    /// rtree.c's rounding of a lower bound to a float: never above the double.
    package static func down(_ d: Double) -> Float {
        var f = Float(d)
        if Double(f) > d { f = Float(d * (d < 0 ? 1.0 + 1.0 / 8_388_608.0 : 1.0 - 1.0 / 8_388_608.0)) }
        return f
    }

    /// rtree.c's rounding of an upper bound to a float: never below the double.
    package static func up(_ d: Double) -> Float {
        var f = Float(d)
        if Double(f) < d { f = Float(d * (d < 0 ? 1.0 - 1.0 / 8_388_608.0 : 1.0 + 1.0 / 8_388_608.0)) }
        return f
    }
}
