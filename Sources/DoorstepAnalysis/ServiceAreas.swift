import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// The ground a station serves within a distance: a geodesic circle, or the walkable area along the network.
public struct ServiceArea: Sendable {
    public let stationID: String
    public let stationName: String
    public let kind: String?
    /// The band's distance in metres.
    public let band: Double
    /// "walk" or "circle".
    public let mode: String
    public let geometry: Geometry
    /// Area in m², measured in the metric zone.
    public let area: Double
    /// Network length reachable within the band (walking areas), metres.
    public let reachableNetwork: Double?
}

/// Service areas (DESIGN.md "Covered"; issue "areas").
///
/// A walking area is the ground within `lateral` metres (default 35 m: a street and the buildings' fronts on both
/// sides) of every part of the network reachable within the band — the last edges cut where the distance runs out —
/// plus the straight leg from the station to the network, dissolved per station and band. It follows the network:
/// ground across a river without a bridge, or a piece of network not connected to the station's, is not in it.
public enum ServiceAreas {
    public static let defaultLateral = 35.0

    /// A geodesic circle as a 72-sided polygon, drawn in the metric plane (scale error under 0.03 % in a 3° zone),
    /// in plane coordinates (x, y as lon, lat).
    package static func planeCircle(around c: Coordinate, radius: Double, projection: MetricProjection) -> Geometry {
        let p = projection.project(c)
        var ring = (0..<72).map { i -> Coordinate in
            let a = Double(i) * 2 * .pi / 72
            // Counter-clockwise from east, as RFC 7946 wants exterior rings.
            return Coordinate(lon: p.x + radius * cos(a), lat: p.y + radius * sin(a))
        }
        ring.append(ring[0])
        return .polygon([ring])
    }

    /// Area of a plane polygon in m² (shoelace; holes subtract whatever their winding).
    package static func planeArea(_ g: Geometry) -> Double {
        func polygon(_ rings: [[Coordinate]]) -> Double {
            guard let outer = rings.first else { return 0 }
            return abs(Planar.ringArea(outer)) - rings.dropFirst().reduce(0) { $0 + abs(Planar.ringArea($1)) }
        }
        switch g {
        case .polygon(let rings): return polygon(rings)
        case .multiPolygon(let ps): return ps.reduce(0) { $0 + polygon($1) }
        default: return 0
        }
    }

    /// The pieces of network reachable from `source` within `band` metres (including the straight leg).
    /// `search` is reused between calls (one per graph).
    public static func reachableLines(from station: Coordinate, snap: Snap, band: Double, network: WalkingNetwork,
                                      search: inout BoundedSearch) -> (lines: [[Coordinate]], length: Double) {
        let graph = network.graph
        let budget = band - snap.leg
        guard budget > 0 else { return ([], 0) }
        search.run(graph, from: snap, limit: budget)
        var lines: [[Coordinate]] = [[station, snap.position]]
        var total = 0.0
        let e0 = Int(snap.edge)
        // Along the station's own edge, both ways from the station.
        let ownFrom = max(0, snap.offset - budget), ownTo = min(graph.edgeLength[e0], snap.offset + budget)
        lines.append(graph.subline(e0, from: ownFrom, to: ownTo))
        total += ownTo - ownFrom
        for e in search.touchedEdges(graph) where e != e0 {
            let len = graph.edgeLength[e]
            // How far into the edge the budget reaches from each end (0 when that end was not reached).
            let a = max(0, budget - search.cost(graph.edgeSource[e]))
            let b = max(0, budget - search.cost(graph.edgeTarget[e]))
            if a + b >= len {
                lines.append(Array(graph.edgeVertices(e)))
                total += len
            } else {
                if a > 0 { lines.append(graph.subline(e, from: 0, to: a)); total += a }
                if b > 0 { lines.append(graph.subline(e, from: len - b, to: len)); total += b }
            }
        }
        return (lines, total)
    }

    /// Service areas of `stations` for each band; walking ones need `network`.
    public static func make(stations: [Station], bands: [Double], network: WalkingNetwork?, zone: MetricZone,
                            lateral: Double = defaultLateral) throws -> (areas: [ServiceArea], offNetwork: [String]) {
        let projection = try MetricProjection(zone: zone)
        func toWGS84(_ g: Geometry) -> Geometry { g.mapCoordinates { projection.unproject(x: $0.lon, y: $0.lat) } }
        func toPlane(_ line: [Coordinate]) -> [Coordinate] { line.map { let p = projection.project($0); return Coordinate(lon: p.x, lat: p.y) } }
        var areas = [ServiceArea]()
        var offNetwork = [String]()
        var search = network.map { BoundedSearch(graph: $0.graph) }
        let progress = WorkProgress.begin(network == nil ? "service areas: circles" : "service areas: walking", total: stations.count, unit: "stations")
        defer { progress.finish() }
        for s in stations {
            try WorkBudget.checkpoint()
            defer { progress.advance() }
            guard let network else {
                for band in bands {
                    let g = planeCircle(around: s.location, radius: band, projection: projection)
                    areas.append(ServiceArea(stationID: s.id, stationName: s.name, kind: s.kind, band: band, mode: "circle",
                                             geometry: toWGS84(g), area: planeArea(g), reachableNetwork: nil))
                }
                continue
            }
            guard let snap = network.snap(s.location, projection: projection) else {
                offNetwork.append(s.id)
                continue
            }
            for band in bands {
                try WorkBudget.checkpoint()
                let reach = reachableLines(from: s.location, snap: snap, band: band, network: network, search: &search!)
                guard let buffered = try GeometryEngine.buffer(planeLines: reach.lines.map(toPlane), width: lateral) else {
                    // Under a budget GEOS may have been interrupted — this work's (the checkpoint throws) or, as GEOS's
                    // flag is process-wide, another's: never a silent gap in an answer.
                    try WorkBudget.checkpoint()
                    if WorkBudget.current != nil { throw WorkStopped(reason: .cancelled, limit: .zero) }
                    continue
                }
                areas.append(ServiceArea(stationID: s.id, stationName: s.name, kind: s.kind, band: band, mode: "walk",
                                         geometry: toWGS84(buffered), area: planeArea(buffered), reachableNetwork: reach.length))
            }
        }
        return (areas, offNetwork)
    }
}

extension ServiceArea {
    public var properties: [(String, JSONValue)] {
        var p: [(String, JSONValue)] = [
            ("station_id", .string(stationID)), ("station_name", .string(stationName)),
            ("kind", kind.map(JSONValue.string) ?? .null), ("band_m", .number(band)), ("mode", .string(mode)),
            ("area_m2", .number(area.rounded())),
        ]
        if let reachableNetwork { p.append(("network_m", .number(reachableNetwork.rounded()))) }
        return p
    }
}
