import CGEOS
import DoorstepModel
import Foundation

/// The geometry work Doorstep gives GEOS, called through its C API (reentrant functions, one context per call):
/// the store is never asked to do geometry.
///
/// Work under a `WorkBudget` is interruptible: GEOS calls an interrupt callback now and then from inside an
/// operation, on the thread running it, and when that thread's budget is spent the operation stops (it returns no
/// result, and the caller's next checkpoint throws). GEOS's request flag is process-wide but the callback runs just
/// before GEOS looks at it on the same thread, so it is this operation that stops; another thread's GEOS call
/// checking in that instant could be stopped too (it then fails as "no result", never with a wrong one).
public enum GeometryEngine {
    private static let interrupts: Void = {
        _ = GEOS_interruptRegisterCallback { if WorkBudget.shouldStop { GEOS_interruptRequest() } }
    }()

    /// The ground within `width` of any of `lines` (plane coordinates, metres), dissolved, as a (Multi)Polygon in
    /// the same plane, or nil when there is no line or GEOS was interrupted. `quadrantSegments` sets how round the
    /// ends are (4: a 16-gon). Lines are merged into the longest ones first (GEOS LineMerge): a buffer pays for
    /// every line end it rounds, and the pieces of a reachable network meet at most of theirs; the shape is the same.
    public static func buffer(planeLines lines: [[Coordinate]], width: Double, quadrantSegments: Int = 4) throws -> Geometry? {
        let usable = lines.filter { $0.count >= 2 }
        guard !usable.isEmpty else { return nil }
        return try withContext { ctx in
            guard let input = read(Geometry.multiLineString(usable).wkb, ctx) else {
                throw GeometryEngineError(message: "GEOS could not read the lines")
            }
            defer { GEOSGeom_destroy_r(ctx, input) }
            guard let merged = GEOSLineMerge_r(ctx, input) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, merged) }
            guard let buffered = GEOSBuffer_r(ctx, merged, width, Int32(quadrantSegments)) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, buffered) }
            return write(buffered, ctx)
        }
    }

    /// What GEOS says of a polygon's validity: valid or not, its reason ("Self-intersection[x y]"), and its plane
    /// area in the coordinates' own units. Nil when GEOS cannot read it.
    public static func validity(of g: Geometry) throws -> (valid: Bool, reason: String, area: Double)? {
        try withContext { ctx in
            guard let geom = read(g.wkb, ctx) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, geom) }
            let valid = GEOSisValid_r(ctx, geom) == 1
            var reason = "invalid"
            if let text = GEOSisValidReason_r(ctx, geom) {
                reason = String(cString: text)
                GEOSFree_r(ctx, text)
            }
            var area = 0.0
            guard GEOSArea_r(ctx, geom, &area) == 1 else { return nil }
            return (valid, reason, area)
        }
    }

    /// The area of the intersection of two polygonal geometries, in their plane's units (GEOS Intersection then
    /// Area): the overlap of two constructions of one area, for instance. Nil when GEOS cannot read or intersect them.
    public static func intersectionArea(_ a: Geometry, _ b: Geometry) throws -> Double? {
        try withContext { ctx in
            guard let ga = read(a.wkb, ctx) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, ga) }
            guard let gb = read(b.wkb, ctx) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, gb) }
            guard let both = GEOSIntersection_r(ctx, ga, gb) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, both) }
            var area = 0.0
            guard GEOSArea_r(ctx, both, &area) == 1 else { return nil }
            return area
        }
    }

    /// The polygons of GEOS's repair of `g` (MakeValid, then only the polygonal parts, as one MultiPolygon), or nil
    /// when nothing polygonal is left.
    public static func validPolygons(_ g: Geometry) throws -> Geometry? {
        try withContext { ctx in
            guard let geom = read(g.wkb, ctx) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, geom) }
            guard let valid = GEOSMakeValid_r(ctx, geom) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, valid) }
            var polygons = [[[Coordinate]]]()
            func collect(_ part: OpaquePointer) {
                switch write(part, ctx) {
                case .polygon(let rings)?: polygons.append(rings)
                case .multiPolygon(let ps)?: polygons += ps
                case nil:
                    // A collection (WKB that Geometry does not take): its members one by one.
                    guard GEOSGeomTypeId_r(ctx, part) == Int32(GEOS_GEOMETRYCOLLECTION.rawValue) else { return }
                    for i in 0..<GEOSGetNumGeometries_r(ctx, part) { if let member = GEOSGetGeometryN_r(ctx, part, i) { collect(member) } }
                default: break
                }
            }
            collect(valid)
            return polygons.isEmpty ? nil : .multiPolygon(polygons)
        }
    }

    /// Runs `body` with this thread's GEOS context (contexts are not shared between threads; each thread keeps one,
    /// finished when the thread ends).
    private static func withContext<T>(_ body: (GEOSContextHandle_t) throws -> T) throws -> T {
        _ = interrupts
        if let ctx = pthread_getspecific(contextKey) { return try body(OpaquePointer(ctx)) }
        guard let ctx = GEOS_init_r() else { throw GeometryEngineError(message: "GEOS could not start") }
        pthread_setspecific(contextKey, UnsafeRawPointer(ctx))
        return try body(ctx)
    }

    private static let contextKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { GEOS_finish_r(OpaquePointer($0)) }
        return key
    }()

    /// A point inside `g` (GEOS PointOnSurface: a polygon's interior point, a point itself), or nil.
    public static func pointOnSurface(_ g: Geometry) throws -> Coordinate? {
        if case .point(let c) = g { return c }
        return try withContext { ctx in
            guard let geom = read(g.wkb, ctx) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, geom) }
            guard let point = GEOSPointOnSurface_r(ctx, geom) else { return nil }
            defer { GEOSGeom_destroy_r(ctx, point) }
            var x = 0.0, y = 0.0
            guard GEOSGeomGetX_r(ctx, point, &x) == 1, GEOSGeomGetY_r(ctx, point, &y) == 1 else { return nil }
            return Coordinate(lon: x, lat: y)
        }
    }

    private static func read(_ wkb: [UInt8], _ ctx: GEOSContextHandle_t) -> OpaquePointer? {
        wkb.withUnsafeBufferPointer { GEOSGeomFromWKB_buf_r(ctx, $0.baseAddress, $0.count) }
    }

    private static func write(_ g: OpaquePointer, _ ctx: GEOSContextHandle_t) -> Geometry? {
        guard let writer = GEOSWKBWriter_create_r(ctx) else { return nil }
        defer { GEOSWKBWriter_destroy_r(ctx, writer) }
        GEOSWKBWriter_setByteOrder_r(ctx, writer, Int32(GEOS_WKB_NDR.rawValue))
        var size = 0
        guard let bytes = GEOSWKBWriter_write_r(ctx, writer, g, &size) else { return nil }
        defer { GEOSFree_r(ctx, bytes) }
        return Geometry(wkb: Array(UnsafeBufferPointer(start: bytes, count: size)))
    }
}

/// GEOS failed where it should not have (not an interruption).
public struct GeometryEngineError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { "geometry engine: \(message)" }
}
