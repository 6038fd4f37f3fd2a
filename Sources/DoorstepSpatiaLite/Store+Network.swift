import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import Foundation


extension Store {
    /// The walkable ways (every way but `foot=no`), their parts as lines, with their level and whether they are
    /// connectors of `network mend`, for building the graph.
    public func walkableWayLines() throws -> WayLines {
        try wayLines(where: WalkableWay.walkableSQL)
    }

    public func walkableWayLines(fids: Range<Int>) throws -> WayLines {
        try wayLines(where: "\(WalkableWay.walkableSQL) AND fid >= \(fids.lowerBound) AND fid < \(fids.upperBound)",
                     expected: fids.count)
    }

    public func fidBounds(of layer: Layer) throws -> ClosedRange<Int>? {
        // Two queries: SQLite finds a lone min() or max() of the rowid at one end of the table, both in one query
        // by reading every row (1.8 s for a province's ways).
        try database.read {
            guard let low = try database.scalarInt("SELECT min(fid) FROM \(layer.rawValue)"),
                  let high = try database.scalarInt("SELECT max(fid) FROM \(layer.rawValue)") else { return nil }
            return Int(low)...Int(high)
        }
    }

    /// Ways left out of the network because they carry `foot=no`.
    public func waysClosedToPedestrians() throws -> Int {
        Int(try database.scalarInt("SELECT count(*) FROM ways WHERE \(WalkableWay.closedSQL)") ?? 0)
    }

    /// The ways with `foot=no`, as lines (barriers for mending).
    public func closedWayLines() throws -> WayLines {
        try wayLines(where: WalkableWay.closedSQL)
    }

    /// `expected`: how many ways there are at most (else counted first), to make room once.
    private func wayLines(where condition: String, expected: Int? = nil) throws -> WayLines {
        var out = WayLines()
        try database.read {
            if let n = try expected.map(Int64.init) ?? database.scalarInt("SELECT count(*) FROM ways"), n > 0 {
                out.reserve(ways: Int(n), points: 2 * Int(n))
            }
            try database.prepare("""
                SELECT id, geom, bridge, tunnel, layer, mended FROM ways WHERE \(condition) ORDER BY fid
                """).forEach { row in
                let level = row.isNull(2) && row.isNull(3) && row.isNull(4)
                    ? WayLevel.ground : WayLevel(bridge: row.optionalText(2), tunnel: row.optionalText(3), layer: row.optionalText(4))
                // Most ways are XY LineStrings or MultiLineStrings in little-endian BLOBs: their points go straight
                // into the flat arrays; anything else through the general reader.
                let id = row.text(0), mended = row.optionalInt(5) == 1
                let flat = row.withBlob(1) { blob -> Bool in
                    guard let parts = Geometry.spatiaLiteLineParts(blob) else { return false }
                    out.append(id: id, level: level, mended: mended)
                    for part in parts { out.appendLine(PointsView(bytes: blob, offset: part.offset, count: part.count)) }
                    return true
                }
                if flat { return }
                guard let g = try geometry(row, 1) else { return }
                let lines: [[Coordinate]]
                switch g {
                case .lineString(let l): lines = [l]
                case .multiLineString(let ls): lines = ls
                default: return
                }
                out.append(id: id, level: level, mended: mended)
                for line in lines { out.appendLine(line) }
            }
        }
        return out
    }

    public func water() throws -> [WaterFeature] {
        var out = [WaterFeature]()
        try database.read {
            try database.prepare("SELECT id, kind, name, geom FROM water ORDER BY fid").forEach { row in
                guard let g = try geometry(row, 3) else { return }
                out.append(WaterFeature(id: row.text(0), kind: row.optionalText(1), name: row.optionalText(2), geometry: g))
            }
        }
        return out
    }

    public func connectorCount() throws -> Int {
        Int(try database.scalarInt("SELECT count(*) FROM ways WHERE mended = 1") ?? 0)
    }

    /// Runs `body` in the open transaction (an `importTogether`), else in one of its own.
    private func inTransaction<T>(_ body: () throws -> T) throws -> T {
        if database.inTransaction { return try body() }
        return try database.transaction(body)
    }

    @discardableResult
    public func replaceConnectors(with connectors: [NetworkConnector]) throws -> Int {
        try inTransaction {
            let before = Int(try database.scalarInt("SELECT count(*) FROM ways WHERE mended = 1") ?? 0)
            // SpatiaLite's triggers keep the R*Tree (idx_ways_geom) for these few rows.
            try database.execute("DELETE FROM ways WHERE mended = 1")
            let taken = try database.prepare("SELECT 1 FROM ways WHERE id = ?")
            let insert = try database.prepare("""
                INSERT INTO ways(id, highway, name, foot, bridge, tunnel, layer, mended, length_m, reason, properties, geom)
                VALUES(?, NULL, NULL, NULL, NULL, NULL, NULL, 1, ?, ?, ?, CastToMultiLineString(GeomFromWKB(?, 4326)))
                """)
            let ids = try NetworkConnector.ids(count: connectors.count) { id in
                try taken.bind([.text(id)])
                defer { taken.reset() }
                return try taken.step()
            }
            for (id, c) in zip(ids, connectors) {
                try insert.run([.text(id), .double(c.lengthMetres), .text(c.reason), .text(c.storedProperties),
                                .blob(Geometry.lineString(c.line).wkb)])
            }
            try bumpGeneration(.ways)
            return before
        }
    }

    public func storeWater(_ features: [WaterFeature], replace: Bool) throws {
        try inTransaction {
            if replace { try database.execute("DELETE FROM water") }
            let insert = try database.prepare("""
                INSERT INTO water(id, kind, name, geom) VALUES(?, ?, ?, GeomFromWKB(?, 4326))
                ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, name = excluded.name, geom = excluded.geom
                """)
            for f in features {
                try insert.run([.text(f.id), f.kind.map(SQLValue.text) ?? .null, f.name.map(SQLValue.text) ?? .null,
                                .blob(f.geometry.wkb)])
            }
        }
    }

    /// Every compound with its reference points and grid (its `grid_id` when that grid exists, else the grid
    /// containing its point on surface, else none).
    public func compoundSites() throws -> [CompoundSite] {
        let grids = try gridLocator()
        return try database.read {
            var entrances = [String: [Coordinate]]()
            try database.prepare("SELECT compound_id, ST_X(geom), ST_Y(geom) FROM entrances ORDER BY fid").forEach { row in
                entrances[row.text(0), default: []].append(Coordinate(lon: row.double(1), lat: row.double(2)))
            }
            var out = [CompoundSite]()
            try database.prepare("""
                SELECT id, name, households, population, kind, ref_lon, ref_lat, grid_id FROM compounds ORDER BY fid
                """).forEach { row in
                let id = row.text(0)
                let own = entrances[id] ?? []
                let surface = Coordinate(lon: row.double(5), lat: row.double(6))
                let grid = row.optionalText(7).flatMap(grids.grid(id:)) ?? grids.grid(containing: surface)
                out.append(CompoundSite(
                    id: id, name: row.text(1), households: row.optionalInt(2).map(Int.init),
                    population: row.optionalInt(3).map(Int.init), kind: row.optionalText(4),
                    referencePoints: own.isEmpty ? [surface] : own, hasEntrances: !own.isEmpty,
                    gridID: grid?.id, gridName: grid?.name, community: grid?.community,
                    street: grid?.street, district: grid?.district))
            }
            return out
        }
    }

    /// Writes the graph to `network_edges` (for map tools and `info`), replacing what was there, and records which
    /// ways generation it was built from.
    public func storeNetwork(_ edges: NetworkEdges, waysGeneration: Int) throws {
        try inTransaction { try suspendingTriggers(on: "network_edges") {
            try database.execute("DELETE FROM network_edges")
            // The geometry-constraint trigger would read the metadata and parse each BLOB again; the BLOBs written
            // here are LINESTRINGs in 4326 by construction.
            let insert = try database.prepare("""
                INSERT INTO network_edges(edge, source, target, length_m, way_id, component, geom) VALUES(?, ?, ?, ?, ?, ?, ?)
                """)
            var blob = SpatiaLiteBlobWriter()
            for e in edges {
                blob.encodeLineString(e.line)
                insert.reset()
                try insert.bind(.int(Int64(e.edge)), at: 1)
                try insert.bind(.int(Int64(e.source)), at: 2)
                try insert.bind(.int(Int64(e.target)), at: 3)
                try insert.bind(.double(e.lengthMetres), at: 4)
                try insert.bind(.text(e.wayID), at: 5)
                try insert.bind(.int(Int64(e.component)), at: 6)
                try insert.bind(.blob(blob.bytes), at: 7)
                try insert.step()
            }
            insert.reset()
            // What SpatiaLite's timestamp triggers, set aside here, would have recorded.
            try database.execute("""
                UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE f_table_name = 'network_edges'
                """)
            try setMeta("network:ways_generation", String(waysGeneration))
        } }
    }

    /// The ways generation the stored network was built from, or nil when there is none.
    public func storedNetworkGeneration() throws -> Int? {
        Int(try meta("network:ways_generation") ?? "")
    }

    public func storeGraphImage(waysGeneration: Int, _ write: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try inTransaction {
            try database.execute("DELETE FROM doorstep_graph")
            let insert = try database.prepare("INSERT INTO doorstep_graph(part, bytes) VALUES(?, ?)")
            var part: Int64 = 0
            try write { bytes in
                defer { insert.reset() }
                try insert.bind(.int(part), at: 1)
                try insert.bindBlobUntilReset(bytes, at: 2)
                try insert.step()
                part += 1
            }
            try setMeta("graph:ways_generation", String(waysGeneration))
        }
    }

    public func storedGraphImageGeneration() throws -> Int? {
        Int(try meta("graph:ways_generation") ?? "")
    }

    public func readGraphImage<T>(waysGeneration: Int, _ body: (_ nextPart: () throws -> UnsafeRawBufferPointer?) throws -> T) throws -> T? {
        try database.read {
            guard try storedGraphImageGeneration() == waysGeneration, try generation(of: .ways) == waysGeneration else { return nil }
            let parts = try database.prepare("SELECT bytes FROM doorstep_graph ORDER BY part")
            defer { parts.reset() }
            return try body {
                guard try parts.step() else { return nil }
                // SQLite keeps the bytes until the next step: what `nextPart` promises.
                return parts.withBlob(0) { $0 }
            }
        }
    }
}

extension Store {
    /// Each feature's geometry as GeoJSON (7 decimals), by id, for writing results as GeoJSON.
    public func geometries(of layer: Layer) throws -> [String: JSONValue] {
        var out = [String: JSONValue]()
        try database.read {
            try database.prepare("SELECT id, AsGeoJSON(geom, 7) FROM \(layer.rawValue)").forEach { row in
                if let g = try? JSONValue.parse(row.text(1)) { out[row.text(0)] = g }
            }
        }
        return out
    }
}


/// The points of one line of a row's geometry BLOB, read in place (`Geometry.spatiaLiteLineParts` found where they are).
private struct PointsView: Collection {
    let bytes: UnsafeRawBufferPointer
    let offset: Int
    let count: Int

    var startIndex: Int { 0 }
    var endIndex: Int { count }
    func index(after i: Int) -> Int { i + 1 }
    subscript(i: Int) -> Coordinate {
        let at = offset + 16 * i
        return Coordinate(lon: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))),
                          lat: Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))))
    }
}

extension Store {
    public func networkInfo() throws -> NetworkInfo? {
        guard let stored = try storedNetworkGeneration() else { return nil }
        return try database.read {
            var pieces = [(edges: Int, exampleWay: String)]()
            try database.prepare("""
                SELECT component, count(*), coalesce(min(CASE WHEN way_id LIKE 'mend/%' THEN NULL ELSE way_id END), min(way_id))
                FROM network_edges GROUP BY component ORDER BY component
                """).forEach { pieces.append((Int($0.int(1)), $0.text(2))) }
            let length = try database.prepare("SELECT total(length_m) FROM network_edges")
            try length.step()
            return NetworkInfo(edges: pieces.reduce(0) { $0 + $1.edges }, lengthMetres: length.double(0), pieces: pieces,
                               stale: stored != (try generation(of: .ways)), waysClosedToPedestrians: try waysClosedToPedestrians())
        }
    }
}
