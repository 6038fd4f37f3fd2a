import Foundation

/// A moment in the week, for opening hours: ISO weekday (1 = Monday … 7 = Sunday) and minute of the day.
public struct WeekTime: Hashable, Sendable, CustomStringConvertible {
    public let weekday: Int
    public let minute: Int

    public init?(weekday: Int, minute: Int) {
        guard (1...7).contains(weekday), (0..<1440).contains(minute) else { return nil }
        self.weekday = weekday
        self.minute = minute
    }

    /// The current moment in `timeZone` (stations keep local time; Doorstep's default zone is Asia/Shanghai).
    public static func now(in timeZone: TimeZone) -> WeekTime { at(Date(), in: timeZone) }

    public static func at(_ date: Date, in timeZone: TimeZone) -> WeekTime {
        // Local seconds since 1970-01-01 00:00, a Thursday (ISO weekday 4); no Calendar needed (this runs per request).
        let local = (date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))).rounded(.down)
        let days = (local / 86_400).rounded(.down)
        let weekday = (Int(days) % 7 + 7 + 3) % 7 + 1
        return WeekTime(weekday: weekday, minute: Int(local - days * 86_400) / 60)!
    }

    /// Parses `2026-11-23T09:30` / `2026-11-23 09:30` (a local date and time) or `Mo 09:30` (a weekday and time).
    public init?(parsing text: String) {
        let t = text.trimmed
        let days = WeekTime.dayNames
        func minutes(_ s: Substring) -> Int? {
            let parts = s.split(separator: ":")
            guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
                  (0..<24).contains(h), (0..<60).contains(m) else { return nil }
            return h * 60 + m
        }
        // A space parts a weekday or a date from the time; without one, ISO's `T` parts a date (not the T of `Th`).
        var pieces = t.split(separator: " ")
        if pieces.count == 1 { pieces = t.split(separator: "T") }
        guard pieces.count == 2, let m = minutes(pieces[1]) else { return nil }
        if let d = days.firstIndex(of: String(pieces[0])) {
            self.init(weekday: d + 1, minute: m)
            return
        }
        let ymd = pieces[0].split(separator: "-").compactMap { Int($0) }
        guard ymd.count == 3, (1...12).contains(ymd[1]), (1...31).contains(ymd[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: ymd[0], month: ymd[1], day: ymd[2], hour: 12)),
              calendar.component(.day, from: date) == ymd[2] else { return nil }
        let weekday = calendar.component(.weekday, from: date)
        self.init(weekday: (weekday + 5) % 7 + 1, minute: m)
    }

    public var description: String {
        let h = minute / 60, m = minute % 60
        return WeekTime.dayNames[weekday - 1] + (h < 10 ? " 0" : " ") + String(h) + (m < 10 ? ":0" : ":") + String(m)
    }

    package static let dayNames = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
}

/// Which stations qualify: any of `kinds` (empty = all), every one of `services`, open at `openAt` when given.
public struct StationFilter: Hashable, Sendable {
    public var kinds: Set<String>
    public var services: Set<String>
    public var openAt: WeekTime?

    public init(kinds: Set<String> = [], services: Set<String> = [], openAt: WeekTime? = nil) {
        self.kinds = Set(kinds.map(StationKind.normalize))
        self.services = Set(Services.normalize(Array(services)))
        self.openAt = openAt
    }

    public static let any = StationFilter()

    public func accepts(_ s: Station) -> Bool {
        if !services.isEmpty, !services.isSubset(of: s.services) { return false }
        return acceptsKindAndHours(s)
    }

    /// The checks besides services (which the nearest index does with bit masks).
    package func acceptsKindAndHours(_ s: Station) -> Bool {
        if !kinds.isEmpty, !kinds.contains(s.kind ?? "") { return false }
        if let openAt {
            // A station without hours is not known to be open.
            guard let hours = s.hours, hours.isOpen(weekday: openAt.weekday, minuteOfDay: openAt.minute) else { return false }
        }
        return true
    }
}
