/// A governance grid 网格 and the hierarchy above it, as a place answer.
public struct GridPlace: Sendable, Hashable {
    public let id: String
    public let name: String
    public let community: String?
    public let street: String?
    public let district: String?
}

extension Store {
    /// For each point, the grid containing it (the lowest id when grids overlap), or nil outside every grid.
    public func grids(containing points: [Coordinate]) throws -> [GridPlace?] {
        try database.read {
            let statement = try database.cached("""
                SELECT g.id, g.name, g.community, g.street, g.district FROM grids g
                WHERE g.fid IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'grids' AND f_geometry_column = 'geom'
                                AND search_frame = MakePoint(?1, ?2, 4326))
                  AND ST_Contains(g.geom, MakePoint(?1, ?2, 4326))
                ORDER BY g.id LIMIT 1
                """)
            return try points.map { p -> GridPlace? in
                var place: GridPlace?
                try statement.forEach([.double(p.lon), .double(p.lat)]) { row in
                    place = GridPlace(id: row.text(0), name: row.text(1), community: row.optionalText(2),
                                      street: row.optionalText(3), district: row.optionalText(4))
                }
                return place
            }
        }
    }
}
