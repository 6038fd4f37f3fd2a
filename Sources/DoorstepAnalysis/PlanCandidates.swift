import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// Candidate sites when the planner has no file of vacant premises: compounds' reference points (uncovered compounds
/// first) and the walking network's nodes, thinned so that no two are closer than `spacing` metres in the metric
/// plane. Ids say where a site comes from: `C:<compound id>` (`#2`, `#3` … for further entrances), `N<node>`.
public enum PlanCandidates {
    public static func generate(compounds: [CompoundSite], uncoveredFirst uncovered: Set<String> = [],
                                network: WalkingNetwork?, spacing: Double, projection: MetricProjection) -> [PlanCandidate] {
        precondition(spacing > 0, "spacing must be positive")
        struct Key: Hashable { let x: Int64, y: Int64 }
        var kept = [Key: [(x: Double, y: Double)]]()
        var out = [PlanCandidate]()
        func offer(_ c: Coordinate, id: String, name: String) {
            let p = projection.project(c)
            let kx = Int64((p.x / spacing).rounded(.down)), ky = Int64((p.y / spacing).rounded(.down))
            for gx in (kx - 1)...(kx + 1) {
                for gy in (ky - 1)...(ky + 1) {
                    for q in kept[Key(x: gx, y: gy)] ?? [] where (q.x - p.x) * (q.x - p.x) + (q.y - p.y) * (q.y - p.y) < spacing * spacing {
                        return
                    }
                }
            }
            kept[Key(x: kx, y: ky), default: []].append((p.x, p.y))
            out.append(PlanCandidate(id: id, name: name, location: c))
        }
        let ordered = compounds.filter { uncovered.contains($0.id) } + compounds.filter { !uncovered.contains($0.id) }
        for site in ordered {
            for (i, p) in site.referencePoints.enumerated() {
                offer(p, id: i == 0 ? "C:\(site.id)" : "C:\(site.id)#\(i + 1)",
                      name: site.hasEntrances ? "\(site.name) 出入口 \(i + 1)" : "\(site.name) 旁")
            }
        }
        if let graph = network?.graph {
            for (n, c) in graph.nodes.enumerated() { offer(c, id: "N\(n)", name: "路口 node \(n)") }
        }
        return out
    }
}
