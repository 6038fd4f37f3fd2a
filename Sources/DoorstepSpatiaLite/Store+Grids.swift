import DoorstepModel
import DoorstepGeometry
import DoorstepStore


extension Store {
    /// Every grid, ready for point-in-grid lookups.
    public func gridLocator() throws -> GridLocator {
        var grids = [(place: GridPlace, geometry: Geometry)]()
        try database.read {
            try database.prepare("SELECT id, name, community, street, district, geom FROM grids").forEach { row in
                guard let g = try geometry(row, 5) else { return }
                grids.append((GridPlace(id: row.text(0), name: row.text(1), community: row.optionalText(2),
                                        street: row.optionalText(3), district: row.optionalText(4)), g))
            }
        }
        return GridLocator(grids)
    }

}
