import DoorstepGeo

/// The OpenAPI 3.0 document served at `/api`: every route and parameter, with the same names, bounds and defaults
/// the handlers use (they share the constants), checked by `openapi-spec-validator` in the tests.
///
/// A new route (the planners' `/v1/coverage`, `/v1/gaps`, `/v1/areas`) adds its path here with `operation(...)`;
/// a new collection appears by itself in the `collectionId` enum.
enum OpenAPIDocument {
    typealias N = NearestAPI.Name
    typealias F = FeaturesAPI.Name

    static func build(serverURL: String, collections: [String]) -> JSONValue {
        .object([
            ("openapi", "3.0.3"),
            ("info", .object([
                ("title", "Doorstep 家门口"),
                ("version", "1.0.0"),
                ("description", .string("""
                    Community service stations within walking reach of every home. Residents' lookup (/v1/nearest), \
                    OGC API – Features – Part 1 (Core, GeoJSON, OpenAPI 3.0) for map tools, and the service's health. \
                    Every route answers GET and HEAD, OPTIONS for CORS preflight (Access-Control-Allow-Origin: *), and \
                    405 for other methods. Unknown query parameters are a 400. Errors are JSON {code, description}.
                    """)),
                ("license", .object([("name", "Data © OpenStreetMap contributors, ODbL 1.0"),
                                     ("url", "https://www.openstreetmap.org/copyright")])),
            ])),
            ("servers", .array([.object([("url", .string(serverURL))])])),
            ("tags", .array([
                .object([("name", "Residents"), ("description", "Nearest stations, open now, offering what I need")]),
                .object([("name", "Features"), ("description", "OGC API – Features – Part 1: Core")]),
                .object([("name", "Planners"), ("description", "Coverage, gaps, service areas and plans, as the CLI computes them")]),
                .object([("name", "Service"), ("description", "API definition and health")]),
            ])),
            ("paths", .object(plannerPaths + [
                ("/", path(operation("getLandingPage", "Features", "Landing page", params: [ref("f")],
                                     ok: json("LandingPage", "Links to the API definition, conformance and collections")))),
                ("/conformance", path(operation("getConformance", "Features", "Conformance classes", params: [ref("f")],
                                                ok: json("Conformance", "The conformance classes implemented")))),
                ("/collections", path(operation("getCollections", "Features", "The collections", params: [ref("f")],
                                                ok: json("Collections", "Every collection with its extent")))),
                ("/collections/{collectionId}", path(operation(
                    "describeCollection", "Features", "One collection", params: [ref("collectionId"), ref("f")],
                    ok: json("Collection", "The collection"), errors: ["404"]))),
                ("/collections/{collectionId}/items", path(operation(
                    "getFeatures", "Features", "Features of a collection",
                    description: """
                        Features in storage order, paged with limit and offset (next/prev links). bbox selects those \
                        whose geometry intersects the box. limit above \(FeaturesAPI.maxLimit) \
                        is clamped to \(FeaturesAPI.maxLimit).
                        """,
                    params: [ref("collectionId"), ref("bbox"), ref("limit"), ref("offset"), ref("f")],
                    ok: geoJSON("FeatureCollection", "A page of features"), errors: ["400", "404", "422"]))),
                ("/collections/{collectionId}/items/{featureId}", path(operation(
                    "getFeature", "Features", "One feature",
                    description: "Feature ids are the layer's id; percent-encode a slash (way/27811140 → way%2F27811140).",
                    params: [ref("collectionId"), ref("featureId"), ref("f")],
                    ok: geoJSON("Feature", "The feature"), errors: ["404"]))),
                ("/v1/nearest", path(operation(
                    "nearest", "Residents", "Nearest stations",
                    description: """
                        The k nearest stations to a point by geodesic distance on the WGS84 ellipsoid, with bearing, \
                        filtered by kind (any of), service (all of) and opening hours. Station coordinates come in \
                        WGS84 and, when crs is gcj02 or bd09, also in that crs; for crs=EPSG:n only in WGS84.
                        """,
                    params: nearestParameters, ok: json("NearestResponse", "Stations, nearest first"),
                    errors: ["400", "422", "501"]))),
                ("/api", path(.object([
                    ("operationId", "getAPI"), ("tags", .array(["Service"])), ("summary", "This API definition"),
                    ("responses", .object([
                        ("200", .object([("description", "The OpenAPI 3.0 document"),
                                         ("content", .object([(MediaTypes.openAPI, .object([("schema", .object([("type", "object")]))]))]))])),
                    ])),
                ]))),
                ("/health", path(operation("health", "Service", "Health and data generation",
                                           params: [], ok: json("Health", "The service is up, with the counts it serves")))),
            ])),
            ("components", .object([
                ("parameters", .object(parameters(collections: collections))),
                ("schemas", .object(schemas + plannerSchemas)),
                ("responses", .object([
                    ("400", errorResponse("A parameter cannot be read: malformed, unknown, repeated or missing")),
                    ("404", errorResponse("No such route, collection or feature")),
                    ("422", errorResponse("A parameter is out of range")),
                    ("501", errorResponse("Not available in this database (walk=true without walkable ways)")),
                    ("503", errorResponse("The database cannot be read right now")),
                ])),
            ])),
        ])
    }

    // MARK: Building blocks

    private static func path(_ get: JSONValue) -> JSONValue { .object([("get", get)]) }

    private static func operation(_ id: String, _ tag: String, _ summary: String, description: String? = nil,
                                  params: [JSONValue], ok: JSONValue, errors: [String] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("operationId", .string(id)), ("tags", .array([.string(tag)])),
                                              ("summary", .string(summary))]
        if let description { members.append(("description", .string(description))) }
        if !params.isEmpty { members.append(("parameters", .array(params))) }
        var responses: [(String, JSONValue)] = [("200", ok)]
        for code in errors + ["503"] { responses.append((code, .object([("$ref", .string("#/components/responses/\(code)"))]))) }
        members.append(("responses", .object(responses)))
        return .object(members)
    }

    private static func ref(_ parameter: String) -> JSONValue {
        .object([("$ref", .string("#/components/parameters/\(parameter)"))])
    }

    private static func schemaRef(_ name: String) -> JSONValue {
        .object([("$ref", .string("#/components/schemas/\(name)"))])
    }

    private static func json(_ schema: String, _ description: String) -> JSONValue {
        .object([("description", .string(description)),
                 ("content", .object([(MediaTypes.json, .object([("schema", schemaRef(schema))]))]))])
    }

    private static func geoJSON(_ schema: String, _ description: String) -> JSONValue {
        .object([("description", .string(description)),
                 ("content", .object([(MediaTypes.geoJSON, .object([("schema", schemaRef(schema))]))]))])
    }

    private static func errorResponse(_ description: String) -> JSONValue {
        .object([("description", .string(description)),
                 ("content", .object([(MediaTypes.json, .object([("schema", schemaRef("Error"))]))]))])
    }

    private static func query(_ name: String, _ description: String, _ schema: JSONValue, required: Bool = false,
                              explode: Bool? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name)), ("in", "query"), ("description", .string(description)),
                                              ("required", .bool(required))]
        if let explode { members += [("style", "form"), ("explode", .bool(explode))] }
        members.append(("schema", schema))
        return .object(members)
    }

    private static func type(_ name: String, _ extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([("type", .string(name))] + extra)
    }

    private static func object(_ properties: [(String, JSONValue)], required: [String] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", "object")]
        if !required.isEmpty { members.append(("required", .array(required.map(JSONValue.string)))) }
        members.append(("properties", .object(properties)))
        return .object(members)
    }

    private static func array(_ items: JSONValue, _ extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([("type", "array"), ("items", items)] + extra)
    }

    private static let nullableString = type("string", [("nullable", true)])

    // MARK: Parameters

    private static var nearestParameters: [JSONValue] {
        let k = NearestAPI.kRange
        return [
            query(N.lon, "Longitude (or easting for a projected EPSG crs)", type("number"), required: true),
            query(N.lat, "Latitude (or northing for a projected EPSG crs)", type("number"), required: true),
            query(N.crs, "CRS of lon/lat: wgs84 (default), gcj02 (Amap, Tencent, WeChat), bd09 (Baidu) or EPSG:n (e.g. EPSG:4490, EPSG:4548)",
                  type("string", [("default", "wgs84")])),
            query(N.k, "How many stations", type("integer", [("minimum", .number(Double(k.lowerBound))),
                                                             ("maximum", .number(Double(k.upperBound))),
                                                             ("default", .number(Double(NearestAPI.defaultK)))])),
            query(N.kind, "Station kinds, any of them (center 党群服务中心, station 党群服务站, post 驿站, or Chinese names); repeat or comma-separate",
                  array(type("string"), [("maxItems", .number(Double(NearestAPI.maxFilterValues)))]), explode: true),
            query(N.service, "Services the station must all offer (rest, water, charging, meal, medical, legal, elderly, children, meeting, or Chinese names); repeat or comma-separate",
                  array(type("string"), [("maxItems", .number(Double(NearestAPI.maxFilterValues)))]), explode: true),
            query(N.openNow, "Only stations open now (in tz)", type("boolean", [("default", false)])),
            query(N.openAt, "Only stations open at this local time: 2026-11-23T09:30, \"2026-11-23 09:30\" or \"Mo 09:30\"; not with open_now",
                  type("string")),
            query(N.tz, "IANA time zone of open_now and of the open field", type("string", [("default", .string(NearestAPI.defaultTimeZone))])),
            query(N.walk, "Rank by walking distance along the network (adds walking_m and walking_min); 501 when the database has no walkable ways, 422 when the point is beyond the snap limit",
                  type("boolean", [("default", false)])),
            query(N.speed, "Walking speed for walking_min, m/s", type("number", [("minimum", .number(NearestAPI.speedRange.lowerBound)),
                                                                                ("maximum", .number(NearestAPI.speedRange.upperBound)),
                                                                                ("default", .number(NearestAPI.defaultSpeed))])),
            query(N.route, "With walk=true: each station carries its walking route from the point (route: GeoJSON LineString, WGS84; null when no path); 400 without walk=true",
                  type("boolean", [("default", false)])),
        ]
    }

    private static func parameters(collections: [String]) -> [(String, JSONValue)] {
        let maxLimit = Double(FeaturesAPI.maxLimit)
        return [
            ("collectionId", .object([("name", "collectionId"), ("in", "path"), ("required", true),
                                      ("description", "A collection id"),
                                      ("schema", type("string", [("enum", .array(collections.map(JSONValue.string)))]))])),
            ("featureId", .object([("name", "featureId"), ("in", "path"), ("required", true),
                                   ("description", "A feature id (the layer's id), percent-encoded"), ("schema", type("string"))])),
            ("bbox", query(F.bbox, "west,south,east,north in CRS84 degrees (or 6 numbers with heights, ignored); not crossing the antimeridian",
                           array(type("number"), [("minItems", 4), ("maxItems", 6)]), explode: false)),
            ("limit", query(F.limit, "Page size; larger values are clamped to \(Int(maxLimit))",
                            type("integer", [("minimum", 1), ("maximum", .number(maxLimit)),
                                             ("default", .number(Double(FeaturesAPI.defaultLimit)))]))),
            ("offset", query(F.offset, "Features to skip (follow the next/prev links)",
                             type("integer", [("minimum", 0), ("maximum", .number(Double(FeaturesAPI.maxOffset))),
                                              ("default", 0)]))),
            ("f", query(F.f, "Output format; only JSON (GeoJSON for features) is served",
                        type("string", [("enum", .array(["json", "geojson", "application/json", "application/geo+json"]))]))),
        ]
    }

    // MARK: Schemas

    private static var schemas: [(String, JSONValue)] {
        let position = array(type("number"), [("minItems", 2), ("maxItems", 2)])
        let links = array(schemaRef("Link"))
        return [
            ("Error", object([("code", type("string")), ("description", type("string"))], required: ["code", "description"])),
            ("Link", object([("href", type("string")), ("rel", type("string")), ("type", type("string")), ("title", type("string"))],
                            required: ["href", "rel"])),
            ("LandingPage", object([("title", type("string")), ("description", type("string")), ("links", links)], required: ["links"])),
            ("Conformance", object([("conformsTo", array(type("string")))], required: ["conformsTo"])),
            ("Collection", object([
                ("id", type("string")), ("title", type("string")), ("description", type("string")),
                ("itemType", type("string")), ("crs", array(type("string"))),
                ("extent", object([("spatial", object([
                    ("bbox", array(array(type("number"), [("minItems", 4), ("maxItems", 6)]), [("minItems", 1)])),
                    ("crs", type("string")),
                ]))])),
                ("links", links),
            ], required: ["id", "links"])),
            ("Collections", object([("links", links), ("collections", array(schemaRef("Collection")))], required: ["links", "collections"])),
            ("Geometry", .object([("type", "object"), ("nullable", true), ("required", .array(["type"])),
                                  ("properties", .object([("type", type("string")), ("coordinates", type("array", [("items", .object([]))]))]))])),
            ("Feature", object([
                ("type", type("string", [("enum", .array(["Feature"]))])), ("id", type("string")),
                ("geometry", schemaRef("Geometry")), ("properties", type("object", [("nullable", true)])), ("links", links),
            ], required: ["type", "geometry", "properties"])),
            ("FeatureCollection", object([
                ("type", type("string", [("enum", .array(["FeatureCollection"]))])),
                ("numberMatched", type("integer", [("minimum", 0)])), ("numberReturned", type("integer", [("minimum", 0)])),
                ("timeStamp", type("string", [("format", "date-time")])), ("links", links),
                ("features", array(schemaRef("Feature"))),
            ], required: ["type", "features"])),
            ("NearestStation", object([
                ("id", type("string")), ("name", type("string")), ("kind", nullableString),
                ("services", array(type("string"))), ("address", nullableString), ("phone", nullableString),
                ("hours", nullableString),
                ("distance_m", type("number", [("description", "Geodesic distance in metres")])),
                ("bearing_deg", type("number", [("description", "Initial bearing from the point, degrees clockwise from north")])),
                ("direction", type("string", [("description", "Compass point of the bearing: N, NE, E …")])),
                ("open", type("boolean", [("nullable", true),
                                          ("description", "Open at open_evaluated_at; null when the station has no opening hours")])),
                ("walking_m", type("number", [("nullable", true), ("description", "With walk=true: walking distance in metres; null when no path")])),
                ("walking_min", type("number", [("nullable", true), ("description", "With walk=true: walking time in minutes at speed")])),
                ("route", type("object", [("nullable", true),
                                          ("description", "With route=true: the walking route from the point, a GeoJSON LineString in WGS84; null when no path"),
                                          ("required", .array(["type", "coordinates"])),
                                          ("properties", .object([("type", type("string")), ("coordinates", array(position))]))])),
                ("coordinates", object([("wgs84", position), ("gcj02", position), ("bd09", position)], required: ["wgs84"])),
            ], required: ["id", "name", "services", "distance_m", "bearing_deg", "coordinates"])),
            ("NearestResponse", object([
                ("query", object([
                    ("lon", type("number")), ("lat", type("number")), ("crs", type("string")), ("wgs84", position),
                    ("k", type("integer")), ("kind", array(type("string"))), ("service", array(type("string"))),
                    ("open_filter", nullableString), ("open_evaluated_at", type("string")), ("tz", type("string")),
                    ("walk", type("boolean")), ("speed", type("number")), ("route", type("boolean")),
                ])),
                ("generation", type("integer")), ("count", type("integer")),
                ("stations", array(schemaRef("NearestStation"))),
            ], required: ["query", "generation", "count", "stations"])),
            ("Health", object([
                ("status", type("string", [("enum", .array(["ok"]))])), ("generation", type("integer")),
                ("loaded_at", type("string", [("format", "date-time")])),
                ("stations", type("integer")), ("compounds", type("integer")), ("entrances", type("integer")),
                ("grids", type("integer")), ("ways", type("integer")), ("walking", type("boolean")),
            ], required: ["status", "generation", "stations"])),
        ]
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}
