/// A way pedestrians may use, as the walking graph is built from it: its id and its lines (the parts of a
/// LineString or MultiLineString).
public struct WalkableWay: Sendable {
    public var id: String
    public var lines: [[Coordinate]]
    public init(id: String, lines: [[Coordinate]]) {
        self.id = id
        self.lines = lines
    }
}
