import DoorstepModel
import CPROJ

/// Projects WGS84 longitude/latitude into a metric zone's plane (metres east, north) and back, through PROJ.
///
/// Snapping and the snap limit are measured in this plane (DESIGN.md); lengths along paths stay geodesic.
/// Not `Sendable`: it owns a PROJ context.
public final class MetricProjection {
    public let zone: MetricZone
    private let context = PROJContext()
    private let transformation: OpaquePointer

    public init(zone: MetricZone) throws {
        self.zone = zone
        guard let pj = proj_create_crs_to_crs(context.handle, "EPSG:4326", "EPSG:\(zone.epsg)", nil) else {
            throw CRSError(message: "PROJ cannot project to EPSG:\(zone.epsg)\(context.takeMessages())")
        }
        guard let normalized = proj_normalize_for_visualization(context.handle, pj) else {
            proj_destroy(pj)
            throw CRSError(message: "PROJ cannot set the axis order of EPSG:\(zone.epsg)\(context.takeMessages())")
        }
        proj_destroy(pj)
        transformation = normalized
    }

    // The transformation goes before the context it belongs to (stored properties are released after deinit).
    deinit { proj_destroy(transformation) }

    /// Metres (x east, y north) in the zone's plane.
    public func project(_ c: Coordinate) -> (x: Double, y: Double) {
        let out = proj_trans(transformation, PJ_FWD, proj_coord(c.lon, c.lat, 0, 0))
        return (out.xy.x, out.xy.y)
    }

    /// Longitude and latitude of a point of the plane.
    public func unproject(x: Double, y: Double) -> Coordinate {
        let out = proj_trans(transformation, PJ_INV, proj_coord(x, y, 0, 0))
        return Coordinate(lon: out.xy.x, lat: out.xy.y)
    }
}

@available(*, unavailable)
extension MetricProjection: Sendable {}
