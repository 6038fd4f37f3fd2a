/// Geometry work SpatiaLite/GEOS does for the analyses (buffers, unions, areas), in the metric zone's plane.
extension Store {
    /// The ground within `width` metres of any of `lines` (dissolved), as a WGS84 (Multi)Polygon, with its area in m².
    public func buffer(lines: [[Coordinate]], width: Double, zone: MetricZone) throws -> (geometry: Geometry, area: Double)? {
        let usable = lines.filter { $0.count >= 2 }
        guard !usable.isEmpty else { return nil }
        let statement = try database.cached("""
            SELECT AsBinary(ST_Transform(b, 4326)), ST_Area(b) FROM (
                SELECT ST_Buffer(ST_Transform(GeomFromWKB(?1, 4326), ?2), ?3) AS b)
            """)
        try statement.bind([.blob(Geometry.multiLineString(usable).wkb), .int(Int64(zone.epsg)), .double(width)])
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(0), let g = Geometry(wkb: statement.blob(0)) else { return nil }
        return (g, statement.double(1))
    }

    /// Area in m² of a WGS84 polygon measured in the metric zone's plane.
    public func area(of polygon: Geometry, zone: MetricZone) throws -> Double {
        let statement = try database.cached("SELECT ST_Area(ST_Transform(GeomFromWKB(?1, 4326), ?2))")
        try statement.bind([.blob(polygon.wkb), .int(Int64(zone.epsg))])
        defer { statement.reset() }
        return try statement.step() ? statement.double(0) : 0
    }
}
