import DoorstepGeo
import Foundation

/// The sample city shipped in `geodata/nanjing-xinjiekou/`: real OpenStreetMap geometry of central Nanjing
/// (新街口 / 华侨路, data as of 2021-06-12) with the attributes OSM does not have invented deterministically.
///
/// Real: every way (geometry, `highway`, `name`, `foot`), every compound geometry and OSM name, the location and
/// name of the two `community_service` POIs, and the locations (not the names) of the synthetic stations, which
/// stand on real POIs. Synthetic: households, population, compound kinds, names where OSM has none, station
/// kinds/services/hours/phones/capacities/radii, entrances, and the governance grids with their hierarchy.
/// geodata/README.md documents every choice; the constants below are the knobs.
public struct SampleCity: Sendable {
    /// The seed the shipped sample was generated with (the OSM data's date).
    public static let defaultSeed: UInt64 = 20_210_612

    /// The seed every invented value derives from.
    public let seed: UInt64
    /// The OSM walkable ways, unchanged (id = `osm_id`).
    public private(set) var ways: [CityData.Way] = []
    /// Residential areas and the residential buildings outside them.
    public private(set) var compounds: [CityData.Compound] = []
    /// Gates on the largest compounds.
    public private(set) var entrances: [CityData.Entrance] = []
    /// Real centres first, then synthetic centres, stations and posts.
    public private(set) var stations: [CityData.Station] = []
    /// 500 m grids over the data's bounding box.
    public private(set) var grids: [CityData.Grid] = []

    // The knobs.
    static let gridCellMetres = 500.0
    static let syntheticPostCount = 22
    static let minimumStationSpacing = 120.0
    static let minimumPostSpacing = 150.0
    static let compoundsWithoutHouseholds = 3
    static let compoundsWithEntrances = 8
    static let shareWithGridID = 0.25

    /// Builds the sample from the four OSM extracts in `osmDirectory` (or its `osm/` subdirectory).
    public init(osmDirectory: URL, seed: UInt64 = SampleCity.defaultSeed) throws {
        self.seed = seed
        let extract = try OSMExtract(directory: osmDirectory)
        let all = extract.allCoordinates
        guard let minLon = all.map(\.lon).min(), let maxLon = all.map(\.lon).max(),
            let minLat = all.map(\.lat).min(), let maxLat = all.map(\.lat).max()
        else { throw CityGenError.badInput(file: osmDirectory.path, message: "the extracts hold no features") }
        let plane = LocalPlane(origin: Coordinate(lon: minLon, lat: minLat), referenceLatitude: (minLat + maxLat) / 2)
        let northEast = plane.point(Coordinate(lon: maxLon, lat: maxLat))
        let plan = GridPlan(
            southWest: plane.origin, width: northEast.x, height: northEast.y, cellMetres: Self.gridCellMetres,
            hierarchy: Self.hierarchy)
        let roads = RoadNames(ways: extract.walkableWays, plane: plane)

        ways = extract.walkableWays.map {
            CityData.Way(id: $0.osmID, highway: $0.tags["highway"] ?? "road", name: $0.name, foot: $0.tags["foot"], geometry: $0.geometry,
                         bridge: $0.tags["bridge"], tunnel: $0.tags["tunnel"], layer: $0.tags["layer"])
        }
        grids = plan.grids
        compounds = try Self.compounds(from: extract, plane: plane, plan: plan, roads: roads, seed: seed)
        let onClipLine = { (a: Coordinate, b: Coordinate) in
            (a.lon == b.lon && (a.lon == minLon || a.lon == maxLon)) || (a.lat == b.lat && (a.lat == minLat || a.lat == maxLat))
        }
        entrances = Self.entrances(for: compounds, plane: plane, seed: seed) { !onClipLine($0, $1) }
        stations = Self.stations(from: extract.pois, plane: plane, plan: plan, roads: roads, seed: seed)
    }

    /// Writes `ways`, `compounds`, `entrances`, `stations` and `grids` into `directory` (created if needed).
    @discardableResult
    public func write(to directory: URL, options: OutputOptions = OutputOptions()) throws -> [LayerSummary] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func metadata(_ content: String) -> [(String, String)] {
            [
                ("content", content),
                ("source", "OpenStreetMap, Overpass export, osm_base 2021-06-12T07:41:41Z (geodata/nanjing-xinjiekou/osm/)"),
                ("attribution", "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"),
                ("license", "ODbL-1.0"),
                ("generator", "doorstep-citygen sample --seed \(seed)"),
                ("crs", "WGS84 lon/lat (RFC 7946)"),
            ]
        }
        return [
            try writeLayer(ways, layer: "ways", to: directory, metadata: metadata(
                "real OSM walkable ways, geometry unchanged; id = osm_id; properties highway, name, foot, bridge, tunnel, layer from OSM")),
            try writePointLayer(compounds, layer: "compounds", to: directory, options: options, metadata: metadata(
                "real OSM residential areas and the residential buildings outside them; names from OSM or synthetic (name_source); kind, households, population, grid_id synthetic")),
            try writeLayer(entrances, layer: "entrances", to: directory, metadata: metadata(
                "synthetic gates on the boundaries of the largest compounds")),
            try writePointLayer(stations, layer: "stations", to: directory, options: options, metadata: metadata(
                "synthetic=false: real OSM community_service POIs; synthetic=true: invented stations placed on real POIs (osm_id); kind, services, hours, phone, capacity, radius_m synthetic")),
            try writeLayer(grids, layer: "grids", to: directory, metadata: metadata(
                "synthetic 500 m governance grids; communities, streets and districts named after the area but not the real boundaries")),
        ]
    }

    // MARK: Governance hierarchy

    /// 4 × 2 communities of 2 × 2 grids. The column boundary between the western and eastern pairs falls near
    /// 中山路 and the row boundary near 汉中路 / 中山东路, roughly where 鼓楼区, 玄武区 and 秦淮区 meet; community names
    /// are taken from lanes inside each block. The boundaries are not the real ones.
    static let hierarchy = GridHierarchy(
        cellsPerCommunity: 2,
        community: { column, row in
            let names = [
                ["石鼓路社区", "王府大街社区", "科巷社区", "汉府街社区"],  // south
                ["永庆巷社区", "管家桥社区", "碑亭巷社区", "太平桥社区"],  // north
            ]
            return names[min(max(row, 0), 1)][min(max(column, 0), 3)]
        },
        street: { column, row in
            switch (row >= 1, column >= 2) {
            case (true, false): ("华侨路街道", "鼓楼区")
            case (true, true): ("新街口街道", "玄武区")
            case (false, false): ("朝天宫街道", "秦淮区")
            case (false, true): ("洪武路街道", "秦淮区")
            }
        })

    // MARK: Compounds

    /// Residential areas, and residential buildings not inside one (a building inside an area is part of that
    /// compound; keeping both would count its households twice).
    static func compounds(
        from extract: OSMExtract, plane: LocalPlane, plan: GridPlan, roads: RoadNames, seed: UInt64
    ) throws -> [CityData.Compound] {
        let areaShapes = extract.residentialAreas.map { $0.geometry.polygons.map { $0.map(plane.points) } }
        let standalone = extract.residentialBuildings.filter { building in
            guard let rings = building.geometry.polygons.first?.map(plane.points) else { return false }
            let inner = Planar.interiorPoint(rings)
            return !areaShapes.contains { $0.contains { Planar.contains($0, inner) } }
        }
        var usedNames = Set<String>()
        var usedIDs = Set<String>()
        var result: [CityData.Compound] = []
        for (feature, isBuilding) in extract.residentialAreas.map({ ($0, false) }) + standalone.map({ ($0, true) }) {
            let number = osmNumber(feature.osmID)
            let id = "C" + String(number)
            guard usedIDs.insert(id).inserted else {
                throw CityGenError.badInput(file: "residential_*.geojson", message: "two compounds would get id \(id)")
            }
            var rng = SplitMix64(seed: seed, stream: "compound", index: number)
            let polygons = feature.geometry.polygons.map { $0.map(plane.points) }
            let landArea = polygons.reduce(0) { $0 + Planar.area($1) }
            guard let largest = polygons.max(by: { Planar.area($0) < Planar.area($1) }), !largest.isEmpty else {
                throw CityGenError.badInput(file: "residential_*.geojson", message: "\(feature.osmID) is not a polygon")
            }
            let inner = Planar.interiorPoint(largest)
            let representative = plane.coordinate(x: inner.x, y: inner.y)

            // Buildings of one named estate (凯润金城6栋, 凯润金城7栋) share its kind.
            var kindRNG = SplitMix64(seed: seed, stream: "compound-kind:" + (feature.name.map(estateName) ?? feature.osmID))
            let kind: CityData.CompoundKind =
                feature.tags["building"] == "dormitory" ? .workUnit : kindRNG.weighted(Vocabulary.compoundKindWeights)
            let households: Int
            if isBuilding {
                let floors = switch feature.tags["building", default: ""] {
                case "house": rng.int(in: 2...3)
                case "apartments": rng.int(in: 12...30)
                default: rng.int(in: 5...18)
                }
                households = Vocabulary.householdsInBuilding(footprint: landArea, floors: floors, using: &rng)
            } else {
                households = Vocabulary.householdsOnLand(area: landArea, using: &rng)
            }
            let population = Vocabulary.population(of: households, using: &rng)
            let gridID = rng.chance(shareWithGridID) ? plan.gridID(containing: representative) : nil

            let name: String, source: CityData.NameSource
            if let real = feature.name {
                (name, source) = (real, .osm)
                usedNames.insert(real)
            } else {
                let road = roads.nearest(to: inner) ?? "无名路"
                var candidate = ""
                for _ in 0..<20 {
                    candidate = isBuilding
                        ? road + "\(rng.int(in: 1...200))号"
                        : rng.element(of: [road + "\(rng.int(in: 1...200))号院", road + "小区", road + "新村"])
                    if !usedNames.contains(candidate) { break }
                }
                (name, source) = (Vocabulary.unique(candidate, in: &usedNames), .synthetic)
            }
            result.append(CityData.Compound(
                id: id, name: name, nameSource: source, kind: kind, households: households, population: population,
                gridID: gridID, geometry: feature.geometry, representativePoint: representative, osmID: feature.osmID))
        }
        // A few compounds whose households (and population) are unknown, as in real registers.
        var rng = SplitMix64(seed: seed, stream: "unknown-households")
        for index in rng.sample(Array(result.indices), count: compoundsWithoutHouseholds) {
            result[index].households = nil
            result[index].population = nil
        }
        return result
    }

    /// 1–3 gates on each of the largest compounds, on edges `usable` accepts.
    static func entrances(
        for compounds: [CityData.Compound], plane: LocalPlane, seed: UInt64, usable: (Coordinate, Coordinate) -> Bool
    ) -> [CityData.Entrance] {
        let withArea = compounds.compactMap { compound -> (CityData.Compound, [Coordinate], Double)? in
            let rings = compound.geometry.polygons.map { $0[0] }
            guard let outer = rings.max(by: { abs(Planar.signedArea(plane.points($0))) < abs(Planar.signedArea(plane.points($1))) })
            else { return nil }
            return (compound, outer, abs(Planar.signedArea(plane.points(outer))))
        }
        let largest = withArea.sorted { ($0.2, $1.0.id) > ($1.2, $0.0.id) }.prefix(compoundsWithEntrances)
        return largest.sorted { $0.0.id < $1.0.id }.flatMap { compound, ring, _ in
            var rng = SplitMix64(seed: seed, stream: "entrance", index: osmNumber(compound.osmID ?? ""))
            return EntrancePlacement.place(
                count: rng.int(in: 1...3), on: ring, plane: plane, compoundID: compound.id, using: &rng, usable: usable)
        }
    }

    // MARK: Stations

    /// The real community-service POIs (the 玄武区 and 秦淮区 government offices) as centres, then synthetic stations
    /// on other POIs taken in a seeded random order: a centre for each street without a real one, a station in
    /// each community, and `syntheticPostCount` posts, each at least `minimumStationSpacing` (posts
    /// `minimumPostSpacing`) from every station already placed.
    static func stations(
        from pois: [OSMExtract.Feature], plane: LocalPlane, plan: GridPlan, roads: RoadNames, seed: UInt64
    ) -> [CityData.Station] {
        struct Site {
            var poi: OSMExtract.Feature
            var location: Coordinate
            var kind: CityData.StationKind
            var synthetic: Bool
        }
        func site(_ poi: OSMExtract.Feature, _ kind: CityData.StationKind, synthetic: Bool) -> Site? {
            guard case .point(let c) = poi.geometry else { return nil }
            return Site(poi: poi, location: roundedTo7Decimals(c), kind: kind, synthetic: synthetic)
        }
        let byID = pois.sorted { $0.osmID < $1.osmID }
        var sites = byID.filter { $0.tags["candidate_class"] == "community_service" }.compactMap { site($0, .center, synthetic: false) }
        var candidates = byID.filter { $0.tags["candidate_class"] != "community_service" }.compactMap { site($0, .post, synthetic: true) }
        var rng = SplitMix64(seed: seed, stream: "station-sites")
        rng.shuffle(&candidates)

        /// Moves the first candidate satisfying `accept` that is far enough from every site into `sites`.
        func take(_ kind: CityData.StationKind, spacing: Double, where accept: (Site) -> Bool) {
            guard let index = candidates.firstIndex(where: { candidate in
                let p = plane.point(candidate.location)
                return accept(candidate) && sites.allSatisfy { other in
                    let q = plane.point(other.location)
                    return hypot(p.x - q.x, p.y - q.y) >= spacing
                }
            }) else { return }
            var chosen = candidates.remove(at: index)
            chosen.kind = kind
            sites.append(chosen)
        }
        let blocks = (0..<plan.communityRows).flatMap { row in (0..<plan.communityColumns).map { (column: $0, row: row) } }
        var streets: [String] = []
        for block in blocks {
            let street = plan.hierarchy.street(block.column, block.row).street
            if !streets.contains(street) { streets.append(street) }
        }
        let servedStreets = Set(sites.map { plan.place(of: $0.location).street })
        for street in streets where !servedStreets.contains(street) {
            take(.center, spacing: minimumStationSpacing) { plan.place(of: $0.location).street == street }
        }
        for block in blocks {
            let community = plan.hierarchy.community(block.column, block.row)
            take(.station, spacing: minimumStationSpacing) { plan.place(of: $0.location).community == community }
        }
        for _ in 0..<syntheticPostCount {
            take(.post, spacing: minimumPostSpacing) { _ in true }
        }

        var usedNames = Set<String>()
        return sites.enumerated().map { index, site in
            var rng = SplitMix64(seed: seed, stream: "station", index: osmNumber(site.poi.osmID))
            let traits = Vocabulary.stationTraits(for: site.kind, using: &rng)
            let place = plan.place(of: site.location)
            // The road a station is named and addressed after: its OSM addr:street when that is Chinese, else the nearest.
            let addressStreet = site.poi.tags["addr:street"].flatMap { street in
                street.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } ? street : nil
            }
            let road = addressStreet ?? roads.nearest(to: plane.point(site.location)) ?? ""
            let base: String
            if let real = site.poi.name, !site.synthetic {
                base = real
            } else {
                base = switch site.kind {
                case .center: place.street + site.kind.chineseName
                case .station: place.community + site.kind.chineseName
                case .post: road + site.kind.chineseName
                }
            }
            let address: String
            if let addressStreet, let number = site.poi.tags["addr:housenumber"] {
                address = "南京市" + place.district + addressStreet + (number.hasSuffix("号") ? number : number + "号")
            } else {
                address = "南京市" + place.district + road + "\(rng.int(in: 1...300))号"
            }
            return CityData.Station(
                id: paddedID("S", index + 1, of: sites.count), name: Vocabulary.unique(base, in: &usedNames), kind: site.kind,
                services: traits.services, hours: traits.hours, address: address, phone: traits.phone,
                radiusMetres: traits.radiusMetres, capacity: traits.capacity, location: site.location,
                synthetic: site.synthetic, osmID: site.poi.osmID)
        }
    }

    /// A building's name without its building designation: "凯润金城6栋" → "凯润金城", "长发中心C座" → "长发中心".
    static func estateName(_ name: String) -> String {
        for suffix in ["栋", "座", "幢", "号楼"] where name.hasSuffix(suffix) {
            let stem = name.dropLast(suffix.count)
            let trimmed = stem.reversed().drop { $0.isNumber || ("A"..."Z").contains($0) }
            if trimmed.count < stem.count { return String(trimmed.reversed()) }
        }
        return name
    }

    /// The number in an OSM id such as "way/27811140" (0 when there is none).
    static func osmNumber(_ osmID: String) -> Int {
        Int(osmID.split(separator: "/").last ?? "") ?? 0
    }
}

/// Named streets of the sample, for naming and addressing things after the road they stand on.
struct RoadNames: Sendable {
    private var segments: [(PlanePoint, PlanePoint, String)] = []

    /// Roads a building could be addressed on: named, not a footway, service road, steps or tunnel.
    init(ways: [OSMExtract.Feature], plane: LocalPlane) {
        let addressable: Set<String> = [
            "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street", "pedestrian",
        ]
        for way in ways where addressable.contains(way.tags["highway"] ?? "") && way.tags["tunnel"] != "yes" {
            guard let name = way.name else { continue }
            for line in way.geometry.lines {
                let points = plane.points(line)
                for i in 0..<(points.count - 1) {
                    segments.append((points[i], points[i + 1], name))
                }
            }
        }
    }

    /// The name of the addressable road nearest to `point`.
    func nearest(to point: PlanePoint) -> String? {
        var best: (distance: Double, name: String)?
        for (a, b, name) in segments {
            let d = Planar.distance(point, toSegment: a, b)
            if d < best?.distance ?? .infinity { best = (d, name) }
        }
        return best?.name
    }
}
