import Foundation

/// A parsed JSON value. Objects keep their members in file order (duplicates included) so errors can be precise.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The first member named `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    /// A short name of the JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact JSON text of the value (JSONBytes writes it).
    public var jsonText: String {
        var out = JSONBytes(capacity: 256)
        out.value(self)
        return out.text
    }
}

/// A syntax error in JSON text, located by byte offset (turned into line and column for people).
public struct JSONSyntaxError: Error, Sendable {
    public let offset: Int
    public let message: String
    package init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }
}

/// A strict JSON parser over bytes (RFC 8259), with a nesting limit so hostile input cannot exhaust the stack.
///
/// Works on a buffer it does not own; the caller keeps the bytes alive while parsing.
package struct JSONParser {
    package static let maxDepth = 64

    package let bytes: UnsafeBufferPointer<UInt8>
    package var position: Int
    package var depth = 0

    package init(bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    package var atEnd: Bool { position >= bytes.count }

    package func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, message: message)
    }

    package mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-space byte without consuming it.
    package mutating func peek() throws(JSONSyntaxError) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw fail("unexpected end of input (is the file truncated?)") }
        return bytes[position]
    }

    /// `what` is written only for the message (building it for every member name read was a tenth of parsing).
    package mutating func expect(_ byte: UInt8, _ what: @autoclosure () -> String) throws(JSONSyntaxError) {
        let b = try peek()
        guard b == byte else { throw fail("expected \(what()), found \(describe(b))") }
        position += 1
    }

    package func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(UnicodeScalar(b)))'" }
        return String(format: "byte 0x%02X", b)
    }

    package mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        let b = try peek()
        switch b {
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw fail("NaN and Infinity are not numbers in JSON; coordinates and values must be finite numbers")
        default:
            throw fail("unexpected \(describe(b))")
        }
    }

    package mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = position
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw fail("unexpected end of input (is the file truncated?)") }
        for i in 0..<n where bytes[position + i] != word.utf8Start[i] {
            throw fail("invalid literal", at: start)
        }
        position += n
    }

    package mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("nesting deeper than \(JSONParser.maxDepth) levels") }
    }

    package mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var members: [(String, JSONValue)] = []
        if try peek() == UInt8(ascii: "}") {
            position += 1; depth -= 1
            return .object(members)
        }
        while true {
            guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes, found \(describe(bytes[position]))") }
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':' after member name \"\(key)\"")
            let value = try parseValue()
            members.append((key, value))
            let b = try peek()
            position += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "}") { break }
            throw fail("expected ',' or '}' in object, found \(describe(b))", at: position - 1)
        }
        depth -= 1
        return .object(members)
    }

    package mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var items: [JSONValue] = []
        if try peek() == UInt8(ascii: "]") {
            position += 1; depth -= 1
            return .array(items)
        }
        while true {
            items.append(try parseValue())
            let b = try peek()
            position += 1
            if b == UInt8(ascii: ",") { continue }
            if b == UInt8(ascii: "]") { break }
            throw fail("expected ',' or ']' in array, found \(describe(b))", at: position - 1)
        }
        depth -= 1
        return .array(items)
    }

    package mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "I") || bytes[position] == UInt8(ascii: "N") {
            throw fail("NaN and Infinity are not numbers in JSON; coordinates and values must be finite numbers", at: start)
        }
        func digits(_ p: inout Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            let s = p
            while p < bytes.count, bytes[p] >= 0x30, bytes[p] <= 0x39 { p += 1 }
            return p - s
        }
        guard digits(&position, bytes) > 0 else { throw fail("invalid number", at: start) }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&position, bytes) > 0 else { throw fail("invalid number: no digits after '.'", at: start) }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&position, bytes) > 0 else { throw fail("invalid number: bad exponent", at: start) }
        }
        let length = position - start
        guard length < 128 else { throw fail("number too long", at: start) }
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let value = withUnsafeMutableBytes(of: &buffer) { raw -> Double in
            let p = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            for i in 0..<length { p[i] = CChar(bitPattern: bytes[start + i]) }
            p[length] = 0
            return strtod(p, nil)
        }
        guard value.isFinite else { throw fail("number out of range", at: start) }
        return value
    }

    package mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = position
        position += 1
        var plainEnd = position
        // Fast path: no escapes.
        while plainEnd < bytes.count {
            let b = bytes[plainEnd]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { break }
            plainEnd += 1
        }
        guard plainEnd < bytes.count else { throw fail("unterminated string (is the file truncated?)", at: start) }
        if bytes[plainEnd] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[position..<plainEnd])
            guard let s = JSONParser.string(utf8: slice) else {
                throw fail("invalid UTF-8 in string (is the file in GBK? GeoJSON must be UTF-8)", at: start)
            }
            position = plainEnd + 1
            return s
        }
        var scalars = [UInt8]()
        scalars.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<plainEnd]))
        position = plainEnd
        while true {
            guard position < bytes.count else { throw fail("unterminated string (is the file truncated?)", at: start) }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") { position += 1; break }
            if b < 0x20 { throw fail("control character in string; escape it", at: position) }
            if b != UInt8(ascii: "\\") { scalars.append(b); position += 1; continue }
            position += 1
            guard position < bytes.count else { throw fail("unterminated string", at: start) }
            let e = bytes[position]
            position += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append(0x22)
            case UInt8(ascii: "\\"): scalars.append(0x5C)
            case UInt8(ascii: "/"): scalars.append(0x2F)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape", at: position)
                    }
                    position += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in \\u escape", at: position) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw fail("unpaired surrogate in \\u escape", at: position)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape", at: position) }
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(UnicodeScalar(e)))'", at: position - 2)
            }
        }
        guard let s = scalars.withUnsafeBufferPointer({ JSONParser.string(utf8: $0) }) else {
            throw fail("invalid UTF-8 in string (is the file in GBK? GeoJSON must be UTF-8)", at: start)
        }
        return s
    }

    package mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v * 16 + d
            position += 1
        }
        return v
    }

    /// Checks and steps over one value without building it (the first pass over a large array).
    package mutating func skipValue() throws(JSONSyntaxError) {
        let b = try peek()
        switch b {
        case UInt8(ascii: "{"):
            try enter()
            position += 1
            if try peek() == UInt8(ascii: "}") { position += 1; depth -= 1; return }
            while true {
                guard try peek() == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes, found \(describe(bytes[position]))") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':' after member name")
                try skipValue()
                let c = try peek()
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw fail("expected ',' or '}' in object, found \(describe(c))", at: position - 1)
            }
            depth -= 1
        case UInt8(ascii: "["):
            try enter()
            position += 1
            if try peek() == UInt8(ascii: "]") { position += 1; depth -= 1; return }
            while true {
                try skipValue()
                let c = try peek()
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "]") { break }
                throw fail("expected ',' or ']' in array, found \(describe(c))", at: position - 1)
            }
            depth -= 1
        case UInt8(ascii: "\""):
            try skipString()
        default:
            _ = try parseValue()
        }
    }

    /// Steps over a string, checking escapes and UTF-8 without building it.
    package mutating func skipString() throws(JSONSyntaxError) {
        let start = position
        position += 1
        var plainStart = position
        while true {
            guard position < bytes.count else { throw fail("unterminated string (is the file truncated?)", at: start) }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                if !JSONParser.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[plainStart..<position])) {
                    throw fail("invalid UTF-8 in string (is the file in GBK? GeoJSON must be UTF-8)", at: start)
                }
                if b == UInt8(ascii: "\"") { position += 1; return }
                position += 1
                guard position < bytes.count else { throw fail("unterminated string", at: start) }
                if bytes[position] == UInt8(ascii: "u") {
                    position += 1
                    _ = try hex4()
                } else {
                    position += 1
                }
                plainStart = position
                continue
            }
            if b < 0x20 { throw fail("control character in string; escape it") }
            position += 1
        }
    }

    /// Whether `bytes` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
    ///
    /// Hand-written because the generic `String(validating:as:)` instantiated type metadata on every call, 6 % of an
    /// import.
    package static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return false
            }
            guard i + length <= n else { return false }
            let second = bytes[i + 1]
            guard second >= lower, second <= upper else { return false }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return false }
            i += length
        }
        return true
    }

    /// The string of well-formed UTF-8 bytes, or nil.
    package static func string(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isValidUTF8(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// Line and column (both from 1) of a byte offset.
    package static func lineAndColumn(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        let end = min(offset, bytes.count)
        for i in 0..<end where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        return (line, end - lineStart + 1)
    }
}

extension JSONValue {
    /// Parses a whole JSON document from text (small documents: settings, request bodies, tests).
    public static func parse(_ text: String) throws -> JSONValue {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { buffer in
            var parser = JSONParser(bytes: UnsafeBufferPointer(buffer))
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.atEnd else { throw parser.fail("unexpected text after the JSON value") }
            return value
        }
    }
}

extension JSONValue {
    /// The strings of a stored list field (a JSON array as text: services, kinds); empty when there is none.
    public static func stringList(_ text: String?) -> [String] {
        guard let text, case .array(let items)? = try? JSONValue.parse(text) else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }
}
