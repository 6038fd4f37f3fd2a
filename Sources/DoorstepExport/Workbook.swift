import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// Sheet names and headers of the workbooks for the street office: Chinese by default, English on request.
package enum WorkbookText {
    package static let headers: [String: String] = [
        "id": "编号", "key": "编号", "name": "名称", "level": "层级", "rank": "排名", "kind": "类型", "address": "地址",
        "phone": "电话", "hours": "开放时间", "services": "服务", "capacity": "容量", "radius_m": "服务半径(米)",
        "households": "户数", "households_covered": "已覆盖户数", "households_covered_pct": "覆盖率(%)",
        "households_unknown": "户数未知", "population": "人口", "population_covered": "已覆盖人口",
        "population_covered_pct": "人口覆盖率(%)", "compounds": "小区数", "compounds_covered": "已覆盖小区数",
        "compounds_uncovered": "未覆盖小区数", "compounds_unreachable": "不可达小区数",
        "compounds_without_households": "缺户数小区数", "grid_id": "网格编号", "grid": "网格", "community": "社区",
        "street": "街道", "district": "区县", "status": "覆盖状态", "covered": "已覆盖", "unreachable": "不可达",
        "nearest_station": "最近站点编号", "nearest_station_name": "最近站点", "straight_m": "直线距离(米)",
        "nearest_walking_station": "步行最近站点编号", "walking_m": "步行距离(米)", "walking_min": "步行时间(分钟)",
        "reference": "参考点", "lon": "经度", "lat": "纬度", "wkt": "几何(WKT)", "attribution": "数据来源",
        "synthetic": "合成数据", "osm_id": "OSM编号", "highway": "道路类型", "foot": "步行",
        "change": "变化", "covers": "可达小区数", "newly_covered": "新覆盖小区数", "on_network": "在路网上",
    ]

    package static func header(_ key: String, _ language: ExportLanguage) -> String {
        language == .zh ? headers[key] ?? key : key
    }

    private static let sheets: [String: (zh: String, en: String)] = [
        "compounds": ("小区", "compounds"), "coverage": ("小区覆盖", "coverage"), "gaps": ("未覆盖小区", "gaps"),
        "grids": ("网格", "grids"), "communities": ("社区", "communities"), "streets": ("街道", "streets"),
        "districts": ("区县", "districts"), "stations": ("站点", "stations"), "entrances": ("出入口", "entrances"),
        "ways": ("道路", "ways"), "network": ("步行网络", "network"), "coverage-grid": ("网格覆盖", "grid coverage"),
        "areas": ("服务范围", "service areas"), "about": ("说明", "about"), "changes": ("方案变化", "scenario changes"),
    ]

    package static func sheet(_ content: String, _ language: ExportLanguage) -> String {
        let names = sheets[content] ?? (content, content)
        return language == .zh ? names.zh : names.en
    }

    /// The sheet that says what the workbook is and whose data it holds.
    package static func aboutSheet(title: String, credits: String?, extra: [(String, String)], _ language: ExportLanguage) -> OGRTable {
        let zh = language == .zh
        var table = OGRTable(name: sheet("about", language))
        table.geometry = false
        let item = zh ? "项目" : "item", value = zh ? "内容" : "value"
        var rows: [(String, String)] = [(zh ? "内容" : "content", title)]
        rows.append((zh ? "数据来源" : "credits", credits ?? (zh ? "（导入时未记录）" : "(not recorded at import)")))
        rows += extra
        rows.append((zh ? "生成" : "made", "Doorstep 家门口, \(ISO8601DateFormatter().string(from: Date()))"))
        table.rows = rows.map { .init(geometry: nil, properties: [(item, .string($0.0)), (value, .string($0.1))]) }
        return table
    }
}

extension GeoJSONExport {
    /// `export coverage --out x.xlsx`: a workbook with a sheet per level — compounds (with lon/lat of their first
    /// reference point), grids, communities, streets, districts — headers in `options.language`, and an about sheet
    /// with the credits and the analysis parameters.
    ///
    /// A what-if scenario's workbook (`changes` non-empty) is the coverage after the change with a sheet of the
    /// changes first (the added and closed stations, the compounds whose status changed) and `title` on the about sheet.
    public static func coverageWorkbook(_ report: CoverageReport, store: any StoreReader, to path: String, options: ExportOptions = .init(),
                                        title: (zh: String, en: String)? = nil, changes: [[(String, JSONValue)]] = []) throws -> ExportSummary {
        let language = options.language
        let translate: (String) -> String = { WorkbookText.header($0, language) }
        var compounds = OGRTable(name: WorkbookText.sheet("compounds", language))
        compounds.geometry = false
        compounds.header = translate
        var box = BoxAccumulator()
        for c in report.compounds {
            var p = c.properties(speed: report.options.speed)
            if let r = c.site.referencePoints.first {
                box.add(r)
                p += [("lon", .number(ExportPlace.round7(r.lon))), ("lat", .number(ExportPlace.round7(r.lat)))]
            }
            compounds.rows.append(.init(geometry: nil, properties: p))
        }
        var tables = [compounds]
        if !changes.isEmpty {
            var sheet = OGRTable(name: WorkbookText.sheet("changes", language))
            sheet.geometry = false
            sheet.header = translate
            sheet.rows = changes.map { .init(geometry: nil, properties: $0) }
            tables.insert(sheet, at: 0)
        }
        for (level, sheet) in [(CoverageLevel.grid, "grids"), (.community, "communities"), (.street, "streets"), (.district, "districts")] {
            var t = OGRTable(name: WorkbookText.sheet(sheet, language))
            t.geometry = false
            t.header = translate
            t.rows = report.groups(by: level).map { .init(geometry: nil, properties: $0.properties.filter { $0.0 != "level" }) }
            tables.append(t)
        }
        let zh = language == .zh
        let t = report.total
        let reach: String
        switch report.options.reach {
        case .uniform(let r): reach = "\(Int(r)) m"
        case .perStation(let f): reach = zh ? "各站服务半径，缺省 \(Int(f)) 米" : "each station's radius_m, else \(Int(f)) m"
        }
        let extra: [(String, String)] = [
            (zh ? "方式" : "mode", report.options.walk ? (zh ? "步行距离" : "walking") : (zh ? "直线距离" : "straight")),
            (zh ? "服务半径" : "reach", reach),
            (zh ? "合计" : "total", "\(t.compoundsCovered)/\(t.compounds) \(zh ? "小区已覆盖" : "compounds covered"), \(t.householdsCovered)/\(t.households) \(zh ? "户" : "households") (\(Share.text(t.householdsCoveredPercent)))"),
        ]
        tables.append(WorkbookText.aboutSheet(title: title.map { zh ? $0.zh : $0.en } ?? (zh ? "家门口服务覆盖" : "doorstep coverage"),
                                              credits: Credits.line(try store.credits(of: creditedLayers(report))), extra: extra, language))
        _ = try OGRFile.write(path: path, format: .xlsx, tables: tables, encoding: nil, style: nil)
        return ExportSummary(path: path, features: report.compounds.count, bbox: box.box)
    }
}
