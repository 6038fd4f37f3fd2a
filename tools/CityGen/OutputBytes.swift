import Foundation

/// Hand-made text formatting into a byte buffer: JSON strings, CSV fields, integers and coordinates, without
/// `String` interpolation or `JSONSerialization`, so that million-feature layers are written quickly.
struct OutputBytes {
    var bytes: [UInt8] = []

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func text(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func byte(_ byte: UInt8) {
        bytes.append(byte)
    }

    /// A decimal integer.
    mutating func int(_ value: Int) {
        var v = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        bytes[start...].reverse()
    }

    /// A coordinate number: fixed-point with at most 7 decimals and no trailing zeros when that is exactly the
    /// value (all generated positions and OSM's own 7-decimal positions), else the shortest text that reads back
    /// as the same double (kept for positions another tool computed, such as OSM clipping points).
    mutating func coordinate(_ value: Double) {
        let scaled = (value * 1e7).rounded()
        guard value.isFinite, abs(scaled) < 9e15, scaled / 1e7 == value else {
            text(value.description)
            return
        }
        var units = Int64(scaled)
        if units < 0 {
            bytes.append(UInt8(ascii: "-"))
            units = -units
        }
        int(Int(units / 10_000_000))
        var fraction = Int(units % 10_000_000)
        guard fraction != 0 else { return }
        var digits = 7
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        let start = bytes.count
        for _ in 0..<digits {
            bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
            fraction /= 10
        }
        bytes[start...].reverse()
    }

    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func jsonString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break, with quotes doubled.
    mutating func csvField(_ value: String) {
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else {
            text(value)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            if b == UInt8(ascii: "\"") { bytes.append(b) }
            bytes.append(b)
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A file written through a large buffer, created under a temporary name and moved into place on `commit()`, so
/// an interrupted run never leaves a truncated layer behind.
final class BufferedFile {
    let url: URL
    private let temporaryURL: URL
    private let handle: FileHandle
    private var committed = false
    private static let flushThreshold = 1 << 20

    init(url: URL) throws {
        self.url = url
        temporaryURL = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".tmp")
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil) else {
            throw CityGenError.cannotWrite(temporaryURL.path)
        }
        handle = try FileHandle(forWritingTo: temporaryURL)
    }

    /// Takes the bytes out of `buffer`, writing them once there are enough.
    func drain(_ buffer: inout OutputBytes, force: Bool = false) throws {
        guard force || buffer.bytes.count >= Self.flushThreshold else { return }
        try handle.write(contentsOf: buffer.bytes)
        buffer.bytes.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and moves the file to its final name.
    func commit(_ buffer: inout OutputBytes) throws {
        try drain(&buffer, force: true)
        try handle.close()
        if FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
        try FileManager.default.moveItem(at: temporaryURL, to: url)
        committed = true
    }

    deinit {
        if !committed {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporaryURL)
        }
    }
}
