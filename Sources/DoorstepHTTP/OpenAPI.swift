import DoorstepGeo

/// The OpenAPI 3.0 document served at `/api`: every route and parameter, with the same names, bounds and defaults
/// the handlers use (they share the constants), and every status a route can answer, each error with the one
/// `Error` schema. Checked by `openapi-spec-validator` and, against a live server, by schemathesis with every check
/// (`SchemathesisTests`, `tools/schemathesis.toml`) in the tests.
///
/// A new route adds its path here with `operation(...)` and `responses(...)`; a new collection appears by itself in
/// the `collectionId` enum.
enum OpenAPIDocument {
    typealias N = NearestAPI.Name
    typealias F = FeaturesAPI.Name

    /// `info.license` from the data's credits; none when no credit is recorded.
    static func license(_ credits: String?) -> [(String, JSONValue)] {
        guard let credits else { return [] }
        var members: [(String, JSONValue)] = [("name", .string("Data: \(credits)"))]
        if credits.contains(Credits.openStreetMap) || credits.contains("OpenStreetMap") {
            members.append(("url", "https://www.openstreetmap.org/copyright"))
        }
        return [("license", .object(members))]
    }

    /// The document; `credits` (the data's, `DataSnapshot.creditLine`) become its licence, with OpenStreetMap's
    /// copyright page when OpenStreetMap is among them.
    static func build(serverURL: String, collections: [String], credits: String? = nil) -> JSONValue {
        .object([
            ("openapi", "3.0.3"),
            ("info", .object([
                ("title", "Doorstep 家门口"),
                ("version", .string(DoorstepVersion.string)),
                ("description", .string("""
                    Community service stations within walking reach of every home. Residents' lookup (/v1/nearest), \
                    OGC API – Features – Part 1 (Core, GeoJSON, OpenAPI 3.0) for map tools, the planners' analyses \
                    (/v1/coverage, /v1/coverage/hours, /v1/gaps, /v1/areas, /v1/plan, /v1/access) and the service's health (/health, /livez). \
                    Every path answers GET and HEAD, OPTIONS for CORS preflight (Access-Control-Allow-Origin: *), and \
                    405 method_not_allowed with an Allow header (GET, HEAD, OPTIONS) for every other method, on any path. \
                    A request is a 400 invalid_parameter or unknown_parameter when it has a query parameter the route \
                    does not define, a parameter given twice or empty, %00 in a parameter or in the path, or a body on \
                    GET (400 body_not_allowed); 414 uri_too_long beyond 8192 bytes of request target, 413 payload_too_large beyond 64 KiB of \
                    declared body. API answers carry an ETag per data generation; a GET with If-None-Match holding it \
                    is answered 304 Not Modified. Errors are JSON {code, description} (schema Error) with a status \
                    that says whose fault it was.
                    """)),
            ] + license(credits))),
            ("servers", .array([.object([("url", .string(serverURL))])])),
            ("tags", .array([
                .object([("name", "Residents"), ("description", "Nearest stations, open now, offering what I need")]),
                .object([("name", "Features"), ("description", "OGC API – Features – Part 1: Core")]),
                .object([("name", "Planners"), ("description", .string("Coverage, gaps, service areas, plans and what-ifs, as the CLI computes them. \(analysisBudgets)"))]),
                .object([("name", "Service"), ("description", "API definition, readiness (/health) and liveness (/livez)")]),
            ])),
            ("paths", .object(plannerPaths + [
                ("/", path(operation("getLandingPage", "Features", "Landing page",
                                     description: "JSON for API clients; the residents' web page (HTML) for f=html or an Accept header preferring text/html.",
                                     params: [ref("fLanding")],
                                     responses: responses(landingPage, errors: [])))),
                ("/conformance", path(operation("getConformance", "Features", "Conformance classes", params: [ref("f")],
                                                responses: responses(json("Conformance", "The conformance classes implemented"), errors: [])))),
                ("/collections", path(operation("getCollections", "Features", "The collections", params: [ref("f")],
                                                responses: responses(json("Collections", "Every collection with its extent"), errors: ["503"])))),
                ("/collections/{collectionId}", path(operation(
                    "describeCollection", "Features", "One collection", params: [ref("collectionId"), ref("f")],
                    responses: responses(json("Collection", "The collection"), errors: ["404", "503"])))),
                ("/collections/{collectionId}/items", path(operation(
                    "getFeatures", "Features", "Features of a collection",
                    description: """
                        Features in storage order, paged with limit and offset (next/prev links). bbox selects those \
                        whose geometry intersects the box. limit above \(FeaturesAPI.maxLimit) is clamped to \
                        \(FeaturesAPI.maxLimit) (OGC API – Features /per/core/limit-override), not refused.
                        """,
                    params: [ref("collectionId"), ref("bbox"), ref("limit"), ref("offset"), ref("f")],
                    responses: responses(geoJSON("FeatureCollection", "A page of features"), errors: ["404", "422", "503"])))),
                ("/collections/{collectionId}/items/{featureId}", path(operation(
                    "getFeature", "Features", "One feature",
                    description: "Feature ids are the layer's id; percent-encode a slash (way/27811140 → way%2F27811140).",
                    params: [ref("collectionId"), ref("featureId"), ref("f")],
                    responses: responses(geoJSON("Feature", "The feature"), errors: ["404", "503"])))),
                ("/v1/nearest", path(operation(
                    "nearest", "Residents", "Nearest stations",
                    description: """
                        The k nearest stations to a point by geodesic distance on the WGS84 ellipsoid, with bearing, \
                        filtered by kind (any of), service (all of) and opening hours. Station coordinates come in \
                        WGS84 and, when crs is gcj02 or bd09, also in that crs; for crs=EPSG:n only in WGS84. \
                        Rules between parameters (400 invalid_parameter): open_at and open_now=true exclude each other; \
                        route=true needs walk=true. lon/lat outside -180…180/-90…90 (wgs84, gcj02, bd09) or not a \
                        position in the EPSG crs are a 422 out_of_range.
                        """,
                    params: nearestParameters,
                    responses: responses(json("NearestResponse", "Stations, nearest first"), errors: ["422", "501", "503"])))),
                ("/api", path(operation("getAPI", "Service", "This API definition", params: [],
                                        responses: responses(.object([
                                            ("description", "The OpenAPI 3.0 document"),
                                            ("content", .object([(MediaTypes.openAPI, .object([("schema", type("object"))]))])),
                                        ]), errors: [])))),
                ("/health", path(operation(
                    "health", "Service", "Readiness and data generation",
                    description: "200 when the service can answer from its database, with the counts it serves; 503 {status, reason} when it cannot (a load balancer takes it out of rotation).",
                    params: [], responses: responses(json("Health", "Ready, with the data generation and counts it serves"),
                                                     errors: ["503-health"], cached: false)))),
                ("/livez", path(operation(
                    "livez", "Service", "Liveness",
                    description: "200 {status: ok} while the process serves requests at all; it reads nothing (use /health for readiness).",
                    params: [], responses: responses(json("Liveness", "The process is alive"), errors: [], cached: false)))),
                ("/metrics", path(operation(
                    "metrics", "Service", "Metrics for Prometheus",
                    description: """
                        The Prometheus text format (0.0.4): doorstep_http_requests_total{route,method,status}, \
                        doorstep_http_request_duration_seconds{route} (histogram), doorstep_analysis_running, \
                        doorstep_analysis_queued, doorstep_analysis_workers, doorstep_data_generation (absent until data is \
                        read) and doorstep_store_errors_total. Route labels are route templates (NotFound for paths no route \
                        has). Answers while the store cannot be read.
                        """,
                    params: [], responses: responses(.object([("description", "The scrape"),
                                                              ("content", .object([("text/plain", .object([("schema", type("string"))]))]))]),
                                                     errors: [], cached: false)))),
            ])),
            ("components", .object([
                ("parameters", .object(parameters(collections: collections))),
                ("schemas", .object(schemas + plannerSchemas)),
                ("headers", .object([
                    ("ETag", .object([("description", "The data generation the answer was made from; send it back in If-None-Match to get 304 while it holds"),
                                      ("schema", type("string"))])),
                    ("Retry-After", .object([("description", "Seconds to wait before trying again"),
                                             ("schema", type("integer", [("minimum", 0)]))])),
                    ("Allow", .object([("description", .string("The methods every path takes: \(APIError.allowedMethods)")),
                                       ("schema", type("string"))])),
                ])),
                ("responses", .object([
                    ("304", .object([("description", "Not Modified: If-None-Match holds the ETag of the current answer (same data generation); no body"),
                                     ("headers", .object([("ETag", headerRef("ETag"))]))])),
                    ("400", errorResponse("""
                        A request that cannot be read: invalid_parameter (malformed, repeated or empty value, %00 in a \
                        parameter or the path, a body on GET, parameters that exclude each other), missing_parameter, \
                        unknown_parameter (a query parameter the route does not define)
                        """)),
                    ("404", errorResponse("not_found: no such route, collection or feature")),
                    ("405", errorResponse("method_not_allowed: a method other than GET, HEAD, OPTIONS (on any path)",
                                          headers: [("Allow", headerRef("Allow"))])),
                    ("413", errorResponse("payload_too_large: a declared request body over 64 KiB")),
                    ("414", errorResponse("uri_too_long: a request target over 8192 bytes")),
                    ("422", errorResponse("""
                        A readable value out of range or a question that cannot be answered: out_of_range, unreachable \
                        (walk=true from beyond the snap limit), unknown_station, too_many_stations, not_computable
                        """)),
                    ("501", errorResponse("not_implemented: walking distances asked of a database without walkable ways (walk=true)")),
                    ("503", errorResponse("unavailable: the database cannot be read right now (being replaced, disk); try again")),
                    ("503-analysis", errorResponse("""
                        unavailable: the database cannot be read right now; busy: every analysis slot and the short queue \
                        are taken; budget_exceeded: the request ran out of its time budget (serve --analysis-budget, \
                        default 30 s). busy and budget_exceeded carry Retry-After. \(analysisBudgets)
                        """, headers: [("Retry-After", headerRef("Retry-After"))])),
                    ("503-health", .object([
                        ("description", "Not ready: the database cannot be read (reason says why)"),
                        ("content", .object([(MediaTypes.json, .object([("schema", schemaRef("HealthUnavailable"))]))])),
                    ])),
                ])),
            ])),
        ])
    }

    /// The work budgets of the analysis routes (the operator's caps), stated in the Planners tag and their 503.
    static var analysisBudgets: String {
        """
        Work budgets: bands ≤ \(AreasUseCase.Options.bandCount), lateral \(Int(AreasUseCase.Options.lateralMetres.lowerBound))…\(Int(AreasUseCase.Options.lateralMetres.upperBound)) m, \
        radius ≤ \(Int(AnalysisOptions.radiusMetres.upperBound)) m (areas \(Int(AreasUseCase.Options.radiusMetres.upperBound)) m), areas ≤ \(AreasUseCase.Options.servedStations) \
        stations, plan add ≤ \(PlanUseCase.Options.servedSites.upperBound), spacing ≥ \(Int(PlanUseCase.Options.spacingMetres.lowerBound)) m (422 beyond); what-if add ≤ \(WhatIfUseCase.Options.addedSites) sites, close ≤ \(WhatIfUseCase.Options.closedStations) ids (400 beyond); \
        a per-request time budget (serve --analysis-budget, default 30 s; 503 budget_exceeded with Retry-After); and a \
        bounded pool: at most as many analysis requests at once as cores, a short queue, else 503 busy with Retry-After.
        """
    }

    /// The 200 of the landing page: JSON, or the web page as HTML.
    private static var landingPage: JSONValue {
        .object([("description", "Links to the API definition, conformance and collections (JSON), or the residents' web page (HTML)"),
                 ("content", .object([
                    (MediaTypes.json, .object([("schema", schemaRef("LandingPage"))])),
                    ("text/html", .object([("schema", type("string"))])),
                 ]))])
    }

    // MARK: Building blocks

    private static func path(_ get: JSONValue) -> JSONValue { .object([("get", get)]) }

    /// A GET operation; one answering 304 also takes If-None-Match.
    private static func operation(_ id: String, _ tag: String, _ summary: String, description: String? = nil,
                                  params: [JSONValue], responses: JSONValue) -> JSONValue {
        var members: [(String, JSONValue)] = [("operationId", .string(id)), ("tags", .array([.string(tag)])),
                                              ("summary", .string(summary))]
        if let description { members.append(("description", .string(description))) }
        var params = params
        if case .object(let codes) = responses, codes.contains(where: { $0.0 == "304" }) { params.append(ref("If-None-Match")) }
        if !params.isEmpty { members.append(("parameters", .array(params))) }
        members.append(("responses", responses))
        return .object(members)
    }

    /// The responses of a GET: `ok` as 200 (with an ETag and a 304 when `cached`), the shared 400, 405, 413 and 414
    /// every path can answer, and `errors` (names in `components/responses`, their first three characters the status).
    static func responses(_ ok: JSONValue, errors: [String], cached: Bool = true) -> JSONValue {
        var ok = ok
        if cached, case .object(let members) = ok { ok = .object(members + [("headers", .object([("ETag", headerRef("ETag"))]))]) }
        var out: [(String, JSONValue)] = [("200", ok)]
        if cached { out.append(("304", .object([("$ref", "#/components/responses/304")]))) }
        for name in (errors + ["400", "405", "413", "414"]).sorted() {
            out.append((String(name.prefix(3)), .object([("$ref", .string("#/components/responses/\(name)"))])))
        }
        return .object(out)
    }

    private static func headerRef(_ name: String) -> JSONValue {
        .object([("$ref", .string("#/components/headers/\(name)"))])
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

    private static func errorResponse(_ description: String, headers: [(String, JSONValue)] = []) -> JSONValue {
        var members: [(String, JSONValue)] = [("description", .string(description))]
        if !headers.isEmpty { members.append(("headers", .object(headers))) }
        members.append(("content", .object([(MediaTypes.json, .object([("schema", schemaRef("Error"))]))])))
        return .object(members)
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
        let k = NearestUseCase.Options.k
        return [
            query(N.lon, "Longitude, -180…180 (or easting for a projected EPSG crs); 422 out_of_range outside", type("number"), required: true),
            query(N.lat, "Latitude, -90…90 (or northing for a projected EPSG crs); 422 out_of_range outside", type("number"), required: true),
            query(N.crs, "CRS of lon/lat: wgs84 (default), gcj02 (Amap, Tencent, WeChat), bd09 (Baidu) or EPSG:n (e.g. EPSG:4490, EPSG:4548); 400 for others and EPSG codes PROJ does not know",
                  type("string", [("default", "wgs84")])),
            query(N.k, "How many stations", type("integer", [("minimum", .number(Double(k.lowerBound))),
                                                             ("maximum", .number(Double(k.upperBound))),
                                                             ("default", .number(Double(NearestUseCase.Options.defaultK)))])),
            query(N.kind, "Station kinds, any of them (center 党群服务中心, station 党群服务站, post 驿站, or Chinese names); repeat or comma-separate; \(filterBounds)",
                  filterList, explode: true),
            query(N.service, "Services the station must all offer (rest, water, charging, meal, medical, legal, elderly, children, meeting, or Chinese names); repeat or comma-separate; \(filterBounds)",
                  filterList, explode: true),
            query(N.openNow, "Only stations open now (in tz)", type("boolean", [("default", false)])),
            query(N.openAt, "Only stations open at this local time: 2026-11-23T09:30, \"2026-11-23 09:30\" or \"Mo 09:30\" (400 otherwise); not with open_now=true (400)",
                  type("string")),
            query(N.tz, "IANA time zone of open_now and of the open field; 400 for a name that is not one", type("string", [("default", .string(NearestUseCase.Options.defaultTimeZone))])),
            query(N.walk, "Rank by walking distance along the network (adds walking_m and walking_min); 501 when the database has no walkable ways, 422 when the point is beyond the snap limit",
                  type("boolean", [("default", false)])),
            query(N.speed, "Walking speed for walking_min, m/s", type("number", [("minimum", .number(NearestUseCase.Options.walkingSpeed.lowerBound)),
                                                                                ("maximum", .number(NearestUseCase.Options.walkingSpeed.upperBound)),
                                                                                ("default", .number(NearestUseCase.Options.defaultWalkingSpeed))])),
            query(N.route, "With walk=true: each station carries its walking route from the point (route: GeoJSON LineString, WGS84; null when no path); 400 without walk=true",
                  type("boolean", [("default", false)])),
        ]
    }

    /// `kind` and `service` (here and on the planners' routes). Their bounds are counted as the server reads the lists
    /// (split at commas, trimmed, empty pieces dropped, characters as people see them), which maxItems and maxLength
    /// cannot say, so they are in the descriptions (`filterBounds`).
    static var filterList: JSONValue { array(type("string")) }

    static var filterBounds: String {
        "at most \(AnalysisOptions.filterValues) values of at most \(AnalysisOptions.filterValueLength) characters, counted after splitting at commas and dropping empty ones (422 out_of_range beyond)"
    }

    private static func parameters(collections: [String]) -> [(String, JSONValue)] {
        let formats: [JSONValue] = ["json", "geojson", "application/json", "application/geo+json"]
        return [
            ("collectionId", .object([("name", "collectionId"), ("in", "path"), ("required", true),
                                      ("description", "A collection id"),
                                      ("schema", type("string", [("enum", .array(collections.map(JSONValue.string)))]))])),
            ("featureId", .object([("name", "featureId"), ("in", "path"), ("required", true),
                                   ("description", "A feature id (the layer's id), percent-encoded"), ("schema", type("string"))])),
            ("bbox", query(F.bbox, "west,south,east,north in CRS84 degrees (or 6 numbers with heights, ignored); not crossing the antimeridian: 422 out_of_range for a longitude outside -180…180, a latitude outside -90…90, south above north or west east of east; 400 for 5 numbers",
                           array(type("number"), [("minItems", 4), ("maxItems", 6)]), explode: false)),
            ("limit", query(F.limit, "Page size; values above \(FeaturesAPI.maxLimit) are clamped to \(FeaturesAPI.maxLimit) (the page says numberReturned and its links the limit used), not refused",
                            type("integer", [("minimum", 1), ("default", .number(Double(FeaturesAPI.defaultLimit)))]))),
            ("offset", query(F.offset, "Features to skip (follow the next/prev links)",
                             type("integer", [("minimum", 0), ("maximum", .number(Double(FeaturesAPI.maxOffset))),
                                              ("default", 0)]))),
            ("f", query(F.f, "Output format; only JSON (GeoJSON for features) is served",
                        type("string", [("enum", .array(formats))]))),
            ("fLanding", query(F.f, "Output format: JSON, or html for the residents' web page",
                               type("string", [("enum", .array(formats + ["html"]))]))),
            ("If-None-Match", .object([("name", "If-None-Match"), ("in", "header"), ("required", false),
                                       ("description", "The ETag of an answer held; 304 Not Modified while the data generation is the same"),
                                       ("schema", type("string"))])),
        ]
    }

    // MARK: Schemas

    private static var schemas: [(String, JSONValue)] {
        let position = array(type("number"), [("minItems", 2), ("maxItems", 2)])
        let links = array(schemaRef("Link"))
        return [
            ("Error", .object([
                ("type", "object"), ("required", .array(["code", "description"])),
                ("description", "Every error: a stable machine-readable code (see each response) and a sentence for people"),
                ("properties", .object([("code", type("string")), ("description", type("string"))])),
            ])),
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
                ("no_path_reason", type("string", [("nullable", true), ("description", "With walk=true and no path: why, e.g. the station's nearest street is on an isolated piece of the network not joined to the point's")])),
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
                ("version", type("string")),
            ], required: ["status", "generation", "stations", "version"])),
            ("HealthUnavailable", object([("status", type("string")), ("reason", type("string"))], required: ["status", "reason"])),
            ("Liveness", object([("status", type("string", [("enum", .array(["ok"]))]))], required: ["status"])),
        ]
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}
