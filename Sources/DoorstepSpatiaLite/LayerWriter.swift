import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// Writes checked features of one layer inside the caller's transaction: upsert by `id`. Polygons arrive valid: the
/// import checks (and on request repairs) them with GEOS before they reach the store (`FeatureDecoder`).
package final class LayerWriter: LayerSink {
    package let db: Database
    package let layer: Layer
    private let insert: Statement
    private let indexRow: Statement
    private let compoundExists: Statement?
    /// Index entries of the rows written, added to the R*Tree in spatial order by `finish()`.
    private var boxes: [RTreeBulkLoad.Entry] = []
    /// The geometry BLOB of the row being written (its buffer is reused).
    private var blob = SpatiaLiteBlobWriter()

    package init(db: Database, layer: Layer) throws {
        self.db = db
        self.layer = layer
        let columns = ["id"] + layer.fields.map(\.name) + ["properties"] + (layer == .compounds ? ["ref_lon", "ref_lat"] : [])
        // The geometry is bound as SpatiaLite's own BLOB, encoded here (`SpatiaLiteBlobWriter`, with the MBR the R*Tree
        // entry takes): SpatiaLite parsing WKB, casting and reading the MBR back was most of the writer's time.
        let updates = (columns.dropFirst() + ["geom"]).map { "\($0) = excluded.\($0)" }
        let sql = """
            INSERT INTO \(layer.rawValue)(\(columns.joined(separator: ", ")), geom)
            VALUES(\(Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")))
            ON CONFLICT(id) DO UPDATE SET \(updates.joined(separator: ", "))
            RETURNING fid
            """
        insert = try db.prepare(sql)
        // SpatiaLite's own index trigger prepares SQL for every row (RTreeAlign); Store.importing suspends the
        // triggers and the writer keeps the R*Tree itself.
        indexRow = try db.prepare("INSERT OR REPLACE INTO idx_\(layer.rawValue)_geom(pkid, xmin, xmax, ymin, ymax) VALUES(?, ?, ?, ?, ?)")
        compoundExists = layer == .entrances ? try db.prepare("SELECT 1 FROM compounds WHERE id = ?") : nil
    }

    /// Stores a record, or says what is wrong with it (an entrance whose compound does not exist).
    public func write(_ record: FeatureRecord) throws -> Result<String?, ImportProblem> {
        if let compoundExists, case .text(let compoundID) = record.values[0] {
            try compoundExists.bind([.text(compoundID)])
            let exists = try compoundExists.step()
            compoundExists.reset()
            if !exists {
                return .failure(ImportProblem(record.location, field: "compound_id", "no compound with id \"\(compoundID)\" (import compounds first)"))
            }
        }
        var reference: Coordinate?
        if layer == .compounds {
            guard let p = record.referencePoint else { return .failure(ImportProblem(record.location, field: "geometry", "no reference point")) }
            reference = p
        }
        blob.encode(LayerWriter.stored(record.geometry, in: layer))
        // Bound one by one (no array of values per row); the statement was reset after the previous row.
        var index: Int32 = 1
        try insert.bind(.text(record.id), at: index)
        for value in record.values {
            index += 1
            try insert.bind(value, at: index)
        }
        index += 1
        if let extra = record.extraProperties { try insert.bind(.text(extra), at: index) } else { try insert.bindNull(at: index) }
        if let reference {
            index += 1
            try insert.bind(reference.lon, at: index)
            index += 1
            try insert.bind(reference.lat, at: index)
        }
        index += 1
        let stepped = try blob.bytes.withUnsafeBytes { bytes -> Bool in
            try insert.bindBlobUntilReset(bytes, at: index)
            defer { insert.reset() }
            guard try insert.step() else { return false }
            let box = blob.box
            boxes.append(RTreeBulkLoad.Entry(id: insert.int(0), minX: box.minX, maxX: box.maxX, minY: box.minY, maxY: box.maxY))
            return true
        }
        guard stepped else { throw DatabaseError(code: 0, message: "insert returned no row", sql: insert.sql) }
        return .success(nil)
    }

    /// The geometry as the layer's column holds it: the ways column is MULTILINESTRING and the grids column
    /// MULTIPOLYGON (a single line or polygon becomes a collection of one, as `CastToMultiLineString` and
    /// `CastToMultiPolygon` make it); the others store what was decoded.
    package static func stored(_ geometry: Geometry, in layer: Layer) -> Geometry {
        switch (layer, geometry) {
        case (.ways, .lineString(let line)): return .multiLineString([line])
        case (.grids, .polygon(let polygon)): return .multiPolygon([polygon])
        default: return geometry
        }
    }

    /// Brings the spatial index up to date with the rows written. When they are all of the layer, or a quarter of it
    /// or more, the whole index is built at once (`RTreeBulkLoad`, from every row's box); a few rows added to a large
    /// layer go in one by one. Either way in Morton order of the box centres: neighbours share index pages.
    package func finish() throws {
        guard !boxes.isEmpty else { return }
        // One entry per row: a row written twice (an upsert of an id this import wrote before) keeps its last box.
        // Rows only inserted come with increasing fids: then there is nothing to remove.
        if zip(boxes, boxes.dropFirst()).contains(where: { $0.id >= $1.id }) {
            var seen = Set<Int64>(minimumCapacity: boxes.count)
            boxes = boxes.reversed().filter { seen.insert($0.id).inserted }
        }
        let table = layer.rawValue
        let total = Int(try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0)
        if boxes.count == total {
            // Every row of the layer was written by this import (each fid once): the boxes are the whole index.
            try RTreeBulkLoad.replace("idx_\(table)_geom", in: db, with: LayerWriter.mortonOrder(boxes))
        } else if boxes.count * 4 >= total {
            var all = [RTreeBulkLoad.Entry]()
            all.reserveCapacity(total)
            try db.prepare("SELECT fid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom) FROM \(table) WHERE geom IS NOT NULL")
                .forEach([]) { all.append(RTreeBulkLoad.Entry(id: $0.int(0), minX: $0.double(1), maxX: $0.double(2), minY: $0.double(3), maxY: $0.double(4))) }
            try RTreeBulkLoad.replace("idx_\(table)_geom", in: db, with: LayerWriter.mortonOrder(all))
        } else {
            for b in LayerWriter.mortonOrder(boxes) {
                try indexRow.run([.int(b.id), .double(b.minX), .double(b.maxX), .double(b.minY), .double(b.maxY)])
            }
        }
        boxes.removeAll()
    }

    /// `boxes` sorted by the Morton (Z-order) key of their centres on a 65536 × 65536 grid over their extent.
    package static func mortonOrder(_ boxes: [RTreeBulkLoad.Entry]) -> [RTreeBulkLoad.Entry] {
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for b in boxes {
            minX = min(minX, b.minX); maxX = max(maxX, b.maxX); minY = min(minY, b.minY); maxY = max(maxY, b.maxY)
        }
        let sx = maxX > minX ? 65535 / (maxX - minX) : 0, sy = maxY > minY ? 65535 / (maxY - minY) : 0
        func spread(_ v: UInt32) -> UInt64 {
            var x = UInt64(v & 0xFFFF)
            x = (x | (x << 8)) & 0x00FF_00FF
            x = (x | (x << 4)) & 0x0F0F_0F0F
            x = (x | (x << 2)) & 0x3333_3333
            x = (x | (x << 1)) & 0x5555_5555
            return x
        }
        let keyed = boxes.map { b -> (UInt64, RTreeBulkLoad.Entry) in
            let cx = UInt32((((b.minX + b.maxX) / 2 - minX) * sx).rounded())
            let cy = UInt32((((b.minY + b.maxY) / 2 - minY) * sy).rounded())
            return (spread(cx) | (spread(cy) << 1), b)
        }
        return keyed.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private func problem(_ record: FeatureRecord, _ message: String) -> ImportProblem {
        ImportProblem(record.location, field: "geometry", message)
    }
}
