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
        func num(_ v: Int?) -> JSONValue { v.map { .number(Double($0)) } ?? .null }
        func text(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        func metres(_ v: Double) -> JSONValue { .number((v * 10).rounded() / 10) }
        // Room for every member at once (a province writes a million of these rows).
        var p = [(String, JSONValue)]()
        p.reserveCapacity(22)
        p += [
            ("id", .string(site.id)), ("name", .string(site.name)), ("households", num(site.households)),
            ("households_unknown", .bool(site.households == nil)), ("population", num(site.population)),
            ("grid_id", text(site.gridID)), ("grid", text(site.gridName)), ("community", text(site.community)),
            ("street", text(site.street)), ("district", text(site.district)),
            ("status", .string(status.rawValue)), ("covered", .bool(isCovered)),
            ("unreachable", .bool(status == .unreachable)),
            ("nearest_station", text(nearestStraight?.stationID)), ("nearest_station_name", text(nearestStraight?.stationName)),
            ("straight_m", nearestStraight.map { metres($0.metres) } ?? .null),
        ]
        if nearestWalking != nil || status == .unreachable || status == .noPath {
            p += [
                ("nearest_walking_station", text(nearestWalking?.stationID)),
                ("walking_m", nearestWalking.map { metres($0.metres) } ?? .null),
                ("walking_min", nearestWalking.map { .number(($0.metres / speed / 60 * 10).rounded() / 10) } ?? .null),
            ]
            // Why there is no path (no_path, unreachable); null otherwise, so every walking row has the same members.
            p.append(("reason", reason.map(JSONValue.string) ?? .null))
        }
        p.append(("reference", .string(site.hasEntrances ? "entrances" : "point_on_surface")))
        return p
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
