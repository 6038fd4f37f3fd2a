/// Terminal columns for tables: Chinese characters (East Asian Wide and Fullwidth) take two columns, so padding by
/// character count makes columns drift.
extension String {
    /// Columns the text takes in a terminal.
    var terminalWidth: Int { unicodeScalars.reduce(0) { $0 + Self.columns($1) } }

    /// The text cut to at most `width` columns (with `…` when cut) and padded with spaces to exactly `width`.
    func padded(toColumns width: Int) -> String {
        var out = ""
        var used = 0
        if terminalWidth > width {
            for s in unicodeScalars {
                let w = Self.columns(s)
                if used + w > width - 1 { break }
                out.unicodeScalars.append(s)
                used += w
            }
            out += "…"
            used += 1
        } else {
            out = self
            used = terminalWidth
        }
        return out + String(repeating: " ", count: max(0, width - used))
    }

    /// The text right-aligned in `width` columns (never cut).
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - terminalWidth)) + self
    }

    private static func columns(_ s: Unicode.Scalar) -> Int {
        switch s.value {
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: return 0 // combining marks, zero-width, selectors
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
             0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD: return 2
        default: return 1
        }
    }
}
