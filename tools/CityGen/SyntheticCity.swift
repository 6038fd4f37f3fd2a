import DoorstepGeo
import Foundation

/// A synthetic city of any size, for tests and benchmarks: a square street lattice, stations and compounds scattered
/// in it, and governance grids over it. Everything is invented and determined by the parameters and the seed.
///
/// - Streets: `waysGrid` × `waysGrid` blocks of 100 m. Every edge between adjacent lattice nodes is its own
///   LineString (2·G·(G+1) of them), named by its line ("纬12路" east–west, "经7路" north–south); every 10th line
///   is `primary`, every 5th `secondary`, the rest `residential`, about 5 % of residential edges are unnamed
///   `footway`s, about 0.5 % of all edges are `foot=no`, and about 3 % of blocks have a diagonal footway between
///   opposite corners (sharing the corner nodes, so nothing crosses without a shared vertex).
/// - Stations: uniform over the lattice; about 5 % centres, 30 % stations, 65 % posts.
/// - Compounds: rectangles of 30–75 m set back 10 m inside a random block (about 85 % Polygon, 5 % MultiPolygon,
///   10 % Point), households from land area, about 3 % without households or population, about 20 % with an
///   explicit `grid_id`; about 5 % of polygon compounds have 1–3 entrances on their boundary.
/// - Grids: 500 m cells; 2 × 2 grids per community, 3 × 3 communities per street, 3 × 3 streets per district.
///
/// - River (only with `river: true`, and a lattice of at least 2 blocks): a canal 4 m wide running east–west through
///   the middle of block row ⌊G/2⌋, narrower than `network mend`'s default tolerance. The north–south streets of
///   that row stop at its banks (their two stubs 4.5 m apart, across the water), except every 4th column (i = 0, 4,
///   8 …), which crosses on a bridge (`bridge=yes`, `layer=1`, 27 m long) split from its two approaches by 1.5 m
///   gaps on land. `riverPolygon` is the water (for `network mend --water`; `write` also writes `water.geojson`).
///
/// Each station and compound is drawn from its own seeded stream, so the first n stations of a bigger city are
/// the stations of a smaller one with the same seed and lattice, and any item can be produced on its own.
public struct SyntheticCity: Sendable {
    /// Side of a lattice block in metres.
    public static let blockMetres = 100.0
    /// Side of a governance grid cell in metres.
    public static let gridCellMetres = 500.0
    /// The default centre: central Nanjing.
    public static let defaultCenter = Coordinate(lon: 118.78, lat: 32.04)

    /// Number of stations (ids S…1 to S…`stationCount`).
    public let stationCount: Int
    /// Number of compounds (ids C…1 to C…`compoundCount`).
    public let compoundCount: Int
    /// Blocks per side of the street lattice.
    public let waysGrid: Int
    /// The seed every invented value derives from.
    public let seed: UInt64
    /// The centre of the lattice.
    public let center: Coordinate
    /// Whether a canal crosses the lattice (see the type's description).
    public let river: Bool

    /// The lattice's plane: origin at its south-west node.
    private let plane: LocalPlane
    private let plan: GridPlan

    /// A city of `stations` stations and `compounds` compounds on a `waysGrid` × `waysGrid`-block lattice
    /// centred on `center`. Counts must be ≥ 0 and `waysGrid` ≥ 1.
    public init(stations: Int, compounds: Int, waysGrid: Int, seed: UInt64 = 1, center: Coordinate = SyntheticCity.defaultCenter,
                river: Bool = false) {
        precondition(stations >= 0 && compounds >= 0, "counts must not be negative")
        precondition(waysGrid >= 1, "the lattice needs at least one block")
        self.river = river && waysGrid >= 2
        stationCount = stations
        compoundCount = compounds
        self.waysGrid = waysGrid
        self.seed = seed
        self.center = center
        let side = Double(waysGrid) * Self.blockMetres
        let southWest = LocalPlane(origin: center).coordinate(x: -side / 2, y: -side / 2)
        plane = LocalPlane(origin: southWest, referenceLatitude: center.lat)
        let cells = max(1, Int((side / Self.gridCellMetres).rounded(.up)))
        plan = GridPlan(plane: plane, cellMetres: Self.gridCellMetres, columns: cells, rows: cells, hierarchy: Self.hierarchy(cells: cells))
    }

    /// Side of the lattice in metres.
    public var sideMetres: Double { Double(waysGrid) * Self.blockMetres }

    /// South-west and north-east corners of the lattice.
    public var extent: (southWest: Coordinate, northEast: Coordinate) {
        (node(0, 0), node(waysGrid, waysGrid))
    }

    /// Edges between adjacent lattice nodes: 2·G·(G+1). `forEachWay` adds the diagonal footways to these.
    public var latticeEdgeCount: Int { 2 * waysGrid * (waysGrid + 1) }

    // MARK: Stations

    /// Station number `index` (0-based; id "S…" numbers from 1).
    public func station(at index: Int) -> CityData.Station {
        var rng = SplitMix64(seed: seed, stream: "station", index: index)
        let x = rng.uniform(0, sideMetres), y = rng.uniform(0, sideMetres)
        let location = plane.coordinate(x: x, y: y)
        let kind = rng.weighted(Vocabulary.stationKindWeights)
        let traits = Vocabulary.stationTraits(for: kind, using: &rng)
        let place = plan.place(of: location)
        let road = nearestRoad(x: x, y: y)
        let name = switch kind {
        case .center: place.street + kind.chineseName
        case .station: place.community + kind.chineseName
        case .post: road + kind.chineseName
        }
        return CityData.Station(
            id: paddedID("S", index + 1, of: stationCount), name: name, kind: kind, services: traits.services,
            hours: traits.hours, address: place.district + road + "\(rng.int(in: 1...400))号", phone: traits.phone,
            radiusMetres: traits.radiusMetres, capacity: traits.capacity, location: location)
    }

    /// All stations, in id order (generated on each access: keep the array).
    public var stations: [CityData.Station] {
        (0..<stationCount).map(station(at:))
    }

    // MARK: Compounds

    /// Compound number `index` (0-based; id "C…" numbers from 1) with its entrances (often none).
    public func compound(at index: Int) -> (compound: CityData.Compound, entrances: [CityData.Entrance]) {
        var rng = SplitMix64(seed: seed, stream: "compound", index: index)
        let block = Self.blockMetres, setback = 10.0
        let bx = Double(rng.below(waysGrid)) * block, by = Double(rng.below(waysGrid)) * block
        let width = rng.uniform(30, 75), height = rng.uniform(30, 75)
        let x0 = bx + rng.uniform(setback, block - setback - width), y0 = by + rng.uniform(setback, block - setback - height)
        let shape = rng.weighted([(0, 85), (1, 5), (2, 10)])  // polygon, multipolygon, point
        let id = paddedID("C", index + 1, of: compoundCount)

        let geometry: CityData.Geometry
        let representative: Coordinate
        var landArea = width * height
        switch shape {
        case 0:
            geometry = .polygon([rectangle(x0, y0, x0 + width, y0 + height)])
            representative = plane.coordinate(x: x0 + width / 2, y: y0 + height / 2)
        case 1:  // two buildings side by side along the longer side, 4 m apart
            let gap = 4.0
            let parts: [[Coordinate]]
            if width >= height {
                let half = (width - gap) / 2
                parts = [rectangle(x0, y0, x0 + half, y0 + height), rectangle(x0 + half + gap, y0, x0 + width, y0 + height)]
                representative = plane.coordinate(x: x0 + half / 2, y: y0 + height / 2)
                landArea = 2 * half * height
            } else {
                let half = (height - gap) / 2
                parts = [rectangle(x0, y0, x0 + width, y0 + half), rectangle(x0, y0 + half + gap, x0 + width, y0 + height)]
                representative = plane.coordinate(x: x0 + width / 2, y: y0 + half / 2)
                landArea = 2 * half * width
            }
            geometry = .multiPolygon(parts.map { [$0] })
        default:
            representative = plane.coordinate(x: x0 + width / 2, y: y0 + height / 2)
            geometry = .point(representative)
        }

        let kind = rng.weighted(Vocabulary.compoundKindWeights)
        var households: Int? = Vocabulary.householdsOnLand(area: landArea, using: &rng)
        var population: Int? = households.map { Vocabulary.population(of: $0, using: &rng) }
        if rng.chance(0.03) {
            households = nil
            population = nil
        }
        let compound = CityData.Compound(
            id: id, name: Vocabulary.compoundName(using: &rng), kind: kind, households: households,
            population: population, gridID: rng.chance(0.2) ? plan.gridID(containing: representative) : nil,
            geometry: geometry, representativePoint: representative)

        var entrances: [CityData.Entrance] = []
        if let ring = geometry.polygons.first?.first, rng.chance(0.05) {
            entrances = EntrancePlacement.place(count: rng.int(in: 1...3), on: ring, plane: plane, compoundID: id, using: &rng)
        }
        return (compound, entrances)
    }

    /// All compounds, in id order (generated on each access).
    public var compounds: [CityData.Compound] {
        (0..<compoundCount).map { compound(at: $0).compound }
    }

    /// All entrances, in compound order (generated on each access).
    public var entrances: [CityData.Entrance] {
        (0..<compoundCount).flatMap { compound(at: $0).entrances }
    }

    /// A counter-clockwise closed rectangle between plane corners (x0, y0) and (x1, y1).
    private func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [Coordinate] {
        let sw = plane.coordinate(x: x0, y: y0)
        return [sw, plane.coordinate(x: x1, y: y0), plane.coordinate(x: x1, y: y1), plane.coordinate(x: x0, y: y1), sw]
    }

    // MARK: River

    /// Width of the canal in metres, and the gap between a bridge and each of its approaches.
    public static let riverMetres = 4.0
    public static let bridgeGapMetres = 1.5
    /// Half the length of a bridge.
    static let bridgeHalfMetres = 13.5
    /// The block row the canal runs through, and the plane y of its centre line.
    var riverRow: Int { waysGrid / 2 }
    var riverY: Double { (Double(riverRow) + 0.5) * Self.blockMetres }

    /// Whether column `i`'s street crosses the canal on a bridge.
    public static func isBridgeColumn(_ i: Int) -> Bool { i % 4 == 0 }

    /// The canal as a polygon ring (closed, counter-clockwise), 50 m beyond the lattice at both ends; nil without one.
    public var riverPolygon: [Coordinate]? {
        guard river else { return nil }
        let y0 = riverY - Self.riverMetres / 2, y1 = riverY + Self.riverMetres / 2
        return rectangle(-50, y0, sideMetres + 50, y1)
    }

    /// The ways of column `i` in the canal's block row: two stubs to the banks, or approach, bridge, approach.
    private func riverCrossing(_ i: Int, highway: String, name: String?, foot: String?) -> [(String, String?, String?, [Coordinate], Bool)] {
        let x = Double(i) * Self.blockMetres
        let south = node(i, riverRow), north = node(i, riverRow + 1)
        func at(_ y: Double) -> Coordinate { plane.coordinate(x: x, y: y) }
        guard Self.isBridgeColumn(i) else {
            // The stubs stop 0.25 m short of the water: 4.5 m apart across it.
            let bank = Self.riverMetres / 2 + 0.25
            return [(highway, name, foot, [south, at(riverY - bank)], false), (highway, name, foot, [at(riverY + bank), north], false)]
        }
        let half = Self.bridgeHalfMetres, gap = Self.bridgeGapMetres
        return [
            (highway, name, foot, [south, at(riverY - half - gap)], false),
            (highway, name.map { $0 + "桥" }, foot, [at(riverY - half), at(riverY + half)], true),
            (highway, name, foot, [at(riverY + half + gap), north], false),
        ]
    }

    // MARK: Ways

    /// The lattice node at column `i`, row `j` (0 … G): the one place node positions are computed, so edges meeting
    /// at a node carry identical coordinates.
    private func node(_ i: Int, _ j: Int) -> Coordinate {
        plane.coordinate(x: Double(i) * Self.blockMetres, y: Double(j) * Self.blockMetres)
    }

    private static func highway(line: Int) -> String {
        line % 10 == 0 ? "primary" : line % 5 == 0 ? "secondary" : "residential"
    }

    private static func rowName(_ j: Int) -> String { "纬\(j + 1)路" }
    private static func columnName(_ i: Int) -> String { "经\(i + 1)路" }

    /// The name of the lattice street nearest to plane position (x, y).
    private func nearestRoad(x: Double, y: Double) -> String {
        let i = Int((x / Self.blockMetres).rounded()), j = Int((y / Self.blockMetres).rounded())
        return abs(x - Double(i) * Self.blockMetres) <= abs(y - Double(j) * Self.blockMetres) ? Self.columnName(i) : Self.rowName(j)
    }

    /// Every way, streamed row by row from the south (no array of a million ways is ever built). Ids are
    /// "W…" in this order.
    public func forEachWay(_ body: (CityData.Way) throws -> Void) rethrows {
        let g = waysGrid
        let rowNames = (0...g).map(Self.rowName), columnNames = (0...g).map(Self.columnName)
        let rowHighways = (0...g).map(Self.highway(line:)), columnHighways = (0...g).map(Self.highway(line:))
        let idCount = latticeEdgeCount + g * g + (river ? 2 * (g + 1) : 0)
        var number = 0
        var below = (0...g).map { node($0, 0) }
        /// A lattice edge: the line's class and name, sometimes turned into a footway or closed to walkers.
        func edge(_ highway: String, _ name: String?, _ a: Coordinate, _ b: Coordinate, stream index: Int) -> CityData.Way {
            var rng = SplitMix64(seed: seed, stream: "way", index: index)
            var highway = highway, name = name
            if highway == "residential", rng.chance(0.05) {
                highway = "footway"
                name = nil
            }
            let foot: String? = rng.chance(0.005) ? "no" : nil
            number += 1
            return CityData.Way(id: paddedID("W", number, of: idCount), highway: highway, name: name, foot: foot, geometry: .lineString([a, b]))
        }
        for j in 0...g {
            for i in 0..<g {
                try body(edge(rowHighways[j], rowNames[j], below[i], below[i + 1], stream: j * g + i))
            }
            guard j < g else { break }
            let above = (0...g).map { node($0, j + 1) }
            for i in 0...g {
                let way = edge(columnHighways[i], columnNames[i], below[i], above[i], stream: g * (g + 1) + j * (g + 1) + i)
                guard river, j == riverRow else { try body(way); continue }
                // The canal's row: the street in two or three pieces (the first keeps the lattice edge's id).
                for (k, piece) in riverCrossing(i, highway: way.highway, name: way.name, foot: way.foot).enumerated() {
                    if k > 0 { number += 1 }
                    try body(CityData.Way(id: k == 0 ? way.id : paddedID("W", number, of: idCount), highway: piece.0, name: piece.1,
                                          foot: piece.2, geometry: .lineString(piece.3),
                                          bridge: piece.4 ? "yes" : nil, layer: piece.4 ? "1" : nil))
                }
            }
            for i in 0..<g {
                var rng = SplitMix64(seed: seed, stream: "block", index: j * g + i)
                guard rng.chance(0.03) else { continue }
                let (a, b) = rng.chance(0.5) ? (below[i], above[i + 1]) : (below[i + 1], above[i])
                number += 1
                try body(CityData.Way(id: paddedID("W", number, of: idCount), highway: "footway", name: nil, foot: nil, geometry: .lineString([a, b])))
            }
            below = above
        }
    }

    // MARK: Grids

    /// All grids, in id order (reading order from the north-west).
    public var grids: [CityData.Grid] { plan.grids }

    private static func hierarchy(cells: Int) -> GridHierarchy {
        let communityColumns = (cells + 1) / 2
        let streetColumns = (communityColumns + 2) / 3
        let districtColumns = (streetColumns + 2) / 3
        return GridHierarchy(
            cellsPerCommunity: 2,
            community: { column, row in Vocabulary.placeName(row * communityColumns + column) + "社区" },
            street: { column, row in
                let (sc, sr) = (column / 3, row / 3)
                let (dc, dr) = (sc / 3, sr / 3)
                return (
                    Vocabulary.placeName((sr * streetColumns + sc) * 37 + 11) + "街道",
                    Vocabulary.placeName((dr * districtColumns + dc) * 101 + 500) + "区"
                )
            })
    }

    // MARK: Writing

    /// Streams `stations`, `compounds`, `entrances`, `ways` and `grids` into `directory` (created if needed):
    /// memory stays bounded whatever the size.
    @discardableResult
    public func write(to directory: URL, options: OutputOptions = OutputOptions()) throws -> [LayerSummary] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func metadata(_ content: String) -> [(String, String)] {
            [
                ("content", content + " (synthetic city: every feature is invented)"),
                ("generator", "doorstep-citygen synthetic --stations \(stationCount) --compounds \(compoundCount) --ways-grid \(waysGrid) --seed \(seed) --center \(center.lon),\(center.lat)"),
                ("crs", "WGS84 lon/lat (RFC 7946)"),
            ]
        }
        var summaries: [LayerSummary] = []

        let stationWriter = try PointLayerWriter<CityData.Station>(
            directory: directory, layer: "stations", options: options, metadata: metadata("stations"))
        for index in 0..<stationCount { try stationWriter.write(station(at: index)) }
        summaries.append(try stationWriter.finish())

        let compoundWriter = try PointLayerWriter<CityData.Compound>(
            directory: directory, layer: "compounds", options: options, metadata: metadata("compounds"))
        let entranceWriter = try GeoJSONLayerWriter(directory: directory, layer: "entrances", metadata: metadata("entrances"))
        for index in 0..<compoundCount {
            let (compound, entrances) = compound(at: index)
            try compoundWriter.write(compound)
            for entrance in entrances { try entranceWriter.write(entrance) }
        }
        summaries.append(try compoundWriter.finish())
        summaries.append(try entranceWriter.finish())

        let wayWriter = try GeoJSONLayerWriter(directory: directory, layer: "ways", metadata: metadata("lattice streets"))
        try forEachWay { try wayWriter.write($0) }
        summaries.append(try wayWriter.finish())

        let gridWriter = try GeoJSONLayerWriter(directory: directory, layer: "grids", metadata: metadata("500 m governance grids"))
        try plan.forEachGrid { try gridWriter.write($0) }
        summaries.append(try gridWriter.finish())

        if let ring = riverPolygon {
            let waterWriter = try GeoJSONLayerWriter(directory: directory, layer: "water", metadata: metadata("the canal, for network mend --water"))
            try waterWriter.write(CityData.Water(id: "river", name: "运河", geometry: .polygon([ring])))
            summaries.append(try waterWriter.finish())
        }
        return summaries
    }
}
