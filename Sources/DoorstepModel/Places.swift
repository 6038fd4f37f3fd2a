import Foundation

/// A governance grid 网格 and the hierarchy above it, as a place answer.
public struct GridPlace: Sendable, Hashable {
    public let id: String
    public let name: String
    public let community: String?
    public let street: String?
    public let district: String?

    package init(id: String, name: String, community: String?, street: String?, district: String?) {
        self.id = id
        self.name = name
        self.community = community
        self.street = street
        self.district = district
    }
}

/// A compound as the coverage analysis sees it: its reference points and where it sits in the hierarchy.
public struct CompoundSite: Sendable {
    public let id: String
    public let name: String
    public let households: Int?
    public let population: Int?
    public let kind: String?
    /// Entrances when it has any, else its point on surface (DESIGN.md "reference points").
    public let referencePoints: [Coordinate]
    public let hasEntrances: Bool
    public let gridID: String?
    public let gridName: String?
    public let community: String?
    public let street: String?
    public let district: String?

    package init(id: String, name: String, households: Int?, population: Int?, kind: String?, referencePoints: [Coordinate], hasEntrances: Bool, gridID: String?, gridName: String?, community: String?, street: String?, district: String?) {
        self.id = id
        self.name = name
        self.households = households
        self.population = population
        self.kind = kind
        self.referencePoints = referencePoints
        self.hasEntrances = hasEntrances
        self.gridID = gridID
        self.gridName = gridName
        self.community = community
        self.street = street
        self.district = district
    }
}

/// A possible site for a new station: a vacant premises from a candidates file, or a generated point (a compound's
/// reference point or a network node).
public struct PlanCandidate: Sendable, Hashable {
    public let id: String
    public let name: String
    public let location: Coordinate
    /// The site's own radius (`radius_m` of a candidates file), used when the plan has no `--radius`/`--preset`.
    public let radiusMetres: Double?

    public init(id: String, name: String, location: Coordinate, radiusMetres: Double? = nil) {
        self.id = id
        self.name = name
        self.location = location
        self.radiusMetres = radiusMetres
    }
}
