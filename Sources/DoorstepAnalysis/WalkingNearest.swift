import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// A station reached on foot from a point.
public struct WalkingAnswer: Sendable {
    public let nearby: NearbyStation
    /// Walking distance in metres (legs to and from the network included), nil when no path.
    public let walking: Double?
    /// The walking route from the point to the station, when asked for and there is one.
    public let route: [Coordinate]?
    /// Why there is no path, in words (nil when there is one).
    public var noPathReason: String? = nil
}

extension WalkGraph {
    /// The part of edge `e` between two offsets (geodesic metres from its source), in the order given.
    public func subline(_ e: Int, from a: Double, to b: Double) -> [Coordinate] {
        let vs = Array(edgeVertices(e))
        var cumulative = [0.0]
        for (p, q) in zip(vs, vs.dropFirst()) { cumulative.append(cumulative.last! + Geodesic.distance(p, q)) }
        func point(at d: Double) -> Coordinate {
            let d = min(max(0, d), cumulative.last!)
            var i = 0
            while i < vs.count - 2 && cumulative[i + 1] < d { i += 1 }
            let span = cumulative[i + 1] - cumulative[i]
            let t = span > 0 ? (d - cumulative[i]) / span : 0
            return Coordinate(lon: vs[i].lon + t * (vs[i + 1].lon - vs[i].lon), lat: vs[i].lat + t * (vs[i + 1].lat - vs[i].lat))
        }
        let lo = min(a, b), hi = max(a, b)
        var out = [point(at: lo)]
        for (i, c) in cumulative.enumerated() where c > lo && c < hi { out.append(vs[i]) }
        out.append(point(at: hi))
        return a <= b ? out : out.reversed()
    }
}

/// Walking answers for one point: one shortest-path search from it, then every qualifying station read off.
public enum WalkingNearest {
    /// The `k` nearest qualifying stations by walking distance, searching up to `maxWalk` metres along the network.
    /// Returns nil when the point itself is farther than the snap limit from the network (unreachable).
    public static func find(from point: Coordinate, index: NearestIndex, stationSnaps: [Snap?], network: WalkingNetwork,
                            projection: MetricProjection, k: Int, filter: StationFilter = .any,
                            maxWalk: Double = 10_000, routes: Bool = false) -> [WalkingAnswer]? {
        guard let origin = network.snap(point, projection: projection) else { return nil }
        let graph = network.graph
        let tree = ShortestPathTree(graph: graph, sources: [NetworkSource(snap: origin, initial: origin.leg, label: 0)], limit: maxWalk)
        // Walking is never shorter than straight, so stations farther than maxWalk as the crow flies cannot qualify.
        let candidates = index.nearest(to: point, k: index.stations.count, filter: filter, maxDistance: maxWalk)
        var answers = [(answer: NearbyStation, walk: Double?, snap: Snap?)]()
        let position = Dictionary(uniqueKeysWithValues: index.stations.enumerated().map { ($0.element.id, $0.offset) })
        for c in candidates {
            guard let i = position[c.station.id], let snap = stationSnaps[i] else {
                answers.append((c, nil, nil))
                continue
            }
            let walk = tree.cost(at: snap, graph: graph).map { $0.cost + snap.leg }
            answers.append((c, walk.flatMap { $0 <= maxWalk ? $0 : nil }, snap))
        }
        // Stations reached first, nearest first; those without a path last, each with the reason.
        answers.sort { ($0.walk ?? .infinity, $0.answer.distance) < ($1.walk ?? .infinity, $1.answer.distance) }
        return answers.prefix(k).map { a in
            var answer = WalkingAnswer(
                nearby: a.answer, walking: a.walk,
                route: routes && a.walk != nil ? route(from: point, origin: origin, to: a.answer.station.location, snap: a.snap!, tree: tree, graph: graph) : nil)
            if a.walk == nil { answer.noPathReason = noPathReason(from: origin, to: a.snap, network: network, maxWalk: maxWalk) }
            return answer
        }
    }

    /// Why a point snapped at `origin` has no path to a station snapped at `station` (nil: the station is beyond the
    /// snap limit).
    public static func noPathReason(from origin: Snap, to station: Snap?, network: WalkingNetwork, maxWalk: Double) -> String {
        guard let station else { return "the station is farther than \(Int(network.snapLimit)) m from every street" }
        let here = network.piece(of: origin), there = network.piece(of: station)
        if here == there { return "more than \(Int(maxWalk)) m on foot" }
        if there != 0 {
            return "the station's nearest street, \(network.way(of: station)), is on \(network.describePiece(there)), not joined to yours"
        }
        return "your nearest street, \(network.way(of: origin)), is on \(network.describePiece(here)), not joined to the station's"
    }

    /// Snaps every station of the index to the network (nil for those beyond the snap limit).
    public static func snapStations(_ index: NearestIndex, network: WalkingNetwork, projection: MetricProjection) -> [Snap?] {
        index.stations.map { network.snap($0.location, projection: projection) }
    }

    /// The route: the point, its snapped position, the edges back-tracked through the tree, the station's snapped
    /// position, the station.
    package static func route(from point: Coordinate, origin: Snap, to station: Coordinate, snap: Snap, tree: ShortestPathTree, graph: WalkGraph) -> [Coordinate] {
        let e = Int(snap.edge)
        let direct = origin.edge == snap.edge ? abs(origin.offset - snap.offset) : Double.infinity
        let s = graph.edgeSource[e], t = graph.edgeTarget[e]
        let viaSource = tree.cost[Int(s)] + snap.offset - origin.leg
        let viaTarget = tree.cost[Int(t)] + graph.edgeLength[e] - snap.offset - origin.leg
        if direct <= min(viaSource, viaTarget) {
            return [point] + graph.subline(e, from: origin.offset, to: snap.offset) + [station]
        }
        // Walk back from the better end of the station's edge to the origin's edge.
        var node = viaSource <= viaTarget ? s : t
        var tail = graph.subline(e, from: node == s ? 0 : graph.edgeLength[e], to: snap.offset)
        var middle = [[Coordinate]]()
        while tree.via[Int(node)] >= 0 {
            let edge = Int(tree.via[Int(node)])
            let previous = graph.opposite(edge, node)
            var piece = Array(graph.edgeVertices(edge))
            if graph.edgeSource[edge] != previous { piece.reverse() }
            middle.append(piece)
            node = previous
        }
        let oe = Int(origin.edge)
        let head = graph.subline(oe, from: origin.offset, to: graph.edgeSource[oe] == node ? 0 : graph.edgeLength[oe])
        var out = [point] + head
        for piece in middle.reversed() { out += piece.dropFirst() }
        if let first = tail.first, first == out.last { tail.removeFirst() }
        return out + tail + [station]
    }
}
