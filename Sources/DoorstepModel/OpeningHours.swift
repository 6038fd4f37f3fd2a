import Foundation

/// A station's weekly opening hours, parsed from the subset of OpenStreetMap's `opening_hours` syntax that the
/// data contract accepts.
///
/// Accepted:
/// - rules separated by `;`, where a later rule replaces the hours of every day it names
///   (`Mo-Fr 08:00-18:00; We off`);
/// - a rule is `24/7`, or an optional day selector followed by `off` or by time ranges;
/// - day selectors: days `Mo Tu We Th Fr Sa Su` (case-sensitive, as in OSM), ranges `Mo-Fr` (wrapping, as in
///   `Fr-Mo`), and lists of both (`Sa,Su`, `Mo-We,Fr`); without a selector a rule applies to every day;
/// - time ranges `HH:MM-HH:MM` (hour may be written with one digit), several separated by `,`; an end before
///   the start runs past midnight into the next day (`18:00-02:00`), and `24:00` is allowed as an end.
///
/// The hours after midnight of a past-midnight range belong to the rule of the day the range starts on: in
/// `Fr 18:00-02:00; Sa 10:00-12:00` the station is open early Saturday, and only a later rule naming Friday
/// removes that.
///
/// Everything else — public and school holidays (`PH`, `SH`), months, week numbers, `sunrise`/`sunset`, open ends
/// (`+`), comments, `closed`/`open`/`unknown`, `,`/`||` between rules, empty rules, bare day selectors,
/// out-of-range times such as `25:00` or `08:60` — is rejected with an ``OpeningHoursError`` rather than
/// guessed at, because a misread schedule would silently change coverage answers.
public struct OpeningHours: Sendable, Hashable, CustomStringConvertible {
    /// The normalized form of the parsed text: rules joined by `"; "`, one space after a day selector, times as
    /// `HH:MM`, day selectors as written.
    public let text: String

    /// Open intervals as minutes of the week (Monday 00:00 = 0, end 10080 exclusive), flattened as
    /// `[start0, end0, start1, end1, …]`, sorted, merged and non-adjacent. Week minutes fit in `UInt16`, which
    /// keeps a typical station at a few dozen bytes; the flat sorted form lets `isOpen` scan without allocating.
    private let weekIntervals: [UInt16]

    private static let minutesPerDay = 1440
    private static let minutesPerWeek = 7 * 1440

    /// Open around the clock, every day (`24/7`).
    public static let alwaysOpen = OpeningHours(text: "24/7", weekIntervals: [0, UInt16(minutesPerWeek)])

    private init(text: String, weekIntervals: [UInt16]) {
        self.text = text
        self.weekIntervals = weekIntervals
    }

    /// Parses `text`; see the type's documentation for the accepted subset.
    /// - Throws: ``OpeningHoursError`` naming what is wrong and the 1-based character position where.
    public init(parsing text: String) throws(OpeningHoursError) {
        var parser = Parser(text)
        let rules = try parser.parseRules()

        // Per weekday the intervals of the last rule naming it; ends may reach past 1440 into the next day.
        var perDay = [[(start: Int, end: Int)]](repeating: [], count: 7)
        for rule in rules {
            for day in 0..<7 where rule.days & (1 << day) != 0 {
                perDay[day] = rule.intervals
            }
        }

        var week: [(start: Int, end: Int)] = []
        for day in 0..<7 {
            let base = day * Self.minutesPerDay
            for iv in perDay[day] {
                let s = base + iv.start, e = base + iv.end
                if e <= Self.minutesPerWeek {
                    week.append((s, e))
                } else {
                    // Sunday night running into Monday morning wraps to the start of the week.
                    week.append((s, Self.minutesPerWeek))
                    week.append((0, e - Self.minutesPerWeek))
                }
            }
        }
        week.sort { $0.start < $1.start }
        var flat: [UInt16] = []
        flat.reserveCapacity(week.count * 2)
        for iv in week {
            if let lastEnd = flat.last, iv.start <= Int(lastEnd) {
                flat[flat.count - 1] = UInt16(max(Int(lastEnd), iv.end))
            } else {
                flat.append(UInt16(iv.start))
                flat.append(UInt16(iv.end))
            }
        }

        self.text = rules.map(\.text).joined(separator: "; ")
        self.weekIntervals = flat
    }

    /// Whether the station is open at a local weekday and minute.
    /// - Parameters:
    ///   - weekday: ISO weekday, 1 = Monday … 7 = Sunday.
    ///   - minuteOfDay: minutes since local midnight, 0..<1440.
    /// - Returns: `false` for arguments outside those ranges (a bad request should not crash a server).
    public func isOpen(weekday: Int, minuteOfDay: Int) -> Bool {
        guard (1...7).contains(weekday), (0..<1440).contains(minuteOfDay) else { return false }
        return contains(weekMinute: (weekday - 1) * 1440 + minuteOfDay)
    }

    /// Whether the station is open at `date` as seen on a wall clock in `timeZone` (Gregorian calendar).
    /// Building the calendar costs far more than the lookup; hot loops should compute the weekday and minute once
    /// and call ``isOpen(weekday:minuteOfDay:)``.
    public func isOpen(at date: Date, timeZone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return false }
        // Calendar counts 1 = Sunday; ISO counts 1 = Monday.
        let iso = (weekday + 5) % 7 + 1
        return isOpen(weekday: iso, minuteOfDay: hour * 60 + minute)
    }

    public var description: String { text }

    private func contains(weekMinute t: Int) -> Bool {
        // A handful of intervals per station: a linear scan beats a binary search's branches here.
        var i = 0
        let n = weekIntervals.count
        while i < n {
            if t < Int(weekIntervals[i]) { return false }
            if t < Int(weekIntervals[i + 1]) { return true }
            i += 2
        }
        return false
    }
}

/// Why an `opening_hours` value could not be parsed: what is wrong, where (1-based character position), and in
/// which text, e.g. `unsupported token "PH" at position 20 in "Mo-Fr 08:00-17:00; PH off"`.
public struct OpeningHoursError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What is wrong, e.g. `unsupported token "PH"`.
    public let problem: String
    /// 1-based character position in ``text`` where the problem starts.
    public let position: Int
    /// The whole text that was being parsed.
    public let text: String

    public init(problem: String, position: Int, text: String) {
        self.problem = problem
        self.position = position
        self.text = text
    }

    public var description: String { "\(problem) at position \(position) in \"\(text)\"" }
}

// MARK: - Parser

extension OpeningHours {
    fileprivate struct Rule {
        /// Bit d set for weekday d (0 = Monday).
        package var days: UInt8
        /// Minute intervals [start, end) within the rule's day; end ≤ 2880 (past midnight runs into the next day).
        package var intervals: [(start: Int, end: Int)]
        package var text: String
    }

    fileprivate struct Token {
        package enum Kind { case word, number, dash, comma, semicolon, other }
        package var kind: Kind
        package var text: String
        /// 0-based character offset.
        package var offset: Int
    }

    fileprivate static let dayNames = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]

    fileprivate struct Parser {
        package let source: String
        package let tokens: [Token]
        package var index = 0

        package init(_ source: String) {
            self.source = source
            self.tokens = Self.tokenize(source)
        }

        /// Words are letter runs and numbers are runs of digits, `:` and `/`, so that `PH`, `sunrise`, `25:00`
        /// and `24/7` each arrive whole and an error can quote them; anything else is a one-character token.
        private static func tokenize(_ s: String) -> [Token] {
            let chars = Array(s)
            var out: [Token] = []
            var i = 0
            func isNumberChar(_ c: Character) -> Bool { c.isASCII && (c.isNumber || c == ":" || c == "/") }
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace {
                    i += 1
                } else if c.isLetter {
                    let start = i
                    while i < chars.count, chars[i].isLetter { i += 1 }
                    out.append(Token(kind: .word, text: String(chars[start..<i]), offset: start))
                } else if isNumberChar(c) {
                    let start = i
                    while i < chars.count, isNumberChar(chars[i]) { i += 1 }
                    out.append(Token(kind: .number, text: String(chars[start..<i]), offset: start))
                } else {
                    let kind: Token.Kind = switch c {
                    case "-": .dash
                    case ",": .comma
                    case ";": .semicolon
                    default: .other
                    }
                    out.append(Token(kind: kind, text: String(c), offset: i))
                    i += 1
                }
            }
            return out
        }

        private var current: Token? { index < tokens.count ? tokens[index] : nil }

        private var endOffset: Int { source.count }

        private func fail(_ problem: String, at offset: Int) -> OpeningHoursError {
            OpeningHoursError(problem: problem, position: offset + 1, text: source)
        }

        /// The error for an unexpected token (or the end), phrased after what was expected.
        private func unexpected(expected: String) -> OpeningHoursError {
            guard let t = current else { return fail("expected \(expected) but the text ends", at: endOffset) }
            switch t.kind {
            case .word where !OpeningHours.dayNames.contains(t.text) && t.text != "off":
                return fail("unsupported token \"\(t.text)\"", at: t.offset)
            case .other:
                return fail("unsupported token \"\(t.text)\"", at: t.offset)
            default:
                return fail("expected \(expected) but found \"\(t.text)\"", at: t.offset)
            }
        }

        package mutating func parseRules() throws(OpeningHoursError) -> [Rule] {
            var rules: [Rule] = []
            while true {
                if current == nil || current?.kind == .semicolon {
                    let at = current?.offset ?? endOffset
                    throw fail("empty rule", at: at)
                }
                rules.append(try parseRule())
                guard let t = current else { break }
                if t.kind == .semicolon {
                    index += 1
                } else {
                    throw unexpected(expected: "\";\" or the end")
                }
            }
            return rules
        }

        private mutating func parseRule() throws(OpeningHoursError) -> Rule {
            if let t = current, t.kind == .number, t.text == "24/7" {
                index += 1
                return Rule(days: 0x7f, intervals: [(0, 1440)], text: "24/7")
            }

            var days: UInt8 = 0x7f
            var selectorText = ""
            if let t = current, t.kind == .word, OpeningHours.dayNames.contains(t.text) {
                (days, selectorText) = try parseDaySelector()
            }

            if let t = current, t.kind == .word, t.text == "off" {
                index += 1
                return Rule(days: days, intervals: [], text: selectorText.isEmpty ? "off" : "\(selectorText) off")
            }
            if let t = current, t.kind == .number, t.text == "24/7" {
                throw fail("\"24/7\" must be a rule of its own", at: t.offset)
            }
            if let t = current, t.kind == .number {
                var intervals: [(start: Int, end: Int)] = []
                var parts: [String] = []
                while true {
                    let (iv, text) = try parseTimeRange()
                    intervals.append(iv)
                    parts.append(text)
                    guard let c = current, c.kind == .comma else { break }
                    index += 1
                    guard let n = current, n.kind == .number else {
                        throw unexpected(expected: "a time range after \",\"")
                    }
                }
                let times = parts.joined(separator: ",")
                return Rule(days: days, intervals: intervals,
                            text: selectorText.isEmpty ? times : "\(selectorText) \(times)")
            }
            throw unexpected(expected: selectorText.isEmpty ? "days, a time range, \"off\" or \"24/7\""
                                                            : "a time range or \"off\" after \"\(selectorText)\"")
        }

        private mutating func parseDaySelector() throws(OpeningHoursError) -> (UInt8, String) {
            var mask: UInt8 = 0
            var items: [String] = []
            while true {
                let first = try parseDay()
                if let t = current, t.kind == .dash {
                    index += 1
                    let last = try parseDay()
                    // Ranges wrap past Sunday (Fr-Mo is Fr, Sa, Su, Mo), as in OSM.
                    var d = first
                    while true {
                        mask |= 1 << d
                        if d == last { break }
                        d = (d + 1) % 7
                    }
                    items.append("\(OpeningHours.dayNames[first])-\(OpeningHours.dayNames[last])")
                } else {
                    mask |= 1 << first
                    items.append(OpeningHours.dayNames[first])
                }
                guard let t = current, t.kind == .comma else { break }
                index += 1
            }
            return (mask, items.joined(separator: ","))
        }

        private mutating func parseDay() throws(OpeningHoursError) -> Int {
            guard let t = current, t.kind == .word, let d = OpeningHours.dayNames.firstIndex(of: t.text) else {
                throw unexpected(expected: "a day (Mo Tu We Th Fr Sa Su)")
            }
            index += 1
            return d
        }

        private mutating func parseTimeRange() throws(OpeningHoursError) -> ((start: Int, end: Int), String) {
            guard let startToken = current, startToken.kind == .number else {
                throw unexpected(expected: "a time HH:MM")
            }
            guard let start = Self.minutes(startToken.text), start < 1440 else {
                throw fail("malformed time \"\(startToken.text)\"", at: startToken.offset)
            }
            index += 1
            guard let dash = current, dash.kind == .dash else {
                throw unexpected(expected: "\"-\" after \"\(startToken.text)\"")
            }
            index += 1
            guard let endToken = current, endToken.kind == .number else {
                throw unexpected(expected: "a time HH:MM after \"-\"")
            }
            guard let end = Self.minutes(endToken.text) else {
                throw fail("malformed time \"\(endToken.text)\"", at: endToken.offset)
            }
            index += 1
            if end == start {
                throw fail("empty time range \"\(startToken.text)-\(endToken.text)\"", at: startToken.offset)
            }
            // An end at or before the start is the next day's time; 24:00 is the same instant as the next 00:00.
            let normalizedEnd = end < start ? end + 1440 : end
            let text = "\(Self.format(start))-\(Self.format(end))"
            return ((start, normalizedEnd), text)
        }

        /// Minutes for `H:MM` / `HH:MM` with hour 0–24 and minute 0–59; `24:00` is the only time in hour 24.
        private static func minutes(_ s: String) -> Int? {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2,
                  (1...2).contains(parts[0].count), parts[1].count == 2,
                  parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
                  let h = Int(parts[0]), let m = Int(parts[1]),
                  (0...24).contains(h), (0...59).contains(m),
                  h < 24 || m == 0
            else { return nil }
            return h * 60 + m
        }

        private static func format(_ minutes: Int) -> String {
            let h = minutes / 60, m = minutes % 60
            return (h < 10 ? "0\(h)" : "\(h)") + ":" + (m < 10 ? "0\(m)" : "\(m)")
        }
    }
}
