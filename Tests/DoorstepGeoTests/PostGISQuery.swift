import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport
import Foundation

/// The SQL checks of the import tests (`ImportTestCase.row`, `snapshot`), written in SpatiaLite's SQL, run on a PostGIS
/// store: through psql (the tests do not link libpq) in the address's schema, with the few SpatiaLite spellings the
/// tests use turned into PostGIS's, and the values typed as SQLite would give them (booleans as 0/1).
enum PostGISQuery {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The rows of `sql` (SpatiaLite's SQL, `?` placeholders bound to `arguments`) run on the store at `address`.
    static func rows(_ address: String, _ sql: String, _ arguments: [SQLValue] = []) throws -> [[SQLValue]] {
        let query = translate(try bind(sql, arguments))
        // Column types first (\gdesc), then one JSON object per row, columns in order.
        let script = """
            \(query) \\gdesc
            \\echo \(separator)
            SELECT row_to_json(q) FROM (\(query)) q;
            """
        let out = try run(address, script)
        guard let cut = out.range(of: separator + "\n") else { throw Failure(description: "psql: no output for \(query):\n\(out)") }
        let types = out[..<cut.lowerBound].split(separator: "\n").map { line in
            String(line.split(separator: "|", maxSplits: 1).last ?? "")
        }
        return try out[cut.upperBound...].split(separator: "\n").map { line in
            guard case .object(let columns) = try JSONValue.parse(String(line)) else { throw Failure(description: "psql row \(line)") }
            return columns.enumerated().map { i, column in value(column.1, type: i < types.count ? types[i] : "") }
        }
    }

    /// Runs `sql` (SpatiaLite's spelling) on the store at `address`, committed.
    static func execute(_ address: String, _ sql: String) throws {
        _ = try run(address, translate(sql) + ";")
    }

    /// Every row of `tables` and the names of every relation in the address's schema, as sorted text lines: equal
    /// snapshots mean an identical store (the PostGIS form of `ImportTestCase.snapshot`).
    static func snapshot(_ address: String, tables: [String]) throws -> [String] {
        let schema = try schemaName(address)
        var script = """
            SELECT 'schema: ' || c.relkind::text || ' ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = '\(schema)';

            """
        for table in tables { script += "SELECT '\(table): ' || to_jsonb(t)::text FROM \(table) t;\n" }
        return try run(address, script).split(separator: "\n").map(String.init).sorted()
    }

    /// The names of the tables in the address's schema.
    static func tables(_ address: String) throws -> [String] {
        try rows(address, "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1").compactMap {
            if case .text(let name) = $0.first { name } else { nil }
        }
    }

    private static let separator = "--doorstep-columns-end--"

    private static func schemaName(_ address: String) throws -> String {
        guard let schema = TestStores.schema(of: address) else { throw Failure(description: "no schema in \(address)") }
        return schema
    }

    /// Runs `script` with psql (unaligned, tuples only) in the address's schema; psql's messages on failure.
    private static func run(_ address: String, _ script: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-psql-\(UUID().uuidString).sql")
        try Data("SET search_path TO \"\(try schemaName(address))\", public;\n\(script)\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let url = TestStores.removingSchema(address)
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/psql"),
                                    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", file.path],
                                    environment: ProcessInfo.processInfo.environment.merging(
                                        ["PGOPTIONS": "-c client_min_messages=warning"]) { $1 },
                                    timeout: 120)
        guard result.status == 0 else { throw Failure(description: "psql: \(result.err)\(result.out)\nscript:\n\(script)") }
        return result.out
    }

    /// `sql` with its placeholders (`?`, or `?N` counting from 1) replaced by the literals of `arguments`.
    static func bind(_ sql: String, _ arguments: [SQLValue]) throws -> String {
        var out = "", next = 0, chars = Array(sql), i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            guard c == "?" else { out.append(c); continue }
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            let index = Int(digits).map { $0 - 1 } ?? next
            next = index + 1
            guard arguments.indices.contains(index) else { throw Failure(description: "no argument \(index + 1) for \(sql)") }
            switch arguments[index] {
            case .null: out += "NULL"
            case .int(let v): out += "\(v)"
            case .double(let v): out += "\(v)::double precision"
            case .text(let s): out += "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
            case .blob(let b): out += "'\\x" + b.map { String(format: "%02x", $0) }.joined() + "'::bytea"
            }
        }
        return out
    }

    /// SpatiaLite's spellings the tests use, in PostGIS's.
    static func translate(_ sql: String) -> String {
        var s = sql
        // MakePoint(x, y, srid) → ST_SetSRID(ST_MakePoint(x, y), srid)
        s = s.replacingOccurrences(of: #"\bMakePoint\(([^,()]+),\s*([^,()]+),\s*(\d+)\)"#,
                                   with: "ST_SetSRID(ST_MakePoint($1, $2), $3)", options: .regularExpression)
        // json_extract(col, '$.key') / '$."key"' → (col::jsonb #>> '{key}')
        s = s.replacingOccurrences(of: #"\bjson_extract\((\w+),\s*'\$\.\"?([^"']+)\"?'\)"#,
                                   with: "($1::jsonb #>> '{$2}')", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\b(AsText|GeomFromText|GeomFromGeoJSON|SetSRID)\("#, with: "ST_$1(", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\bMbrMinX\("#, with: "ST_XMin(", options: .regularExpression)
        // ifnull(column, 'text') → coalesce(column::text, 'text')
        s = s.replacingOccurrences(of: #"\bifnull\((\w+),\s*'"#, with: "coalesce($1::text, '", options: .regularExpression)
        // SpatiaLite's R*Tree (the SpatialIndex table) → the bounding-box operator, which PostGIS answers from GiST
        s = s.replacingOccurrences(
            of: #"FROM SpatialIndex WHERE f_table_name = '(\w+)' AND f_geometry_column = '(\w+)'\s+AND search_frame ="#,
            with: "FROM $1 WHERE $2 &&", options: .regularExpression)
        s = s.replacingOccurrences(of: #"\bBuildMbr\("#, with: "ST_MakeEnvelope(", options: .regularExpression)
        // typeof(column) → SQLite's storage class of the value
        s = s.replacingOccurrences(of: #"\btypeof\((\w+)\)"#, with: """
            (CASE WHEN $1 IS NULL THEN 'null' WHEN pg_typeof($1) IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) \
            THEN 'integer' WHEN pg_typeof($1) IN ('real'::regtype, 'double precision'::regtype) THEN 'real' ELSE 'text' END)
            """, options: .regularExpression)
        // the tables of the store: SQLite's catalogue → PostgreSQL's, in the store's schema
        s = s.replacingOccurrences(of: "FROM sqlite_master WHERE type = 'table' AND name =",
                                   with: "FROM pg_tables WHERE schemaname = current_schema() AND tablename =")
        return s
    }

    /// A JSON value of psql's row as SQLite would type it.
    private static func value(_ json: JSONValue, type: String) -> SQLValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .int(b ? 1 : 0)
        case .number(let n):
            if ["smallint", "integer", "bigint"].contains(type) { return .int(Int64(n)) }
            return .double(n)
        case .string(let s): return .text(s)
        case .array, .object: return .text(json.jsonText)
        }
    }
}
