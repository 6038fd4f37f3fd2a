import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepNetwork
import Foundation

/// The levels coverage is summed at: the compound itself and the governance hierarchy above it.
public enum CoverageLevel: String, CaseIterable, Sendable {
    case compound, grid, community, street, district

    /// The group of `site` at this level: its key (grid id, community name …; "(none)" outside every one) and name.
    public func group(of site: CompoundSite) -> (key: String, name: String) {
        switch self {
        case .compound: return (site.id, site.name)
        case .grid: return (site.gridID ?? "(none)", site.gridName ?? "(outside every grid)")
        case .community: return (site.community ?? "(none)", site.community ?? "(no community)")
        case .street: return (site.street ?? "(none)", site.street ?? "(no street)")
        case .district: return (site.district ?? "(none)", site.district ?? "(no district)")
        }
    }
}

/// A sum over a group of compounds' results (coverage, access), made by `CoverageLevel.groups`.
package protocol CompoundGroup {
    associatedtype Item
    init(level: CoverageLevel, key: String, name: String)
    var key: String { get }
    static func site(of item: Item) -> CompoundSite
    mutating func add(_ item: Item)
}

extension CoverageLevel {
    /// `items` summed per group of this level, in a stable order (by key).
    package func groups<G: CompoundGroup>(_ items: [G.Item]) -> [G] {
        var groups = [String: G]()
        for item in items {
            let (key, name) = group(of: G.site(of: item))
            groups[key, default: G(level: self, key: key, name: name)].add(item)
        }
        return groups.values.sorted { $0.key < $1.key }
    }

    /// `items` summed together: the total row.
    package static func total<G: CompoundGroup>(_ items: [G.Item]) -> G {
        var t = G(level: .district, key: "total", name: "total 合计")
        for item in items { t.add(item) }
        return t
    }
}

/// Coverage summed over a group of compounds (a grid, a community …, or everything).
public struct CoverageGroup: CompoundGroup, Sendable {
    public let level: CoverageLevel
    /// The group's id (grid id, community name …; "(none)" for compounds outside every grid).
    public let key: String
    public let name: String
    public var compounds = 0
    public var compoundsCovered = 0
    public var compoundsUncovered = 0
    public var compoundsUnreachable = 0
    /// Households of the compounds that give them.
    public var households = 0
    public var householdsCovered = 0
    public var population = 0
    public var populationCovered = 0
    /// Compounds without a household count: counted and flagged, never silently weighted 0.
    public var compoundsWithoutHouseholds = 0

    package init(level: CoverageLevel, key: String, name: String) {
        self.level = level
        self.key = key
        self.name = name
    }

    /// Share of known households covered, 0…100, nil when no household is known.
    public var householdsCoveredPercent: Double? {
        households > 0 ? 100 * Double(householdsCovered) / Double(households) : nil
    }

    public var populationCoveredPercent: Double? {
        population > 0 ? 100 * Double(populationCovered) / Double(population) : nil
    }

    package static func site(of item: CompoundCoverage) -> CompoundSite { item.site }

    package mutating func add(_ c: CompoundCoverage) {
        compounds += 1
        switch c.status {
        case .covered: compoundsCovered += 1
        case .uncovered, .noPath: compoundsUncovered += 1
        case .unreachable: compoundsUnreachable += 1
        }
        if let h = c.site.households {
            households += h
            if c.isCovered { householdsCovered += h }
        } else {
            compoundsWithoutHouseholds += 1
        }
        if let p = c.site.population {
            population += p
            if c.isCovered { populationCovered += p }
        }
    }
}

extension CoverageReport {
    /// Coverage per group of `level`, in a stable order (by key).
    public func groups(by level: CoverageLevel) -> [CoverageGroup] { level.groups(compounds) }

    /// Everything together.
    public var total: CoverageGroup { CoverageLevel.total(compounds) }

    /// Compounds not covered, most households first (unknown households last), then by distance to a station.
    public var gaps: [CompoundCoverage] {
        compounds.filter { !$0.isCovered }.sorted { a, b in
            let ha = a.site.households ?? -1, hb = b.site.households ?? -1
            if ha != hb { return ha > hb }
            let da = (a.nearestWalking ?? a.nearestStraight)?.metres ?? .infinity
            let db = (b.nearestWalking ?? b.nearestStraight)?.metres ?? .infinity
            if da != db { return da > db }
            return a.site.id < b.site.id
        }
    }
}

/// Shares as people read them: a percentage to one decimal that never says 100 while anything is left out, nor 0
/// while anything is in (9,038 of 9,041 households is 99.9 %, not 100 %).
public enum Share {
    /// `percent` (0…100) rounded to one decimal, kept below 100 and above 0 unless it is exactly that.
    public static func rounded(_ percent: Double) -> Double {
        let r = (percent * 10).rounded() / 10
        if r >= 100 && percent < 100 { return 99.9 }
        if r <= 0 && percent > 0 { return 0.1 }
        return r
    }

    /// `rounded` as JSON, `null` when there is no share.
    public static func json(_ percent: Double?) -> JSONValue { percent.map { .number(rounded($0)) } ?? .null }

    /// `rounded` as text with a percent sign, `—` when there is no share.
    public static func text(_ percent: Double?) -> String { percent.map { String(format: "%.1f%%", rounded($0)) } ?? "—" }
}
