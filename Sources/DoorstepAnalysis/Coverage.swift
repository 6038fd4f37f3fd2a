import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// How far a station reaches (DESIGN.md "Radius").
public enum Reach: Hashable, Sendable, CustomStringConvertible {
    /// One radius in metres for every station (`--radius`, `--preset`).
    case uniform(Double)
    /// Each station's own `radius_m`, else the fallback (500 m).
    case perStation(fallback: Double)

    public static let presets: [String: Double] = ["100m": 100, "5min": 300, "10min": 500, "15min": 1000]

    public func radius(of s: Station) -> Double {
        switch self {
        case .uniform(let r): return r
        case .perStation(let fallback): return s.radiusMetres ?? fallback
        }
    }

    public var description: String {
        switch self {
        case .uniform(let r): return String(format: "%.0f m", r)
        case .perStation(let f): return String(format: "each station's radius_m (else %.0f m)", f)
        }
    }
}

/// The options of a coverage computation.
public struct CoverageOptions: Sendable {
    public var reach: Reach
    public var walk: Bool
    public var filter: StationFilter
    /// Walking speed in m/s for times (DESIGN.md: 1.2 m/s).
    public var speed: Double

    public init(reach: Reach = .perStation(fallback: 500), walk: Bool = false, filter: StationFilter = .any, speed: Double = 1.2) {
        self.reach = reach
        self.walk = walk
        self.filter = filter
        self.speed = speed
    }

    /// The stations that count under these options, in their order.
    public func qualifying(_ stations: [Station]) -> [Station] { stations.filter { filter.accepts($0) } }
}

/// A station and how far away it is.
public struct StationDistance: Sendable, Hashable {
    public let stationID: String
    public let stationName: String
    public let metres: Double
}

/// Whether and how one compound is covered.
public struct CompoundCoverage: Sendable {
    public enum Status: String, Sendable {
        case covered
        case uncovered
        /// Walking: the compound's reference points are all beyond the snap limit from the network.
        case unreachable
        /// Walking: on the network, but no qualifying station can be reached along it.
        case noPath = "no_path"
    }
    public let site: CompoundSite
    public let status: Status
    /// The nearest qualifying station as the crow flies.
    public let nearestStraight: StationDistance?
    /// The nearest qualifying station along the network (walking mode only).
    public let nearestWalking: StationDistance?
    /// Why there is no path (`noPath`) or no network (`unreachable`), in words; nil otherwise.
    public var reason: String? = nil

    public var isCovered: Bool { status == .covered }
}

/// The result of `coverage`: per compound, plus what the planner needs to read it right.
public struct CoverageReport: Sendable {
    public let options: CoverageOptions
    public let compounds: [CompoundCoverage]
    /// Stations that qualify under the filter.
    public let qualifyingStations: Int
    /// Qualifying stations farther than the snap limit from the network (walking mode): they take no part.
    public let stationsOffNetwork: [String]
}

/// Computes coverage: straight (geodesic) or walking (one multi-source search from all qualifying stations).
public enum CoverageAnalysis {
    /// Straight coverage of one compound against the stations of `index` (the qualifying ones): the nearest as the crow
    /// flies, and whether one of its reference points is within a station's reach (`maxRadius`: the largest reach).
    package static func straightCoverage(of site: CompoundSite, index: NearestIndex, reach: Reach,
                                         maxRadius: Double) -> (nearest: StationDistance?, covered: Bool) {
        let s = straightNearest(of: site, index: index, reach: reach, maxRadius: maxRadius)
        return (s.nearest.map { index.distance(to: $0) }, s.covered)
    }

    /// `straightCoverage` with the nearest station as its position in `index.stations` (what a province's walking
    /// coverage keeps for a million compounds until their answers are made); without a `reach`, only the nearest
    /// (`covered` false).
    package static func straightNearest(of site: CompoundSite, index: NearestIndex, reach: Reach?,
                                        maxRadius: Double) -> (nearest: NearestSlot?, covered: Bool) {
        var nearest: (distance: Double, bearing: Double, index: Int32)?
        var covered = false
        for p in site.referencePoints {
            let n = index.nearestSlots(to: p, k: 1).first
            if let n, nearest == nil || n.distance < nearest!.distance { nearest = n }
            if !covered, let reach {
                switch reach {
                case .uniform(let r):
                    // With one radius the nearest station decides; no second search.
                    covered = n.map { $0.distance <= r } ?? false
                case .perStation:
                    // Every station within the largest radius, not a fixed number of them: a far station with a
                    // big radius may cover where many nearer small ones do not.
                    covered = index.nearest(to: p, k: index.stations.count, maxDistance: maxRadius)
                        .contains { $0.distance <= reach.radius(of: $0.station) }
                }
            }
        }
        return (nearest.map { NearestSlot(index: $0.index, metres: $0.distance) }, covered)
    }

    /// Why a compound snapped at `snap` has no path to a qualifying station, in words.
    package static func noPathReason(_ snap: Snap, network: WalkingNetwork, filter: StationFilter, noStation: Bool,
                                     noStationOnNetwork: Bool) -> String {
        let stationWord = filter == .any ? "station" : "qualifying station"
        if noStation { return "no station qualifies" }
        if noStationOnNetwork { return "no \(stationWord) is within \(Int(network.snapLimit)) m of a street" }
        return "its nearest street, \(network.way(of: snap)), is on \(network.describePiece(network.piece(of: snap))) with no \(stationWord)"
    }

    /// Why a compound is unreachable, in words.
    package static func unreachableReason(_ network: WalkingNetwork) -> String {
        "farther than \(Int(network.snapLimit)) m from every street"
    }

    public static func run(stations: [Station], compounds: [CompoundSite], network: WalkingNetwork?,
                           options: CoverageOptions) throws -> CoverageReport {
        let qualifying = options.qualifying(stations)
        let index = NearestIndex(stations: qualifying)
        let maxRadius = qualifying.map { options.reach.radius(of: $0) }.max() ?? 0
        func straight(_ site: CompoundSite) -> (nearest: StationDistance?, covered: Bool) {
            straightCoverage(of: site, index: index, reach: options.reach, maxRadius: maxRadius)
        }

        let progress = WorkProgress.begin("coverage: \(options.walk ? "walking from" : "around") compounds", total: compounds.count, unit: "compounds")
        defer { progress.finish() }
        guard options.walk else {
            let results = try ParallelMap.map(count: compounds.count, chunk: 256, makeState: { () }) { _, i -> CompoundCoverage in
                progress.advance()
                let site = compounds[i]
                let s = straight(site)
                return CompoundCoverage(site: site, status: s.covered ? .covered : .uncovered, nearestStraight: s.nearest, nearestWalking: nil)
            }
            return CoverageReport(options: options, compounds: results, qualifyingStations: qualifying.count, stationsOffNetwork: [])
        }
        guard let network else { throw CoverageError("walking coverage needs the ways layer: import ways first") }
        let projection = try network.makeProjection()
        var nearestSources = [NetworkSource]()
        var reachSources = [NetworkSource]()
        var offNetwork = [String]()
        for (i, s) in qualifying.enumerated() {
            guard let snap = network.snap(s.location, projection: projection) else {
                offNetwork.append(s.id)
                continue
            }
            nearestSources.append(NetworkSource(snap: snap, initial: snap.leg, label: Int32(i)))
            reachSources.append(NetworkSource(snap: snap, initial: snap.leg - options.reach.radius(of: s), label: Int32(i)))
        }
        let uniform: Bool
        if case .uniform = options.reach { uniform = true } else {
            uniform = Set(qualifying.map { options.reach.radius(of: $0) }).count <= 1
        }
        // The searches from the stations run on a thread of their own while the compounds' reference points are
        // snapped to the network on the other cores: neither needs the other. With one radius the nearest station
        // decides; with several, a second search on "radius left" does.
        let searches = Searches()
        let graph = network.graph
        let searching = Thread { [nearestSources, reachSources] in
            searches.nearest = WorkProgress.run("coverage: walking from the stations") { _ in
                ShortestPathTree(graph: graph, sources: nearestSources, routes: false)
            }
            if !uniform { searches.reach = ShortestPathTree(graph: graph, sources: reachSources, routes: false) }
            searches.done.signal()
        }
        searching.stackSize = 1 << 22
        searching.start()
        // Each thread snaps with a PROJ context of its own; one that cannot make one shares the caller's, under a lock.
        // The snaps of compound i's reference points are snaps[snapStart[i] ..< snapStart[i + 1]]: one array for a
        // million compounds, not a million small ones.
        var snapStart = [Int](repeating: 0, count: compounds.count + 1)
        for (i, site) in compounds.enumerated() { snapStart[i + 1] = snapStart[i] + site.referencePoints.count }
        var snaps = [Snap?](repeating: nil, count: snapStart[compounds.count])
        // With them, each compound's nearest station as the crow flies (in the same order of place: the stations'
        // index is walked where the last compound walked it).
        var straightAnswers = [NearestSlot?](repeating: nil, count: compounds.count)
        // Snapped in order of place (cells of about 500 m), not of id: neighbours snap to the same streets, whose
        // points are then in the cache; a province's streets are far bigger than it.
        let order = Self.placeOrder(compounds)
        let shared = NSLock()
        let snappedAll = WorkProgress.run("coverage: snapping the compounds") { _ in
            snaps.withUnsafeMutableBufferPointer { out in
                straightAnswers.withUnsafeMutableBufferPointer { straightOut in
                    let (out, straightOut) = (out, straightOut)
                    // Each compound's slots are written by the one thread that took it.
                    return (try? ParallelMap.map(count: compounds.count, threads: max(1, ParallelMap.cores - 1), chunk: 256,
                                                 makeState: { () -> MetricProjection? in try? network.makeProjection() }) { own, j in
                        let i = Int(order[j])
                        for (k, p) in compounds[i].referencePoints.enumerated() {
                            out[snapStart[i] + k] = own.map { network.snap(p, projection: $0) }
                                ?? shared.withLock { network.snap(p, projection: projection) }
                        }
                        // Walking decides coverage: only the nearest as the crow flies is wanted here.
                        straightOut[i] = straightNearest(of: compounds[i], index: index, reach: nil, maxRadius: maxRadius).nearest
                    }) != nil
                }
            }
        }
        searches.done.wait()
        guard snappedAll else { try WorkBudget.checkpoint(); throw CoverageError("walking coverage was stopped") }
        let nearestTree = searches.nearest!, reachTree = searches.reach
        let radius = qualifying.first.map { options.reach.radius(of: $0) } ?? 0
        // Which pieces of the network have a qualifying station, to say why a compound has no path.
        var piecesWithStations = Set<Int>()
        for source in nearestSources { piecesWithStations.insert(network.piece(of: source.snap)) }
        func noPathReason(_ snap: Snap) -> String {
            Self.noPathReason(snap, network: network, filter: options.filter, noStation: qualifying.isEmpty,
                              noStationOnNetwork: nearestSources.isEmpty)
        }

        // Each compound on its own, on every core.
        let results = try ParallelMap.map(count: compounds.count, chunk: 256, makeState: { () }) { _, i -> CompoundCoverage in
            progress.advance()
            let site = compounds[i]
            let straight = straightAnswers[i]
            var reachable = false
            var best: (cost: Double, label: Int32)?
            var covered = false
            var firstSnap: Snap?
            for k in snapStart[i]..<snapStart[i + 1] {
                guard let snap = snaps[k] else { continue }
                reachable = true
                if firstSnap == nil { firstSnap = snap }
                if let c = nearestTree.cost(at: snap, graph: network.graph) {
                    let total = c.cost + snap.leg
                    if best == nil || total < best!.cost { best = (total, c.label) }
                }
                if let reachTree, let c = reachTree.cost(at: snap, graph: network.graph), c.cost + snap.leg <= 0 { covered = true }
            }
            if reachTree == nil, let best, best.cost <= radius { covered = true }
            let walking = best.map { StationDistance(stationID: qualifying[Int($0.label)].id, stationName: qualifying[Int($0.label)].name, metres: $0.cost) }
            let status: CompoundCoverage.Status = !reachable ? .unreachable : covered ? .covered : (best == nil ? .noPath : .uncovered)
            var result = CompoundCoverage(site: site, status: status, nearestStraight: straight.map { index.distance(to: $0) },
                                          nearestWalking: walking)
            switch status {
            case .unreachable: result.reason = Self.unreachableReason(network)
            case .noPath: result.reason = firstSnap.map(noPathReason)
            default: break
            }
            return result
        }
        return CoverageReport(options: options, compounds: results, qualifyingStations: qualifying.count, stationsOffNetwork: offNetwork)
    }
}

extension CoverageAnalysis {
    /// The compounds' positions sorted by the cell of about 500 m their first reference point is in, row by row.
    static func placeOrder(_ compounds: [CompoundSite]) -> [Int32] {
        let cell = 0.005
        var keyed = compounds.enumerated().map { i, site -> (key: Int64, index: Int32) in
            guard let p = site.referencePoints.first, abs(p.lon) <= 1_000, abs(p.lat) <= 1_000 else { return (Int64.max, Int32(i)) }
            let row = Int64((p.lat / cell).rounded(.down)) + (1 << 20), column = Int64((p.lon / cell).rounded(.down)) + (1 << 20)
            return (row << 24 | column, Int32(i))
        }
        keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.index < $1.index }
        return keyed.map(\.index)
    }
}

/// The searches of a walking coverage, made on their own thread. `@unchecked Sendable`: written by that thread before
/// it signals `done`, read by the caller only after waiting for it.
private final class Searches: @unchecked Sendable {
    var nearest: ShortestPathTree?
    var reach: ShortestPathTree?
    let done = DispatchSemaphore(value: 0)
}

/// Coverage cannot be computed as asked.
public struct CoverageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
