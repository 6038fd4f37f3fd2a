import CityGen
import Foundation
import XCTest
@testable import DoorstepGeo

/// The planner's solver (`MaximalCovering`) against the algorithm it replaced and against exhaustive search.
///
/// The swap search, the opening order and set cover were rewritten for city scale (issue 15: an inverted index and a
/// heap instead of scanning every candidate per chosen site, a lazy opening order instead of K² evaluations). The
/// previous code is kept below, verbatim but renamed, as the reference: on random set systems with whole-number
/// weights (households and population are counts) the new code must give the same sites, in the same order, with the
/// same swaps — so coverage reached, bound and gap are what they were (set cover is the greedy's prefix improved by
/// those swaps). On tiny systems exhaustive search checks the
/// bounds themselves.
final class CoveringSolverTests: XCTestCase {
    /// A random set system: `elements` weighted 0…maxWeight (0 for about one in ten), `candidates` sets each holding
    /// an element with probability `density`; some sets repeated, some empty, to make ties and dead candidates.
    func randomSystem(_ rng: inout SplitMix64, elements: Int, candidates: Int, density: Double, maxWeight: Int) -> MaximalCovering {
        let weights = (0..<elements).map { _ in rng.unit() < 0.1 ? 0 : Double(1 + rng.below(maxWeight)) }
        var sets = [[Int32]]()
        for c in 0..<candidates {
            if c > 0, rng.unit() < 0.08 { sets.append(sets[rng.below(c)]); continue }  // a duplicate candidate
            if rng.unit() < 0.04 { sets.append([]); continue }  // reaches nothing
            sets.append((0..<elements).filter { _ in rng.unit() < density }.map(Int32.init))
        }
        return MaximalCovering(weights: weights, sets: sets)
    }

    /// Systems from tiny to a few thousand candidates, with equal weights (maxWeight 1: every swap a tie) among them.
    func systems() -> [MaximalCovering] {
        var rng = SplitMix64(seed: 2026)
        var out = [MaximalCovering]()
        for _ in 0..<30 { out.append(randomSystem(&rng, elements: 3 + rng.below(30), candidates: 1 + rng.below(25), density: 0.05 + 0.3 * rng.unit(), maxWeight: 1 + rng.below(60))) }
        for maxWeight in [1, 3, 500] {
            out.append(randomSystem(&rng, elements: 400, candidates: 600, density: 0.02, maxWeight: maxWeight))
        }
        // Planner-shaped: many candidates, each reaching a few nearby elements on a line (neighbours overlap).
        var weights = [Double](), sets = [[Int32]]()
        for j in 0..<3000 { weights.append(j % 13 == 0 ? 0 : Double(1 + (j * 7919) % 300)) }
        for c in 0..<4000 {
            let centre = rng.below(3000), width = 1 + rng.below(12)
            sets.append((max(0, centre - width)...min(2999, centre + width)).filter { ($0 + c) % 3 != 0 }.map(Int32.init))
        }
        out.append(MaximalCovering(weights: weights, sets: sets))
        return out
    }

    func testSwapsMatchThePreviousSearch() {
        for (n, problem) in systems().enumerated() {
            for k in [1, 2, 3, 5, 20, 150] where k <= max(1, problem.candidateCount) {
                var previous = problem.greedy(k: k).sites
                var now = previous
                let previousSwaps = problem.previousImproveBySwaps(&previous)
                let swaps = problem.improveBySwaps(&now)
                XCTAssertEqual(now, previous, "system \(n), K \(k): the same sites")
                XCTAssertEqual(swaps, previousSwaps, "system \(n), K \(k): the same swaps")
                // And from a poor start (the first K candidates), where many swaps are made.
                var poorPrevious = Array(0..<min(k, problem.candidateCount))
                var poor = poorPrevious
                XCTAssertEqual(problem.improveBySwaps(&poor, maxPasses: 3), problem.previousImproveBySwaps(&poorPrevious, maxPasses: 3))
                XCTAssertEqual(poor, poorPrevious, "system \(n), K \(k), poor start")
                // A swap never loses coverage.
                XCTAssertGreaterThanOrEqual(problem.value(of: poor), problem.value(of: Array(0..<min(k, problem.candidateCount))))
            }
        }
    }

    func testOpeningOrderMatchesThePreviousOrder() {
        for (n, problem) in systems().enumerated() {
            var rng = SplitMix64(seed: UInt64(n))
            for k in [0, 1, 4, 40, 300] where k <= problem.candidateCount {
                // Any sites, in any order, repeats included: the greedy's, and a random draw.
                for sites in [problem.greedy(k: k).sites, (0..<k).map { _ in rng.below(problem.candidateCount) }] {
                    let now = problem.ordered(sites), previous = problem.previousOrdered(sites)
                    XCTAssertEqual(now.map(\.site), previous.map(\.site), "system \(n), \(k) sites")
                    XCTAssertEqual(now.map(\.newly), previous.map(\.newly))
                    XCTAssertEqual(now.map(\.gain), previous.map(\.gain))
                    // Independently: the gains add up to what the sites cover, and never rise.
                    XCTAssertEqual(now.reduce(0) { $0 + $1.gain }, problem.value(of: sites))
                    for i in now.indices.dropFirst() { XCTAssertLessThanOrEqual(now[i].gain, now[i - 1].gain) }
                }
            }
        }
    }

    /// Set cover now takes the greedy's first m sites as the greedy for m (it used to run the greedy again for each m),
    /// so that must be the same thing; the swaps after it are the ones tested above.
    func testGreedyPrefixIsTheGreedyForFewerSites() {
        for (n, problem) in systems().enumerated() {
            let all = problem.greedy(k: problem.candidateCount)
            for m in Set([0, 1, 2, all.sites.count / 2, max(0, all.sites.count - 1), all.sites.count]) {
                XCTAssertEqual(problem.greedy(k: m).sites, Array(all.sites.prefix(m)), "system \(n), m \(m)")
            }
            let coverable = problem.coverableWeight
            for share in [0.3, 0.8, 1.0] {
                let needed = (share * coverable).rounded(.up)
                let r = problem.fewestSites(needed: needed, budget: 200_000)
                XCTAssertEqual(r.value, problem.value(of: r.sites), "system \(n): the value reported is the sites' own")
                if r.met { XCTAssertGreaterThanOrEqual(r.value, needed * (1 - 1e-12)) }
                XCTAssertLessThanOrEqual(r.sites.count, problem.greedy(k: problem.candidateCount, enough: needed * (1 - 1e-12)).sites.count,
                                         "never more sites than the greedy")
            }
        }
    }

    /// On systems small enough to try every subset: the floor on sites is a true floor, proven answers are optimal,
    /// and maximal covering's bound is never below the optimum.
    func testBoundsAgainstExhaustiveSearch() {
        var rng = SplitMix64(seed: 15)
        for round in 0..<60 {
            let problem = randomSystem(&rng, elements: 4 + rng.below(14), candidates: 1 + rng.below(11), density: 0.1 + 0.35 * rng.unit(),
                                       maxWeight: round % 4 == 0 ? 1 : 40)
            let count = problem.candidateCount
            var bestOf = [Double](repeating: 0, count: count + 1)  // the most any k sites cover
            for mask in 0..<(1 << count) {
                let sites = (0..<count).filter { mask & (1 << $0) != 0 }
                bestOf[sites.count] = max(bestOf[sites.count], problem.value(of: sites))
            }
            for k in 1...count { bestOf[k] = max(bestOf[k], bestOf[k - 1]) }
            for k in 1...count {
                let g = problem.greedy(k: k, boundK: k)
                var sites = g.sites
                _ = problem.improveBySwaps(&sites)
                let bound = min(g.bound!, problem.onlineBound(sites, k: k), problem.coverableWeight)
                XCTAssertGreaterThanOrEqual(bound, bestOf[k], "round \(round), K \(k): the bound holds")
                XCTAssertLessThanOrEqual(problem.value(of: sites), bestOf[k])
            }
            for needed in [1.0, bestOf[count] / 2, bestOf[count], bestOf[count] + 1] where needed > 0 {
                let fewest = (0...count).first { bestOf[$0] >= needed }
                let r = problem.fewestSites(needed: needed, budget: 1_000_000)
                XCTAssertEqual(r.met, fewest != nil, "round \(round), needed \(needed)")
                guard let fewest else { continue }
                XCTAssertLessThanOrEqual(problem.lowerBoundOnSites(needed: needed)!, fewest, "the floor is a floor")
                XCTAssertGreaterThanOrEqual(r.sites.count, fewest)
                XCTAssertEqual(r.proven, r.sites.count == fewest, "with a big enough budget the search finishes: proven iff optimal")
                XCTAssertGreaterThanOrEqual(problem.value(of: r.sites), needed)
            }
        }
    }

    /// The branch and bound skips a search it shows futile (it could neither finish nor beat the incumbent within its
    /// budget): running that search anyway must give the same answer — the incumbent, unfinished.
    func testFutileSearchIsSkippedOnlyWhenItWouldChangeNothing() {
        var rng = SplitMix64(seed: 1515)
        var skipped = 0, compared = 0
        let small = systems().filter { $0.candidateCount <= 600 }
        for (n, problem) in (small + (0..<40).map { _ in randomSystem(&rng, elements: 60, candidates: 80, density: 0.08, maxWeight: 9) }).enumerated() {
            let rootLevel = problem.items.count + problem.candidateCount
            for k in [1, 2, 3, 6, 25] where k <= problem.candidateCount {
                // Incumbents from poor (the last k candidates) to good (greedy plus swaps).
                var good = problem.greedy(k: k).sites
                _ = problem.improveBySwaps(&good)
                let poor = Array((problem.candidateCount - k)..<problem.candidateCount)
                for incumbent in [poor, good] {
                    for budget in [0, rootLevel / 2, rootLevel, rootLevel * 2, rootLevel * 5, rootLevel * 20] {
                        let screened = problem.branchAndBound(k: k, incumbent: incumbent, budget: budget)
                        let full = problem.branchAndBound(k: k, incumbent: incumbent, budget: budget, screen: false)
                        XCTAssertEqual(screened.sites, full.sites, "system \(n), K \(k), budget \(budget)")
                        XCTAssertEqual(screened.value, full.value)
                        XCTAssertEqual(screened.complete, full.complete)
                        compared += 1
                        let alone = problem.gains([Bool](repeating: false, count: problem.elementCount))
                        let order = (0..<problem.candidateCount).filter { alone[$0] > 0 }.sorted { alone[$0] > alone[$1] || (alone[$0] == alone[$1] && $0 < $1) }
                        if problem.searchIsFutile(k: k, order: order, alone: alone, incumbent: problem.value(of: incumbent), budget: budget) { skipped += 1 }
                    }
                }
            }
        }
        print("futile searches skipped: \(skipped) of \(compared)")
        XCTAssertGreaterThan(skipped, 20, "the screen is exercised (\(skipped) of \(compared) searches skipped)")
        XCTAssertLessThan(skipped, compared, "and not everything is skipped")
    }

    /// Enough sites to snap on all cores (each thread its own projection) give exactly the reach of snapping them one
    /// by one on this thread: same sets, same sites off the network (some far beyond the snap limit, some exactly on
    /// a crossing).
    func testManySitesSnapInParallelAsOneByOne() throws {
        let net = try network(lattice(6))
        var rng = SplitMix64(seed: 8)
        let count = CandidateReach.parallelSnaps + 500
        let sites = (0..<count).map { i -> Coordinate in
            switch i % 10 {
            case 0: return at(-2000 + rng.unit() * 200, rng.unit() * 600)  // beyond the snap limit
            case 1: return at(Double(rng.below(7)) * 100, Double(rng.below(7)) * 100)  // on a crossing
            default: return at(rng.unit() * 800 - 100, rng.unit() * 800 - 100)
            }
        }
        let targets = (0..<40).map { compound("C\($0)", [at(rng.unit() * 600, rng.unit() * 600)]) }
        let radius = sites.indices.map { 100 + Double($0 % 4) * 50 }
        let (sets, offNetwork) = try CandidateReach.sets(sites: sites, radius: radius, targets: targets, walk: true, network: net)
        let projection = try net.makeProjection()
        let snaps = sites.map { net.snap($0, projection: projection) }
        let targetSnaps = targets.map { $0.referencePoints.compactMap { net.snap($0, projection: projection) } }
        XCTAssertEqual(offNetwork, snaps.indices.filter { snaps[$0] == nil })
        XCTAssertEqual(offNetwork.count, count / 10 + (count % 10 > 0 ? 1 : 0), "every tenth site is 2 km off the lattice")
        XCTAssertEqual(sets, try CandidateReach.walking(candidateSnaps: snaps, radius: radius, targetSnaps: targetSnaps, graph: net.graph))
        XCTAssertGreaterThan(sets.filter { !$0.isEmpty }.count, count / 2)
    }

    /// Hostile shapes: no sites, no candidates, every candidate the same set, all weights zero.
    func testDegenerateSystems() {
        let empty = MaximalCovering(weights: [], sets: [])
        var none = [Int]()
        XCTAssertEqual(empty.improveBySwaps(&none), 0)
        XCTAssertTrue(empty.ordered([]).isEmpty)
        XCTAssertFalse(empty.fewestSites(needed: 1).met)
        XCTAssertTrue(empty.fewestSites(needed: 0).met)

        let same = MaximalCovering(weights: [5, 5, 5], sets: Array(repeating: [0, 1, 2], count: 50))
        var one = [49]
        XCTAssertEqual(same.improveBySwaps(&one), 0, "no candidate beats an equal one")
        XCTAssertEqual(one, [49])
        let order = same.ordered([7, 3, 7])
        XCTAssertEqual(order.map(\.site), [7, 3, 7], "equal gains keep the given order")
        XCTAssertEqual(order.map(\.gain), [15, 0, 0])
        let fewest = same.fewestSites(needed: 15)
        XCTAssertEqual(fewest.sites, [0])
        XCTAssertTrue(fewest.proven)

        let weightless = MaximalCovering(weights: [0, 0], sets: [[0], [1], [0, 1]])
        var sites = [0]
        XCTAssertEqual(weightless.improveBySwaps(&sites), 0)
        XCTAssertEqual(weightless.ordered([2, 0]).map(\.site), [2, 0], "ties on weight: the one newly covering more first")
    }
}

// MARK: - The previous solver, as it was before issue 15's rewrite (reference only)

extension MaximalCovering {
    func previousImproveBySwaps(_ sites: inout [Int], maxPasses: Int = 20) -> Int {
        guard !sites.isEmpty else { return 0 }
        var count = [Int32](repeating: 0, count: elementCount)
        for c in sites { for j in elements(of: c) { count[Int(j)] += 1 } }
        var chosen = [Bool](repeating: false, count: candidateCount)
        for c in sites { chosen[c] = true }
        let empty = [Bool](repeating: false, count: elementCount)
        let alone = gains(empty)
        let order = (0..<candidateCount).filter { alone[$0] > 0 }.sorted { alone[$0] > alone[$1] || (alone[$0] == alone[$1] && $0 < $1) }
        var swaps = 0
        for _ in 0..<maxPasses {
            var improved = false
            for position in sites.indices {
                let out = sites[position]
                var loss = 0.0
                for j in elements(of: out) {
                    count[Int(j)] -= 1
                    if count[Int(j)] == 0 { loss += weights[Int(j)] }
                }
                var best = (gain: loss + 1e-9 * max(1, loss), candidate: -1)
                for c in order {
                    if alone[c] <= best.gain { break }
                    if chosen[c] { continue }
                    var g = 0.0
                    for j in elements(of: c) where count[Int(j)] == 0 { g += weights[Int(j)] }
                    if g > best.gain { best = (g, c) }
                }
                let keep = best.candidate >= 0 ? best.candidate : out
                if best.candidate >= 0 {
                    chosen[out] = false
                    chosen[keep] = true
                    sites[position] = keep
                    swaps += 1
                    improved = true
                }
                for j in elements(of: keep) { count[Int(j)] += 1 }
            }
            if !improved { break }
        }
        return swaps
    }

    func previousOrdered(_ sites: [Int]) -> [(site: Int, newly: [Int32], gain: Double)] {
        var covered = [Bool](repeating: false, count: elementCount)
        var left = sites
        var out = [(site: Int, newly: [Int32], gain: Double)]()
        while !left.isEmpty {
            var best = 0
            var bestGain = -1.0
            var bestCount = -1
            for (i, c) in left.enumerated() {
                let g = gain(c, covered)
                let n = elements(of: c).reduce(0) { $0 + (covered[Int($1)] ? 0 : 1) }
                if g > bestGain || (g == bestGain && n > bestCount) { (best, bestGain, bestCount) = (i, g, n) }
            }
            let c = left.remove(at: best)
            var newly = [Int32]()
            for j in elements(of: c) where !covered[Int(j)] {
                covered[Int(j)] = true
                newly.append(j)
            }
            out.append((c, newly, bestGain))
        }
        return out
    }
}
