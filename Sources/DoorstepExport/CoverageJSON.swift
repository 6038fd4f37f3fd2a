import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import DoorstepAnalysis
import DoorstepGDAL
import Foundation

/// JSON forms of coverage results, shared by the CLI and the HTTP service.
extension CompoundCoverage {
    public func properties(speed: Double) -> [(String, JSONValue)] {
        var list = JSONMemberList()
        list.members.reserveCapacity(22)
        writeProperties(speed: speed, to: &list)
        return list.members
    }

    /// The compound's row: the same members `properties(speed:)` lists, written to any sink (a province's coverage
    /// writes a million rows straight to bytes).
    public func writeProperties<Sink: JSONMemberSink>(speed: Double, to out: inout Sink) {
        func metres(_ v: Double) -> Double { (v * 10).rounded() / 10 }
        out.member("id", site.id)
        out.member("name", site.name)
        out.member("households", site.households.map(Double.init))
        out.member("households_unknown", site.households == nil)
        out.member("population", site.population.map(Double.init))
        out.member("grid_id", site.gridID)
        out.member("grid", site.gridName)
        out.member("community", site.community)
        out.member("street", site.street)
        out.member("district", site.district)
        out.member("status", status.rawValue)
        out.member("covered", isCovered)
        out.member("unreachable", status == .unreachable)
        out.member("nearest_station", nearestStraight?.stationID)
        out.member("nearest_station_name", nearestStraight?.stationName)
        out.member("straight_m", nearestStraight.map { metres($0.metres) })
        if nearestWalking != nil || status == .unreachable || status == .noPath {
            out.member("nearest_walking_station", nearestWalking?.stationID)
            out.member("walking_m", nearestWalking.map { metres($0.metres) })
            out.member("walking_min", nearestWalking.map { ($0.metres / speed / 60 * 10).rounded() / 10 })
            // Why there is no path (no_path, unreachable); null otherwise, so every walking row has the same members.
            out.member("reason", reason)
        }
        out.member("reference", site.hasEntrances ? "entrances" : "point_on_surface")
    }
}

extension CoverageGroup {
    public var properties: [(String, JSONValue)] {
        return [
            ("level", .string(level.rawValue)), ("key", .string(key)), ("name", .string(name)),
            ("compounds", .number(Double(compounds))), ("compounds_covered", .number(Double(compoundsCovered))),
            ("compounds_uncovered", .number(Double(compoundsUncovered))),
            ("compounds_unreachable", .number(Double(compoundsUnreachable))),
            ("households", .number(Double(households))), ("households_covered", .number(Double(householdsCovered))),
            ("households_covered_pct", Share.json(householdsCoveredPercent)),
            ("population", .number(Double(population))), ("population_covered", .number(Double(populationCovered))),
            ("population_covered_pct", Share.json(populationCoveredPercent)),
            ("compounds_without_households", .number(Double(compoundsWithoutHouseholds))),
        ]
    }
}
