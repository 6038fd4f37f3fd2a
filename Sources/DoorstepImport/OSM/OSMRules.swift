import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
/// Which OpenStreetMap objects become which Doorstep layer (README, "doorstep import-osm", says the same in words).
public enum OSMRules {
    // MARK: ways

    /// `highway` values a pedestrian may use unless the way's own tags say otherwise.
    public static let walkableHighways: Set<String> = [
        "footway", "path", "steps", "pedestrian", "living_street", "residential", "service", "track", "unclassified",
        "road", "corridor", "bridleway", "tertiary", "tertiary_link", "secondary", "secondary_link",
        "primary", "primary_link",
    ]
    /// `highway` values walkable only when the way says so (`foot=yes|designated|permissive`, or a sidewalk tag):
    /// motorways, trunk roads (in Chinese cities mostly elevated or sunken expressways) and cycle tracks.
    public static let walkableWhenSaid: Set<String> = ["motorway", "motorway_link", "trunk", "trunk_link", "cycleway"]
    package static let footAllowed: Set<String> = ["yes", "designated", "permissive", "official"]
    package static let sidewalkPresent: Set<String> = ["both", "left", "right", "yes"]

    /// Nil when a linear `highway` way is walkable, else why not (the reason groups the skip count).
    ///
    /// `sidewalk=separate` does not exclude a road: where the sidewalks are mapped as footways they often join the
    /// network only at the road's junctions, and dropping the road would cut those links.
    public static func wayExclusion(_ tags: [String: String]) -> String? {
        guard let highway = tags["highway"] else { return "no highway tag" }
        let foot = tags["foot"]
        if let foot, foot == "no" || foot == "private" || foot == "use_sidepath" { return "foot=\(foot)" }
        if tags["area"] == "yes" { return "area=yes (a square, not a line)" }
        let footSaid = foot.map(footAllowed.contains) ?? false
        if !footSaid {
            if let access = tags["access"], access == "private" || access == "no" { return "access=\(access)" }
            if tags["motorroad"] == "yes" { return "motorroad=yes (汽车专用道)" }
        }
        if walkableHighways.contains(highway) { return nil }
        if walkableWhenSaid.contains(highway) {
            let sidewalk = ["sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"].contains {
                tags[$0].map(sidewalkPresent.contains) ?? false
            }
            return footSaid || sidewalk ? nil : "highway=\(highway) without foot=yes or a sidewalk"
        }
        return "highway=\(highway)"
    }

    // MARK: compounds

    /// `building` values that are homes.
    public static let residentialBuildings: Set<String> = [
        "residential", "apartments", "dormitory", "house", "detached", "semidetached_house", "terrace", "bungalow",
    ]

    package enum CompoundSource { case area, building }

    /// Whether an area is a residential compound, and of which kind.
    package static func compoundSource(_ tags: [String: String]) -> CompoundSource? {
        if tags["landuse"] == "residential" { return .area }
        if let building = tags["building"], residentialBuildings.contains(building) { return .building }
        return nil
    }

    // MARK: stations

    /// The station kind of a community-service feature, or nil when it is not one: town halls and government offices
    /// are centres (党群服务中心 usually sit in the 街道/区 offices); community centres and social facilities are
    /// stations (党群服务站).
    public static func stationKind(_ tags: [String: String]) -> String? {
        switch tags["amenity"] {
        case "townhall": return "center"
        case "community_centre", "social_facility": return "station"
        default: break
        }
        if tags["office"] == "government" { return "center" }
        return nil
    }

    /// What to call a station OSM leaves unnamed.
    package static func stationLabel(_ tags: [String: String]) -> String {
        switch tags["amenity"] {
        case "townhall": return "政府机关"
        case "community_centre": return "社区中心"
        case "social_facility": return "社会福利设施"
        default: return "政府机关"
        }
    }

    /// Services a station's tags state outright (nothing is guessed from its kind).
    package static func services(_ tags: [String: String]) -> [String] {
        var out = [String]()
        let served = (tags["social_facility:for"] ?? "").split(separator: ";").map { String($0).trimmed }
        if served.contains("senior") || tags["social_facility"] == "nursing_home" { out.append("elderly") }
        if served.contains(where: { ["child", "juvenile", "orphan"].contains($0) }) { out.append("children") }
        return out
    }

    // MARK: water

    /// `waterway` values of lines that are water no connector of `network mend` may cross (a river's or canal's
    /// centre line; its banks, when mapped, are `natural=water` or `waterway=riverbank` areas).
    public static let waterLines: Set<String> = ["river", "canal", "stream", "drain", "ditch"]

    /// The kind of water an OSM feature is (`river`, `canal`, `lake` …), nil when it is no water: lines with a
    /// `waterway` of `waterLines`, areas tagged `natural=water` (kind from `water=`, else `water`) or
    /// `waterway=riverbank`.
    package static func waterKind(_ tags: [String: String], isArea: Bool) -> String? {
        if isArea {
            if tags["natural"] == "water" { return tags["water"] ?? "water" }
            if tags["waterway"] == "riverbank" { return "riverbank" }
            return nil
        }
        guard let waterway = tags["waterway"], waterLines.contains(waterway) else { return nil }
        return waterway
    }

    // MARK: osmium

    /// `osmium tags-filter` expressions selecting every candidate of the three layers (and, as osmium adds them, the
    /// nodes and member ways they need).
    package static let tagFilters: [String] = [
        "w/highway",
        "a/landuse=residential",
        "a/building=" + residentialBuildings.sorted().joined(separator: ","),
        "nwr/amenity=community_centre,social_facility,townhall",
        "nwr/office=government",
        "w/waterway=" + waterLines.sorted().joined(separator: ","),
        "a/natural=water",
        "a/waterway=riverbank",
    ]

    /// `osmium export` configuration: ids and types as properties, every tag kept, highways as lines, the rest of
    /// the selection as areas (closed ways and multipolygon relations).
    package static let exportConfig = """
        {"attributes": {"type": true, "id": true},
         "format_options": {"print_record_separator": false},
         "linear_tags": ["highway", "waterway=river", "waterway=canal", "waterway=stream", "waterway=drain", "waterway=ditch"],
         "area_tags": ["landuse=residential", "building", "amenity", "office", "area=yes", "natural=water", "waterway=riverbank"]}
        """
}
