/// Geometry work GEOS does for the analyses, on coordinates already in a metric plane.
///
/// Callers project with `MetricProjection` themselves: SpatiaLite's `ST_Transform` looks its CRS definitions up in
/// `spatial_ref_sys` on every call, which made a service area cost ten times its buffer.
extension Store {
    /// The ground within `width` of any of `lines` (plane coordinates, metres), dissolved, as a (Multi)Polygon in
    /// the same plane. `quadrantSegments` sets how round the ends are (4: a 16-gon).
    public func buffer(planeLines lines: [[Coordinate]], width: Double, quadrantSegments: Int = 4) throws -> Geometry? {
        let usable = lines.filter { $0.count >= 2 }
        guard !usable.isEmpty else { return nil }
        // Pieces merged into the longest lines first (GEOS LineMerge): a buffer pays for every line end it rounds,
        // and the pieces of a reachable network meet at most of theirs. The shape is the same.
        let statement = try database.cached("SELECT AsBinary(ST_Buffer(ST_LineMerge(GeomFromWKB(?1, 0)), ?2, ?3))")
        try statement.bind([.blob(Geometry.multiLineString(usable).wkb), .double(width), .int(Int64(quadrantSegments))])
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return Geometry(wkb: statement.blob(0))
    }
}
