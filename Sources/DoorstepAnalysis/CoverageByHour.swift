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
    public static func run(stations: [Station], compounds: [CompoundSite], network: WalkingNetwork?, options: CoverageOptions,
                           weekday: Int) throws -> [HourCoverage] {
        var timeless = options.filter
        timeless.openAt = nil
        let candidates = stations.filter { timeless.accepts($0) }
        // Hours by the indices of the candidates open at h:00 (the filter itself decides: no hours, not open).
        var order = [[Int]]()
        var hoursOf = [[Int]: [Int]]()
        var filters = [[Int]: StationFilter]()
        for hour in 0..<24 {
            var filter = options.filter
            filter.openAt = WeekTime(weekday: weekday, minute: hour * 60)
            let open = candidates.indices.filter { filter.accepts(candidates[$0]) }
            if hoursOf[open] == nil {
                order.append(open)
                filters[open] = filter
            }
            hoursOf[open, default: []].append(hour)
        }
        var rows = [HourCoverage?](repeating: nil, count: 24)
        for open in order {
            try WorkBudget.checkpoint()
            var at = options
            at.filter = filters[open]!
            let report = try CoverageAnalysis.run(stations: open.map { candidates[$0] }, compounds: compounds, network: network, options: at)
            let t = report.total
            for hour in hoursOf[open]! {
                rows[hour] = HourCoverage(hour: hour, openStations: report.qualifyingStations, householdsCovered: t.householdsCovered,
                                          households: t.households, populationCovered: t.populationCovered, population: t.population)
            }
        }
        try WorkBudget.checkpoint()
        return rows.map { $0! }
    }
}
