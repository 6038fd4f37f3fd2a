import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// What the coverage map shows besides the data.
public struct MapOptions: Sendable {
    /// The title; a bilingual default names the map.
    public var title: String?
    /// Width of the map frame in pixels (the legend panel is added to the right).
    public var mapWidth: Double
    /// Date printed under the title (yyyy-MM-dd), today when nil.
    public var date: String?
    /// One area drawn for its own report; nil: the whole city.
    public var area: MapArea?
    /// The number of qualifying stations whose walking areas were left out (a city's thousands cover the map and take
    /// minutes): the legend says so, and the compounds' colours show the coverage. Nil: areas or circles are drawn.
    public var serviceAreasLeftOut: Int?

    public init(title: String? = nil, mapWidth: Double = 1400, date: String? = nil, area: MapArea? = nil, serviceAreasLeftOut: Int? = nil) {
        self.title = title
        self.mapWidth = mapWidth
        self.date = date
        self.area = area
        self.serviceAreasLeftOut = serviceAreasLeftOut
    }
}

/// One area drawn for its own report (`render --bbox/--grid/--community/--street`): the map frames it with a margin,
/// draws only the features in the frame, and the legend counts its compounds.
public struct MapArea: Sendable {
    /// What the frame fits: the box asked, or the extent of the area's grids.
    public let extent: BoundingBox
    /// Named in the header after the reach: "网格 G001 · grid G001".
    public let label: String
    /// The area's outline, drawn over the compounds: its grids, or the box.
    public let outline: [Geometry]
    /// The compounds the legend counts and sums.
    public let compounds: @Sendable (CompoundSite) -> Bool

    public init(extent: BoundingBox, label: String, outline: [Geometry], compounds: @escaping @Sendable (CompoundSite) -> Bool) {
        self.extent = extent
        self.label = label
        self.outline = outline
        self.compounds = compounds
    }
}

/// What was drawn.
public struct MapSummary: Sendable {
    public let width: Int
    public let height: Int
    public let compounds: Int
    public let stations: Int
    public let serviceAreas: Int
    /// The marks the stations were gathered into when they were too crowded for a symbol each; nil: one symbol each.
    public let stationClusters: Int?
}

/// Draws the coverage map as SVG: grids shaded by the share of households covered, compounds coloured by status,
/// stations by kind with their service areas, streets faint underneath, a bilingual legend, a scale bar, a north
/// arrow, a title with the radius and mode, and the credits of the data drawn (`Credits`).
///
/// Positions are projected into the database's metric zone (Gauss-Kruger, DESIGN.md), so the map is true to scale
/// and the scale bar is in metres; grid north is drawn as north (the convergence inside a 3° zone is under 1.6°).
/// Layers are streamed from the store into the file, one feature at a time.
public enum MapRenderer {
    public static let fontFamily = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif"
    /// Grid shading: light to dark purple (share of households covered, 5 classes of 20 %); purple stays clear of
    /// the green/red compounds and the blue service areas.
    public static let shareClasses = ["#e7e3f2", "#cbc6e4", "#a9a3d2", "#8a81c0", "#6a51a3"]
    package static let serviceAreaColour = "#2c7fb8"
    /// Clusters of stations: the colour of the station disc.
    package static let clusterColour = "#08519c"
    public static var serviceAreaFill: String { serviceAreaColour }

    private static let defaultTitle = "家门口服务站覆盖图 · Community service station coverage"

    /// Renders `report` (and `serviceAreas`, walking polygons when given; else circles of each qualifying station's
    /// radius) from `store` into the SVG file at `path`.
    ///
    /// The sections are written in this order, later ones on top: the document's preamble, the header, then inside
    /// the clipped map frame the grids, streets, service areas, compounds, grid labels, stations and gap labels; then
    /// the scale bar, north arrow and attribution over the frame, and the legend panel to its right.
    public static func render(report: CoverageReport, store: any StoreReader, serviceAreas: [Geometry]? = nil, to path: String,
                              options: MapOptions = MapOptions()) throws -> MapSummary {
        let summaries = try store.layerSummaries()
        let credits = try store.credits(of: [.ways, .grids, .compounds, .entrances, .stations])
        let frame = try MapFrame.fitting(options.area?.extent ?? drawnExtent(summaries), zone: store.metricZone(), mapWidth: options.mapWidth)
        let legendCompounds = options.area.map { area in report.compounds.filter { area.compounds($0.site) } } ?? report.compounds
        let map = MapDrawing(svg: try SVGOutput(path: path), frame: frame, report: report, visible: options.area.map { _ in frame.visibleBox },
                             legendCompounds: legendCompounds)
        let title = options.title ?? defaultTitle
        map.drawPreamble(title: title, credits: credits)
        map.drawHeader(title: title, date: options.date ?? today(), area: options.area?.label)
        map.openMap()
        let gridLabels = try map.drawGrids(from: store)
        try map.drawStreets(from: store)
        let stations = try store.stations().filter(map.shows)
        let areaCount = options.serviceAreasLeftOut == nil
            ? map.drawServiceAreas(serviceAreas, of: stations.filter { report.options.filter.accepts($0) }) : 0
        let compounds = try map.collectCompounds(from: store)
        // Crowded stations are gathered into clusters, and then the gaps go on top of them.
        let positions = stations.map { frame.px($0.location) }
        let clusters = StationMarks.needsClusters(positions) ? StationMarks.clusters(positions) : nil
        map.drawCompounds(compounds, gaps: clusters == nil)
        if let area = options.area { map.drawOutline(area.outline) }
        map.drawGridLabels(gridLabels)
        let kinds = map.drawStations(stations, clusters: clusters)
        if clusters != nil { map.drawGaps(compounds) }
        map.drawGapLabels(compounds.gapLabels)
        map.closeMap()
        map.drawScaleBar()
        map.drawNorthArrow()
        map.drawAttribution(credits)
        map.drawLegend(kinds: kinds, clusters: clusters?.count, walkingAreas: serviceAreas != nil, leftOut: options.serviceAreasLeftOut,
                       credits: credits)
        map.svg.raw("</svg>\n")
        try map.svg.close()
        return MapSummary(width: Int(frame.width), height: Int(frame.height), compounds: compounds.drawn, stations: stations.count,
                          serviceAreas: areaCount, stationClusters: clusters?.count)
    }

    /// What the map frames: the extents of the compounds, stations and grids together.
    private static func drawnExtent(_ summaries: [LayerExtent]) throws -> BoundingBox {
        func box(_ l: Layer) -> BoundingBox? { summaries.first { $0.layer == l }?.bbox }
        guard let extent = [box(.compounds), box(.stations), box(.grids)].compactMap({ $0 }).reduce(nil as BoundingBox?, { $0?.union($1) ?? $1 }) else {
            throw ExportError("nothing to draw: import compounds, stations or grids first")
        }
        return extent
    }

    /// Today's date (yyyy-MM-dd), for the header when the options give none.
    private static func today() -> String {
        let fmt = DateFormatter()
        fmt.dateFormat = "yyyy-MM-dd"
        fmt.locale = Locale(identifier: "en_US_POSIX")
        return fmt.string(from: Date())
    }

    /// The width of a street's line by its `highway` class: main roads widest, footways and the unknown thinnest.
    fileprivate static func streetWidth(_ highway: String?) -> Double {
        switch highway ?? "" {
        case "motorway", "trunk", "primary": return 2.6
        case "secondary", "tertiary": return 1.8
        case "residential", "living_street", "unclassified", "service": return 1.1
        default: return 0.8
        }
    }

    /// The radius and mode in words, bilingual: "步行 500 m（10 分钟生活圈）· walking, 500 m (10-minute life circle)".
    public static func reachDescription(_ reach: Reach, walk: Bool) -> String {
        let modeZh = walk ? "步行距离" : "直线距离", modeEn = walk ? "walking distance" : "straight-line distance"
        switch reach {
        case .uniform(let r):
            let circles: [Double: (String, String)] = [100: ("最后一百米", "last hundred metres"), 300: ("5 分钟生活圈", "5-minute life circle"),
                                                       500: ("10 分钟生活圈", "10-minute life circle"), 1000: ("15 分钟生活圈", "15-minute life circle")]
            let m = fmtNumber(r)
            if let (zh, en) = circles[r] { return "\(modeZh) \(m) 米（\(zh)）· \(modeEn), \(m) m (\(en))" }
            return "\(modeZh) \(m) 米 · \(modeEn), \(m) m"
        case .perStation(let fallback):
            return "\(modeZh)，各站服务半径（缺省 \(fmtNumber(fallback)) 米）· \(modeEn), each station's radius (else \(fmtNumber(fallback)) m)"
        }
    }

    package static func compoundColour(_ s: CompoundCoverage.Status) -> String { Simplestyle.colour(of: s) }

    package static func compoundStroke(_ s: CompoundCoverage.Status) -> String {
        switch s {
        case .covered: return "#0b5e2e"
        case .uncovered: return "#8e1116"
        case .noPath: return "#a63603"
        case .unreachable: return "#525252"
        }
    }

    package static func symbol(for kind: String?) -> String {
        switch kind {
        case "center", "station", "post": return kind!
        default: return "other"
        }
    }

    /// A five-pointed star of outer radius `r` centred on the origin.
    package static func starPath(r: Double) -> String {
        let inner = r * 0.45
        var d = ""
        for i in 0..<10 {
            let a = -Double.pi / 2 + Double(i) * .pi / 5
            let rr = i % 2 == 0 ? r : inner
            d += (i == 0 ? "M" : "L") + "\(f(rr * cos(a))),\(f(rr * sin(a)))"
        }
        return d + "Z"
    }

    /// A point to label a feature at: the vertex average of its largest ring (good enough for convex blocks).
    package static func labelPoint(_ g: Geometry, _ px: (Coordinate) -> (Double, Double)) -> (Double, Double)? {
        var ring: [Coordinate] = []
        switch g {
        case .point(let c): return px(c)
        case .multiPoint(let cs): return cs.first.map(px)
        case .lineString(let cs): ring = cs
        case .multiLineString(let ls): ring = ls.max { $0.count < $1.count } ?? []
        case .polygon(let rings): ring = rings.first ?? []
        case .multiPolygon(let ps):
            ring = ps.map { $0.first ?? [] }.max { abs(Planar.ringArea($0)) < abs(Planar.ringArea($1)) } ?? []
        }
        let pts = ring.count > 1 && ring.first == ring.last ? Array(ring.dropLast()) : ring
        guard !pts.isEmpty else { return nil }
        let projected = pts.map(px)
        return (projected.map(\.0).reduce(0, +) / Double(pts.count), projected.map(\.1).reduce(0, +) / Double(pts.count))
    }

    package static func fmtNumber(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%g", v)
    }

    package static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}

// MARK: - Drawing the map

/// Where things go on the page: the projection into the database's metric zone, the frame around the drawn extent
/// (with a margin) and its scale, the page size around it (header above, legend panel to the right), and `px`.
private struct MapFrame {
    static let margin = 36.0, headerH = 112.0, legendW = 420.0, gap = 28.0
    let zone: MetricZone
    let projection: MetricProjection
    /// The framed extent's lower-left corner in the plane (metres), and pixels per metre.
    let minX: Double, minY: Double, scale: Double
    /// The map frame's size on the page, and how far the extent is set in from its left to centre it.
    let mapW: Double, mapH: Double, offsetX: Double
    /// The map frame's top-left corner on the page: below the header, in from the margin.
    var frameX: Double { Self.margin }
    var frameY: Double { Self.headerH }
    /// The whole page, in pixels: the frame with the legend panel to its right, at least 860 px of map high.
    var width: Double { (Self.margin + mapW + Self.gap + Self.legendW + Self.margin).rounded() }
    var height: Double { (frameY + max(mapH, 860) + 44).rounded() }

    /// The frame `mapWidth` pixels wide around `extent` (projected into `zone`) with a margin of 5 % of its longer
    /// side (at least 60 m): as high as it needs, up to 1.1 times its width before the scale shrinks to fit.
    static func fitting(_ extent: BoundingBox, zone: MetricZone, mapWidth: Double) throws -> MapFrame {
        let projection = try MetricProjection(zone: zone)
        let corners = [Coordinate(lon: extent.west, lat: extent.south), Coordinate(lon: extent.west, lat: extent.north),
                       Coordinate(lon: extent.east, lat: extent.south), Coordinate(lon: extent.east, lat: extent.north)].map(projection.project)
        var minX = corners.map(\.x).min()!, maxX = corners.map(\.x).max()!
        var minY = corners.map(\.y).min()!, maxY = corners.map(\.y).max()!
        let pad = max(60, 0.05 * max(maxX - minX, maxY - minY))
        minX -= pad; maxX += pad; minY -= pad; maxY += pad
        let scale = min(mapWidth / (maxX - minX), 1.1 * mapWidth / (maxY - minY))
        return MapFrame(zone: zone, projection: projection, minX: minX, minY: minY, scale: scale,
                        mapW: mapWidth, mapH: ((maxY - minY) * scale).rounded(), offsetX: (mapWidth - (maxX - minX) * scale) / 2)
    }

    /// A position on the page, in pixels.
    func px(_ c: Coordinate) -> (Double, Double) {
        let p = projection.project(c)
        return (frameX + offsetX + (p.x - minX) * scale, frameY + mapH - (p.y - minY) * scale)
    }

    /// The longitude/latitude box of what the frame shows: its corners and edge midpoints taken back through the
    /// projection (grid north is within 1.6° of true north, so the midpoints keep the box around the frame).
    var visibleBox: BoundingBox {
        var box: BoundingBox?
        for (fx, fy) in [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (0.0, 0.5), (1.0, 0.5), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)] {
            let x = minX + (fx * mapW - offsetX) / scale, y = minY + (1 - fy) * mapH / scale
            let c = projection.unproject(x: x, y: y)
            let b = BoundingBox(west: c.lon, south: c.lat, east: c.lon, north: c.lat)
            box = box?.union(b) ?? b
        }
        return box!
    }

    /// The page's pixels from the plane's metres, written into the map's group so that a reader can take the paths
    /// back to the ground: `data-transform="s x0 y0"` is x = x0 + s·E, y = y0 − s·N in `data-crs`.
    var transformAttributes: String {
        let x0 = frameX + offsetX - minX * scale, y0 = frameY + mapH + minY * scale
        return "data-crs=\"\(zone)\" data-transform=\"\(String(format: "%.12g %.12g %.12g", scale, x0, y0))\""
    }

    /// The frame's `x`, `y`, `width` and `height` attributes.
    var rectAttributes: String { "x=\"\(f(frameX))\" y=\"\(f(frameY))\" width=\"\(f(mapW))\" height=\"\(f(mapH))\"" }
}

/// The compounds drawn, as one path per status and shape.
private struct CompoundPaths {
    static let gapStatuses: [CompoundCoverage.Status] = [.unreachable, .noPath, .uncovered]
    var polygons = [CompoundCoverage.Status: PathData]()
    var squares = [CompoundCoverage.Status: PathData]()
    var drawn = 0
    var gapLabels = [MapLabel]()
}

/// A text to place at a point on the page.
private struct MapLabel {
    let x: Double, y: Double, text: String
}

/// One map being written: the output, where things go, and the report drawn. Each `draw…` method writes one
/// section or layer; `MapRenderer.render` calls them in drawing order.
private struct MapDrawing {
    let svg: SVGOutput
    let frame: MapFrame
    let report: CoverageReport
    /// What the frame shows when one area is drawn: features outside it are left out. Nil: the whole city.
    let visible: BoundingBox?
    /// The compounds the legend counts: the area's, or all.
    let legendCompounds: [CompoundCoverage]

    /// What is drawn of a feature: all of it for the whole city, else the parts that meet the frame; nil when none do.
    func shown(_ g: Geometry) -> Geometry? {
        guard let visible else { return g }
        func meets(_ part: Geometry) -> Bool { Planar.intersects(part, visible) }
        switch g {
        case .multiPoint(let cs):
            let kept = cs.filter { meets(.point($0)) }
            return kept.isEmpty ? nil : .multiPoint(kept)
        case .multiLineString(let ls):
            let kept = ls.filter { meets(.lineString($0)) }
            return kept.isEmpty ? nil : .multiLineString(kept)
        case .multiPolygon(let ps):
            let kept = ps.filter { meets(.polygon($0)) }
            return kept.isEmpty ? nil : .multiPolygon(kept)
        case .point, .lineString, .polygon:
            return meets(g) ? g : nil
        }
    }

    func shows(_ s: Station) -> Bool { shown(.point(s.location)) != nil }

    /// The XML declaration and `<svg>` element, the document's title and description (mode, reach, data credits),
    /// the shared definitions (`drawDefinitions`) and the white background.
    func drawPreamble(title: String, credits: [String]) {
        let width = Int(frame.width), height = Int(frame.height)
        svg.raw("""
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="\(MapRenderer.fontFamily)">

            """)
        let mode = report.options.walk ? "walking" : "straight"
        svg.raw("<title>\(xml(title))</title>\n")
        svg.raw("<desc>Doorstep coverage map, \(mode), reach \(xml(report.options.reach.description))\(Credits.line(credits).map { "; data " + xml($0) } ?? "")</desc>\n")
        drawDefinitions()
        svg.raw("<rect id=\"background\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n")
    }

    /// The `<defs>` the layers use: the map frame's clip, the hatching of grids without data, and the four station
    /// symbols (centre star, station disc, post diamond, other triangle).
    private func drawDefinitions() {
        svg.raw("""
            <defs>
            <clipPath id="map-clip"><rect \(frame.rectAttributes)/></clipPath>
            <pattern id="no-data" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f0f0f0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" stroke-width="2"/></pattern>
            <g id="sym-center"><path d="\(MapRenderer.starPath(r: 12))" fill="#f2b705" stroke="#8b0000" stroke-width="1.6" stroke-linejoin="round"/></g>
            <g id="sym-station"><circle r="7" fill="#08519c" stroke="#ffffff" stroke-width="2"/></g>
            <g id="sym-post"><path d="M0,-7.5 L7.5,0 L0,7.5 L-7.5,0 Z" fill="#01665e" stroke="#ffffff" stroke-width="1.8"/></g>
            <g id="sym-other"><path d="M0,-7.5 L7,5.5 L-7,5.5 Z" fill="#6a3d9a" stroke="#ffffff" stroke-width="1.8"/></g>
            </defs>

            """)
    }

    /// The header above the map: the title, and under it the reach in words and the date.
    func drawHeader(title: String, date: String, area: String?) {
        let reachText = MapRenderer.reachDescription(report.options.reach, walk: report.options.walk) + (area.map { " · " + $0 } ?? "")
        svg.raw("""
            <g id="title">
            <text x="\(f(MapFrame.margin))" y="52" font-size="30" font-weight="bold" fill="#1a1a1a">\(xml(title))</text>
            <text x="\(f(MapFrame.margin))" y="88" font-size="18" fill="#404040">\(xml(reachText)) · \(date)</text>
            </g>

            """)
    }

    /// The map frame's paper background, and the start of the group the map's layers are clipped to.
    func openMap() {
        svg.raw("<rect id=\"map-frame-bg\" \(frame.rectAttributes) fill=\"#faf8f3\"/>\n")
        svg.raw("<g id=\"map\" clip-path=\"url(#map-clip)\" \(frame.transformAttributes)>\n")
    }

    /// The end of the clipped group, and the frame's border over it.
    func closeMap() {
        svg.raw("</g>\n")
        svg.raw("<rect id=\"map-frame\" \(frame.rectAttributes) fill=\"none\" stroke=\"#333333\" stroke-width=\"1.5\"/>\n")
    }

    /// The grids, shaded by the share of their households covered (hatched where there is none), each titled with
    /// its id and share. Returns the shares as labels, to be drawn over the compounds.
    func drawGrids(from store: any StoreReader) throws -> [MapLabel] {
        var gridShare = [String: Double?]()
        for g in report.groups(by: .grid) { gridShare[g.key] = g.householdsCoveredPercent }
        var labels = [MapLabel]()
        svg.raw("<g id=\"grids\" stroke=\"#6e6e6e\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n")
        try store.forEachGeometry(of: .grids) { id, geometry in
            guard let geometry = shown(geometry) else { return }
            let share = gridShare[id] ?? nil
            let fill = share.map { MapRenderer.shareClasses[min(4, max(0, Int($0 / 20)))] } ?? "url(#no-data)"
            svg.raw("<path fill=\"\(fill)\" fill-rule=\"evenodd\" d=\"")
            svg.path(geometry, frame.px)
            svg.raw("\"><title>\(xml(id))\(share.map { String(format: ": %.0f%%", $0) } ?? "")</title></path>\n")
            if let share, let c = MapRenderer.labelPoint(geometry, frame.px) {
                labels.append(MapLabel(x: c.0, y: c.1, text: String(format: "%.0f%%", share)))
            }
        }
        svg.raw("</g>\n")
        return labels
    }

    /// The streets, faint, their width by class (`MapRenderer.streetWidth`): one path per width.
    func drawStreets(from store: any StoreReader) throws {
        svg.raw("<g id=\"streets\" fill=\"none\" stroke=\"#7a7a7a\" stroke-opacity=\"0.55\" stroke-linecap=\"round\" stroke-linejoin=\"round\">\n")
        var byWidth = [Double: PathData]()
        try store.forEachWay { highway, geometry in
            guard let geometry = shown(geometry) else { return }
            byWidth[MapRenderer.streetWidth(highway), default: PathData()].add(geometry, frame.px)
        }
        for (width, data) in byWidth.sorted(by: { $0.key < $1.key }) {
            svg.raw("<path stroke-width=\"\(width)\" d=\"")
            svg.raw(data)
            svg.raw("\"/>\n")
        }
        svg.raw("</g>\n")
    }

    /// The service areas — the walking `areas` when given, else a circle of each `qualifying` station's radius — as
    /// one translucent layer (group opacity, so overlaps do not darken) under a dashed outline. Returns how many.
    func drawServiceAreas(_ areas: [Geometry]?, of qualifying: [Station]) -> Int {
        svg.raw("<g id=\"service-areas\">\n<g opacity=\"0.16\" fill=\"\(MapRenderer.serviceAreaColour)\">\n")
        drawAreaShapes(areas, of: qualifying, pathStart: "<path fill-rule=\"nonzero\" d=\"")
        svg.raw("</g>\n<g fill=\"none\" stroke=\"\(MapRenderer.serviceAreaColour)\" stroke-opacity=\"0.55\" stroke-width=\"1\" stroke-dasharray=\"5 4\">\n")
        drawAreaShapes(areas, of: qualifying, pathStart: "<path d=\"")
        svg.raw("</g>\n</g>\n")
        return areas?.count ?? qualifying.count
    }

    /// Each service area once: a path per walking area (its element opened with `pathStart`), else a circle per
    /// qualifying station.
    private func drawAreaShapes(_ areas: [Geometry]?, of qualifying: [Station], pathStart: String) {
        guard let areas else {
            for s in qualifying {
                let (x, y) = frame.px(s.location), r = report.options.reach.radius(of: s) * frame.scale
                // Only circles that reach into the frame.
                guard x + r >= frame.frameX, x - r <= frame.frameX + frame.mapW, y + r >= frame.frameY, y - r <= frame.frameY + frame.mapH else { continue }
                svg.raw("<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(report.options.reach.radius(of: s) * frame.scale))\"/>\n")
            }
            return
        }
        for g in areas {
            svg.raw(pathStart)
            svg.path(g, frame.px)
            svg.raw("\"/>\n")
        }
    }

    /// The compounds in the frame by status, as path data (one path per status and shape), how many there are, and
    /// the names of those not covered as labels when there are at most 80 of them.
    func collectCompounds(from store: any StoreReader) throws -> CompoundPaths {
        var status = [String: CompoundCoverage.Status](minimumCapacity: report.compounds.count)
        var names = [String: String]()
        for c in report.compounds {
            status[c.site.id] = c.status
            if !c.isCovered { names[c.site.id] = c.site.name }
        }
        var paths = CompoundPaths()
        try store.forEachGeometry(of: .compounds) { id, geometry in
            guard let geometry = shown(geometry) else { return }
            let s = status[id] ?? .uncovered
            if geometry.isPoint {
                geometry.forEachCoordinate { c in
                    let (x, y) = frame.px(c)
                    paths.squares[s, default: PathData()].square(x: x, y: y, size: 10)
                }
            } else {
                paths.polygons[s, default: PathData()].add(geometry, frame.px, oriented: true)
            }
            paths.drawn += 1
            if let name = names[id], let c = MapRenderer.labelPoint(geometry, frame.px) {
                paths.gapLabels.append(MapLabel(x: c.0, y: c.1, text: name))
            }
        }
        if paths.gapLabels.count > 80 { paths.gapLabels = [] }
        return paths
    }

    /// The covered compounds, and with `gaps` the others too, in the colours of their status.
    func drawCompounds(_ paths: CompoundPaths, gaps: Bool) {
        svg.raw("<g id=\"compounds\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n")
        drawCompounds(paths, [.covered] + (gaps ? CompoundPaths.gapStatuses : []))
        svg.raw("</g>\n")
    }

    /// The compounds not covered, over the stations' clusters.
    func drawGaps(_ paths: CompoundPaths) {
        svg.raw("<g id=\"gaps\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n")
        drawCompounds(paths, CompoundPaths.gapStatuses)
        svg.raw("</g>\n")
    }

    /// Polygons filled and outlined in their status's colours, points as 10 px squares.
    private func drawCompounds(_ paths: CompoundPaths, _ statuses: [CompoundCoverage.Status]) {
        for s in statuses {
            let fill = MapRenderer.compoundColour(s), stroke = MapRenderer.compoundStroke(s)
            if let data = paths.polygons[s] {
                svg.raw("<path class=\"\(s.rawValue)\" fill=\"\(fill)\" fill-opacity=\"0.82\" stroke=\"\(stroke)\" fill-rule=\"nonzero\" d=\"")
                svg.raw(data)
                svg.raw("\"/>\n")
            }
            if let data = paths.squares[s] {
                svg.raw("<path class=\"\(s.rawValue)\" fill=\"\(fill)\" stroke=\"\(stroke)\" d=\"")
                svg.raw(data)
                svg.raw("\"/>\n")
            }
        }
    }

    /// The outline of the area drawn for its own report, dashed orange.
    func drawOutline(_ outline: [Geometry]) {
        var data = PathData()
        for g in outline { data.add(g, frame.px) }
        svg.raw("<path id=\"area-outline\" fill=\"none\" stroke=\"#d94801\" stroke-width=\"3\" stroke-dasharray=\"12 6\" stroke-linejoin=\"round\" d=\"")
        svg.raw(data)
        svg.raw("\"/>\n")
    }

    /// The grids' shares, small and purple, unless there are more than 300 and they would crowd the map.
    func drawGridLabels(_ labels: [MapLabel]) {
        guard labels.count <= 300 else { return }
        svg.raw("<g id=\"grid-labels\" font-size=\"12\" fill=\"#3f007d\" fill-opacity=\"0.75\" text-anchor=\"middle\">\n")
        for l in labels { svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y))\">\(l.text)</text>\n") }
        svg.raw("</g>\n")
    }

    /// The stations, each by its kind's symbol and titled with its name, centres on top; those the report's filter
    /// does not count are faded. With `clusters` (of `stations`' indexes), one mark per cluster instead: a disc with
    /// its count, or a small dot titled with the name for a station alone. Returns how many of each kind there are.
    func drawStations(_ stations: [Station], clusters: [StationMarks.Cluster]?) -> [String: Int] {
        var kinds = [String: Int]()
        if let clusters {
            for s in stations { kinds[MapRenderer.symbol(for: s.kind), default: 0] += 1 }
            svg.raw("<g id=\"stations\" fill=\"\(MapRenderer.clusterColour)\" stroke=\"#ffffff\">\n")
            svg.raw("<g id=\"station-clusters\" fill-opacity=\"0.7\" stroke-width=\"1.2\">\n")
            for c in clusters {
                let n = c.members.count
                let title = n == 1 ? "<title>\(xml(stations[c.members[0]].name))</title>" : ""
                svg.raw("<circle cx=\"\(f(c.x))\" cy=\"\(f(c.y))\" r=\"\(f(StationMarks.radius(n)))\" data-count=\"\(n)\">\(title)</circle>\n")
            }
            svg.raw("</g>\n<g font-size=\"11\" font-weight=\"bold\" text-anchor=\"middle\" stroke=\"none\" fill=\"#ffffff\">\n")
            for c in clusters where c.members.count > 1 {
                svg.raw("<text x=\"\(f(c.x))\" y=\"\(f(c.y + 4))\">\(c.members.count)</text>\n")
            }
            svg.raw("</g>\n</g>\n")
            return kinds
        }
        svg.raw("<g id=\"stations\">\n")
        let order: [String] = ["other", "post", "station", "center"]
        for k in order {
            for s in stations where MapRenderer.symbol(for: s.kind) == k {
                let (x, y) = frame.px(s.location)
                let faded = report.options.filter.accepts(s) ? "" : " opacity=\"0.35\""
                svg.raw("<use xlink:href=\"#sym-\(k)\" x=\"\(f(x))\" y=\"\(f(y))\"\(faded)><title>\(xml(s.name))</title></use>\n")
                kinds[k, default: 0] += 1
            }
        }
        svg.raw("</g>\n")
        return kinds
    }

    /// The names of compounds not covered, dark red on a white halo, just above their label points. Greedy: a name
    /// that would overlap one already placed is left out (its compound stays red).
    func drawGapLabels(_ labels: [MapLabel]) {
        guard !labels.isEmpty else { return }
        svg.raw("<g id=\"gap-labels\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">\n")
        var placed = [LabelBox]()
        for l in labels {
            let box = LabelBox(gapLabel: l)
            if placed.contains(where: box.overlaps) { continue }
            placed.append(box)
            svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y - 9))\" fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"3.5\" stroke-linejoin=\"round\">\(xml(l.text))</text>")
            svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y - 9))\" fill=\"#7f0000\">\(xml(l.text))</text>\n")
        }
        svg.raw("</g>\n")
    }

    /// The scale bar in the frame's lower left, on a white box: a round length near a fifth of the frame, in two
    /// halves, labelled 0, its half and its length (in m, or km from 1 km).
    func drawScaleBar() {
        let frameMetres = frame.mapW / frame.scale
        let length = [20.0, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000].last { $0 <= frameMetres / 5 } ?? 10
        let barPx = length * frame.scale
        let sx = frame.frameX + 20, sy = frame.frameY + frame.mapH - 30
        func metres(_ v: Double) -> String { v >= 1000 ? "\(MapRenderer.fmtNumber(v / 1000)) km" : "\(MapRenderer.fmtNumber(v)) m" }
        svg.raw("""
            <g id="scale-bar">
            <rect x="\(f(sx - 10))" y="\(f(sy - 34))" width="\(f(barPx + 64))" height="52" rx="4" fill="#ffffff" fill-opacity="0.88" stroke="#bdbdbd"/>
            <rect x="\(f(sx))" y="\(f(sy))" width="\(f(barPx / 2))" height="8" fill="#1a1a1a"/>
            <rect x="\(f(sx + barPx / 2))" y="\(f(sy))" width="\(f(barPx / 2))" height="8" fill="#ffffff" stroke="#1a1a1a"/>
            <rect x="\(f(sx))" y="\(f(sy))" width="\(f(barPx))" height="8" fill="none" stroke="#1a1a1a"/>
            <g font-size="13" fill="#1a1a1a" text-anchor="middle">
            <text x="\(f(sx))" y="\(f(sy - 6))">0</text>
            <text x="\(f(sx + barPx / 2))" y="\(f(sy - 6))">\(MapRenderer.fmtNumber(length >= 1000 ? length / 2000 : length / 2))</text>
            <text x="\(f(sx + barPx))" y="\(f(sy - 6))">\(metres(length))</text>
            </g>
            </g>

            """)
    }

    /// The north arrow in the frame's upper right: grid north (DESIGN.md), a half-black arrow in a white disc.
    func drawNorthArrow() {
        let nx = frame.frameX + frame.mapW - 44, ny = frame.frameY + 24
        svg.raw("""
            <g id="north-arrow" transform="translate(\(f(nx)),\(f(ny)))">
            <circle cx="0" cy="34" r="27" fill="#ffffff" fill-opacity="0.88" stroke="#bdbdbd"/>
            <path d="M0,12 L11,48 L0,40 Z" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round"/>
            <path d="M0,12 L-11,48 L0,40 Z" fill="#1a1a1a" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round"/>
            <text x="0" y="8" font-size="14" font-weight="bold" text-anchor="middle" fill="#1a1a1a">N 北</text>
            </g>

            """)
    }

    /// The attribution in the frame's lower right, on a white box sized to it: the data's own credits (ODbL only for
    /// layers that came from OpenStreetMap), then the map maker.
    func drawAttribution(_ credits: [String]) {
        let attribution = (Credits.line(credits).map { $0 + " · " } ?? "") + "制图 Doorstep 家门口"
        // About 7.2 px per Latin character and 13 px per CJK one at 13 px.
        let textWidth = attribution.unicodeScalars.reduce(0.0) { $0 + ($1.value >= 0x2E80 ? 13 : 7.2) }
        let boxWidth = min(frame.mapW - 4, textWidth + 16)
        svg.raw("""
            <g id="attribution">
            <rect x="\(f(frame.frameX + frame.mapW - boxWidth - 2))" y="\(f(frame.frameY + frame.mapH - 26))" width="\(f(boxWidth))" height="24" fill="#ffffff" fill-opacity="0.85"/>
            <text x="\(f(frame.frameX + frame.mapW - 8))" y="\(f(frame.frameY + frame.mapH - 9))" font-size="13" text-anchor="end" fill="#404040">\(xml(attribution))</text>
            </g>

            """)
    }

    /// The legend panel right of the map, at least as tall as the map: the keys to the compounds, grids, stations
    /// (with `kinds`, the counts drawn), service areas and streets, the summary, and the coordinate system.
    func drawLegend(kinds: [String: Int], clusters: Int?, walkingAreas: Bool, leftOut: Int?, credits: [String]) {
        let legendX = frame.frameX + frame.mapW + MapFrame.gap, legendY = frame.frameY
        var panel = LegendPanel(x: legendX + 22, y: legendY + 40)
        panel.text("图例 Legend", attributes: "font-size=\"22\" font-weight=\"bold\" fill=\"#1a1a1a\"")
        panel.compoundKeys(legendCompounds, walk: report.options.walk)
        panel.gridKeys()
        panel.stationKeys(kinds, clusters: clusters)
        panel.serviceAreaAndStreetKeys(walkingAreas: walkingAreas, walk: report.options.walk, leftOut: leftOut)
        panel.summary(legendCompounds, qualifying: report.qualifyingStations)
        panel.y += 30
        panel.text("坐标 \(frame.zone)\(credits.isEmpty ? "" : " · 数据见右下角")", attributes: "font-size=\"12\" fill=\"#737373\"")
        svg.raw("<g id=\"legend\">\n<rect x=\"\(f(legendX))\" y=\"\(f(legendY))\" width=\"\(f(MapFrame.legendW))\" height=\"\(f(max(frame.mapH, panel.y + 22 - legendY)))\" fill=\"#ffffff\" stroke=\"#d0d0d0\"/>\n")
        svg.raw(panel.body)
        svg.raw("</g>\n")
    }
}

/// A gap label's box on the page (left, top, width, height), to leave out labels that would overlap.
private struct LabelBox {
    let x: Double, y: Double, w: Double, h: Double

    /// The box of a compound's name set 9 px above its point: about 13 px per CJK character and 7.5 px per other.
    init(gapLabel l: MapLabel) {
        w = Double(l.text.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 13 : 7.5) })
        h = 16.0
        x = l.x - w / 2
        y = l.y - 9 - h + 3
    }

    /// Whether `other` comes within 2 px of this box across or 1 px up and down.
    func overlaps(_ other: LabelBox) -> Bool {
        let p = other
        return abs((p.x + p.w / 2) - (x + w / 2)) * 2 < p.w + w + 4 && abs((p.y + p.h / 2) - (y + h / 2)) * 2 < p.h + h + 2
    }
}

/// The legend panel's text, written top to bottom: `y` is the baseline reached so far, `body` the markup.
private struct LegendPanel {
    let x: Double
    var y: Double
    var body = ""

    /// A line of text at the left edge on the current baseline; `content` is markup (escape text with `xml`).
    mutating func text(_ content: String, attributes: String) {
        body += "<text x=\"\(f(x))\" y=\"\(f(y))\" \(attributes)>\(content)</text>\n"
    }

    /// A section's heading, with room above it.
    mutating func heading(_ title: String) {
        y += 38
        text(xml(title), attributes: "font-size=\"16\" font-weight=\"bold\" fill=\"#262626\"")
        y += 10
    }

    /// A key: `swatch` (markup, 26 px wide, centred on the baseline) and what it stands for.
    mutating func row(_ swatch: String, _ meaning: String) {
        y += 26
        body += "<g transform=\"translate(\(f(x)),\(f(y)))\">\(swatch)<text x=\"36\" y=\"5\" font-size=\"14.5\" fill=\"#262626\">\(xml(meaning))</text></g>\n"
    }

    /// A swatch: a box filled and outlined like the features it stands for.
    static func box(_ fill: String, _ stroke: String, opacity: Double = 0.82) -> String {
        "<rect x=\"0\" y=\"-8\" width=\"26\" height=\"16\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\" stroke=\"\(stroke)\" stroke-width=\"1.2\"/>"
    }

    /// The compounds by status, with their counts; no path and off the network only when walking.
    mutating func compoundKeys(_ compounds: [CompoundCoverage], walk: Bool) {
        let counts = Dictionary(grouping: compounds, by: \.status).mapValues(\.count)
        func key(_ status: CompoundCoverage.Status, _ meaning: String) {
            row(Self.box(MapRenderer.compoundColour(status), MapRenderer.compoundStroke(status)), "\(meaning) (\(counts[status] ?? 0))")
        }
        heading("小区 Compounds")
        key(.covered, "已覆盖 covered")
        key(.uncovered, "未覆盖 not covered")
        if walk {
            key(.noPath, "无步行路径 no walking path")
            key(.unreachable, "不可达 off the network")
        }
    }

    /// The grid shading's five classes, and the hatching of grids without data.
    mutating func gridKeys() {
        heading("网格 Grids · 户数覆盖率 households covered")
        for (i, colour) in MapRenderer.shareClasses.enumerated() {
            row(Self.box(colour, "#6e6e6e", opacity: 1), "\(i * 20)–\(i * 20 + 20)%")
        }
        row(Self.box("url(#no-data)", "#6e6e6e", opacity: 1), "无小区或户数不详 no compounds / households")
    }

    /// The station symbols with how many of each were drawn (`kinds`); "other" only when there were any. With
    /// `clusters`, the cluster mark first and what was gathered.
    mutating func stationKeys(_ kinds: [String: Int], clusters: Int?) {
        heading("服务站 Stations")
        if let clusters {
            let total = MapRenderer.grouped(kinds.values.reduce(0, +))
            row("<circle cx=\"13\" cy=\"0\" r=\"10\" fill=\"\(MapRenderer.clusterColour)\" fill-opacity=\"0.7\" stroke=\"#ffffff\"/><text x=\"13\" y=\"4\" font-size=\"10\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#ffffff\">n</text>",
                "\(total) 站聚为 \(MapRenderer.grouped(clusters)) 组 · \(total) stations in \(MapRenderer.grouped(clusters)) clusters")
            y += 20
            text(xml("每 \(MapRenderer.fmtNumber(StationMarks.cell)) 像素一组，未覆盖小区画在上层 · one per \(MapRenderer.fmtNumber(StationMarks.cell)) px, gaps on top"),
                 attributes: "font-size=\"12\" fill=\"#737373\"")
        }
        let kindRows: [(String, String)] = [("center", "党群服务中心 centre"), ("station", "党群服务站 station"),
                                            ("post", "驿站 post"), ("other", "其他 other")]
        for (k, label) in kindRows where k != "other" || kinds[k] != nil {
            row("<use xlink:href=\"#sym-\(k)\" x=\"13\" y=\"0\"/>", "\(label) (\(kinds[k] ?? 0))")
        }
    }

    /// The service areas (walking areas, or radius circles — for reference only when walking), and the streets.
    mutating func serviceAreaAndStreetKeys(walkingAreas: Bool, walk: Bool, leftOut: Int?) {
        heading("服务范围 Service areas")
        let areaLabel = walkingAreas ? "步行可达范围 walking area" : (walk ? "半径圆（示意）radius circle, for reference" : "半径圆 radius circle")
        let colour = MapRenderer.serviceAreaColour
        if let leftOut {
            y += 26
            text(xml("\(MapRenderer.grouped(leftOut)) 站步行范围未画 · walking areas of \(MapRenderer.grouped(leftOut)) stations"), attributes: "font-size=\"14.5\" fill=\"#262626\"")
            y += 20
            text(xml("not drawn; the compounds' colours show coverage"), attributes: "font-size=\"14.5\" fill=\"#262626\"")
        } else {
            row("<rect x=\"0\" y=\"-8\" width=\"26\" height=\"16\" fill=\"\(colour)\" fill-opacity=\"0.16\" stroke=\"\(colour)\" stroke-opacity=\"0.6\" stroke-dasharray=\"5 4\"/>", areaLabel)
        }
        row("<line x1=\"0\" y1=\"0\" x2=\"26\" y2=\"0\" stroke=\"#7a7a7a\" stroke-opacity=\"0.8\" stroke-width=\"2\"/>", "道路 streets")
    }

    /// The summary: the share of households covered, large, then the households, compounds and stations counted,
    /// and how many compounds have no households when some have none.
    mutating func summary(_ compounds: [CompoundCoverage], qualifying: Int) {
        let t: CoverageGroup = CoverageLevel.total(compounds)
        heading("统计 Summary")
        y += 34
        text(Share.text(t.householdsCoveredPercent), attributes: "font-size=\"28\" font-weight=\"bold\" fill=\"\(MapRenderer.compoundStroke(.covered))\"")
        body += "<text x=\"\(f(x + 118))\" y=\"\(f(y - 4))\" font-size=\"14\" fill=\"#404040\">户数覆盖率 households covered</text>\n"
        for line in [
            "覆盖户数 households: \(MapRenderer.grouped(t.householdsCovered)) / \(MapRenderer.grouped(t.households))",
            "覆盖小区 compounds: \(t.compoundsCovered) / \(t.compounds)",
            "计入站点 stations counted: \(qualifying)",
        ] + (t.compoundsWithoutHouseholds > 0 ? ["\(t.compoundsWithoutHouseholds) 个小区无户数 compounds without households"] : []) {
            y += 24
            text(xml(line), attributes: "font-size=\"14\" fill=\"#262626\"")
        }
    }
}

/// One decimal, no trailing ".0".
private func f(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
}

/// Text escaped for XML content and attributes.
package func xml(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            // Control characters are not allowed in XML 1.0.
            if ch.value < 0x20 && ch != "\n" && ch != "\t" { continue }
            out.unicodeScalars.append(ch)
        }
    }
    return out
}

/// The SVG file, written through a buffer.
package final class SVGOutput {
    private let output: BufferedOutput

    package init(path: String) throws { output = try BufferedOutput(path: path) }

    package func raw(_ text: String) {
        output.append(text)
        try? output.flushIfFull()
    }

    /// Appends the path data gathered in `data`.
    package func raw(_ data: PathData) {
        output.json.raw(data.bytes.bytes)
        try? output.flushIfFull()
    }

    /// Appends path data (`M x,y x,y … Z` per ring) of a geometry in pixels (`PathData`).
    package func path(_ g: Geometry, _ px: (Coordinate) -> (Double, Double)) {
        var data = PathData()
        data.add(g, px)
        raw(data)
    }

    package func close() throws { try output.close() }
}

@available(*, unavailable)
extension SVGOutput: Sendable {}
