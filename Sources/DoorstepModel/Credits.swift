import Foundation

/// Credits as shown.
public enum Credits {
    /// OpenStreetMap's notice (the data is under the Open Database License 1.0).
    public static let openStreetMap = "© OpenStreetMap contributors, ODbL 1.0"

    /// The credit of an import without `--attribution`: its file.
    public static func file(_ name: String) -> String { "source: \(name)" }

    /// One line: "© OpenStreetMap contributors, ODbL 1.0; source: stations.xlsx", or nil when there is none.
    public static func line(_ credits: [String]) -> String? { credits.isEmpty ? nil : credits.joined(separator: "; ") }
}
