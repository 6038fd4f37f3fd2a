import DoorstepGeo

/// The planners' part of the OpenAPI document: `/v1/coverage`, `/v1/gaps`, `/v1/areas`, `/v1/plan`, `/v1/access`, `/v1/whatif`, with the bounds the
/// handlers use (`PlannersAPI`) and the work budgets (`analysisBudgets`). `OpenAPIDocument.build` appends
/// `plannerPaths` and `plannerSchemas`.
extension OpenAPIDocument {
    private typealias P = PlannersAPI.Name

    static var plannerPaths: [(String, JSONValue)] {
        [
            ("/v1/coverage", get("coverage", "Coverage per compound or group",
                                 description: """
                                     Who is within reach of a station, as `doorstep coverage`: per compound (by=compound) or summed per \
                                     grid, community, street or district. A compound is covered when one of its reference points (its \
                                     entrances, else its point on surface) is within a qualifying station's reach, straight (geodesic) \
                                     or along the walkable network (walk=true). Results are cached per data generation and options. \
                                     format=geojson gives features with compound (by=compound) or grid (by=grid) geometry, null otherwise. \
                                     radius and preset exclude each other (400 invalid_parameter when both are given).
                                     """,
                                 params: coverageParameters + [
                                    q(P.by, "Level of the rows", str(["enum": .array(CoverageUseCase.Options.levels.map { .string($0.rawValue) }), "default": .string(CoverageUseCase.Options.defaultLevel.rawValue)])),
                                    format,
                                 ], json: "CoverageResponse")),
            ("/v1/coverage/hours", get("coverageHours", "Coverage for each hour of a day",
                                       description: """
                                           As `doorstep coverage --over-day`: for each hour 0–23 of day, the coverage counting only the \
                                           stations that qualify and are open at HH:00 (a station without hours never counts): open_stations, \
                                           households and people covered, and share (households covered / households, 0…1 to 4 decimals, \
                                           null without households). Takes the coverage options except open_at (the hours are the times; 400 \
                                           when given). Results are cached per data generation and options. radius and preset exclude each \
                                           other (400 invalid_parameter when both are given).
                                           """,
                                       params: coverageParameters(openAt: false) + [
                                        q(P.day, "The day: \(CoverageHoursUseCase.Options.days.joined(separator: ", ")) or a date YYYY-MM-DD (its weekday counts); 400 otherwise",
                                          str(["default": .string(CoverageHoursUseCase.Options.defaultDay), "example": "Fr"])),
                                       ], json: "CoverageHoursResponse", geo: nil)),
            ("/v1/gaps", get("gaps", "Compounds outside reach",
                             description: "Uncovered compounds, most households first, with the nearest station, as `doorstep gaps`. radius and preset exclude each other (400 invalid_parameter when both are given).",
                             params: coverageParameters + [
                                q(P.limit, "At most this many (0 = all)", int(GapsUseCase.Options.limit.lowerBound, GapsUseCase.Options.limit.upperBound, GapsUseCase.Options.defaultLimit)), format,
                             ], json: "GapsResponse")),
            ("/v1/areas", get("areas", "Service areas of stations (GeoJSON)",
                              description: """
                                  Geodesic circles (72-gons), or with walk=true walking areas: the ground within lateral metres of every \
                                  part of the network reachable within the band, plus the straight leg to the network, as `doorstep areas`. \
                                  At most \(AreasUseCase.Options.servedStations) stations per request (422 too_many_stations): narrow with \
                                  kind/service or name them with station=. The answer is a GeoJSON FeatureCollection with an extra \
                                  off_network member (stations beyond the snap limit, no walking area). radius, preset and bands \
                                  exclude each other: give at most one (400 invalid_parameter when more are given).
                                  """,
                              params: [
                                q(P.radius, "One radius in metres; not with preset or bands (400)", num(AreasUseCase.Options.radiusMetres.lowerBound, AreasUseCase.Options.radiusMetres.upperBound, nil, exclusiveMinimum: true)),
                                presetParameter,
                                q(P.bands, "Several distances in metres, comma-separated (e.g. 300,500,1000); at most \(AreasUseCase.Options.bandCount), each above 0 and at most \(Int(AreasUseCase.Options.radiusMetres.upperBound)) (422 beyond); not with radius or preset (400)",
                                  .object([("type", "array"), ("items", num(AreasUseCase.Options.radiusMetres.lowerBound, AreasUseCase.Options.radiusMetres.upperBound, nil, exclusiveMinimum: true)),
                                           ("minItems", 1), ("maxItems", .number(Double(AreasUseCase.Options.bandCount)))]), explode: false),
                                q(P.walk, "Walking areas along the network instead of circles; 501 without walkable ways", bool),
                                q(P.station, "Only these station ids (repeat or comma-separate; at most \(AreasUseCase.Options.servedStations), counted after splitting at commas and dropping empty ones, 422 out_of_range beyond); 422 unknown_station for an id that does not qualify",
                                  .object([("type", "array"), ("items", .object([("type", "string")]))]), explode: true),
                                kindParameter, serviceParameter, openAtParameter,
                                q(P.lateral, "Walking areas: metres either side of the reachable network",
                                  num(AreasUseCase.Options.lateralMetres.lowerBound, AreasUseCase.Options.lateralMetres.upperBound, AreasUseCase.Options.defaultLateral)),
                                q(P.format, "Only geojson", str(["enum": .array(["geojson"])])),
                              ], json: nil, geo: "AreasResponse")),
            ("/v1/plan", get("plan", "Where the next stations should go",
                             description: """
                                 As `doorstep plan` with generated candidates (compounds' reference points and network nodes thinned \
                                 to spacing): add=K sites that newly cover the most (maximal covering), or the fewest sites reaching \
                                 target (set cover). Lazy greedy, swap local search and a budgeted branch and bound; upper_bound and \
                                 gap_to_bound_pct say how close the proposal is to the best possible. Bounded: add ≤ \(PlanUseCase.Options.servedSites.upperBound), \
                                 spacing ≥ \(Int(PlanUseCase.Options.spacingMetres.lowerBound)) m (422 beyond). Results are cached per data generation \
                                 and options. format=geojson gives the sites (points) and the compounds each newly covers. \
                                 Give exactly one of add and target, and at most one of radius and preset (400 invalid_parameter otherwise).
                                 """,
                             params: coverageParameters + [
                                q(P.add, "Propose this many new sites; give add or target, not both (400)", int(PlanUseCase.Options.servedSites.lowerBound, PlanUseCase.Options.servedSites.upperBound, nil)),
                                q(P.target, "The fewest sites bringing coverage to this share: 95%, 0.95 or 95 (400 when unreadable, 422 outside above 0…100%); give add or target, not both (400)", str([:])),
                                q(P.weight, "What a newly covered compound is worth", str(["enum": .array(PlanUseCase.Options.weights.map { .string($0.rawValue) }), "default": .string(PlanUseCase.Options.defaultWeight.rawValue)])),
                                q(P.spacing, "Least spacing of generated candidates, metres",
                                  num(PlanUseCase.Options.spacingMetres.lowerBound, PlanUseCase.Options.spacingMetres.upperBound, PlanUseCase.Options.defaultSpacing)),
                                format,
                             ], json: "PlanResponse")),
            ("/v1/access", get("access", "Coverage by capacity (2SFCA)",
                               description: """
                                   As `doorstep access`: the two-step floating catchment area (Luo & Wang 2003). For each station j, \
                                   R_j = capacity_j / the demand (households, or population with weight=population) of the compounds \
                                   within its reach; each compound's score is Σ R_j over the stations within its reach (capacity per \
                                   household or person). Reach is coverage's (straight or walk=true, from the compounds' reference \
                                   points). A station without a capacity counts as \(Int(AccessAnalysis.defaultCapacity)) (summary.stations_without_capacity); \
                                   a station with nobody in reach has load 0 and r null. stations lists every qualifying station, \
                                   most loaded first, overloaded when its load exceeds summary.city_load. by=grid|community|street|district \
                                   gives demand-weighted mean scores per group and a total row. Results are cached per data generation \
                                   and options. format=geojson gives the rows with compound (by=compound) or grid (by=grid) geometry. \
                                   radius and preset exclude each other (400 invalid_parameter when both are given).
                                   """,
                               params: coverageParameters + [
                                  q(P.by, "Level of the rows", str(["enum": .array(AccessUseCase.Options.levels.map { .string($0.rawValue) }), "default": .string(AccessUseCase.Options.defaultLevel.rawValue)])),
                                  q(P.weight, "The demand of a compound", str(["enum": .array(AccessUseCase.Options.weights.map { .string($0.rawValue) }), "default": .string(AccessUseCase.Options.defaultWeight.rawValue)])),
                                  format,
                               ], json: "AccessResponse")),
            ("/v1/whatif", get("whatif", "Coverage with stations added or closed (what-if)",
                               description: """
                                   As `doorstep whatif`: the coverage of /v1/coverage (same options, same rows at the by level) \
                                   with hypothetical stations added at add= and existing stations closed by close=, plus changes: \
                                   the added sites (whatif-1, whatif-2 … in order; each with the compounds it reaches and those it \
                                   newly covers, and their households and population), the closed stations, the compounds newly \
                                   covered and newly uncovered, the totals before and after and their deltas. Added sites qualify \
                                   whatever kind, service or open_at filter is given; their reach is the uniform radius (radius, \
                                   preset), else the fallback \(Int(AnalysisOptions.fallbackRadius)) m. Computed incrementally from \
                                   the cached coverage (bounded searches around the changed stations); nothing is written. Neither \
                                   add nor close: the coverage as it is with empty changes. Bounded: at most \(WhatIfUseCase.Options.addedSites) \
                                   sites and \(WhatIfUseCase.Options.closedStations) closed ids (400 invalid_parameter beyond); a \
                                   coordinate that is no finite WGS84 longitude,latitude, an empty add or close, or a close id no \
                                   station has: 400 invalid_parameter naming the parameter. format=geojson gives the scenario: the \
                                   added sites (points) and the compounds whose status changed (with their geometry, their coverage \
                                   row and change: newly_covered or newly_uncovered). radius and preset exclude each other (400).
                                   """,
                               params: coverageParameters + [
                                  q(P.add, "Hypothetical sites: lon,lat in WGS84 degrees, several separated by ; (at most \(WhatIfUseCase.Options.addedSites))",
                                    str(["pattern": .string(#"^[^;]+,[^;]+(;[^;]+,[^;]+)*$"#)])),
                                  q(P.close, "Ids of stations to close, comma-separated (at most \(WhatIfUseCase.Options.closedStations)); an id no station has: 400",
                                    .object([("type", "array"), ("items", .object([("type", "string")])), ("maxItems", .number(Double(WhatIfUseCase.Options.closedStations)))]), explode: false),
                                  q(P.addKind, "Kind of the added sites (at most \(WhatIfUseCase.Options.kindLength) characters); default the most common kind among the qualifying stations",
                                    str(["maxLength": .number(Double(WhatIfUseCase.Options.kindLength))])),
                                  q(P.by, "Level of the rows", str(["enum": .array(CoverageUseCase.Options.levels.map { .string($0.rawValue) }), "default": .string(CoverageUseCase.Options.defaultLevel.rawValue)])),
                                  q(P.format, "json (default), geojson (the scenario) or xlsx (the scenario's workbook: a sheet of the changes, then coverage's sheets after the change)",
                                    str(["enum": .array(["json", "geojson", "xlsx"]), "default": "json"])),
                                  q(P.lang, "The workbook's sheet names and headers (format=xlsx)", str(["enum": .array(ExportLanguage.allCases.map { .string($0.rawValue) }), "default": "zh"])),
                               ], json: "WhatIfResponse", workbook: true)),
        ]
    }

    /// One schema per media type: the JSON answers, and the GeoJSON FeatureCollection `format=geojson` gives.
    static var plannerSchemas: [(String, JSONValue)] {
        let anyObject: JSONValue = .object([("type", "object"), ("additionalProperties", true)])
        let rows: JSONValue = .object([("type", "array"), ("items", anyObject)])
        let integer: JSONValue = .object([("type", "integer")])
        let query: JSONValue = .object([("type", "object"), ("additionalProperties", true),
                                        ("description", "The request as understood: reach, walk, kind, service, speed …")])
        func obj(_ props: [(String, JSONValue)], required: [String]) -> JSONValue {
            .object([("type", "object"), ("required", .array(required.map(JSONValue.string))), ("properties", .object(props))])
        }
        let feature = obj([("type", .object([("type", "string"), ("enum", .array(["Feature"]))])),
                           ("geometry", ref("Geometry")), ("properties", anyObject)], required: ["type", "geometry", "properties"])
        let features: [(String, JSONValue)] = [("type", .object([("type", "string"), ("enum", .array(["FeatureCollection"]))])),
                                               ("features", .object([("type", "array"), ("items", feature)]))]
        return [
            ("CoverageSummary", obj([("compounds", integer), ("households_covered_pct", .object([("type", "number"), ("nullable", true)])),
                                     ("mode", .object([("type", "string"), ("enum", .array(["straight", "walking"]))])),
                                     ("reach", .object([("type", "string")])), ("qualifying_stations", integer)],
                                    required: ["mode", "reach", "qualifying_stations"])),
            ("CoverageResponse", obj([("query", query), ("generation", integer), ("summary", ref("CoverageSummary")),
                                      ("count", integer), ("rows", rows)], required: ["query", "generation", "summary", "count", "rows"])),
            ("CoverageHoursResponse", obj([("query", query), ("generation", integer), ("day", .object([("type", "string")])),
                                           ("hours", .object([("type", "array"), ("minItems", 24), ("maxItems", 24), ("items", obj([
                                               ("hour", integer), ("time", .object([("type", "string")])), ("open_stations", integer),
                                               ("households_covered", integer), ("households", integer),
                                               ("share", .object([("type", "number"), ("nullable", true), ("minimum", 0), ("maximum", 1)])),
                                               ("population_covered", integer), ("population", integer),
                                           ], required: ["hour", "time", "open_stations", "households_covered", "households", "share",
                                                         "population_covered", "population"]))]))],
                                          required: ["query", "generation", "day", "hours"])),
            ("GapsResponse", obj([("query", query), ("generation", integer), ("summary", ref("CoverageSummary")),
                                  ("count", integer), ("gaps", rows)], required: ["query", "generation", "summary", "count", "gaps"])),
            ("PlanResponse", obj([("query", query), ("generation", integer), ("objective", anyObject), ("baseline", anyObject),
                                  ("upper_bound", .object([("type", "number"), ("nullable", true)])), ("sites", rows)],
                                 required: ["query", "generation", "objective", "baseline", "sites"])),
            ("AccessSummary", obj([("formula", .object([("type", "string")])), ("score_unit", .object([("type", "string")])),
                                   ("stations", integer), ("stations_without_capacity", integer),
                                   ("total_capacity", .object([("type", "number")])), ("total_demand", .object([("type", "number")])),
                                   ("city_load", .object([("type", "number"), ("nullable", true)]))],
                                  required: ["formula", "score_unit", "stations", "stations_without_capacity", "total_capacity", "total_demand"])),
            ("AccessResponse", obj([("query", query), ("generation", integer), ("summary", ref("AccessSummary")),
                                    ("count", integer), ("rows", rows), ("stations", rows)],
                                   required: ["query", "generation", "summary", "count", "rows", "stations"])),
            ("WhatIfResponse", obj([("query", query), ("generation", integer), ("summary", ref("CoverageSummary")),
                                    ("count", integer), ("rows", rows),
                                    ("changes", obj([("added", rows), ("closed", rows),
                                                     ("newly_covered", .object([("type", "array"), ("items", .object([("type", "string")]))])),
                                                     ("newly_uncovered", .object([("type", "array"), ("items", .object([("type", "string")]))])),
                                                     ("before", anyObject), ("after", anyObject),
                                                     ("households_delta", integer), ("population_delta", integer)],
                                                    required: ["added", "closed", "newly_covered", "newly_uncovered", "before", "after",
                                                               "households_delta", "population_delta"]))],
                                   required: ["query", "generation", "summary", "count", "rows", "changes"])),
            ("AnalysisFeatureCollection", obj(features, required: ["type", "features"])),
            ("AreasResponse", obj(features + [("off_network", .object([("type", "array"), ("items", .object([("type", "string")])),
                                                                       ("description", "Stations beyond the snap limit (no walking area)")]))],
                                  required: ["type", "features", "off_network"])),
        ]
    }

    // MARK: Pieces

    private static var coverageParameters: [JSONValue] { coverageParameters(openAt: true) }

    private static func coverageParameters(openAt: Bool) -> [JSONValue] {
        [
            q(P.radius, "One reach in metres for every station; not with preset (400). Neither: each station's radius_m, else \(Int(AnalysisOptions.fallbackRadius)) m",
              num(AnalysisOptions.radiusMetres.lowerBound, AnalysisOptions.radiusMetres.upperBound, nil, exclusiveMinimum: true)),
            presetParameter,
            q(P.walk, "Measure along the walkable network; 501 without walkable ways", bool),
            kindParameter, serviceParameter,
        ] + (openAt ? [openAtParameter] : []) + [
            q(P.speed, "Walking speed for minutes, m/s", num(AnalysisOptions.walkingSpeed.lowerBound, AnalysisOptions.walkingSpeed.upperBound, AnalysisOptions.defaultWalkingSpeed)),
        ]
    }

    private static var presetParameter: JSONValue {
        q(P.preset, "Life-circle preset: 100m, 5min (300 m), 10min (500 m), 15min (1000 m); not with radius (or bands on /v1/areas) (400)",
          str(["enum": .array(AnalysisOptions.presets.keys.sorted().map(JSONValue.string))]))
    }

    private static var openAtParameter: JSONValue {
        q(P.openAt, "Only stations open at this local time count (a station without hours does not): 2026-11-23T09:30, \"2026-11-23 09:30\" (its weekday counts) or \"Mo 09:30\" (400 otherwise)",
          str(["example": .string("2026-11-23T19:00")]))
    }

    private static var kindParameter: JSONValue {
        q(P.kind, "Station kinds that count, any of them; repeat or comma-separate; \(filterBounds)", filterList, explode: true)
    }

    private static var serviceParameter: JSONValue {
        q(P.service, "Services a station must all offer to count; repeat or comma-separate; \(filterBounds)", filterList, explode: true)
    }

    private static var format: JSONValue { q(P.format, "json (default) or geojson", str(["enum": .array(["json", "geojson"]), "default": "json"])) }

    private static var bool: JSONValue { .object([("type", "boolean"), ("default", false)]) }

    private static func str(_ extra: [String: JSONValue]) -> JSONValue {
        .object([("type", "string")] + extra.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private static func num(_ min: Double, _ max: Double, _ def: Double?, exclusiveMinimum: Bool = false) -> JSONValue {
        var m: [(String, JSONValue)] = [("type", "number"), ("minimum", .number(min)), ("maximum", .number(max))]
        if exclusiveMinimum { m.append(("exclusiveMinimum", true)) }
        if let def { m.append(("default", .number(def))) }
        return .object(m)
    }

    private static func int(_ min: Int, _ max: Int, _ def: Int?) -> JSONValue {
        var m: [(String, JSONValue)] = [("type", "integer"), ("minimum", .number(Double(min))), ("maximum", .number(Double(max)))]
        if let def { m.append(("default", .number(Double(def)))) }
        return .object(m)
    }

    private static func q(_ name: String, _ description: String, _ schema: JSONValue, explode: Bool? = nil) -> JSONValue {
        var m: [(String, JSONValue)] = [("name", .string(name)), ("in", "query"), ("description", .string(description)), ("required", false)]
        if let explode { m += [("style", "form"), ("explode", .bool(explode))] }
        m.append(("schema", schema))
        return .object(m)
    }

    private static func ref(_ schema: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(schema)"))]) }

    /// An analysis GET: 200 JSON and/or GeoJSON, 304, 422, 501 (walk=true without ways), 503 with Retry-After (busy,
    /// budget_exceeded, unavailable) and the errors every path has.
    private static func get(_ id: String, _ summary: String, description: String, params: [JSONValue], json: String?,
                            geo: String? = "AnalysisFeatureCollection", workbook: Bool = false) -> JSONValue {
        var content: [(String, JSONValue)] = []
        if let json { content.append((MediaTypes.json, .object([("schema", ref(json))]))) }
        if let geo { content.append((MediaTypes.geoJSON, .object([("schema", ref(geo))]))) }
        if workbook { content.append((MediaTypes.xlsx, .object([("schema", .object([("type", "string"), ("format", "binary")]))]))) }
        let ok = JSONValue.object([("description", .string(summary)), ("content", .object(content))])
        let ifNoneMatch = JSONValue.object([("$ref", "#/components/parameters/If-None-Match")])
        return .object([("get", .object([
            ("operationId", .string(id)), ("tags", .array(["Planners"])), ("summary", .string(summary)),
            ("description", .string(description)), ("parameters", .array(params + [ifNoneMatch])),
            ("responses", responses(ok, errors: ["422", "501", "503-analysis"])),
        ]))])
    }
}
