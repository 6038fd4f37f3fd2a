import Foundation

/// Text encodings a CSV may be given in.
public enum TextEncodingChoice: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030

    /// Accepts `utf-8`, `utf8`, `gbk`, `gb2312`, `gb18030` (GBK and GB2312 are read as their superset GB18030).
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "gbk", "gb2312", "gb18030", "cp936": self = .gb18030
        default: return nil
        }
    }
}

/// A CSV file decoded to text, read record by record (RFC 4180: quotes, doubled quotes, newlines inside quotes).
struct CSVTable {
    let fileName: String
    let header: [String]
    /// The encoding the text was in.
    let encoding: String
    private let bytes: [UInt8]
    private let bodyStart: Int
    private let bodyLine: Int
    private let delimiter: UInt8

    /// GB18030 as Foundation names it on Linux (the CFStringEncodings constant does not import).
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    init(url: URL, encoding: TextEncodingChoice?) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ImportError(file: url.path, ImportProblem(.file, "cannot read the file: \(error.localizedDescription)"))
        }
        try self.init(fileName: url.lastPathComponent, data: data, encoding: encoding)
    }

    init(fileName: String, data: Data, encoding: TextEncodingChoice?) throws {
        self.fileName = fileName
        var body = data
        let hasBOM = data.starts(with: [0xEF, 0xBB, 0xBF])
        if hasBOM { body = data.dropFirst(3) }
        let text: String
        switch encoding {
        case .utf8?:
            guard let s = String(validating: body, as: UTF8.self) else {
                throw ImportError(file: fileName, ImportProblem(.line(CSVTable.firstBadUTF8Line(body), id: nil), "invalid UTF-8 (is the file GBK? try --encoding gbk)"))
            }
            text = s
            self.encoding = "UTF-8"
        case .gb18030?:
            guard let s = String(data: body, encoding: CSVTable.gb18030) else {
                throw ImportError(file: fileName, ImportProblem(.file, "the file is not valid GB18030/GBK text"))
            }
            text = s
            self.encoding = "GB18030"
        case nil:
            if let s = String(validating: body, as: UTF8.self) {
                text = s
                self.encoding = hasBOM ? "UTF-8 (BOM)" : "UTF-8"
            } else if !hasBOM, let s = String(data: body, encoding: CSVTable.gb18030) {
                text = s
                self.encoding = "GB18030 (detected)"
            } else {
                throw ImportError(file: fileName, ImportProblem(.line(CSVTable.firstBadUTF8Line(body), id: nil), "the text is neither UTF-8 nor GB18030/GBK; give --encoding"))
            }
        }
        if text.utf8.contains(0) {
            throw ImportError(file: fileName, ImportProblem(.file, "the file holds NUL bytes; it is not a text CSV"))
        }
        bytes = Array(text.utf8)
        let firstLineEnd = bytes.firstIndex(of: 0x0A) ?? bytes.count
        let firstLine = bytes[0..<firstLineEnd]
        let commas = firstLine.filter { $0 == UInt8(ascii: ",") }.count
        let tabs = firstLine.filter { $0 == 0x09 }.count
        delimiter = tabs > commas ? 0x09 : UInt8(ascii: ",")
        var position = 0
        var line = 1
        guard let headerRecord = try CSVTable.record(bytes, &position, &line, delimiter, fileName) else {
            throw ImportError(file: fileName, ImportProblem(.file, "the file is empty; a CSV needs a header row"))
        }
        header = headerRecord.map { $0.trimmed }
        bodyStart = position
        bodyLine = line
    }

    /// Calls `body` with each record's first line number and its fields; blank lines are skipped.
    func forEachRow(_ body: (Int, [String]) throws -> Void) throws {
        var position = bodyStart
        var line = bodyLine
        while true {
            let start = line
            guard let fields = try CSVTable.record(bytes, &position, &line, delimiter, fileName) else { return }
            if fields.count == 1 && fields[0].trimmed.isEmpty { continue }
            guard fields.count == header.count else {
                throw ImportError(file: fileName, ImportProblem(.line(start, id: nil), "\(fields.count) fields, but the header has \(header.count)"))
            }
            try body(start, fields)
        }
    }

    private static func record(_ b: [UInt8], _ p: inout Int, _ line: inout Int, _ delimiter: UInt8, _ fileName: String) throws -> [String]? {
        guard p < b.count else { return nil }
        var fields = [String]()
        var field = [UInt8]()
        let startLine = line
        while true {
            if p < b.count, b[p] == UInt8(ascii: "\"") {
                p += 1
                while true {
                    guard p < b.count else {
                        throw ImportError(file: fileName, ImportProblem(.line(startLine, id: nil), "unterminated quoted field (a \" is never closed)"))
                    }
                    let c = b[p]
                    if c == UInt8(ascii: "\"") {
                        if p + 1 < b.count, b[p + 1] == UInt8(ascii: "\"") { field.append(c); p += 2; continue }
                        p += 1
                        break
                    }
                    if c == 0x0A { line += 1 }
                    field.append(c)
                    p += 1
                }
                while p < b.count, b[p] != delimiter, b[p] != 0x0A, b[p] != 0x0D {
                    guard b[p] == 0x20 || b[p] == 0x09 else {
                        throw ImportError(file: fileName, ImportProblem(.line(line, id: nil), "text after a closing quote; quote the whole field"))
                    }
                    p += 1
                }
            } else {
                while p < b.count, b[p] != delimiter, b[p] != 0x0A, b[p] != 0x0D {
                    field.append(b[p])
                    p += 1
                }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            if p >= b.count { return fields }
            let c = b[p]
            p += 1
            if c == delimiter { continue }
            if c == 0x0D, p < b.count, b[p] == 0x0A { p += 1 }
            line += 1
            return fields
        }
    }

    static func firstBadUTF8Line(_ data: Data) -> Int {
        var line = 1
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            if String(validating: data[start..<end], as: UTF8.self) == nil { return line }
            line += 1
            start = end + 1
        }
        return line
    }
}

/// Maps CSV header names (English or Chinese aliases) to the fields of a layer.
struct CSVColumns {
    /// Aliases of each contract field; matching ignores case, spaces and underscores.
    static let aliases: [String: [String]] = [
        "id": ["id", "编号", "编码", "站点编号", "小区编号", "代码"],
        "name": ["name", "名称", "站点名称", "小区名称", "名字", "出入口名称"],
        "kind": ["kind", "type", "类型", "类别", "站点类型", "小区类型"],
        "services": ["services", "service", "服务", "服务内容", "服务项目"],
        "address": ["address", "地址", "详细地址"],
        "phone": ["phone", "tel", "telephone", "电话", "联系电话"],
        "hours": ["hours", "opening_hours", "openinghours", "开放时间", "营业时间", "服务时间"],
        "radius_m": ["radius_m", "radius", "服务半径"],
        "capacity": ["capacity", "容量"],
        "households": ["households", "户数", "住户数", "总户数"],
        "population": ["population", "人口", "人数", "常住人口"],
        "grid_id": ["grid_id", "grid", "网格编号", "网格"],
        "compound_id": ["compound_id", "compound", "所属小区", "小区编号"],
        "community": ["community", "社区", "所属社区", "社区名称"],
        "street": ["street", "街道", "所属街道", "街道名称"],
        "district": ["district", "区", "区县", "所属区", "行政区"],
        "highway": ["highway", "道路等级"],
    ]
    static let lonAliases = ["lon", "lng", "long", "longitude", "x", "经度"]
    static let latAliases = ["lat", "latitude", "y", "纬度"]

    /// For each column: the contract field it feeds, or nil when it is kept as an extra property.
    let targets: [String?]
    let header: [String]
    let lonColumn: Int
    let latColumn: Int
    let idColumn: Int?

    init(header: [String], layer: Layer, fileName: String) throws {
        self.header = header
        func key(_ s: String) -> String { s.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "_", with: "") }
        let wanted = Set(layer.fields.map(\.name) + ["id"])
        var lookup = [String: String]()
        for (field, names) in CSVColumns.aliases where wanted.contains(field) {
            for n in names { lookup[key(n)] = field }
        }
        // 小区编号 is a compound's own id in the compounds layer, the owner in entrances.
        if layer == .entrances { lookup[key("小区编号")] = "compound_id" }
        var targets = [String?]()
        var seen = [String: String]()
        var lon: Int?, lat: Int?
        for (i, name) in header.enumerated() {
            let k = key(name)
            if CSVColumns.lonAliases.map(key).contains(k) { lon = lon ?? i; targets.append(nil); continue }
            if CSVColumns.latAliases.map(key).contains(k) { lat = lat ?? i; targets.append(nil); continue }
            let field = lookup[k]
            if let field, let other = seen[field] {
                throw ImportError(file: fileName, ImportProblem(.line(1, id: nil), field: field, "columns \"\(other)\" and \"\(name)\" both give \(field)"))
            }
            if let field { seen[field] = name }
            targets.append(field)
        }
        guard let lon else {
            throw ImportError(file: fileName, ImportProblem(.line(1, id: nil), "no longitude column (one of: \(CSVColumns.lonAliases.joined(separator: ", ")))"))
        }
        guard let lat else {
            throw ImportError(file: fileName, ImportProblem(.line(1, id: nil), "no latitude column (one of: \(CSVColumns.latAliases.joined(separator: ", ")))"))
        }
        self.targets = targets
        lonColumn = lon
        latColumn = lat
        idColumn = targets.firstIndex(of: "id")
    }

    struct Row {
        var id: String?
        var properties: [(String, JSONValue)]
        var geometry: JSONValue
        var coordinateProblem: (String, String)?
    }

    func feature(_ fields: [String]) -> Row {
        var properties = [(String, JSONValue)]()
        for (i, value) in fields.enumerated() where i != lonColumn && i != latColumn {
            properties.append((targets[i] ?? header[i], .string(value)))
        }
        let id = idColumn.map { fields[$0].trimmed }.flatMap { $0.isEmpty ? nil : $0 }
        func problem(_ column: Int) -> (String, String)? {
            let text = fields[column].trimmed
            if text.isEmpty { return (header[column], "missing") }
            guard let v = Double(text), v.isFinite else { return (header[column], "not a finite number: \"\(text)\"") }
            return nil
        }
        if let p = problem(lonColumn) ?? problem(latColumn) {
            return Row(id: id, properties: properties, geometry: .null, coordinateProblem: p)
        }
        let x = Double(fields[lonColumn].trimmed)!
        let y = Double(fields[latColumn].trimmed)!
        return Row(id: id, properties: properties,
                   geometry: .object([("type", .string("Point")), ("coordinates", .array([.number(x), .number(y)]))]))
    }
}
