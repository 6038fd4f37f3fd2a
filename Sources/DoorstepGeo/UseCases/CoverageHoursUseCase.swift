import DoorstepAnalysis
import DoorstepModel
import DoorstepNetwork
import Foundation

/// Coverage for each hour of a day, evaluated at HH:00 with only the stations open then: `doorstep coverage --over-day`
/// and `GET /v1/coverage/hours` — so a planner sees the evening hole when the posts close at 17:00.
public enum CoverageHoursUseCase {
    public struct Options: Sendable {
        /// `day`: a weekday `Mo`…`Su`, or a date `YYYY-MM-DD` (its weekday counts); Monday when not given.
        public static let days = WeekTime.dayNames
        public static let defaultDay = "Mo"

        /// The coverage options; never `open_at` (the hours are the times).
        public let analysis: AnalysisOptions
        /// ISO weekday, 1 = Monday … 7 = Sunday.
        public let weekday: Int

        public init(_ analysis: AnalysisOptions, day: String? = nil) throws {
            if analysis.openAt != nil {
                throw UseCaseError.conflict(["open_at"], "coverage over a day is evaluated at every hour of \(name: "day"); give \(name: "day"), not \(name: "open_at")")
            }
            self.analysis = analysis
            weekday = try Self.weekday(day ?? Self.defaultDay)
        }

        /// The weekday of `Mo`…`Su` or of a date `YYYY-MM-DD` (read as `open_at` reads its date).
        public static func weekday(_ day: String) throws -> Int {
            let text = day.trimmed
            let dateLike = text.count == 10 && text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-") }
            guard days.contains(text) || dateLike, let at = WeekTime(parsing: text + " 00:00") else {
                throw UseCaseError(.invalid, ["day"], "\"\(Limits.clip(day))\" is not a weekday (\(days.joined(separator: " "))) or a date like 2026-11-23",
                                   allowed: days.joined(separator: ", ") + ", YYYY-MM-DD")
            }
            return at.weekday
        }

        public var day: String { Self.days[weekday - 1] }

        public var query: [(String, JSONValue)] { analysis.query + [("day", .string(day))] }
    }

    public struct Result: Sendable {
        public let options: Options
        public let generation: Int
        /// Hours 0…23 in order.
        public let hours: [HourCoverage]

        /// hour, time ("19:00"), open_stations, households_covered, households, share (of households, 0…1 to 4
        /// decimals, null without households), population_covered, population.
        public var rows: [[(String, JSONValue)]] {
            hours.map { h in
                [("hour", .number(Double(h.hour))), ("time", .string(h.hour < 10 ? "0\(h.hour):00" : "\(h.hour):00")),
                 ("open_stations", .number(Double(h.openStations))),
                 ("households_covered", .number(Double(h.householdsCovered))), ("households", .number(Double(h.households))),
                 ("share", h.households > 0 ? .number((Double(h.householdsCovered) / Double(h.households) * 10_000).rounded() / 10_000) : .null),
                 ("population_covered", .number(Double(h.populationCovered))), ("population", .number(Double(h.population)))]
            }
        }

        /// `{query, generation, day, hours}`: the answer of the CLI's `--format json` and the API.
        public var json: JSONValue {
            Records.envelope(query: options.query, generation: generation,
                             [("day", .string(options.day)), ("hours", .array(rows.map { .object($0) }))])
        }
    }

    public static func run(_ options: Options, on source: some AnalysisSource) throws -> Result {
        var network: WalkingNetwork?
        if options.analysis.walk {
            guard let walking = try source.walkingNetwork() else { throw UseCaseError.noWalkingNetwork }
            network = walking
        }
        let coverage = options.analysis.coverage
        let hours = try Limits.computing {
            try source.coverageHours(coverage, weekday: options.weekday) {
                try CoverageByHour.run(stations: source.stations(), compounds: source.compoundSites(), network: network, options: coverage,
                                       weekday: options.weekday)
            }
        }
        return Result(options: options, generation: try source.generation(), hours: hours)
    }
}
