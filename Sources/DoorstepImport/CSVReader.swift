import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
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

/// A CSV file read record by record straight from disk (RFC 4180: quotes, doubled quotes, newlines inside quotes).
///
/// Memory holds one chunk of the file and one record, never the file: a record longer than `ImportLimits.maxCSVRecordBytes`
/// is refused with its line, and so is a NUL byte (a text CSV never holds one; UTF-16 and binary files do), the moment
/// the reader meets it. The encoding is settled by the first record that is not plain ASCII: valid UTF-8 makes the file
/// UTF-8, else GB18030/GBK (a superset of GB2312). Records are split on the raw bytes, which is safe in both: the
/// bytes of a GB18030 character are never `"`, `,`, tab, CR or LF.
package final class CSVTable {
    package let fileName: String
    package private(set) var header: [String] = []
    private let given: TextEncodingChoice?
    /// The encoding in use: given, or decided by the first record that is not ASCII (nil until then).
    private var decided: TextEncodingChoice?
    private var hasBOM = false
    private var delimiter = UInt8(ascii: ",")
    private let maxRecordBytes: Int
    /// Line of the next record's first line (the header is line 1).
    private var line = 1
    private let fd: Int32
    private var buffer = [UInt8]()
    /// First byte of `buffer` not yet consumed.
    private var head = 0
    private var atEOF = false
    private static let chunk = 1 << 20

    /// GB18030 as Foundation names it on Linux (the CFStringEncodings constant does not import).

    /// The encoding the text was in (final once every row has been read).
    package var encoding: String {
        switch (given, decided) {
        case (.utf8?, _): return "UTF-8"
        case (.gb18030?, _): return "GB18030"
        case (nil, .gb18030?): return "GB18030 (detected)"
        default: return hasBOM ? "UTF-8 (BOM)" : "UTF-8"
        }
    }

    package init(url: URL, encoding: TextEncodingChoice?, limits: ImportLimits = ImportLimits()) throws {
        fileName = url.lastPathComponent
        given = encoding
        decided = encoding
        maxRecordBytes = limits.maxCSVRecordBytes
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ImportError(file: url.path, ImportProblem(.file, "cannot read the file: \(String(cString: strerror(errno)))"))
        }
        do {
            try readHeader()
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    private func readHeader() throws {
        // The delimiter (comma or tab) is whichever the first line holds more of.
        while !atEOF, buffer.count < maxRecordBytes, !buffer.contains(0x0A) { try fill() }
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { head = 3; hasBOM = true }
        let firstLine = buffer[head..<(buffer[head...].firstIndex(of: 0x0A) ?? buffer.count)]
        var commas = 0, tabs = 0
        for b in firstLine { if b == UInt8(ascii: ",") { commas += 1 } else if b == 0x09 { tabs += 1 } }
        delimiter = tabs > commas ? 0x09 : UInt8(ascii: ",")
        guard let headerRecord = try nextRecord() else {
            throw ImportError(file: fileName, ImportProblem(.file, "the file is empty; a CSV needs a header row"))
        }
        header = headerRecord.fields.map { $0.trimmed }
    }

    /// Reads the next chunk of the file after the unconsumed bytes.
    private func fill() throws {
        if head > 0 && head >= buffer.count / 2 {
            buffer.removeFirst(head)
            head = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: CSVTable.chunk))
        var n = 0
        repeat {
            n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, CSVTable.chunk) }
        } while n < 0 && errno == EINTR
        guard n >= 0 else {
            let message = String(cString: strerror(errno))
            buffer.removeLast(CSVTable.chunk)
            throw ImportError(file: fileName, ImportProblem(.line(line, id: nil), "cannot read the file: \(message)"))
        }
        buffer.removeLast(CSVTable.chunk - n)
        if n == 0 { atEOF = true }
    }

    /// Calls `body` with each record's first line number and its fields; blank lines are skipped.
    package func forEachRow(_ body: (Int, [String]) throws -> Void) throws {
        while let (start, fields) = try nextRecord() {
            if fields.count == 1 && fields[0].trimmed.isEmpty { continue }
            guard fields.count == header.count else {
                throw ImportError(file: fileName, ImportProblem(.line(start, id: nil), "\(fields.count) fields, but the header has \(header.count)"))
            }
            try body(start, fields)
        }
    }

    /// The next record: its first line and its fields, or nil at the end of the file.
    private func nextRecord() throws -> (line: Int, fields: [String])? {
        let startLine = line
        // Find the end of the record, following quotes the way `record` reads them: a quote opens a quoted field only
        // as the field's first byte; inside, a doubled quote is a quote and a single one closes it.
        var offset = 0, newlines = 0, fieldIndex = 0
        var fieldStart = true, quoted = false, quoteSeen = false
        var end = 0, terminator = 0
        scan: while true {
            if offset >= maxRecordBytes { throw tooLong(startLine, quoted: quoted) }
            if head + offset >= buffer.count {
                if atEOF {
                    if offset == 0 { return nil }
                    end = offset
                    break scan
                }
                try fill()
                continue
            }
            let b = buffer[head + offset]
            if b == 0 { throw nul(line: startLine + newlines, field: fieldIndex, byte: offset) }
            if quoted {
                if quoteSeen {
                    quoteSeen = false
                    if b == UInt8(ascii: "\"") { offset += 1; continue }
                    quoted = false // the quote closed the field; this byte is read as outside quotes below
                } else {
                    if b == UInt8(ascii: "\"") { quoteSeen = true } else if b == 0x0A { newlines += 1 }
                    offset += 1
                    continue
                }
            }
            switch b {
            case UInt8(ascii: "\"") where fieldStart:
                quoted = true
                fieldStart = false
            case delimiter:
                fieldStart = true
                fieldIndex += 1
            case 0x0A:
                end = offset
                terminator = 1
                break scan
            case 0x0D:
                end = offset
                // CR LF is one line end; the LF may be in the next chunk.
                if head + offset + 1 >= buffer.count, !atEOF { try fill() }
                terminator = head + offset + 1 < buffer.count && buffer[head + offset + 1] == 0x0A ? 2 : 1
                break scan
            default:
                fieldStart = false
            }
            offset += 1
        }
        let raw = buffer[(head)..<(head + end)]
        head += end + terminator
        line = startLine + newlines + 1
        let text = try utf8(raw, line: startLine)
        var position = 0
        var recordLine = startLine
        return (startLine, try CSVTable.record(text, &position, &recordLine, delimiter, fileName) ?? [""])
    }

    /// The record's bytes as UTF-8, in the encoding given or settled.
    private func utf8(_ raw: ArraySlice<UInt8>, line: Int) throws -> [UInt8] {
        if raw.allSatisfy({ $0 < 0x80 }) { return Array(raw) }
        let bytes = Array(raw)
        let valid = bytes.withUnsafeBufferPointer { JSONParser.isValidUTF8($0) }
        switch decided {
        case .utf8?:
            guard valid else {
                let hint = given == nil ? "earlier lines were UTF-8; is the file mixed? give --encoding" : "is the file GBK? try --encoding gbk"
                throw ImportError(file: fileName, ImportProblem(.line(line, id: nil), "invalid UTF-8 (\(hint))"))
            }
            return bytes
        case .gb18030?:
            guard let s = String(data: Data(bytes), encoding: String.Encoding.gb18030) else {
                throw ImportError(file: fileName, ImportProblem(.line(line, id: nil), "the text is not valid GB18030/GBK"))
            }
            return Array(s.utf8)
        case nil:
            if valid {
                decided = .utf8
                return bytes
            }
            if !hasBOM, let s = String(data: Data(bytes), encoding: String.Encoding.gb18030) {
                decided = .gb18030
                return Array(s.utf8)
            }
            throw ImportError(file: fileName, ImportProblem(.line(line, id: nil), "the text is neither UTF-8 nor GB18030/GBK; give --encoding"))
        }
    }

    private func columnName(_ index: Int) -> String {
        if header.isEmpty { return "header" }
        return index < header.count && !header[index].isEmpty ? header[index] : "column \(index + 1)"
    }

    private func nul(line: Int, field: Int, byte: Int) -> ImportError {
        ImportError(file: fileName, ImportProblem(
            .line(line, id: nil), field: TextRules.printable(columnName(field)),
            "a NUL byte (0x00) at byte \(byte + 1) of the record; a text CSV never holds one (is the file UTF-16, or not text at all?)"))
    }

    private func tooLong(_ line: Int, quoted: Bool) -> ImportError {
        let hint = quoted ? " (a quote that is never closed?)" : " (is this a CSV?)"
        return ImportError(file: fileName, ImportProblem(
            .line(line, id: nil), "a record longer than \(ImportLimits.describe(bytes: maxRecordBytes)), the most a CSV record may hold\(hint)"))
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
}

/// Maps CSV header names (English or Chinese aliases) to the fields of a layer.
package struct CSVColumns {
    /// Aliases of each contract field; matching ignores case, spaces and underscores.
    package static let aliases: [String: [String]] = [
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
        // No alias for `layer`: a DXF file's `Layer` is the CAD layer, not the level (`--field layer=…` names it).
        "bridge": ["bridge", "桥梁"],
        "tunnel": ["tunnel", "隧道"],
    ]
    package static let lonAliases = ["lon", "lng", "long", "longitude", "x", "经度"]
    package static let latAliases = ["lat", "latitude", "y", "纬度"]

    /// For each column: the contract field it feeds, or nil when it is kept as an extra property.
    package let targets: [String?]
    package let header: [String]
    package let lonColumn: Int
    package let latColumn: Int
    package let idColumn: Int?

    package init(header: [String], layer: Layer, fileName: String) throws {
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

    package struct Row {
        package var id: String?
        package var properties: [(String, JSONValue)]
        package var geometry: JSONValue
        package var coordinateProblem: (String, String)?
    }

    package func feature(_ fields: [String]) -> Row {
        var properties = [(String, JSONValue)]()
        for (i, value) in fields.enumerated() where i != lonColumn && i != latColumn {
            properties.append((targets[i] ?? header[i], .string(value)))
        }
        let id = idColumn.map { fields[$0].trimmed }.flatMap { $0.isEmpty ? nil : $0 }
        func problem(_ column: Int) -> (String, String)? {
            let text = fields[column].trimmed
            if text.isEmpty { return (header[column], "missing") }
            guard let v = Double(text), v.isFinite else { return (header[column], "not a finite number: \"\(TextRules.printable(text))\"") }
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
