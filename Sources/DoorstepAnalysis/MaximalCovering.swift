import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import HeapModule

/// The combinatorial core of the planner, free of geography: weighted elements (uncovered compounds), and for each
/// candidate the set of elements it would cover. Maximal covering ("K sites, most weight") and set cover ("fewest
/// sites reaching a weight") by lazy greedy plus swap local search, with proven bounds.
///
/// Coverage functions are monotone and submodular, which is what makes the lazy greedy exact (a stale gain is an
/// upper bound on the current one) and the bounds valid: for any set S and any K sites T,
/// f(T) ≤ f(S) + Σ (the K largest marginal gains with respect to S)  (Minoux 1978; Leskovec et al. 2007).
package struct MaximalCovering: Sendable {
    /// Weight of each element (households or population; 0 for unknown).
    package let weights: [Double]
    /// Elements of candidate c: `items[start[c] ..< start[c + 1]]`.
    package let start: [Int]
    package let items: [Int32]

    package var candidateCount: Int { start.count - 1 }
    package var elementCount: Int { weights.count }

    package init(weights: [Double], sets: [[Int32]]) {
        var start = [0], items = [Int32]()
        for s in sets {
            items.append(contentsOf: s)
            start.append(items.count)
        }
        self.init(weights: weights, start: start, items: items)
    }

    package init(weights: [Double], start: [Int], items: [Int32]) {
        self.weights = weights
        self.start = start
        self.items = items
    }

    @inline(__always)
    package func elements(of c: Int) -> ArraySlice<Int32> { items[start[c]..<start[c + 1]] }

    /// Weight of every element some candidate covers: no choice of sites can add more.
    package var coverableWeight: Double {
        var seen = [Bool](repeating: false, count: elementCount)
        var total = 0.0
        for j in items where !seen[Int(j)] {
            seen[Int(j)] = true
            total += weights[Int(j)]
        }
        return total
    }

    /// Total weight the sites cover.
    package func value(of sites: [Int]) -> Double {
        var covered = [Bool](repeating: false, count: elementCount)
        var total = 0.0
        for c in sites {
            for j in elements(of: c) where !covered[Int(j)] {
                covered[Int(j)] = true
                total += weights[Int(j)]
            }
        }
        return total
    }

    /// Weight candidate c adds to what `covered` already holds.
    @inline(__always)
    package func gain(_ c: Int, _ covered: [Bool]) -> Double {
        var g = 0.0
        for j in elements(of: c) where !covered[Int(j)] { g += weights[Int(j)] }
        return g
    }

    /// Every candidate's marginal gain with respect to `covered`.
    package func gains(_ covered: [Bool]) -> [Double] {
        (0..<candidateCount).map { gain($0, covered) }
    }

    /// The sum of the `k` largest values.
    package static func topSum(_ values: [Double], _ k: Int) -> Double {
        guard k > 0 else { return 0 }
        if k >= values.count { return values.reduce(0, +) }
        var heap = Heap<Double>()
        for v in values where v > 0 {
            if heap.count < k { heap.insert(v) } else if v > heap.min! { _ = heap.replaceMin(with: v) }
        }
        return heap.unordered.reduce(0, +)
    }

    /// The online bound at S: f(S) + the k largest marginal gains with respect to S. Any k sites cover at most this.
    package func onlineBound(_ sites: [Int], k: Int) -> Double {
        var covered = [Bool](repeating: false, count: elementCount)
        var value = 0.0
        for c in sites {
            for j in elements(of: c) where !covered[Int(j)] {
                covered[Int(j)] = true
                value += weights[Int(j)]
            }
        }
        return value + MaximalCovering.topSum(gains(covered), k)
    }

    /// Lazy greedy: repeatedly takes the candidate adding the most weight (ties: the lower index), until `k` sites,
    /// or `enough` weight, or no candidate adds anything. A candidate adding nothing is never taken.
    /// With `boundK`, also returns the least online bound for `boundK` sites seen along the way (exact gains at each
    /// step; skipped when that would cost more than `boundBudget` element visits).
    package func greedy(k: Int, enough: Double = .infinity, boundK: Int? = nil, boundBudget: Int = 400_000_000)
        -> (sites: [Int], value: Double, bound: Double?) {
        struct Entry: Comparable {
            let gain: Double
            let candidate: Int32
            let round: Int32
            static func < (a: Entry, b: Entry) -> Bool {
                a.gain < b.gain || (a.gain == b.gain && a.candidate > b.candidate)
            }
        }
        var covered = [Bool](repeating: false, count: elementCount)
        var heap = Heap<Entry>()
        let initial = gains(covered)
        for c in 0..<candidateCount where initial[c] > 0 {
            heap.insert(Entry(gain: initial[c], candidate: Int32(c), round: 0))
        }
        var bound: Double? = boundK.map { MaximalCovering.topSum(initial, $0) }
        let boundEachStep = boundK != nil && items.count * min(k, 10_000) <= boundBudget
        var sites = [Int]()
        var value = 0.0
        var steps = 0
        while sites.count < k, value < enough, let top = heap.popMax() {
            steps += 1
            if steps & 255 == 0 && WorkBudget.shouldStop { break } // the planner's checkpoint discards the result
            let c = Int(top.candidate)
            if top.round == Int32(sites.count) {
                sites.append(c)
                value += top.gain
                for j in elements(of: c) { covered[Int(j)] = true }
                if boundEachStep, let boundK {
                    bound = min(bound!, value + MaximalCovering.topSum(gains(covered), boundK))
                }
                continue
            }
            let g = gain(c, covered)
            if g > 0 { heap.insert(Entry(gain: g, candidate: top.candidate, round: Int32(sites.count))) }
        }
        if let boundK, !boundEachStep {
            bound = min(bound!, value + MaximalCovering.topSum(gains(covered), boundK))
        }
        return (sites, value, bound)
    }

    /// What the swap search reads about the candidates, made once per problem: which candidates hold each element
    /// (the sets inverted), each candidate's gain alone, and its rank (gain alone descending, then index) that breaks
    /// ties between equal swaps.
    package struct SwapIndex: Sendable {
        /// Candidates of element j: `holders[holderStart[j] ..< holderStart[j + 1]]`.
        let holderStart: [Int]
        let holders: [Int32]
        let alone: [Double]
        let rank: [Int32]
    }

    package func swapIndex() -> SwapIndex {
        var holderStart = [Int](repeating: 0, count: elementCount + 1)
        for j in items { holderStart[Int(j) + 1] += 1 }
        for j in 0..<elementCount { holderStart[j + 1] += holderStart[j] }
        var next = holderStart
        var holders = [Int32](repeating: 0, count: items.count)
        for c in 0..<candidateCount {
            for j in elements(of: c) {
                holders[next[Int(j)]] = Int32(c)
                next[Int(j)] += 1
            }
        }
        let alone = gains([Bool](repeating: false, count: elementCount))
        let order = (0..<candidateCount).sorted { alone[$0] > alone[$1] || (alone[$0] == alone[$1] && $0 < $1) }
        var rank = [Int32](repeating: 0, count: candidateCount)
        for (r, c) in order.enumerated() { rank[c] = Int32(r) }
        return SwapIndex(holderStart: holderStart, holders: holders, alone: alone, rank: rank)
    }

    /// Swap local search: for each chosen site in turn, replaces it by the unchosen candidate that improves the total
    /// most (ties: the higher gain alone, then the lower index), until a full pass improves nothing (or `maxPasses`).
    /// Returns the number of swaps made.
    ///
    /// Without scanning every candidate per site: with `free[c]` the weight c adds to all the chosen sites, c added in
    /// place of `out` adds `free[c]` plus the weight of the elements only `out` covered (`lost`) that c holds. Only
    /// holders of `lost` elements differ from `free`, so they are scored one by one, and the best of the rest is the
    /// top of a heap of `free` (stale entries skipped). `free` changes only when a swap is made, for holders of the
    /// elements that swap covers or uncovers.
    package func improveBySwaps(_ sites: inout [Int], maxPasses: Int = 20, index: SwapIndex? = nil) -> Int {
        guard !sites.isEmpty else { return 0 }
        let index = index ?? swapIndex()
        let (holderStart, holders, alone, rank) = (index.holderStart, index.holders, index.alone, index.rank)
        struct Entry: Comparable {
            let gain: Double
            let rank: Int32
            static func < (a: Entry, b: Entry) -> Bool { a.gain < b.gain || (a.gain == b.gain && a.rank > b.rank) }
        }
        var count = [Int32](repeating: 0, count: elementCount)
        for c in sites { for j in elements(of: c) { count[Int(j)] += 1 } }
        var chosen = [Bool](repeating: false, count: candidateCount)
        for c in sites { chosen[c] = true }
        var free = gains(count.map { $0 > 0 })
        var byRank = [Int32](repeating: 0, count: candidateCount)
        for c in 0..<candidateCount { byRank[Int(rank[c])] = Int32(c) }
        // Candidates adding nothing alone can never improve a swap: left out.
        var heap = Heap((0..<candidateCount).filter { alone[$0] > 0 && !chosen[$0] }.map { Entry(gain: free[$0], rank: rank[$0]) })
        var extra = [Double](repeating: 0, count: candidateCount)
        var isLost = [Bool](repeating: false, count: elementCount)
        var touched = [Int32](), lost = [Int32](), changed = [Int32]()
        var swaps = 0
        for _ in 0..<maxPasses {
            var improved = false
            for position in sites.indices {
                let out = sites[position]
                var loss = 0.0
                lost.removeAll(keepingCapacity: true)
                for j in elements(of: out) {
                    count[Int(j)] -= 1
                    if count[Int(j)] == 0 {
                        loss += weights[Int(j)]
                        lost.append(j)
                        isLost[Int(j)] = true
                    }
                }
                // Improvement must beat rounding noise, so the search cannot cycle.
                let threshold = loss + 1e-9 * max(1, loss)
                var best = (gain: threshold, rank: Int32.max, candidate: -1)
                func consider(_ c: Int, _ g: Double) {
                    if g > best.gain || (best.candidate >= 0 && g == best.gain && rank[c] < best.rank) { best = (g, rank[c], c) }
                }
                touched.removeAll(keepingCapacity: true)
                for j in lost where weights[Int(j)] != 0 {
                    for h in holders[holderStart[Int(j)]..<holderStart[Int(j) + 1]] {
                        if extra[Int(h)] == 0 { touched.append(h) }
                        extra[Int(h)] += weights[Int(j)]
                    }
                }
                for h in touched where !chosen[Int(h)] { consider(Int(h), free[Int(h)] + extra[Int(h)]) }
                while let top = heap.max {
                    let c = Int(byRank[Int(top.rank)])
                    if chosen[c] || top.gain != free[c] { _ = heap.popMax(); continue }
                    consider(c, free[c] + extra[c])
                    break
                }
                for h in touched { extra[Int(h)] = 0 }
                let keep = best.candidate >= 0 ? best.candidate : out
                for j in elements(of: keep) { count[Int(j)] += 1 }
                if keep != out {
                    chosen[out] = false
                    chosen[keep] = true
                    sites[position] = keep
                    swaps += 1
                    improved = true
                    // What every candidate adds to the new sites: less where `keep` covers what none did, more where
                    // `out` alone covered what `keep` does not.
                    changed.removeAll(keepingCapacity: true)
                    func shift(_ j: Int32, _ delta: Double) {
                        guard delta != 0 else { return }
                        for h in holders[holderStart[Int(j)]..<holderStart[Int(j) + 1]] {
                            if extra[Int(h)] == 0 { changed.append(h) }
                            extra[Int(h)] = 1  // marks h as changed
                            free[Int(h)] += delta
                        }
                    }
                    for j in elements(of: keep) where count[Int(j)] == 1 && !isLost[Int(j)] { shift(j, -weights[Int(j)]) }
                    for j in lost where count[Int(j)] == 0 { shift(j, weights[Int(j)]) }
                    for h in changed {
                        extra[Int(h)] = 0
                        if !chosen[Int(h)] && alone[Int(h)] > 0 { heap.insert(Entry(gain: free[Int(h)], rank: rank[Int(h)])) }
                    }
                    if alone[out] > 0 { heap.insert(Entry(gain: free[out], rank: rank[out])) }
                }
                for j in lost { isLost[Int(j)] = false }
            }
            if !improved || WorkBudget.shouldStop { break }
        }
        return swaps
    }

    /// Exact maximal covering by branch and bound, within a work budget (element visits). Candidates are tried best
    /// single gain first; a branch is cut when its value plus the largest marginal gains still available cannot beat
    /// the incumbent (valid by submodularity). Returns the best sites found (never worse than `incumbent`) and
    /// whether the search finished — then they are proven optimal.
    ///
    /// With `screen`, a search shown futile (`searchIsFutile`: it could neither finish nor beat the incumbent within
    /// the budget, as at city scale) is not run; its answer would be the incumbent, unfinished, all the same.
    package func branchAndBound(k: Int, incumbent: [Int], budget: Int, screen: Bool = true) -> (sites: [Int], value: Double, complete: Bool) {
        let alone = gains([Bool](repeating: false, count: elementCount))
        let order = (0..<candidateCount).filter { alone[$0] > 0 }.sorted { alone[$0] > alone[$1] || (alone[$0] == alone[$1] && $0 < $1) }
        var best = (sites: incumbent, value: value(of: incumbent))
        if screen && searchIsFutile(k: k, order: order, alone: alone, incumbent: best.value, budget: budget) {
            return (best.sites, best.value, false)
        }
        var count = [Int32](repeating: 0, count: elementCount)
        var chosen = [Int]()
        var left = budget
        var complete = true
        let tolerance = 1e-9 * max(1, best.value)

        func search(from i: Int, value: Double) {
            if value > best.value + tolerance { best = (chosen, value) }
            let r = k - chosen.count
            guard r > 0, i < order.count else { return }
            // Marginal gains of the candidates still open to this branch.
            var g = [Double](repeating: 0, count: order.count - i)
            for (n, c) in order[i...].enumerated() {
                var x = 0.0
                for j in elements(of: c) where count[Int(j)] == 0 { x += weights[Int(j)] }
                g[n] = x
                left -= start[c + 1] - start[c] + 1
            }
            if left < 0 || WorkBudget.shouldStop { complete = false; return }
            // bound[n]: the r largest of g[n...], so a branch taking order[i + n] next is cut at a glance.
            var bound = [Double](repeating: 0, count: g.count + 1)
            var heap = Heap<Double>()
            var sum = 0.0
            for n in stride(from: g.count - 1, through: 0, by: -1) {
                if g[n] > 0 {
                    if heap.count < r { heap.insert(g[n]); sum += g[n] } else if g[n] > heap.min! { sum += g[n] - heap.replaceMin(with: g[n]) }
                }
                bound[n] = sum
            }
            for n in 0..<g.count {
                if !complete { return }
                if value + bound[n] <= best.value + tolerance { return }  // bound[n] only falls as n grows
                if g[n] <= 0 { continue }
                let c = order[i + n]
                for j in elements(of: c) { count[Int(j)] += 1 }
                chosen.append(c)
                search(from: i + n + 1, value: value + g[n])
                chosen.removeLast()
                for j in elements(of: c) { count[Int(j)] -= 1 }
            }
        }
        search(from: 0, value: 0)
        return (best.sites, best.value, complete)
    }

    /// Whether `branchAndBound` (candidates `order`, best gain alone first) would return the incumbent unfinished:
    /// - **It cannot beat the incumbent.** A node is entered only after the levels above it were scored, each level
    ///   costing the element visits of the candidates after its last pick (`suffix`), all within the budget. A node's
    ///   value is at most the sum of its picks' gains alone, so at most a fractional knapsack of gains alone (each
    ///   pick weighing the level it opens) plus the largest gain alone (the last pick opens none).
    /// - **It cannot finish.** With the incumbent unbeaten, finishing scores the root's level and then, for each root
    ///   branch the bound does not cut (the k largest gains alone from there still exceed the incumbent), that
    ///   branch's own level — more than the budget.
    package func searchIsFutile(k: Int, order: [Int], alone: [Double], incumbent: Double, budget: Int) -> Bool {
        let n = order.count
        guard n > 0, k > 1 else { return false }
        var suffix = [Int](repeating: 0, count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] + start[order[i] + 1] - start[order[i]] + 1 }
        let capacity = Double(budget - suffix[0])
        if capacity >= 0 {
            // Fractional knapsack: picks by gain per visit, best first; the last one in part.
            let items = (0..<n).sorted { alone[order[$0]] * Double(suffix[$1 + 1]) > alone[order[$1]] * Double(suffix[$0 + 1]) }
            var room = capacity, most = alone[order[0]]
            for m in items {
                let weight = Double(suffix[m + 1])
                if weight <= room { most += alone[order[m]]; room -= weight } else { most += alone[order[m]] * room / weight; break }
            }
            if most >= incumbent { return false }
        }
        // The root's bound at branch m: the k largest gains alone of order[m...], its first k (order is by gain alone).
        var cost = suffix[0]
        var window = order.prefix(k).reduce(0) { $0 + alone[$1] }
        let tolerance = 1e-9 * max(1, incumbent)
        for m in 0..<n {
            if window <= incumbent + 2 * tolerance { break }  // the search's cut, a little wider: never overcounts
            cost += suffix[m + 1]
            if cost > budget { return true }
            window -= alone[order[m]]
            if m + k < n { window += alone[order[m + k]] }
        }
        return cost > budget
    }

    /// The sites plus, while fewer than `k`, the candidate adding most (only ones adding something).
    package func toppedUp(_ sites: [Int], k: Int) -> [Int] {
        guard sites.count < k else { return sites }
        var covered = [Bool](repeating: false, count: elementCount)
        for c in sites { for j in elements(of: c) { covered[Int(j)] = true } }
        var out = sites
        while out.count < k {
            let g = gains(covered)
            guard let best = g.indices.max(by: { g[$0] < g[$1] || (g[$0] == g[$1] && $0 > $1) }), g[best] > 0 else { break }
            out.append(best)
            for j in elements(of: best) { covered[Int(j)] = true }
        }
        return out
    }

    /// The chosen sites in the order a planner would open them: each next the one adding most to those before it
    /// (ties: the one newly covering more elements, then the earlier in `sites`), so the cumulative coverage reads as
    /// a curve, with the elements each newly covers. Lazily: what a site adds, and how many it newly covers, only fall
    /// as others are opened, so a stale pair is an upper bound and the heap's top is taken once it is fresh.
    package func ordered(_ sites: [Int]) -> [(site: Int, newly: [Int32], gain: Double)] {
        struct Entry: Comparable {
            let gain: Double
            let newly: Int
            let position: Int
            let round: Int
            static func < (a: Entry, b: Entry) -> Bool {
                a.gain != b.gain ? a.gain < b.gain : a.newly != b.newly ? a.newly < b.newly : a.position > b.position
            }
        }
        var covered = [Bool](repeating: false, count: elementCount)
        func score(_ position: Int, round: Int) -> Entry {
            var g = 0.0, n = 0
            for j in elements(of: sites[position]) where !covered[Int(j)] { g += weights[Int(j)]; n += 1 }
            return Entry(gain: g, newly: n, position: position, round: round)
        }
        var heap = Heap(sites.indices.map { score($0, round: 0) })
        var out = [(site: Int, newly: [Int32], gain: Double)]()
        while let top = heap.popMax() {
            guard top.round == out.count else {
                heap.insert(score(top.position, round: out.count))
                continue
            }
            let c = sites[top.position]
            var newly = [Int32]()
            for j in elements(of: c) where !covered[Int(j)] {
                covered[Int(j)] = true
                newly.append(j)
            }
            out.append((c, newly, top.gain))
        }
        return out
    }

    /// The fewest sites any choice needs to reach `needed`: the least m whose m largest single gains reach it
    /// (each site adds at most its gain alone). Nil when even every candidate cannot.
    package func lowerBoundOnSites(needed: Double) -> Int? {
        guard needed > 0 else { return 0 }
        let alone = gains([Bool](repeating: false, count: elementCount)).filter { $0 > 0 }.sorted(by: >)
        var sum = 0.0
        for (i, g) in alone.enumerated() {
            sum += g
            if sum >= needed * (1 - 1e-12) { return i + 1 }
        }
        return nil
    }

    /// Set cover: few sites reaching `needed` weight. Greedy until reached, then tries one site fewer at a time —
    /// greedy prefix improved by swaps, else branch and bound within `budget` — while that still reaches it.
    /// `proven` is true when the count is shown to be the least possible (by the floor or a finished search).
    package func fewestSites(needed: Double, maxPasses: Int = 20, budget: Int = 0)
        -> (sites: [Int], value: Double, met: Bool, swaps: Int, proven: Bool) {
        let enough = needed * (1 - 1e-12)
        let g = greedy(k: candidateCount, enough: enough)
        guard g.value >= enough else { return (g.sites, g.value, false, 0, false) }
        var best = g.sites
        var value = g.value
        var swaps = 0
        let floor = lowerBoundOnSites(needed: needed) ?? best.count
        var proven = best.count <= floor
        let index = proven ? nil : swapIndex()
        while !proven, !WorkBudget.shouldStop {
            // The greedy is deterministic, so its first m sites are what it would choose for m.
            var trial = Array(g.sites.prefix(best.count - 1))
            swaps += improveBySwaps(&trial, maxPasses: maxPasses, index: index)
            var v = self.value(of: trial)
            if v < enough, budget > 0 {
                let exact = branchAndBound(k: best.count - 1, incumbent: trial, budget: budget)
                (trial, v) = (exact.sites, exact.value)
                if v < enough && exact.complete { proven = true }
            }
            guard v >= enough else { break }
            best = trial
            value = v
            proven = best.count <= floor
        }
        return (best, value, true, swaps, proven)
    }
}
