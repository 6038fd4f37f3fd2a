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

    public init(title: String? = nil, mapWidth: Double = 1400, date: String? = nil) {
        self.title = title
        self.mapWidth = mapWidth
        self.date = date
    }
}

/// What was drawn.
public struct MapSummary: Sendable {
    public let width: Int
    public let height: Int
    public let compounds: Int
    public let stations: Int
    public let serviceAreas: Int
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
    public static var serviceAreaFill: String { serviceAreaColour }

    /// Renders `report` (and `serviceAreas`, walking polygons when given; else circles of each qualifying station's
    /// radius) from `store` into the SVG file at `path`.
    public static func render(report: CoverageReport, store: any StoreReader, serviceAreas: [Geometry]? = nil, to path: String,
                              options: MapOptions = MapOptions()) throws -> MapSummary {
        let summaries = try store.layerSummaries()
        let credits = try store.credits(of: [.ways, .grids, .compounds, .entrances, .stations])
        func box(_ l: Layer) -> BoundingBox? { summaries.first { $0.layer == l }?.bbox }
        guard let extent = [box(.compounds), box(.stations), box(.grids)].compactMap({ $0 }).reduce(nil as BoundingBox?, { $0?.union($1) ?? $1 }) else {
            throw ExportError("nothing to draw: import compounds, stations or grids first")
        }
        let zone = try store.metricZone()
        let projection = try MetricProjection(zone: zone)

        // The frame: the extent's corners in the plane, with a margin.
        let corners = [Coordinate(lon: extent.west, lat: extent.south), Coordinate(lon: extent.west, lat: extent.north),
                       Coordinate(lon: extent.east, lat: extent.south), Coordinate(lon: extent.east, lat: extent.north)].map(projection.project)
        var minX = corners.map(\.x).min()!, maxX = corners.map(\.x).max()!
        var minY = corners.map(\.y).min()!, maxY = corners.map(\.y).max()!
        let pad = max(60, 0.05 * max(maxX - minX, maxY - minY))
        minX -= pad; maxX += pad; minY -= pad; maxY += pad
        let mapW = options.mapWidth
        let scale = min(mapW / (maxX - minX), 1.1 * mapW / (maxY - minY))
        let mapH = ((maxY - minY) * scale).rounded()
        let offsetX = (mapW - (maxX - minX) * scale) / 2
        let margin = 36.0, headerH = 112.0, legendW = 420.0, gap = 28.0
        let frameX = margin, frameY = headerH
        let width = (margin + mapW + gap + legendW + margin).rounded()
        let height = (frameY + max(mapH, 860) + 44).rounded()

        func px(_ c: Coordinate) -> (Double, Double) {
            let p = projection.project(c)
            return (frameX + offsetX + (p.x - minX) * scale, frameY + mapH - (p.y - minY) * scale)
        }

        let svg = try SVGOutput(path: path)
        svg.raw("""
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="\(fontFamily)">

            """)
        let mode = report.options.walk ? "walking" : "straight"
        let reachText = reachDescription(report.options.reach, walk: report.options.walk)
        let defaultTitle = "家门口服务站覆盖图 · Community service station coverage"
        svg.raw("<title>\(xml(options.title ?? defaultTitle))</title>\n")
        svg.raw("<desc>Doorstep coverage map, \(mode), reach \(xml(report.options.reach.description))\(Credits.line(credits).map { "; data " + xml($0) } ?? "")</desc>\n")
        svg.raw("""
            <defs>
            <clipPath id="map-clip"><rect x="\(f(frameX))" y="\(f(frameY))" width="\(f(mapW))" height="\(f(mapH))"/></clipPath>
            <pattern id="no-data" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f0f0f0"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" stroke-width="2"/></pattern>
            <g id="sym-center"><path d="\(starPath(r: 12))" fill="#f2b705" stroke="#8b0000" stroke-width="1.6" stroke-linejoin="round"/></g>
            <g id="sym-station"><circle r="7" fill="#08519c" stroke="#ffffff" stroke-width="2"/></g>
            <g id="sym-post"><path d="M0,-7.5 L7.5,0 L0,7.5 L-7.5,0 Z" fill="#01665e" stroke="#ffffff" stroke-width="1.8"/></g>
            <g id="sym-other"><path d="M0,-7.5 L7,5.5 L-7,5.5 Z" fill="#6a3d9a" stroke="#ffffff" stroke-width="1.8"/></g>
            </defs>
            <rect id="background" width="100%" height="100%" fill="#ffffff"/>

            """)

        // Header.
        let date = options.date ?? {
            let fmt = DateFormatter()
            fmt.dateFormat = "yyyy-MM-dd"
            fmt.locale = Locale(identifier: "en_US_POSIX")
            return fmt.string(from: Date())
        }()
        svg.raw("""
            <g id="title">
            <text x="\(f(margin))" y="52" font-size="30" font-weight="bold" fill="#1a1a1a">\(xml(options.title ?? defaultTitle))</text>
            <text x="\(f(margin))" y="88" font-size="18" fill="#404040">\(xml(reachText)) · \(date)</text>
            </g>

            """)

        // Map frame and clipped content.
        svg.raw("<rect id=\"map-frame-bg\" x=\"\(f(frameX))\" y=\"\(f(frameY))\" width=\"\(f(mapW))\" height=\"\(f(mapH))\" fill=\"#faf8f3\"/>\n")
        svg.raw("<g id=\"map\" clip-path=\"url(#map-clip)\">\n")

        // Grids, shaded by the share of their households covered.
        var gridShare = [String: Double?]()
        for g in report.groups(by: .grid) { gridShare[g.key] = g.householdsCoveredPercent }
        var gridLabels = [(x: Double, y: Double, text: String)]()
        svg.raw("<g id=\"grids\" stroke=\"#6e6e6e\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n")
        try store.forEachGeometry(of: .grids) { id, geometry in
            let share = gridShare[id] ?? nil
            let fill = share.map { shareClasses[min(4, max(0, Int($0 / 20)))] } ?? "url(#no-data)"
            svg.raw("<path fill=\"\(fill)\" fill-rule=\"evenodd\" d=\"")
            svg.path(geometry, px)
            svg.raw("\"><title>\(xml(id))\(share.map { String(format: ": %.0f%%", $0) } ?? "")</title></path>\n")
            if let share, let c = labelPoint(geometry, px) { gridLabels.append((c.0, c.1, String(format: "%.0f%%", share))) }
        }
        svg.raw("</g>\n")

        // Streets, faint.
        svg.raw("<g id=\"streets\" fill=\"none\" stroke=\"#7a7a7a\" stroke-opacity=\"0.55\" stroke-linecap=\"round\" stroke-linejoin=\"round\">\n")
        try store.forEachWay { highway, geometry in
            let w: Double
            switch highway ?? "" {
            case "motorway", "trunk", "primary": w = 2.6
            case "secondary", "tertiary": w = 1.8
            case "residential", "living_street", "unclassified", "service": w = 1.1
            default: w = 0.8
            }
            svg.raw("<path stroke-width=\"\(w)\" d=\"")
            svg.path(geometry, px)
            svg.raw("\"/>\n")
        }
        svg.raw("</g>\n")

        // Service areas: one translucent layer (group opacity, so overlaps do not darken) and a dashed outline.
        let stations = try store.stations()
        let qualifying = stations.filter { report.options.filter.accepts($0) }
        var areaCount = 0
        svg.raw("<g id=\"service-areas\">\n<g opacity=\"0.16\" fill=\"\(serviceAreaColour)\">\n")
        if let serviceAreas {
            for g in serviceAreas {
                svg.raw("<path fill-rule=\"nonzero\" d=\"")
                svg.path(g, px)
                svg.raw("\"/>\n")
            }
            areaCount = serviceAreas.count
        } else {
            for s in qualifying {
                let (x, y) = px(s.location)
                svg.raw("<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(report.options.reach.radius(of: s) * scale))\"/>\n")
            }
            areaCount = qualifying.count
        }
        svg.raw("</g>\n<g fill=\"none\" stroke=\"\(serviceAreaColour)\" stroke-opacity=\"0.55\" stroke-width=\"1\" stroke-dasharray=\"5 4\">\n")
        if let serviceAreas {
            for g in serviceAreas {
                svg.raw("<path d=\"")
                svg.path(g, px)
                svg.raw("\"/>\n")
            }
        } else {
            for s in qualifying {
                let (x, y) = px(s.location)
                svg.raw("<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(report.options.reach.radius(of: s) * scale))\"/>\n")
            }
        }
        svg.raw("</g>\n</g>\n")

        // Compounds by status; names of those not covered.
        var status = [String: CompoundCoverage.Status](minimumCapacity: report.compounds.count)
        var names = [String: String]()
        for c in report.compounds {
            status[c.site.id] = c.status
            if !c.isCovered { names[c.site.id] = c.site.name }
        }
        var gapLabels = [(x: Double, y: Double, text: String)]()
        var drawnCompounds = 0
        svg.raw("<g id=\"compounds\" stroke-width=\"1.2\" stroke-linejoin=\"round\">\n")
        try store.forEachGeometry(of: .compounds) { id, geometry in
            let s = status[id] ?? .uncovered
            let fill = compoundColour(s)
            let stroke = compoundStroke(s)
            drawnCompounds += 1
            if geometry.isPoint {
                geometry.forEachCoordinate { c in
                    let (x, y) = px(c)
                    svg.raw("<rect x=\"\(f(x - 5))\" y=\"\(f(y - 5))\" width=\"10\" height=\"10\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>\n")
                }
            } else {
                svg.raw("<path fill=\"\(fill)\" fill-opacity=\"0.82\" stroke=\"\(stroke)\" fill-rule=\"evenodd\" d=\"")
                svg.path(geometry, px)
                svg.raw("\"/>\n")
            }
            if let name = names[id], names.count <= 80, let c = labelPoint(geometry, px) { gapLabels.append((c.0, c.1, name)) }
        }
        svg.raw("</g>\n")

        // Grid shares, small and grey, where they do not crowd the map.
        if gridLabels.count <= 300 {
            svg.raw("<g id=\"grid-labels\" font-size=\"12\" fill=\"#3f007d\" fill-opacity=\"0.75\" text-anchor=\"middle\">\n")
            for l in gridLabels { svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y))\">\(l.text)</text>\n") }
            svg.raw("</g>\n")
        }

        // Stations, centres on top.
        var kinds = [String: Int]()
        svg.raw("<g id=\"stations\">\n")
        let order: [String] = ["other", "post", "station", "center"]
        for k in order {
            for s in stations where symbol(for: s.kind) == k {
                let (x, y) = px(s.location)
                let faded = report.options.filter.accepts(s) ? "" : " opacity=\"0.35\""
                svg.raw("<use xlink:href=\"#sym-\(k)\" x=\"\(f(x))\" y=\"\(f(y))\"\(faded)><title>\(xml(s.name))</title></use>\n")
                kinds[k, default: 0] += 1
            }
        }
        svg.raw("</g>\n")

        // Names of compounds not covered, with a white halo.
        if !gapLabels.isEmpty {
            svg.raw("<g id=\"gap-labels\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">\n")
            var placed = [(Double, Double, Double, Double)]()
            for l in gapLabels {
                // Greedy: a label that would overlap one already placed is left out (its compound stays red).
                let w = Double(l.text.unicodeScalars.reduce(0) { $0 + ($1.value > 0x2E80 ? 13 : 7.5) }), h = 16.0
                let r = (l.x - w / 2, l.y - 9 - h + 3, w, h)
                if placed.contains(where: { abs(($0.0 + $0.2 / 2) - (r.0 + r.2 / 2)) * 2 < $0.2 + r.2 + 4 && abs(($0.1 + $0.3 / 2) - (r.1 + r.3 / 2)) * 2 < $0.3 + r.3 + 2 }) { continue }
                placed.append(r)
                svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y - 9))\" fill=\"#ffffff\" stroke=\"#ffffff\" stroke-width=\"3.5\" stroke-linejoin=\"round\">\(xml(l.text))</text>")
                svg.raw("<text x=\"\(f(l.x))\" y=\"\(f(l.y - 9))\" fill=\"#7f0000\">\(xml(l.text))</text>\n")
            }
            svg.raw("</g>\n")
        }
        svg.raw("</g>\n")
        svg.raw("<rect id=\"map-frame\" x=\"\(f(frameX))\" y=\"\(f(frameY))\" width=\"\(f(mapW))\" height=\"\(f(mapH))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1.5\"/>\n")

        // Scale bar: a round length near a fifth of the frame.
        let frameMetres = mapW / scale
        let length = [20.0, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 50_000].last { $0 <= frameMetres / 5 } ?? 10
        let barPx = length * scale
        let sx = frameX + 20, sy = frameY + mapH - 30
        func metres(_ v: Double) -> String { v >= 1000 ? "\(fmtNumber(v / 1000)) km" : "\(fmtNumber(v)) m" }
        svg.raw("""
            <g id="scale-bar">
            <rect x="\(f(sx - 10))" y="\(f(sy - 34))" width="\(f(barPx + 64))" height="52" rx="4" fill="#ffffff" fill-opacity="0.88" stroke="#bdbdbd"/>
            <rect x="\(f(sx))" y="\(f(sy))" width="\(f(barPx / 2))" height="8" fill="#1a1a1a"/>
            <rect x="\(f(sx + barPx / 2))" y="\(f(sy))" width="\(f(barPx / 2))" height="8" fill="#ffffff" stroke="#1a1a1a"/>
            <rect x="\(f(sx))" y="\(f(sy))" width="\(f(barPx))" height="8" fill="none" stroke="#1a1a1a"/>
            <g font-size="13" fill="#1a1a1a" text-anchor="middle">
            <text x="\(f(sx))" y="\(f(sy - 6))">0</text>
            <text x="\(f(sx + barPx / 2))" y="\(f(sy - 6))">\(fmtNumber(length >= 1000 ? length / 2000 : length / 2))</text>
            <text x="\(f(sx + barPx))" y="\(f(sy - 6))">\(metres(length))</text>
            </g>
            </g>

            """)

        // North arrow.
        let nx = frameX + mapW - 44, ny = frameY + 24
        svg.raw("""
            <g id="north-arrow" transform="translate(\(f(nx)),\(f(ny)))">
            <circle cx="0" cy="34" r="27" fill="#ffffff" fill-opacity="0.88" stroke="#bdbdbd"/>
            <path d="M0,12 L11,48 L0,40 Z" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round"/>
            <path d="M0,12 L-11,48 L0,40 Z" fill="#1a1a1a" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round"/>
            <text x="0" y="8" font-size="14" font-weight="bold" text-anchor="middle" fill="#1a1a1a">N 北</text>
            </g>

            """)

        // Attribution.
        // The data's own credits (ODbL only for layers that came from OpenStreetMap), then the map maker.
        let attribution = (Credits.line(credits).map { $0 + " · " } ?? "") + "制图 Doorstep 家门口"
        // About 7.2 px per Latin character and 13 px per CJK one at 13 px.
        let textWidth = attribution.unicodeScalars.reduce(0.0) { $0 + ($1.value >= 0x2E80 ? 13 : 7.2) }
        let boxWidth = min(mapW - 4, textWidth + 16)
        svg.raw("""
            <g id="attribution">
            <rect x="\(f(frameX + mapW - boxWidth - 2))" y="\(f(frameY + mapH - 26))" width="\(f(boxWidth))" height="24" fill="#ffffff" fill-opacity="0.85"/>
            <text x="\(f(frameX + mapW - 8))" y="\(f(frameY + mapH - 9))" font-size="13" text-anchor="end" fill="#404040">\(xml(attribution))</text>
            </g>

            """)

        // Legend panel.
        let t = report.total
        var lx = frameX + mapW + gap, ly = frameY
        let legendX = lx, legendY = ly
        var legend = ""
        lx += 22; ly += 40
        legend += "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"22\" font-weight=\"bold\" fill=\"#1a1a1a\">图例 Legend</text>\n"
        func heading(_ text: String) {
            ly += 38
            legend += "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"16\" font-weight=\"bold\" fill=\"#262626\">\(xml(text))</text>\n"
            ly += 10
        }
        func row(_ swatch: String, _ text: String) {
            ly += 26
            legend += "<g transform=\"translate(\(f(lx)),\(f(ly)))\">\(swatch)<text x=\"36\" y=\"5\" font-size=\"14.5\" fill=\"#262626\">\(xml(text))</text></g>\n"
        }
        func box(_ fill: String, _ stroke: String, opacity: Double = 0.82) -> String {
            "<rect x=\"0\" y=\"-8\" width=\"26\" height=\"16\" fill=\"\(fill)\" fill-opacity=\"\(opacity)\" stroke=\"\(stroke)\" stroke-width=\"1.2\"/>"
        }
        let counts = Dictionary(grouping: report.compounds, by: \.status).mapValues(\.count)
        heading("小区 Compounds")
        row(box(compoundColour(.covered), compoundStroke(.covered)), "已覆盖 covered (\(counts[.covered] ?? 0))")
        row(box(compoundColour(.uncovered), compoundStroke(.uncovered)), "未覆盖 not covered (\(counts[.uncovered] ?? 0))")
        if report.options.walk {
            row(box(compoundColour(.noPath), compoundStroke(.noPath)), "无步行路径 no walking path (\(counts[.noPath] ?? 0))")
            row(box(compoundColour(.unreachable), compoundStroke(.unreachable)), "不可达 off the network (\(counts[.unreachable] ?? 0))")
        }
        heading("网格 Grids · 户数覆盖率 households covered")
        for (i, colour) in shareClasses.enumerated() {
            row(box(colour, "#6e6e6e", opacity: 1), "\(i * 20)–\(i * 20 + 20)%")
        }
        row(box("url(#no-data)", "#6e6e6e", opacity: 1), "无小区或户数不详 no compounds / households")
        heading("服务站 Stations")
        let kindRows: [(String, String)] = [("center", "党群服务中心 centre"), ("station", "党群服务站 station"),
                                            ("post", "驿站 post"), ("other", "其他 other")]
        for (k, label) in kindRows where k != "other" || kinds[k] != nil {
            row("<use xlink:href=\"#sym-\(k)\" x=\"13\" y=\"0\"/>", "\(label) (\(kinds[k] ?? 0))")
        }
        heading("服务范围 Service areas")
        let areaLabel = serviceAreas != nil ? "步行可达范围 walking area" : (report.options.walk ? "半径圆（示意）radius circle, for reference" : "半径圆 radius circle")
        row("<rect x=\"0\" y=\"-8\" width=\"26\" height=\"16\" fill=\"\(serviceAreaColour)\" fill-opacity=\"0.16\" stroke=\"\(serviceAreaColour)\" stroke-opacity=\"0.6\" stroke-dasharray=\"5 4\"/>", areaLabel)
        row("<line x1=\"0\" y1=\"0\" x2=\"26\" y2=\"0\" stroke=\"#7a7a7a\" stroke-opacity=\"0.8\" stroke-width=\"2\"/>", "道路 streets")

        // Summary.
        heading("统计 Summary")
        let pct = Share.text(t.householdsCoveredPercent)
        ly += 34
        legend += "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"28\" font-weight=\"bold\" fill=\"\(compoundStroke(.covered))\">\(pct)</text>\n"
        legend += "<text x=\"\(f(lx + 118))\" y=\"\(f(ly - 4))\" font-size=\"14\" fill=\"#404040\">户数覆盖率 households covered</text>\n"
        for line in [
            "覆盖户数 households: \(grouped(t.householdsCovered)) / \(grouped(t.households))",
            "覆盖小区 compounds: \(t.compoundsCovered) / \(t.compounds)",
            "计入站点 stations counted: \(report.qualifyingStations)",
        ] + (t.compoundsWithoutHouseholds > 0 ? ["\(t.compoundsWithoutHouseholds) 个小区无户数 compounds without households"] : []) {
            ly += 24
            legend += "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"14\" fill=\"#262626\">\(xml(line))</text>\n"
        }
        ly += 30
        legend += "<text x=\"\(f(lx))\" y=\"\(f(ly))\" font-size=\"12\" fill=\"#737373\">坐标 \(zone)\(credits.isEmpty ? "" : " · 数据见右下角")</text>\n"
        legend += "</g>\n"
        svg.raw("<g id=\"legend\">\n<rect x=\"\(f(legendX))\" y=\"\(f(legendY))\" width=\"\(f(legendW))\" height=\"\(f(max(mapH, ly + 22 - legendY)))\" fill=\"#ffffff\" stroke=\"#d0d0d0\"/>\n")
        svg.raw(legend)
        svg.raw("</svg>\n")
        try svg.close()
        return MapSummary(width: Int(width), height: Int(height), compounds: drawnCompounds, stations: stations.count, serviceAreas: areaCount)
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

    /// Appends path data (`M x,y x,y … Z` per ring) of a geometry in pixels.
    package func path(_ g: Geometry, _ px: (Coordinate) -> (Double, Double)) {
        func line(_ cs: [Coordinate], close: Bool) {
            for (i, c) in cs.enumerated() {
                if close && i == cs.count - 1 && cs.count > 1 && c == cs[0] { break }
                let (x, y) = px(c)
                output.append(i == 0 ? "M" : " ")
                output.appendFixed(x, decimals: 1)
                output.append(UInt8(ascii: ","))
                output.appendFixed(y, decimals: 1)
            }
            if close { output.append(UInt8(ascii: "Z")) }
        }
        switch g {
        case .point(let c): line([c, c], close: false)
        case .multiPoint(let cs): for c in cs { line([c, c], close: false) }
        case .lineString(let cs): line(cs, close: false)
        case .multiLineString(let ls): for l in ls { line(l, close: false) }
        case .polygon(let rings): for r in rings { line(r, close: true) }
        case .multiPolygon(let ps): for p in ps { for r in p { line(r, close: true) } }
        }
    }

    package func close() throws { try output.close() }
}

@available(*, unavailable)
extension SVGOutput: Sendable {}
