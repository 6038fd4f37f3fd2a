import Foundation

/// Reads a file of candidate sites (vacant premises …) for the planner. It has the shape of a `stations` layer — a
/// GeoJSON FeatureCollection of Points or a CSV with `lon`/`lat`, each with `id` and `name`, optionally `radius_m` —
/// and goes through the same reader, checks and coordinate conversion as `doorstep import stations`, into a scratch
/// in-memory database, so every error reads exactly as an import error would.
public enum CandidatesFile {
    public static func read(_ url: URL, crs: InputCRS? = nil, encoding: TextEncodingChoice? = nil) throws -> [PlanCandidate] {
        let scratch = try Store(path: ":memory:")
        _ = try Importer.run(ImportOptions(layer: .stations, file: url, crs: crs, encoding: encoding), into: scratch)
        return try scratch.stations().map {
            PlanCandidate(id: $0.id, name: $0.name, location: $0.location, radiusMetres: $0.radiusMetres)
        }
    }
}
