import DoorstepModel
import DoorstepGeometry
import DoorstepStore
/// Where each layer's data came from, so what is shown carries the data's own credit — OpenStreetMap's ODbL notice
/// only for layers that came from OpenStreetMap, a street office's own source for its own files.
///
/// Kept in `doorstep_meta` under `credit:<layer>` as a JSON list of texts: an import with `--replace` makes its credit
/// the layer's only one; an import that adds to a layer adds its credit (once).
extension Store {
    /// Records `credit` for `layer` (inside the import's transaction).
    public func recordCredit(_ credit: String, for layer: Layer, replacing: Bool) throws {
        var list = replacing ? [] : try credits(of: [layer])
        if !list.contains(credit) { list.append(credit) }
        try setMeta("credit:\(layer.rawValue)", JSONValue.array(list.map(JSONValue.string)).jsonText)
    }

    /// The distinct credits of `layers`, in the order given, oldest first within a layer. Layers imported before
    /// credits were recorded (or never imported) have none.
    public func credits(of layers: [Layer]) throws -> [String] {
        var out = [String]()
        for layer in layers {
            guard let text = try meta("credit:\(layer.rawValue)"),
                  case .array(let values)? = try? JSONValue.parse(text) else { continue }
            for case .string(let s) in values where !out.contains(s) { out.append(s) }
        }
        return out
    }
}

