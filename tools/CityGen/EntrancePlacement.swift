import DoorstepGeo
import Foundation

/// Gates on a compound's boundary, shared by the sample and synthetic cities.
enum EntrancePlacement {
    /// `count` entrances spread evenly (with a random offset) along the closed lon/lat `ring`, each on one of its
    /// edges, rounded to 7 decimals (within 1 cm of the edge). Ids are "<compound id>-E1" …; names are gates by
    /// side as seen from the ring's interior point: 北门, 东门, 东二门 …. Edges for which `usable` is false (such
    /// as edges an extract's clipping made) get none.
    static func place(
        count: Int, on ring: [Coordinate], plane: LocalPlane, compoundID: String, using rng: inout SplitMix64,
        usable: (Coordinate, Coordinate) -> Bool = { _, _ in true }
    ) -> [CityData.Entrance] {
        let points = plane.points(ring)
        guard count > 0, points.count > 1 else { return [] }
        var cumulative = [0.0]
        for i in 0..<(points.count - 1) {
            let length = usable(ring[i], ring[i + 1]) ? hypot(points[i + 1].x - points[i].x, points[i + 1].y - points[i].y) : 0
            cumulative.append(cumulative[i] + length)
        }
        let perimeter = cumulative[cumulative.count - 1]
        guard perimeter > 0 else { return [] }
        let center = Planar.interiorPoint([points])
        let offset = rng.unit()
        var taken: [String: Int] = [:]
        return (0..<count).map { k in
            let distance = perimeter * (Double(k) + offset) / Double(count)
            var edge = 0
            while edge < points.count - 2, cumulative[edge + 1] <= distance { edge += 1 }
            let length = cumulative[edge + 1] - cumulative[edge]
            let t = length > 0 ? (distance - cumulative[edge]) / length : 0
            let a = ring[edge], b = ring[edge + 1]
            let location = roundedTo7Decimals(Coordinate(lon: a.lon + t * (b.lon - a.lon), lat: a.lat + t * (b.lat - a.lat)))
            let bearing = Planar.bearing(from: center, to: plane.point(location))
            return CityData.Entrance(
                id: compoundID + "-E\(k + 1)", compoundID: compoundID,
                name: Vocabulary.gateName(bearing: bearing, taken: &taken), location: location)
        }
    }
}
