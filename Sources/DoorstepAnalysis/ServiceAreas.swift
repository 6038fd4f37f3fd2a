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

    /// How a walking area is drawn from the reachable lines.
    public enum Construction: Sendable, Equatable {
        /// The lines rasterised in the metric plane and contoured (`ReachRaster`): no union, about a millisecond per
        /// area at 1 km. The default.
        case raster
        /// GEOS: the lines merged, buffered and dissolved (the construction before issue 15, kept for comparison and
        /// for a lateral too thin for the raster's grid, `ReachRaster.cellSize`).
        case buffer
    }

    /// One thread's tools for drawing areas: its own search state, PROJ context and raster scratch.
    package struct Tools {
        let projection: MetricProjection
        var search: BoundedSearch?
        var raster = ReachRaster()

        init(zone: MetricZone, network: WalkingNetwork?) throws {
            projection = try MetricProjection(zone: zone)
            search = network.map { BoundedSearch(graph: $0.graph) }
        }
    }

    /// The areas of one station, band by band; nil when it is farther than the snap limit from the network.
    static func areas(of s: Station, bands: [Double], network: WalkingNetwork?, lateral: Double, construction: Construction,
                      tools: inout Tools) throws -> [ServiceArea]? {
        let projection = tools.projection
        func toWGS84(_ g: Geometry) -> Geometry { g.mapCoordinates { projection.unproject(x: $0.lon, y: $0.lat) } }
        func toPlane(_ line: [Coordinate]) -> [Coordinate] { line.map { let p = projection.project($0); return Coordinate(lon: p.x, lat: p.y) } }
        guard let network else {
            return bands.map { band in
                let g = planeCircle(around: s.location, radius: band, projection: projection)
                return ServiceArea(stationID: s.id, stationName: s.name, kind: s.kind, band: band, mode: "circle",
                                   geometry: toWGS84(g), area: planeArea(g), reachableNetwork: nil)
            }
        }
        guard let snap = network.snap(s.location, projection: projection) else { return nil }
        var areas = [ServiceArea]()
        for band in bands {
            try WorkBudget.checkpoint()
            let reach = reachableLines(from: s.location, snap: snap, band: band, network: network, search: &tools.search!)
            let lines = reach.lines.map(toPlane)
            let drawn: Geometry?
            if construction == .raster, let cell = ReachRaster.cellSize(band: band, lateral: lateral) {
                drawn = tools.raster.area(planeLines: lines, lateral: lateral, cell: cell)
            } else {
                drawn = try GeometryEngine.buffer(planeLines: lines, width: lateral)
            }
            guard let drawn else {
                // Under a budget GEOS may have been interrupted — this work's (the checkpoint throws) or, as GEOS's
                // flag is process-wide, another's: never a silent gap in an answer.
                try WorkBudget.checkpoint()
                if WorkBudget.current != nil { throw WorkStopped(reason: .cancelled, limit: .zero) }
                continue
            }
            areas.append(ServiceArea(stationID: s.id, stationName: s.name, kind: s.kind, band: band, mode: "walk",
                                     geometry: toWGS84(drawn), area: planeArea(drawn), reachableNetwork: reach.length))
        }
        return areas
    }

    /// Service areas of `stations` for each band; walking ones need `network`. On the calling thread.
    public static func make(stations: [Station], bands: [Double], network: WalkingNetwork?, zone: MetricZone,
                            lateral: Double = defaultLateral, construction: Construction = .raster) throws -> (areas: [ServiceArea], offNetwork: [String]) {
        var tools = try Tools(zone: zone, network: network)
        var areas = [ServiceArea]()
        var offNetwork = [String]()
        let progress = WorkProgress.begin(network == nil ? "service areas: circles" : "service areas: walking", total: stations.count, unit: "stations")
        defer { progress.finish() }
        for s in stations {
            try WorkBudget.checkpoint()
            defer { progress.advance() }
            if let made = try Self.areas(of: s, bands: bands, network: network, lateral: lateral, construction: construction, tools: &tools) {
                areas += made
            } else {
                offNetwork.append(s.id)
            }
        }
        return (areas, offNetwork)
    }

    /// Service areas of `stations` on `threads` worker threads, each with its own tools, handed to `deliver` on the
    /// calling thread in station order as soon as they and every station before them are done (nil: the station
    /// is off the network). `render` runs on the worker (e.g. the Feature's JSON), so the caller only writes.
    /// Workers run at most `window` stations ahead of the delivery, so memory stays small however many stations.
    /// The caller's `WorkBudget` holds on the workers too. An error (a worker's or `deliver`'s) stops every worker
    /// and is thrown once they have stopped.
    public static func each<T: Sendable>(stations: [Station], bands: [Double], network: WalkingNetwork?, zone: MetricZone,
                                         lateral: Double = defaultLateral, construction: Construction = .raster, threads: Int,
                                         window: Int = 256, render: @escaping @Sendable ([ServiceArea]) -> T,
                                         deliver: (Int, T?) throws -> Void) throws {
        let shared = SharedProgress<T>(count: stations.count, window: max(1, window))
        let budget = WorkBudget.current
        let workers = max(1, min(threads, stations.count))
        var spawned = [Thread]()
        for _ in 0..<workers {
            let thread = Thread {
                do {
                    var tools = try Tools(zone: zone, network: network)
                    let work = {
                        while let i = shared.take() {
                            let made = try Self.areas(of: stations[i], bands: bands, network: network, lateral: lateral,
                                                      construction: construction, tools: &tools)
                            shared.put(i, made.map(render))
                        }
                    }
                    if let budget { try budget.run(work) } else { try work() }
                } catch {
                    shared.fail(error)
                }
                shared.finished()
            }
            thread.stackSize = 1 << 22
            spawned.append(thread)
            thread.start()
        }
        let progress = WorkProgress.begin(network == nil ? "service areas: circles" : "service areas: walking", total: stations.count, unit: "stations")
        defer { progress.finish() }
        do {
            for i in stations.indices {
                guard let value = try shared.result(i) else { continue }
                try deliver(i, value.value)
                progress.advance()
            }
        } catch {
            shared.fail(error)
            shared.waitForWorkers(workers)
            throw error
        }
        shared.waitForWorkers(workers)
    }
}

/// The work queue and the reorder buffer of `ServiceAreas.each`, under one lock.
private final class SharedProgress<T: Sendable>: @unchecked Sendable {
    struct Done { let value: T? }
    private let condition = NSCondition()
    private var nextTask = 0
    private var delivered = 0
    private var results: [Int: Done] = [:]
    private var error: (any Error)?
    private var running = 0
    private let count: Int
    private let window: Int

    init(count: Int, window: Int) {
        self.count = count
        self.window = window
    }

    /// The next station to draw, or nil when there is none left or the work failed.
    func take() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while error == nil, nextTask < count, nextTask - delivered >= window { condition.wait() }
        guard error == nil, nextTask < count else { return nil }
        defer { nextTask += 1 }
        return nextTask
    }

    func put(_ i: Int, _ value: T?) {
        condition.lock()
        results[i] = Done(value: value)
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ e: any Error) {
        condition.lock()
        if error == nil { error = e }
        condition.broadcast()
        condition.unlock()
    }

    func finished() {
        condition.lock()
        running += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Station `i`'s result once it is done (waiting for it); throws the first failure.
    func result(_ i: Int) throws -> Done? {
        condition.lock()
        defer { condition.unlock() }
        while error == nil, results[i] == nil { condition.wait() }
        if let error { throw error }
        let done = results.removeValue(forKey: i)
        delivered = i + 1
        condition.broadcast()
        return done
    }

    func waitForWorkers(_ n: Int) {
        condition.lock()
        while running < n { condition.wait() }
        condition.unlock()
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
