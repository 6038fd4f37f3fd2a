import DoorstepAnalysis
import DoorstepExport
import DoorstepGeometry
import DoorstepModel
import DoorstepNetwork
import DoorstepStore
import Foundation

/// The coverage map (SVG; the CLI converts it to PNG): the whole city, or one area for its own report —
/// `doorstep render`.
public enum RenderUseCase {
    public struct Options: Sendable {
        // MARK: Limits and defaults

        /// Width of the map frame, pixels (the legend panel is added to the right).
        public static let widthPixels: ClosedRange<Double> = 400...10_000
        public static let defaultWidth = 1400.0
        /// Walking areas are drawn for at most this many qualifying stations in the frame. A city's thousands take
        /// minutes (a GEOS buffer each), make most of the file's bytes and cover each other into one blue sheet; the
        /// compounds' colours show the coverage, and one area (`--grid` …) draws its stations' areas.
        public static let walkingAreaStations = 300
        /// A few valid values are listed when an area is unknown.
        static let listedValues = 5

        // MARK: The options

        /// One area drawn for its own report.
        public enum Area: Sendable, Equatable {
            /// `bbox`: a longitude/latitude box.
            case bbox(BoundingBox)
            /// `grid`, `community`, `street`: the grids with this id, or of this community or street.
            case grid(String), community(String), street(String)
        }

        public let analysis: AnalysisOptions
        /// The SVG file; `-` is standard output.
        public let out: String
        /// Also a PNG beside the SVG (the CLI converts with rsvg-convert).
        public let png: Bool
        public let title: String?
        public let width: Double
        /// Radius circles instead of walking areas.
        public let circles: Bool
        /// Nil: the whole city.
        public let area: Area?

        public init(_ analysis: AnalysisOptions, out: String, png: Bool = false, title: String? = nil, width: Double? = nil,
                    circles: Bool = false, bbox: String? = nil, grid: String? = nil, community: String? = nil, street: String? = nil) throws {
            let given = [("bbox", bbox), ("grid", grid), ("community", community), ("street", street)].filter { $0.1 != nil }
            if given.count > 1 {
                throw UseCaseError.conflict(given.map(\.0), "give one of \(name: "bbox"), \(name: "grid"), \(name: "community"), \(name: "street")")
            }
            if let bbox {
                area = .bbox(try Limits.box(bbox, "bbox"))
            } else if let grid {
                area = .grid(grid)
            } else if let community {
                area = .community(community)
            } else {
                area = street.map(Area.street)
            }
            self.width = try width.map { try Limits.check(Limits.finite($0, "width"), Self.widthPixels, "width", unit: "px") } ?? Self.defaultWidth
            if png && out == "-" {
                throw UseCaseError.conflict(["png"], "needs an SVG file to convert (\(name: "out") - writes the SVG to standard output)")
            }
            // Walking areas have their own radius limit.
            if analysis.walk && !circles { _ = try AreasUseCase.Options(analysis) }
            self.analysis = analysis
            self.out = out
            self.png = png
            self.title = title
            self.circles = circles
        }
    }

    public struct Result: Sendable {
        public let summary: MapSummary
        /// Qualifying stations beyond the snap limit (walking).
        public let stationsOffNetwork: [String]
        /// What the user should know: walking areas left out.
        public let notes: [String]
    }

    public static func run(_ options: Options, on source: DatabaseSource) throws -> Result {
        let analysis = options.analysis
        let report = try CoverageUseCase.report(analysis, on: source)
        let area = try options.area.map { try mapArea($0, store: source.store) }
        var notes = [String]()
        var areas: [Geometry]?, leftOut: Int?
        if analysis.walk && !options.circles {
            let areasOptions = try AreasUseCase.Options(analysis)
            var drawn = try areasOptions.select(from: source.stations())
            if let area { drawn = drawn.filter { reaches($0, analysis.reach.radius(of: $0), into: area.extent) } }
            if drawn.count > Options.walkingAreaStations {
                leftOut = drawn.count
                notes.append("""
                    walking areas of \(drawn.count) stations are not drawn (more than \(Options.walkingAreaStations) on one map); \
                    the compounds' colours show coverage: draw one area (--bbox, --grid, --community, --street) for its areas, or --circles
                    """)
            } else if drawn.isEmpty {
                areas = []
            } else {
                let named = try AreasUseCase.Options(analysis, stations: drawn.map(\.id))
                areas = try AreasUseCase.run(named, on: source).areas.map(\.geometry)
            }
        }
        // Written whole or not at all: into a temporary beside the file, renamed into place when complete.
        let summary = try AtomicOutput.write(to: options.out) {
            try MapRenderer.render(report: report, store: source.store, serviceAreas: areas, to: $0,
                                   options: MapOptions(title: options.title, mapWidth: options.width, area: area,
                                                       serviceAreasLeftOut: leftOut))
        }
        return Result(summary: summary, stationsOffNetwork: report.stationsOffNetwork, notes: notes)
    }

    /// Whether a station's service area (`radius` metres around it) may reach into `box` or the map's margin around it
    /// (half the box's longer side, and 200 m).
    static func reaches(_ station: Station, _ radius: Double, into box: BoundingBox) -> Bool {
        let metresPerDegree = 111_320.0
        let side = max((box.east - box.west) * metresPerDegree * cos(box.center.lat * .pi / 180), (box.north - box.south) * metresPerDegree)
        let reach = radius + side / 2 + 200
        let dLat = reach / metresPerDegree, dLon = reach / (metresPerDegree * max(0.01, cos(box.center.lat * .pi / 180)))
        let c = station.location
        return c.lon >= box.west - dLon && c.lon <= box.east + dLon && c.lat >= box.south - dLat && c.lat <= box.north + dLat
    }

    /// The area as the map draws it: its extent, its name, and which compounds it holds. Grids, communities and streets
    /// are the grids layer's; an unknown one is refused with a few of the known ones.
    static func mapArea(_ area: Options.Area, store: any StoreReader) throws -> MapArea {
        let parameter: String, value: String, level: CoverageLevel, label: String
        switch area {
        case .bbox(let b):
            let corners = [(b.west, b.south), (b.east, b.south), (b.east, b.north), (b.west, b.north), (b.west, b.south)]
            let outline = Geometry.polygon([corners.map { Coordinate(lon: $0.0, lat: $0.1) }])
            return MapArea(extent: b, label: "范围 bbox \(b.west),\(b.south),\(b.east),\(b.north)", outline: [outline]) { site in
                site.referencePoints.contains { $0.lon >= b.west && $0.lon <= b.east && $0.lat >= b.south && $0.lat <= b.north }
            }
        case .grid(let id): (parameter, value, level, label) = ("grid", id, .grid, "网格 grid")
        case .community(let name): (parameter, value, level, label) = ("community", name, .community, "社区 community")
        case .street(let name): (parameter, value, level, label) = ("street", name, .street, "街道 street")
        }
        func key(_ place: GridPlace) -> String? {
            switch level {
            case .grid: return place.id
            case .community: return place.community
            default: return place.street
            }
        }
        let locator = try store.gridLocator()
        var extent: BoundingBox?, known = Set<String>(), outline = [Geometry]()
        try store.forEachGeometry(of: .grids) { id, geometry in
            guard let place = locator.grid(id: id), let k = key(place) else { return }
            known.insert(k)
            guard k == value else { return }
            outline.append(geometry)
            geometry.forEachCoordinate { c in
                let b = BoundingBox(west: c.lon, south: c.lat, east: c.lon, north: c.lat)
                extent = extent?.union(b) ?? b
            }
        }
        guard let extent else {
            let some = known.sorted().prefix(Options.listedValues).map(Limits.clip)
            let list = known.isEmpty ? "the database has no grids" : "known: \(some.joined(separator: ", "))\(known.count > some.count ? " … (\(known.count))" : "")"
            throw UseCaseError(.invalid, [parameter], "no \(parameter) \"\(Limits.clip(value))\" in the grids layer; \(list)")
        }
        return MapArea(extent: extent, label: "\(label) \(value)", outline: outline) { site in level.group(of: site).key == value }
    }
}
