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

    /// Runs `body` with a GEOS context of its own (contexts are not shared between threads).
    private static func withContext<T>(_ body: (GEOSContextHandle_t) throws -> T) throws -> T {
        _ = interrupts
        guard let ctx = GEOS_init_r() else { throw GeometryEngineError(message: "GEOS could not start") }
        defer { GEOS_finish_r(ctx) }
        return try body(ctx)
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
