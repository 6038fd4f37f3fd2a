import Foundation

/// One value of a feature's field, as the store keeps it.
public enum FieldValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}
