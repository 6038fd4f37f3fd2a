import DoorstepGeometry
import DoorstepModel

/// Tables an export can stream: the layers of the data contract and the stored walking network.
public enum ExportTable: Sendable, Hashable {
    case layer(Layer)
    /// `network_edges`: the walking graph as built from the ways.
    case network
}
