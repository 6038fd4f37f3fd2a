import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Geometry as the SpatiaLite store holds it after imports: the R*Tree spatial index, SpatiaLite's geometry blobs
/// (and WKB) read in Swift, and the features API's bbox filter against GEOS.
final class StoredGeometryTests: ImportTestCase {
    /// The R*Tree is built three ways (whole index packed at once when an import writes the whole layer or a quarter
    /// of it, entry by entry for a few rows added to a large layer). After each: SQLite's own `rtreecheck` passes, and
    /// 40 random boxes find through the index exactly the stations a full scan of the table finds.
    func testSpatialIndexIsRightAfterEveryKindOfImport() throws {
        var rng = SystemRandomNumberGenerator()
        func stations(_ ids: Range<Int>, prefix: String = "S") -> String {
            collection(ids.map { i in
                feature(#"{"id": "\#(prefix)\#(i)", "name": "站\#(i)"}"#,
                        point(118.70 + Double.random(in: 0..<0.2, using: &rng), 31.95 + Double.random(in: 0..<0.2, using: &rng)))
            })
        }
        func check(_ when: String) throws {
            XCTAssertEqual(try text("SELECT rtreecheck('idx_stations_geom')"), "ok", when)
            XCTAssertEqual(try int("SELECT count(*) FROM idx_stations_geom"), try int("SELECT count(*) FROM stations"), when)
            for _ in 0..<40 {
                let w = 118.70 + Double.random(in: 0..<0.19, using: &rng), s = 31.95 + Double.random(in: 0..<0.19, using: &rng)
                let box: [SQLValue] = [.double(w), .double(s), .double(w + Double.random(in: 0.001..<0.05, using: &rng)),
                                       .double(s + Double.random(in: 0.001..<0.05, using: &rng))]
                var viaIndex = Set<String>(), viaScan = Set<String>()
                try file!.database.prepare("""
                    SELECT id FROM stations WHERE fid IN (SELECT pkid FROM idx_stations_geom
                        WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
                    AND ST_X(geom) BETWEEN ?1 AND ?3 AND ST_Y(geom) BETWEEN ?2 AND ?4
                    """).forEach(box) { viaIndex.insert($0.text(0)) }
                try file!.database.prepare("SELECT id FROM stations WHERE ST_X(geom) BETWEEN ?1 AND ?3 AND ST_Y(geom) BETWEEN ?2 AND ?4")
                    .forEach(box) { viaScan.insert($0.text(0)) }
                XCTAssertEqual(viaIndex, viaScan, when)
            }
        }
        try importText(.stations, "all.geojson", stations(0..<3000)) // packed: 3,000 entries, three levels
        try check("after a first import")
        try importText(.stations, "few.geojson", stations(0..<60)) // 60 moved of 3,000: entry by entry
        try check("after moving a few")
        try importText(.stations, "more.geojson", stations(2500..<3900)) // 1,400 of 3,900: packed from the table
        try check("after a large upsert")
        try importText(.stations, "replace.geojson", stations(0..<40, prefix: "R"), replace: true) // one node, the root
        try check("after --replace")
        XCTAssertEqual(try int("SELECT count(*) FROM stations"), 40)
    }

    /// SpatiaLite's geometry blobs read in Swift give what SpatiaLite's own `AsBinary` gives, for every feature of
    /// the sample city and for Z/M/ZM forms; compressed blobs and collections are left to SQL (nil).
    func testGeometryBlobsReadAsSpatiaLiteReadsThem() throws {
        let root = packageRoot
        for layer in Layer.allCases {
            _ = try Importer.run(ImportOptions(layer: layer, file: root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer.rawValue).geojson")),
                                 into: store)
        }
        var compared = 0
        for layer in Layer.allCases {
            try file!.database.prepare("SELECT geom, AsBinary(geom) FROM \(layer.rawValue)").forEach { row in
                let mine = row.withBlob(0) { Geometry(spatiaLiteBlob: $0) }
                XCTAssertNotNil(mine, layer.rawValue)
                XCTAssertEqual(mine, Geometry(wkb: row.blob(1)), layer.rawValue)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 400)
        let cases: [(String, Geometry?)] = [
            ("MakePointZ(118.5, 32.5, 7, 4326)", .point(Coordinate(lon: 118.5, lat: 32.5))),
            ("GeomFromText('LINESTRINGM(1 2 9, 3 4 9)', 4326)", .lineString([Coordinate(lon: 1, lat: 2), Coordinate(lon: 3, lat: 4)])),
            ("GeomFromText('MULTIPOLYGONZM(((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2)))', 4326)",
             .multiPolygon([[[Coordinate(lon: 0, lat: 0), Coordinate(lon: 1, lat: 0), Coordinate(lon: 1, lat: 1), Coordinate(lon: 0, lat: 0)]]])),
            ("GeomFromText('MULTIPOINT(1 2, 3 4)', 4326)", .multiPoint([Coordinate(lon: 1, lat: 2), Coordinate(lon: 3, lat: 4)])),
            ("CompressGeometry(GeomFromText('LINESTRING(1 2, 3 4, 5 6)', 4326))", nil),
            ("GeomFromText('GEOMETRYCOLLECTION(POINT(1 2))', 4326)", nil),
        ]
        for (sql, expected) in cases {
            try file!.database.prepare("SELECT \(sql)").forEach { row in
                XCTAssertEqual(row.withBlob(0) { Geometry(spatiaLiteBlob: $0) }, expected, sql)
            }
        }
        // WKB by hand: big-endian, ISO Z, parts in mixed byte orders; truncated or with bytes left over: nil.
        func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func be64(_ d: Double) -> [UInt8] { withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) } }
        func le64(_ d: Double) -> [UInt8] { withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } }
        let bigPoint: [UInt8] = [0] + be32(1) + be64(118.5) + be64(32.25)
        XCTAssertEqual(Geometry(wkb: bigPoint), .point(Coordinate(lon: 118.5, lat: 32.25)))
        let zPoint: [UInt8] = [1] + le32(1001) + le64(1) + le64(2) + le64(99)
        XCTAssertEqual(Geometry(wkb: zPoint), .point(Coordinate(lon: 1, lat: 2)))
        let mixed: [UInt8] = [1] + le32(4) + le32(2) + bigPoint + [1] + le32(1) + le64(3) + le64(4)
        XCTAssertEqual(Geometry(wkb: mixed), .multiPoint([Coordinate(lon: 118.5, lat: 32.25), Coordinate(lon: 3, lat: 4)]))
        XCTAssertNil(Geometry(wkb: Array(mixed.dropLast())))
        XCTAssertNil(Geometry(wkb: bigPoint + [0]))
        XCTAssertNil(Geometry(wkb: [1] + le32(2) + le32(0xFFFF_FFFF)), "a count far beyond the bytes")
        // Truncated and garbage blobs are nil, not a crash.
        try file!.database.prepare("SELECT geom FROM compounds LIMIT 1").forEach { row in
            let bytes = row.blob(0)
            for cut in [0, 1, 10, 39, 43, bytes.count / 2, bytes.count - 1] {
                XCTAssertNil(bytes.prefix(cut).withUnsafeBytes { Geometry(spatiaLiteBlob: $0) }, "cut at \(cut)")
            }
            var corrupt = bytes
            corrupt[43] = 0xFF // the ring count's high byte
            XCTAssertNil(corrupt.withUnsafeBytes { Geometry(spatiaLiteBlob: $0) })
        }
    }

    /// The features API's bbox filter (R*Tree, then `Planar.intersects` in Swift) selects what GEOS's `ST_Intersects`
    /// selects, for every layer of the sample city, over random boxes from 20 m to 2 km wide and boxes that only graze
    /// a feature's corner.
    func testBBoxFilterAgreesWithGEOS() throws {
        let root = packageRoot
        for layer in Layer.allCases {
            _ = try Importer.run(ImportOptions(layer: layer, file: root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer.rawValue).geojson")),
                                 into: store)
        }
        var rng = SystemRandomNumberGenerator()
        var boxes = (0..<150).map { _ -> BoundingBox in
            let w = Double.random(in: 118.760...118.800, using: &rng), s = Double.random(in: 32.033...32.054, using: &rng)
            let size = pow(10, Double.random(in: -3.7 ... -1.7, using: &rng))
            return BoundingBox(west: w, south: s, east: w + size, north: s + size * 0.85)
        }
        // Boxes whose corner sits exactly on a compound's vertex: touching counts as intersecting.
        try file!.database.prepare("SELECT ST_X(ST_PointN(ST_ExteriorRing(geom), 1)), ST_Y(ST_PointN(ST_ExteriorRing(geom), 1)) FROM compounds WHERE GeometryType(geom) = 'POLYGON' LIMIT 10").forEach {
            let x = $0.double(0), y = $0.double(1)
            boxes.append(BoundingBox(west: x, south: y, east: x + 0.001, north: y + 0.001))
            boxes.append(BoundingBox(west: x - 0.001, south: y - 0.001, east: x, north: y))
        }
        var nonEmpty = 0
        for layer in Layer.allCases {
            for box in boxes {
                let page = try store.features(of: layer, bbox: box, limit: 10_000, offset: 0)
                var expected = Set<String>()
                try file!.database.prepare("SELECT id FROM \(layer.rawValue) WHERE ST_Intersects(geom, BuildMbr(?1, ?2, ?3, ?4, 4326))")
                    .forEach([.double(box.west), .double(box.south), .double(box.east), .double(box.north)]) { expected.insert($0.text(0)) }
                XCTAssertEqual(Set(page.features.map(\.id)), expected, "\(layer.rawValue) \(box)")
                XCTAssertEqual(page.numberMatched, expected.count)
                if !expected.isEmpty { nonEmpty += 1 }
            }
        }
        XCTAssertGreaterThan(nonEmpty, 300)
    }

    /// The import writes SpatiaLite's geometry BLOB itself (`SpatiaLiteBlobWriter`): byte for byte what SpatiaLite's
    /// `GeomFromWKB` (with the ways' `CastToMultiLineString` and the grids' `CastToMultiPolygon`) makes of the same
    /// WKB, MBR included, for every geometry type and hostile coordinates (negative, 15–17 significant digits, a hole
    /// reaching outside its shell); SpatiaLite reads it back to the same WKB, text and box.
    func testSwiftEncodedBlobsAreSpatiaLitesOwn() throws {
        _ = try Importer.run(ImportOptions(layer: .stations, file: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/stations.geojson")),
                             into: store) // any import: the store is created
        let db = file!.database
        let odd: [Coordinate] = [
            Coordinate(lon: -118.123456789012345, lat: -32.987654321098765), Coordinate(lon: 179.99999999999997, lat: 89.99999999999999),
            Coordinate(lon: -179.99999999999997, lat: -0.000000000000123), Coordinate(lon: 0.1, lat: -0.0),
            Coordinate(lon: 118.78123456789012, lat: 32.04987654321098),
        ]
        let shell = [Coordinate(lon: -1.5, lat: -1.25), Coordinate(lon: 2.123456789012345, lat: -1.25),
                     Coordinate(lon: 2.123456789012345, lat: 3.3333333333333335), Coordinate(lon: -1.5, lat: -1.25)]
        let hole = [Coordinate(lon: 0.1, lat: 0.1), Coordinate(lon: 5.5, lat: 0.1), Coordinate(lon: 0.1, lat: 0.2), Coordinate(lon: 0.1, lat: 0.1)]
        let samples: [Geometry] = [
            .point(odd[0]), .point(odd[3]),
            .lineString(odd), .lineString([odd[1], odd[2]]),
            .polygon([shell]), .polygon([shell, hole]),
            .multiPoint(odd),
            .multiLineString([odd, [odd[4], odd[0]]]), .multiLineString([odd]),
            .multiPolygon([[shell], [shell, hole]]), .multiPolygon([[shell]]),
        ]
        var writer = SpatiaLiteBlobWriter()
        var compared = 0
        for layer in [Layer.stations, .compounds, .ways, .grids] {
            let sql: String
            switch layer {
            case .ways: sql = "CastToMultiLineString(GeomFromWKB(?, 4326))"
            case .grids: sql = "CastToMultiPolygon(GeomFromWKB(?, 4326))"
            default: sql = "GeomFromWKB(?, 4326)"
            }
            for g in samples {
                let theirs = try db.prepare("SELECT \(sql)")
                try theirs.bind([.blob(g.wkb)])
                XCTAssertTrue(try theirs.step())
                if theirs.isNull(0) { continue } // a cast SpatiaLite refuses (a point as a MultiLineString): not a layer's case
                let expected = theirs.blob(0)
                let stored = LayerWriter.stored(g, in: layer)
                writer.encode(stored)
                XCTAssertEqual(writer.bytes, expected, "\(layer.rawValue): \(g)")
                let back = try db.prepare("""
                    SELECT AsBinary(?1), AsText(?1) = AsText(?2), ST_IsValid(?1) = ST_IsValid(?2), SRID(?1), CoordDimension(?1),
                           GeometryType(?1), MbrMinX(?1), MbrMaxX(?1), MbrMinY(?1), MbrMaxY(?1)
                    """)
                try back.bind([.blob(writer.bytes), .blob(expected)])
                XCTAssertTrue(try back.step())
                XCTAssertEqual(back.blob(0), stored.wkb, "\(layer.rawValue): \(g)")
                XCTAssertEqual(back.int(1), 1)
                XCTAssertEqual(back.int(2), 1)
                XCTAssertEqual(back.int(3), 4326)
                XCTAssertEqual(back.text(4), "XY")
                XCTAssertEqual(back.text(5), stored.typeName.uppercased())
                let box = writer.box
                XCTAssertEqual([back.double(6), back.double(7), back.double(8), back.double(9)].map(\.bitPattern),
                               [box.minX, box.maxX, box.minY, box.maxY].map(\.bitPattern), "\(layer.rawValue): \(g)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 30) // stations and compounds take all 11, ways the 4 lines, grids the 4 polygons

        // And through an import: every stored geometry of the sample city is what GeomFromWKB makes of its WKB.
        for layer in Layer.allCases where layer != .stations {
            _ = try Importer.run(ImportOptions(layer: layer, file: packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer.rawValue).geojson")),
                                 into: store)
        }
        for layer in Layer.allCases {
            let cast = layer == .ways ? "CastToMultiLineString" : layer == .grids ? "CastToMultiPolygon" : ""
            XCTAssertGreaterThan(try int("SELECT count(*) FROM \(layer.rawValue)") ?? 0, 0)
            XCTAssertEqual(try int("SELECT count(*) FROM \(layer.rawValue) WHERE geom IS NOT \(cast)(GeomFromWKB(AsBinary(geom), 4326))"), 0,
                           layer.rawValue)
        }
    }
}
