import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// Reads a file of candidate sites (vacant premises …) for the planner. It has the shape of a `stations` layer — a
/// GeoJSON FeatureCollection of Points or a CSV with `lon`/`lat`, each with `id` and `name`, optionally `radius_m` —
/// and goes through the same reader, checks and coordinate conversion as `doorstep import stations` (nothing is
/// stored), so every error reads exactly as an import error would.
public enum CandidatesFile {
    public static func read(_ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil) throws -> [PlanCandidate] {
        let records = try Importer.read(ImportOptions(layer: .stations, file: url, crs: crs, encoding: encoding))
        let fields = Layer.stations.fields.map(\.name)
        let name = fields.firstIndex(of: "name")!, radius = fields.firstIndex(of: "radius_m")!
        return records.compactMap { record in
            guard case .point(let location) = record.geometry else { return nil }
            var text = "", metres: Double?
            if case .text(let t) = record.values[name] { text = t }
            if case .double(let r) = record.values[radius] { metres = r } else if case .int(let r) = record.values[radius] { metres = Double(r) }
            return PlanCandidate(id: record.id, name: text, location: location, radiusMetres: metres)
        }
    }
}
