import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation


/// A station found near a point.
public struct NearbyStation: Sendable {
    public let station: Station
    /// The station's position in the index's `stations`.
    public let index: Int
    /// Geodesic distance in metres.
    public let distance: Double
    /// Initial bearing from the query point to the station, degrees clockwise from north.
    public let bearing: Double
}

/// A station by its position in a `NearestIndex`'s `stations`, and how far away it is.
package struct NearestSlot: Sendable {
    package let index: Int32
    package let metres: Double
}

/// An in-memory index of stations for k-nearest queries by geodesic distance, built once from the store.
///
/// A k-d tree over positions on the unit sphere: the chord between two points orders them exactly as the
/// great-circle distance does, and the ellipsoidal distance differs from the mean-radius great circle by under
/// 0.6 % anywhere on Earth, so the search prunes with a 1 % margin and ranks the survivors by Vincenty's geodesic.
/// Results are therefore exactly the k nearest by ellipsoidal distance, not an approximation.
///
/// Immutable after construction, hence `Sendable`; one index is shared by every request.
public final class NearestIndex: Sendable {
    public let stations: [Station]
    /// Unit-sphere positions in tree order: x, y, z interleaved.
    private let points: [Double]
    /// Station index of each tree slot.
    private let slots: [Int32]
    private let nodes: [Node]
    /// Per station: bit i set when it offers `serviceBits` key i.
    private let serviceMasks: [UInt64]
    private let serviceBits: [String: Int]

    private struct Node: Sendable {
        package var lo: Int32, hi: Int32
        package var left: Int32, right: Int32  // -1 for a leaf
        package var minX: Double, minY: Double, minZ: Double, maxX: Double, maxY: Double, maxZ: Double
    }

    private static let leafSize = 8
    /// Bound on |ellipsoidal / spherical − 1| with margin (the true bound is about 0.0057).
    private static let margin = 0.01

    public init(stations: [Station]) {
        self.stations = stations
        var bits = [String: Int]()
        for s in stations { for service in s.services where bits[service] == nil && bits.count < 64 { bits[service] = bits.count } }
        serviceBits = bits
        serviceMasks = stations.map { s in s.services.reduce(UInt64(0)) { m, name in bits[name].map { m | (1 << UInt64($0)) } ?? m } }

        var xyz = [Double](repeating: 0, count: stations.count * 3)
        for (i, s) in stations.enumerated() {
            let v = NearestIndex.unitVector(s.location)
            xyz[3 * i] = v.0; xyz[3 * i + 1] = v.1; xyz[3 * i + 2] = v.2
        }
        var order = (0..<stations.count).map { Int32($0) }
        var nodes = [Node]()
        nodes.reserveCapacity(max(1, stations.count / NearestIndex.leafSize * 2 + 1))
        if !stations.isEmpty {
            _ = NearestIndex.build(&nodes, &order, xyz, 0, stations.count)
        }
        self.nodes = nodes
        slots = order
        var pts = [Double](repeating: 0, count: stations.count * 3)
        for (slot, i) in order.enumerated() {
            pts[3 * slot] = xyz[3 * Int(i)]; pts[3 * slot + 1] = xyz[3 * Int(i) + 1]; pts[3 * slot + 2] = xyz[3 * Int(i) + 2]
        }
        points = pts
    }

    package static func unitVector(_ c: Coordinate) -> (Double, Double, Double) {
        let lat = c.lat * .pi / 180, lon = c.lon * .pi / 180
        return (cos(lat) * cos(lon), cos(lat) * sin(lon), sin(lat))
    }

    private static func build(_ nodes: inout [Node], _ order: inout [Int32], _ xyz: [Double], _ lo: Int, _ hi: Int) -> Int32 {
        var mins = (Double.infinity, Double.infinity, Double.infinity)
        var maxs = (-Double.infinity, -Double.infinity, -Double.infinity)
        for k in lo..<hi {
            let i = Int(order[k]) * 3
            mins = (min(mins.0, xyz[i]), min(mins.1, xyz[i + 1]), min(mins.2, xyz[i + 2]))
            maxs = (max(maxs.0, xyz[i]), max(maxs.1, xyz[i + 1]), max(maxs.2, xyz[i + 2]))
        }
        let index = nodes.count
        nodes.append(Node(lo: Int32(lo), hi: Int32(hi), left: -1, right: -1,
                          minX: mins.0, minY: mins.1, minZ: mins.2, maxX: maxs.0, maxY: maxs.1, maxZ: maxs.2))
        if hi - lo <= leafSize { return Int32(index) }
        let spans = (maxs.0 - mins.0, maxs.1 - mins.1, maxs.2 - mins.2)
        let axis = spans.0 >= spans.1 && spans.0 >= spans.2 ? 0 : (spans.1 >= spans.2 ? 1 : 2)
        let mid = (lo + hi) / 2
        var slice = Array(order[lo..<hi])
        slice.sort { xyz[Int($0) * 3 + axis] < xyz[Int($1) * 3 + axis] }
        order.replaceSubrange(lo..<hi, with: slice)
        let left = build(&nodes, &order, xyz, lo, mid)
        let right = build(&nodes, &order, xyz, mid, hi)
        nodes[index].left = left
        nodes[index].right = right
        return Int32(index)
    }

    /// The `k` nearest stations to `point` that pass `filter`, nearest first, by geodesic distance.
    /// `maxDistance` (metres) stops the search early when given.
    public func nearest(to point: Coordinate, k: Int, filter: StationFilter = .any, maxDistance: Double = .infinity) -> [NearbyStation] {
        nearestSlots(to: point, k: k, filter: filter, maxDistance: maxDistance).map {
            NearbyStation(station: stations[Int($0.index)], index: Int($0.index), distance: $0.distance, bearing: $0.bearing)
        }
    }

    /// The search of `nearest(to:k:filter:maxDistance:)`, giving positions in `stations` rather than copies of them:
    /// what a million compounds' coverage asks, where copying a station's fields for each answer costs more than
    /// finding it.
    package func nearestSlots(to point: Coordinate, k: Int, filter: StationFilter = .any,
                              maxDistance: Double = .infinity) -> [(distance: Double, bearing: Double, index: Int32)] {
        guard k > 0, !nodes.isEmpty else { return [] }
        let q = NearestIndex.unitVector(point)
        let requiredMask = filter.services.reduce(UInt64(0)) { m, name in bits(name).map { m | $0 } ?? UInt64.max }
        if requiredMask == UInt64.max { return [] } // a service no station offers
        let anyKindAnyTime = filter.kinds.isEmpty && filter.openAt == nil
        var best: [(distance: Double, bearing: Double, index: Int32)] = []
        best.reserveCapacity(k + 1)
        // Chord length beyond which nothing can beat the current k-th (or maxDistance).
        var limit = chord(forDistance: maxDistance)

        func visit(_ n: Int) {
            let node = nodes[n]
            if boxDistanceSquared(node, q) > limit * limit { return }
            if node.left < 0 {
                for slot in Int(node.lo)..<Int(node.hi) {
                    let dx = points[3 * slot] - q.0, dy = points[3 * slot + 1] - q.1, dz = points[3 * slot + 2] - q.2
                    let c2 = dx * dx + dy * dy + dz * dz
                    if c2 > limit * limit { continue }
                    let i = slots[slot]
                    guard serviceMasks[Int(i)] & requiredMask == requiredMask,
                          anyKindAnyTime || filter.acceptsKindAndHours(stations[Int(i)]) else { continue }
                    let g = Geodesic.inverse(point, stations[Int(i)].location)
                    if g.distance > maxDistance { continue }
                    if best.count == k, g.distance >= best[k - 1].distance { continue }
                    var at = best.count
                    while at > 0, best[at - 1].distance > g.distance { at -= 1 }
                    best.insert((g.distance, g.bearing, i), at: at)
                    if best.count > k { best.removeLast() }
                    if best.count == k { limit = min(limit, chord(forDistance: best[k - 1].distance)) }
                }
                return
            }
            let l = Int(node.left), r = Int(node.right)
            if boxDistanceSquared(nodes[l], q) <= boxDistanceSquared(nodes[r], q) {
                visit(l); visit(r)
            } else {
                visit(r); visit(l)
            }
        }
        visit(0)
        return best
    }

    /// The station at `slot` and its distance, as answers carry them.
    package func distance(to slot: NearestSlot) -> StationDistance {
        let station = stations[Int(slot.index)]
        return StationDistance(stationID: station.id, stationName: station.name, metres: slot.metres)
    }

    private func bits(_ service: String) -> UInt64? { serviceBits[service].map { UInt64(1) << UInt64($0) } }

    /// The chord on the unit sphere of a geodesic distance, widened by the ellipsoid margin.
    private func chord(forDistance d: Double) -> Double {
        if !d.isFinite { return 3 }
        let angle = d / (Geodesic.meanRadius * (1 - NearestIndex.margin))
        return angle >= .pi ? 3 : 2 * sin(angle / 2)
    }

    private func boxDistanceSquared(_ n: Node, _ q: (Double, Double, Double)) -> Double {
        let dx = max(n.minX - q.0, 0, q.0 - n.maxX)
        let dy = max(n.minY - q.1, 0, q.1 - n.maxY)
        let dz = max(n.minZ - q.2, 0, q.2 - n.maxZ)
        return dx * dx + dy * dy + dz * dz
    }
}
