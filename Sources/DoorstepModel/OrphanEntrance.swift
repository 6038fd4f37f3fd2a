import Foundation

/// An entrance whose `compound_id` names no compound.
public struct OrphanEntrance: Sendable, Equatable {
    public let id: String
    public let compoundID: String

    package init(id: String, compoundID: String) {
        self.id = id
        self.compoundID = compoundID
    }
}
