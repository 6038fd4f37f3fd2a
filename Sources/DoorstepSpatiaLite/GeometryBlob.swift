import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// Reading SpatiaLite's own geometry BLOBs (the `geom` columns), so reads need no `AsBinary` conversion in SQL.
///
/// The format (SpatiaLite "BLOB-Geometry"): `0x00`, an endian byte (1 little, 0 big), the SRID (int32), the MBR
/// (four doubles), `0x7C`, the class type (int32: 1…6 Point … MultiPolygon, +1000 with Z, +2000 with M, +3000 with
/// Z and M), the geometry's data, `0xFE`. Points are X, Y (then Z/M when present); lines an int32 count and points;
/// polygons an int32 ring count and rings; collections an int32 count of entities, each `0x69`, its class type and
/// its data. Compressed classes (1000000 and up) and GeometryCollections are not read here (nil): callers fall back
/// to SQL for those. The reading itself is `GeometryCursor` (DoorstepGeometry/WKB.swift), shared with WKB.
extension Geometry {
    public init?(spatiaLiteBlob blob: UnsafeRawBufferPointer) {
        guard blob.count >= 44, blob[0] == 0x00, blob[38] == 0x7C, blob[blob.count - 1] == 0xFE, blob[1] <= 1 else { return nil }
        var cursor = GeometryCursor(UnsafeRawBufferPointer(rebasing: blob[..<(blob.count - 1)]))
        cursor.little = blob[1] == 1
        cursor.position = 39
        guard let type = cursor.count(), let (base, dims) = GeometryCursor.split(type) else { return nil }
        let g: Geometry?
        if base <= 3 {
            g = cursor.simple(base, dims: dims)
        } else {
            g = cursor.multi(base) { c in
                // An entity: 0x69, its class (the simple type of the collection, same ordinates), its body.
                guard c.byte() == 0x69, let t = c.count(), let (part, partDims) = GeometryCursor.split(t),
                      part == base - 3, partDims == dims else { return nil }
                return c.simple(part, dims: dims)
            }
        }
        guard let g, cursor.atEnd else { return nil }
        self = g
    }
}
