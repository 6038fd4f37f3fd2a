/// JSON text built straight into UTF-8 bytes: the one place Doorstep formats JSON — `JSONValue.jsonText`, GeoJSON
/// files (`GeoJSONWriter` through `BufferedOutput`) and HTTP bodies all write through it.
///
/// Numbers: integers (|n| < 10¹⁵) as integers; numbers with at most 7 decimals and |n| < 10⁸ (every coordinate and
/// rounded distance Doorstep writes) by integer arithmetic; anything else as Swift's shortest round-trip text. All
/// three give the shortest text that reads back as the same `Double` (with ≤ 15 significant digits a decimal is
/// the shortest for its double), so the output is the one `"\(n)"` would give, without building a `String` per
/// number. Non-finite numbers, which JSON cannot hold, are written as `null`.
///
/// Separators: `key`, the value writers and `beginObject`/`beginArray` put in the comma a member or element needs
/// after a previous one; `raw` and `byte` leave punctuation to the caller (and reset that state), so both styles mix
/// as long as a `raw` value is followed by `raw` punctuation, not by `key` (which would then write no comma). Plain
/// number streams that are not JSON (SVG path data) separate their numbers with `raw`/`byte` themselves.
public struct JSONBytes: Sendable {
    public private(set) var bytes: [UInt8]
    /// A value was just completed: the next member or element needs a comma first.
    private var needsComma = false

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    /// Empties the buffer. `keepingState` keeps whether a comma is due (a stream flushed half-way through a list).
    public mutating func removeAll(keepingState: Bool = false) {
        bytes.removeAll(keepingCapacity: true)
        if !keepingState { needsComma = false }
    }

    /// The text as a `String`.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Raw text

    @inline(__always)
    public mutating func byte(_ b: UInt8) {
        bytes.append(b)
        needsComma = false
    }

    /// Appends `text` as it is (JSON punctuation and member names known to need no escape).
    public mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        needsComma = false
    }

    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = false
    }

    public mutating func raw<S: Sequence>(_ utf8: S) where S.Element == UInt8 {
        bytes.append(contentsOf: utf8)
        needsComma = false
    }

    // MARK: Structure

    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Members written before (`"a":1,"b":2`, no braces), after a comma when a member precedes them.
    public mutating func members(_ written: ArraySlice<UInt8>) {
        guard !written.isEmpty else { return }
        separate()
        bytes.append(contentsOf: written)
        needsComma = true
    }

    /// `"name":`, after a comma when a member precedes it.
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func null() {
        separate()
        raw("null" as StaticString)
        needsComma = true
    }

    public mutating func bool(_ b: Bool) {
        separate()
        raw(b ? "true" as StaticString : "false")
        needsComma = true
    }

    // MARK: Values

    /// `value` as JSON.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): number(n)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (key, member) in members {
                self.key(key)
                self.value(member)
            }
            endObject()
        }
    }

    /// `[lon, lat]` with 7 decimals (about 1 cm), as RFC 7946 advises — the same values as `Coordinate.jsonPosition`
    /// (below 1e-4 in magnitude written as `0.00005` rather than `5e-05`).
    public mutating func position(_ c: Coordinate) {
        beginArray()
        fixed(c.lon)
        fixed(c.lat)
        endArray()
    }

    /// `s` as a JSON string literal.
    public mutating func string(_ s: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            // Most strings need no escape: append them whole.
            var start = 0
            var i = 0
            let n = utf8.count
            while i < n {
                let b = utf8[i]
                i += 1
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<(i - 1)]))
                start = i
                bytes.append(UInt8(ascii: "\\"))
                switch b {
                case 0x22: bytes.append(UInt8(ascii: "\""))
                case 0x5C: bytes.append(UInt8(ascii: "\\"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              JSONBytes.hexDigits[Int(b >> 4)], JSONBytes.hexDigits[Int(b & 0xF)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A number as JSON (see the type's note).
    public mutating func number(_ n: Double) {
        separate()
        defer { needsComma = true }
        guard n.isFinite else { bytes.append(contentsOf: "null".utf8); return }
        if n == n.rounded(), abs(n) < 1e15 {
            digits(Int64(n))
            return
        }
        if abs(n) >= 1e-4, abs(n) < 1e8 {
            let scaled = (n * 1e7).rounded()
            if scaled / 1e7 == n {
                fixedScaled(Int64(scaled), decimals: 7)
                return
            }
        }
        bytes.append(contentsOf: n.description.utf8)
    }

    /// `value` with at most `decimals` (0…7) decimals, no exponent and no trailing zeros (`118.7812345`, `-0.5`, `32`).
    public mutating func fixed(_ value: Double, decimals: Int = 7) {
        separate()
        defer { needsComma = true }
        let scaled = (value * JSONBytes.powersOfTen[decimals]).rounded()
        guard scaled.isFinite, abs(scaled) < 9e17 else {
            bytes.append(contentsOf: value.isFinite ? Array(value.description.utf8) : Array("null".utf8))
            return
        }
        fixedScaled(Int64(scaled), decimals: decimals)
    }

    public mutating func integer(_ v: Int) { integer(Int64(v)) }

    public mutating func integer(_ v: Int64) {
        separate()
        digits(v)
        needsComma = true
    }

    package static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7]
    private static let integerPowersOfTen: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// `scaled` / 10^`decimals` in decimal, trailing zeros of the fraction dropped; never `-0`. Digits are formed in
    /// a small stack buffer and appended at once (positions are most of a GeoJSON file).
    private mutating func fixedScaled(_ scaled: Int64, decimals: Int) {
        if scaled == 0 { bytes.append(UInt8(ascii: "0")); return }
        let n = scaled.magnitude
        var fraction = n % UInt64(JSONBytes.integerPowersOfTen[decimals])
        var whole = n / UInt64(JSONBytes.integerPowersOfTen[decimals])
        var width = decimals
        if fraction == 0 {
            width = 0
        } else {
            while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            // Filled from the end: fraction digits, the point, integer digits, the sign.
            var i = 48
            if width > 0 {
                for _ in 0..<width {
                    i -= 1
                    buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
                    fraction /= 10
                }
                i -= 1
                buffer[i] = UInt8(ascii: ".")
            }
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: whole % 10)
                whole /= 10
            } while whole > 0
            if scaled < 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<48]))
        }
    }

    private mutating func digits(_ v: Int64) {
        fixedScaled(v, decimals: 0)
    }
}

/// Where object members can be written: JSON bytes (HTTP bodies, files) or a `JSONValue` member list (the CLI), so
/// a record's members are defined once, in a function generic over the sink.
public protocol JSONMemberSink {
    mutating func member(_ key: String, _ value: String?)
    mutating func member(_ key: String, _ value: Double?)
    mutating func member(_ key: String, _ value: Bool?)
    mutating func member(_ key: String, _ values: [String])
    mutating func member(_ key: String, _ value: JSONValue)
}

extension JSONBytes: JSONMemberSink {
    public mutating func member(_ key: String, _ value: String?) {
        self.key(key)
        if let value { string(value) } else { null() }
    }

    public mutating func member(_ key: String, _ value: Double?) {
        self.key(key)
        if let value { number(value) } else { null() }
    }

    public mutating func member(_ key: String, _ value: Bool?) {
        self.key(key)
        if let value { bool(value) } else { null() }
    }

    public mutating func member(_ key: String, _ values: [String]) {
        self.key(key)
        beginArray()
        for v in values { string(v) }
        endArray()
    }

    public mutating func member(_ key: String, _ value: JSONValue) {
        self.key(key)
        self.value(value)
    }
}

/// Object members collected as `JSONValue`s.
public struct JSONMemberList: JSONMemberSink {
    public var members: [(String, JSONValue)] = []

    public init() {}

    public mutating func member(_ key: String, _ value: String?) { members.append((key, value.map(JSONValue.string) ?? .null)) }
    public mutating func member(_ key: String, _ value: Double?) { members.append((key, value.map(JSONValue.number) ?? .null)) }
    public mutating func member(_ key: String, _ value: Bool?) { members.append((key, value.map(JSONValue.bool) ?? .null)) }
    public mutating func member(_ key: String, _ values: [String]) { members.append((key, .array(values.map(JSONValue.string)))) }
    public mutating func member(_ key: String, _ value: JSONValue) { members.append((key, value)) }
}
