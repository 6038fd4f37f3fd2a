import DoorstepGeo
import Foundation

/// How grid cells group into the governance hierarchy: square blocks of cells form a community (社区); the
/// closures name a community and place it in a street (街道) and district (区) from its block position.
struct GridHierarchy: Sendable {
    /// Cells per side of a community block (2 → a community is 2 × 2 grids).
    var cellsPerCommunity: Int
    /// The community at block column and row (row 0 is the southernmost).
    var community: @Sendable (_ column: Int, _ row: Int) -> String
    /// The street and district of the community at block column and row.
    var street: @Sendable (_ column: Int, _ row: Int) -> (street: String, district: String)
}

/// A regular lattice of square governance grids over a rectangle, with the hierarchy above them.
///
/// Cells are `cellMetres` squares in a `LocalPlane` whose origin is the south-west corner; their corners are computed
/// by one function of (column, row), so neighbouring cells share edges exactly. Grid ids run in reading order from
/// the north-west ("G001" …); a grid's name is its number within its community: "永庆巷社区第3网格".
struct GridPlan: Sendable {
    let plane: LocalPlane
    let cellMetres: Double
    let columns: Int
    let rows: Int
    let hierarchy: GridHierarchy

    /// Enough cells to cover `width` × `height` metres north-east of `southWest`.
    init(southWest: Coordinate, width: Double, height: Double, cellMetres: Double, hierarchy: GridHierarchy) {
        self.init(
            plane: LocalPlane(origin: southWest), cellMetres: cellMetres,
            columns: max(1, Int((width / cellMetres).rounded(.up))),
            rows: max(1, Int((height / cellMetres).rounded(.up))), hierarchy: hierarchy)
    }

    init(plane: LocalPlane, cellMetres: Double, columns: Int, rows: Int, hierarchy: GridHierarchy) {
        self.plane = plane
        self.cellMetres = cellMetres
        self.columns = columns
        self.rows = rows
        self.hierarchy = hierarchy
    }

    var count: Int { columns * rows }

    /// Community blocks across and up.
    var communityColumns: Int { (columns + hierarchy.cellsPerCommunity - 1) / hierarchy.cellsPerCommunity }
    var communityRows: Int { (rows + hierarchy.cellsPerCommunity - 1) / hierarchy.cellsPerCommunity }

    /// The cell containing `coordinate`, or nil outside the plan.
    func cell(containing coordinate: Coordinate) -> (column: Int, row: Int)? {
        let p = plane.point(coordinate)
        let column = Int((p.x / cellMetres).rounded(.down)), row = Int((p.y / cellMetres).rounded(.down))
        guard (0..<columns).contains(column), (0..<rows).contains(row) else { return nil }
        return (column, row)
    }

    /// The id of the grid containing `coordinate`, or nil outside the plan.
    func gridID(containing coordinate: Coordinate) -> String? {
        cell(containing: coordinate).map { gridID(column: $0.column, row: $0.row) }
    }

    /// Community, street and district at `coordinate` (the nearest cell's when outside the plan).
    func place(of coordinate: Coordinate) -> (community: String, street: String, district: String) {
        let p = plane.point(coordinate)
        let column = min(max(Int((p.x / cellMetres).rounded(.down)), 0), columns - 1)
        let row = min(max(Int((p.y / cellMetres).rounded(.down)), 0), rows - 1)
        let (bc, br) = (column / hierarchy.cellsPerCommunity, row / hierarchy.cellsPerCommunity)
        let (street, district) = hierarchy.street(bc, br)
        return (hierarchy.community(bc, br), street, district)
    }

    func gridID(column: Int, row: Int) -> String {
        paddedID("G", (rows - 1 - row) * columns + column + 1, of: count)
    }

    /// The grid at `column`, `row` (row 0 is the southernmost).
    func grid(column: Int, row: Int) -> CityData.Grid {
        let k = hierarchy.cellsPerCommunity
        let (bc, br) = (column / k, row / k)
        // Number the cells of a community in reading order; edge communities may be narrower than k.
        let width = min(k, columns - bc * k)
        let top = min(rows, (br + 1) * k) - 1
        let number = (top - row) * width + (column - bc * k) + 1
        let community = hierarchy.community(bc, br)
        let (street, district) = hierarchy.street(bc, br)
        let (x0, y0) = (Double(column) * cellMetres, Double(row) * cellMetres)
        let (x1, y1) = (x0 + cellMetres, y0 + cellMetres)
        let ring = [
            plane.coordinate(x: x0, y: y0), plane.coordinate(x: x1, y: y0), plane.coordinate(x: x1, y: y1),
            plane.coordinate(x: x0, y: y1), plane.coordinate(x: x0, y: y0),
        ]
        return CityData.Grid(
            id: gridID(column: column, row: row), name: community + "第\(number)网格", community: community,
            street: street, district: district, ring: ring)
    }

    /// Every grid in id order (reading order from the north-west).
    func forEachGrid(_ body: (CityData.Grid) throws -> Void) rethrows {
        for row in stride(from: rows - 1, through: 0, by: -1) {
            for column in 0..<columns {
                try body(grid(column: column, row: row))
            }
        }
    }

    var grids: [CityData.Grid] {
        var all: [CityData.Grid] = []
        all.reserveCapacity(count)
        forEachGrid { all.append($0) }
        return all
    }
}
