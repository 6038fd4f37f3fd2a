import DoorstepModel
import DoorstepNetwork
import Foundation

/// Coverage at one hour of a day: the stations open then and whom they cover.
public struct HourCoverage: Sendable, Hashable {
    /// 0…23; evaluated at HH:00.
    public let hour: Int
    /// Stations that qualify (kind, service) and are open at HH:00.
    public let openStations: Int
    public let householdsCovered: Int
    public let households: Int
    public let populationCovered: Int
    public let population: Int
}

/// Coverage for each hour of one weekday (`coverage --over-day`, `/v1/coverage/hours`): for hour h, the coverage with
/// only the stations open at h:00, exactly as `CoverageAnalysis` computes it with `filter.openAt` at that moment.
///
/// Many hours share one set of open stations (the night, the office hours), so the hours are grouped by that set and
/// coverage runs once per distinct set, not 24 times.
public enum CoverageByHour {
    /// One set of open stations and the hours it is open at.
    public struct OpenSet: Sendable {
        /// Indices into the stations that qualify by kind and service, in order.
        public let open: [Int]
        /// The hours (0…23, ascending) at whose HH:00 exactly these are open.
        public let hours: [Int]
        /// The filter at the first of those hours.
        public let filter: StationFilter
    }

    /// The stations qualifying by `filter`'s kinds and services, and the hours of `weekday` grouped by which of them
    /// `filter` (at HH:00) accepts, in order of the first hour. The filter alone decides (no hours: not open).
    public static func openSets(_ stations: [Station], filter: StationFilter, weekday: Int) -> (candidates: [Station], sets: [OpenSet]) {
        var timeless = filter
        timeless.openAt = nil
        let candidates = stations.filter { timeless.accepts($0) }
        var order = [[Int]]()
        var hoursOf = [[Int]: (hours: [Int], filter: StationFilter)]()
        for hour in 0..<24 {
            var at = filter
            at.openAt = WeekTime(weekday: weekday, minute: hour * 60)
            let open = candidates.indices.filter { at.accepts(candidates[$0]) }
            if hoursOf[open] == nil { order.append(open) }
            hoursOf[open, default: ([], at)].hours.append(hour)
        }
        return (candidates, order.map { OpenSet(open: $0, hours: hoursOf[$0]!.hours, filter: hoursOf[$0]!.filter) })
    }

    public static func run(stations: [Station], compounds: [CompoundSite], network: WalkingNetwork?, options: CoverageOptions,
                           weekday: Int) throws -> [HourCoverage] {
        let (candidates, sets) = openSets(stations, filter: options.filter, weekday: weekday)
        var rows = [HourCoverage?](repeating: nil, count: 24)
        for set in sets {
            try WorkBudget.checkpoint()
            var at = options
            at.filter = set.filter
            let report = try CoverageAnalysis.run(stations: set.open.map { candidates[$0] }, compounds: compounds, network: network, options: at)
            let t = report.total
            for hour in set.hours {
                rows[hour] = HourCoverage(hour: hour, openStations: report.qualifyingStations, householdsCovered: t.householdsCovered,
                                          households: t.households, populationCovered: t.populationCovered, population: t.population)
            }
        }
        try WorkBudget.checkpoint()
        return rows.map { $0! }
    }
}
