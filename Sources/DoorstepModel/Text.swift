import Foundation

extension String {
    /// The string without leading and trailing spaces, tabs and ideographic spaces (U+3000).
    ///
    /// Foundation's `trimmingCharacters(in:)` bridges through NSString and was 14 % of an import's time.
    public var trimmed: String {
        let scalars = unicodeScalars
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\u{3000}" || s == "\u{A0}" }
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !isSpace(first) && !isSpace(last) { return self }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}

/// The characters imported text may hold (README, "Data contract"): the one place the rules live.
///
/// - U+0000 (NUL) is refused everywhere: C libraries cut text at it, so "S001\u{0}x" would become "S001".
/// - Ids (a feature's id, `compound_id`, `grid_id`) and property names refuse every control character: C0
///   (U+0001–U+001F), DEL (U+007F) and C1 (U+0080–U+009F). They are keys, end up in URLs, file names and terminals.
/// - Other text keeps tab, line feed and carriage return (multi-line addresses) and refuses the other controls,
///   which are invisible, and which (ESC) a terminal would obey when `doorstep` prints the text.
package enum TextRules {
    /// Whether `s` is a control character under the rules of `id` (true) or of free text (false).
    package static func isRefused(_ s: Unicode.Scalar, id: Bool) -> Bool {
        switch s.value {
        case 0: return true
        case 0x09, 0x0A, 0x0D: return id
        case 0x01...0x1F, 0x7F, 0x80...0x9F: return true
        default: return false
        }
    }

    /// What is wrong with `text` as an id (or property name) or as free text, or nil when nothing is.
    package static func problem(_ text: String, id: Bool) -> String? {
        // Fast path: no byte below 0x20, no DEL, no lead byte of C1 (C2 80–C2 9F).
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) { return nil }
        for (i, s) in text.unicodeScalars.enumerated() where isRefused(s, id: id) {
            let code = String(format: "U+%04X", s.value)
            if s.value == 0 {
                return "holds a NUL character (U+0000) at character \(i + 1); NUL is never allowed (it would cut the text short)"
            }
            return id
                ? "holds the control character \(code) at character \(i + 1); ids and property names may hold no control characters"
                : "holds the control character \(code) at character \(i + 1); text may hold tab and line breaks but no other control characters"
        }
        return nil
    }

    /// `text` with control characters written as `\u{…}` escapes, safe to print in a message.
    package static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { isRefused($0, id: true) }) else { return text }
        var out = ""
        for s in text.unicodeScalars {
            if isRefused(s, id: true) { out += String(format: "\\u{%X}", s.value) } else { out.unicodeScalars.append(s) }
        }
        return out
    }
}

extension String.Encoding {
    /// GB18030, the superset of GBK and GB2312 that Chinese Windows writes (CP936).
    public static let gb18030 = String.Encoding(rawValue: 0x8000_0632)
}
