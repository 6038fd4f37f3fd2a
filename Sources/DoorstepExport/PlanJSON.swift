import DoorstepGDAL
import DoorstepAnalysis
import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// JSON forms of a plan, shared by the CLI and the HTTP service (beside the coverage's, `CoverageJSON.swift`).
extension ProposedSite {
    public var properties: [(String, JSONValue)] {
        func text(_ v: String?) -> JSONValue { v.map(JSONValue.string) ?? .null }
        return [
            ("rank", .number(Double(rank))), ("id", .string(candidate.id)), ("name", .string(candidate.name)),
            ("lon", .number((candidate.location.lon * 1e7).rounded() / 1e7)), ("lat", .number((candidate.location.lat * 1e7).rounded() / 1e7)),
            ("households_added", .number(Double(householdsAdded))), ("population_added", .number(Double(populationAdded))),
            ("compounds_added", .number(Double(newlyCovered.count))),
            ("compounds_without_households", .number(Double(compoundsWithoutHouseholds))),
            ("cumulative_households", .number(Double(cumulativeHouseholds))), ("cumulative_pct", Share.json(cumulativeHouseholdsPercent)),
            ("cumulative_population", .number(Double(cumulativePopulation))), ("cumulative_population_pct", Share.json(cumulativePopulationPercent)),
            ("grid_id", text(grid?.id)), ("grid", text(grid?.name)), ("community", text(grid?.community)),
            ("street", text(grid?.street)), ("district", text(grid?.district)),
            ("nearest_station", text(nearestStation?.stationID)), ("nearest_station_name", text(nearestStation?.stationName)),
            ("nearest_station_m", nearestStation.map { .number(($0.metres * 10).rounded() / 10) } ?? .null),
            ("compound_ids", .array(newlyCovered.map { .string($0.id) })),
        ]
    }

    /// The site as a GeoJSON Point feature.
    public var feature: JSONValue {
        .object([
            ("type", .string("Feature")),
            ("geometry", Geometry.point(candidate.location).geoJSON),
            ("properties", .object([("role", .string("site"))] + properties)),
        ])
    }
}

extension PlanReport {
    /// Everything but the sites: what was asked, the baseline, the result and how good it is provably.
    public var summary: [(String, JSONValue)] {
        func num(_ v: Double?) -> JSONValue { v.map { .number(($0 * 10).rounded() / 10) } ?? .null }
        func ids(_ sites: [CompoundSite]) -> JSONValue { .array(sites.map { .string($0.id) }) }
        var objective: [(String, JSONValue)]
        switch options.objective {
        case .add(let k): objective = [("mode", .string("add")), ("k", .number(Double(k)))]
        case .target(let share): objective = [("mode", .string("target")), ("target_pct", num(share * 100))]
        }
        objective += [("weight", .string(options.weight.rawValue)), ("walk", .bool(options.coverage.walk)),
                      ("reach", .string(options.coverage.reach.description))]
        return [
            ("objective", .object(objective)),
            ("baseline", .object(baseline.properties)),
            ("qualifying_stations", .number(Double(qualifyingStations))),
            ("candidates", .number(Double(candidateCount))),
            ("candidates_off_network", .array(candidatesOffNetwork.map(JSONValue.string))),
            ("candidates_adding_nothing", .number(Double(candidatesAddingNothing))),
            ("sites_proposed", .number(Double(sites.count))),
            ("households_added", .number(Double(householdsAdded))), ("population_added", .number(Double(populationAdded))),
            ("final_pct", Share.json(finalPercent)),
            ("upper_bound", num(upperBound)), ("gap_to_bound_pct", num(gapToBound.map { $0 * 100 })),
            ("needed", num(neededWeight)), ("target_met", targetMet.map(JSONValue.bool) ?? .null),
            ("minimum_sites", minimumSites.map { .number(Double($0)) } ?? .null),
            ("proven_optimal", .bool(provenOptimal)), ("swaps", .number(Double(swaps))),
            ("unreachable", ids(unreachable)), ("out_of_reach", ids(outOfReach)),
            ("out_of_reach_households", .number(Double(outOfReach.reduce(0) { $0 + ($1.households ?? 0) }))),
            ("uncovered_without_households", .number(Double(uncoveredWithoutHouseholds))),
            ("note", note.map(JSONValue.string) ?? .null),
        ]
    }

    /// The whole plan as one JSON object.
    public var json: JSONValue {
        .object(summary + [("sites", .array(sites.map { .object($0.properties) }))])
    }

    /// Sites (points) and the compounds each newly covers (with `site_id` and `site_rank`), as GeoJSON features;
    /// compound geometries by id from the store.
    public func features(compoundGeometries: [String: JSONValue]) -> [JSONValue] {
        var out = sites.map(\.feature)
        for s in sites {
            for c in s.newlyCovered {
                out.append(.object([
                    ("type", .string("Feature")), ("geometry", compoundGeometries[c.id] ?? .null),
                    ("properties", .object([
                        ("role", .string("compound")), ("id", .string(c.id)), ("name", .string(c.name)),
                        ("households", c.households.map { .number(Double($0)) } ?? .null),
                        ("population", c.population.map { .number(Double($0)) } ?? .null),
                        ("site_id", .string(s.candidate.id)), ("site_rank", .number(Double(s.rank))),
                    ])),
                ]))
            }
        }
        return out
    }
}
