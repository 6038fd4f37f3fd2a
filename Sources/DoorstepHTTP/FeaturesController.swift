import DoorstepGeo
import Foundation
import Hummingbird

/// Names, bounds and constants of the features API, shared by the handlers and the OpenAPI document.
enum FeaturesAPI {
    enum Name {
        static let bbox = "bbox", limit = "limit", offset = "offset", f = "f"
    }

    static let defaultLimit = 10
    /// Larger `limit`s are clamped to this (OGC API – Features /per/core/limit-override), not refused.
    static let maxLimit = 10_000
    static let maxOffset = Int(Int32.max)
    static let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    ]
}

/// OGC API – Features – Part 1: Core, with the GeoJSON and OpenAPI 3.0 conformance classes: the landing page,
/// `/conformance`, `/collections`, `/collections/{collectionId}`, `/collections/{collectionId}/items` and
/// `/collections/{collectionId}/items/{featureId}`. Everything is WGS84 longitude/latitude (CRS84).
struct FeaturesController<Context: RequestContext>: Sendable {
    let data: any DoorstepData
    let collections: [any FeatureCollectionSource]
    /// `http://host:port` for links when a request carries no usable Host header.
    let fallbackBase: String

    var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.readOnly("/", use: landing)
        routes.readOnly("/conformance", use: conformancePage)
        routes.readOnly("/collections", use: collectionList)
        routes.readOnly("/collections/:collectionId", use: collection)
        routes.readOnly("/collections/:collectionId/items", use: items)
        // A catch-all, so a feature id holding a slash (`way/27811140`) is found written either way, as
        // `items/way%2F27811140` (what our links say) or `items/way/27811140`.
        routes.readOnly("/collections/:collectionId/items/**", use: item)
        return routes
    }

    // MARK: Handlers

    @Sendable func landing(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [FeaturesAPI.Name.f]).format()
        let links = LinkBuilder(request: request, fallback: fallbackBase)
        let credit = try await data.snapshot().creditLine()
        return jsonResponse(.object([
            ("title", .string("Doorstep 家门口")),
            ("description", .string("Community service stations, residential compounds, governance grids, entrances and walkable ways of one city, as OGC API – Features (GeoJSON, WGS84)")),
            ("links", .array([
                LinkBuilder.link(links.url("/"), rel: "self", type: MediaTypes.json, title: "This document"),
                LinkBuilder.link(links.url("/api"), rel: "service-desc", type: MediaTypes.openAPI, title: "The API definition (OpenAPI 3.0)"),
                LinkBuilder.link(links.url("/conformance"), rel: "conformance", type: MediaTypes.json, title: "Conformance classes"),
                LinkBuilder.link(links.url("/collections"), rel: "data", type: MediaTypes.json, title: "The collections"),
            ])),
        ] + (credit.map { [("attribution", JSONValue.string($0))] } ?? [])))
    }

    @Sendable func conformancePage(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [FeaturesAPI.Name.f]).format()
        return jsonResponse(.object([("conformsTo", .array(FeaturesAPI.conformance.map(JSONValue.string)))]))
    }

    @Sendable func collectionList(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [FeaturesAPI.Name.f]).format()
        let links = LinkBuilder(request: request, fallback: fallbackBase)
        let snapshot = try await data.snapshot()
        return jsonResponse(.object([
            ("links", .array([LinkBuilder.link(links.url("/collections"), rel: "self", type: MediaTypes.json)])),
            ("collections", .array(collections.map { describe($0, snapshot, links) })),
        ]))
    }

    @Sendable func collection(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [FeaturesAPI.Name.f]).format()
        let source = try lookup(context)
        let snapshot = try await data.snapshot()
        return jsonResponse(describe(source, snapshot, LinkBuilder(request: request, fallback: fallbackBase)))
    }

    @Sendable func items(request: Request, context: Context) async throws -> Response {
        let q = try QueryParameters(request, allowed: [FeaturesAPI.Name.bbox, FeaturesAPI.Name.limit, FeaturesAPI.Name.offset, FeaturesAPI.Name.f])
        _ = try q.format()
        let source = try lookup(context)
        let bbox = try q.string(FeaturesAPI.Name.bbox).map(Self.parseBBox)
        let limit = try q.int(FeaturesAPI.Name.limit) ?? FeaturesAPI.defaultLimit
        guard limit >= 1 else { throw APIError.outOfRange(FeaturesAPI.Name.limit, "\(limit) is below 1") }
        let offset = try q.int(FeaturesAPI.Name.offset) ?? 0
        guard (0...FeaturesAPI.maxOffset).contains(offset) else {
            throw APIError.outOfRange(FeaturesAPI.Name.offset, "\(offset) is outside 0…\(FeaturesAPI.maxOffset)")
        }
        let pageSize = min(limit, FeaturesAPI.maxLimit)
        let snapshot = try await data.snapshot() // also notices a replaced file before reading
        let links = LinkBuilder(request: request, fallback: fallbackBase)
        // Everything the page depends on besides the generation (the cache belongs to the snapshot's generation).
        let key = "\(source.id) \(bbox.map(Self.bboxText) ?? "-") \(pageSize) \(offset) \(links.base)"
        if let kept = snapshot.pages.page(key) {
            var out = JSONBytes(capacity: kept.head.count + kept.tail.count + 32)
            out.raw(kept.head)
            out.string(Date().formatted(.iso8601)) // timeStamp: when this response was made
            out.raw(kept.tail)
            return jsonResponse(out, contentType: MediaTypes.geoJSON)
        }
        let page = try await source.items(bbox: bbox, limit: pageSize, offset: offset, data: data)

        let path = "/collections/\(LinkBuilder.encode(source.id))/items"
        func pageURL(_ offset: Int) -> String {
            var query: [(String, String)] = []
            if let bbox { query.append((FeaturesAPI.Name.bbox, Self.bboxText(bbox))) }
            query.append((FeaturesAPI.Name.limit, String(pageSize)))
            query.append((FeaturesAPI.Name.offset, String(offset)))
            return links.url(path, query: query)
        }
        var linkList = [LinkBuilder.link(pageURL(offset), rel: "self", type: MediaTypes.geoJSON, title: "This page")]
        if offset + page.features.count < page.numberMatched {
            linkList.append(LinkBuilder.link(pageURL(offset + pageSize), rel: "next", type: MediaTypes.geoJSON, title: "Next page"))
        }
        if offset > 0 {
            linkList.append(LinkBuilder.link(pageURL(max(0, offset - pageSize)), rel: "prev", type: MediaTypes.geoJSON, title: "Previous page"))
        }
        linkList.append(LinkBuilder.link(links.url("/collections/\(LinkBuilder.encode(source.id))"), rel: "collection",
                                         type: MediaTypes.json, title: source.title))

        var out = JSONBytes(capacity: 1024 + 1024 * page.features.count)
        out.raw("{\"type\":\"FeatureCollection\",\"numberMatched\":" as StaticString)
        out.integer(page.numberMatched)
        out.raw(",\"numberReturned\":" as StaticString)
        out.integer(page.features.count)
        out.raw(",\"timeStamp\":" as StaticString)
        let head = out.count
        out.string(Date().formatted(.iso8601))
        let tail = out.count
        out.raw(",\"links\":" as StaticString)
        out.value(.array(linkList))
        out.raw(",\"features\":[" as StaticString)
        for (i, feature) in page.features.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            Self.write(feature, links: nil, to: &out)
        }
        out.raw("]}" as StaticString)
        snapshot.pages.store(key, PageCache.Page(head: Array(out.bytes[..<head]), tail: Array(out.bytes[tail...])))
        return jsonResponse(out, contentType: MediaTypes.geoJSON)
    }

    @Sendable func item(request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [FeaturesAPI.Name.f]).format()
        let source = try lookup(context)
        let raw = context.parameters.getCatchAll().joined(separator: "/")
        guard let id = raw.removingPercentEncoding, !id.isEmpty else {
            throw APIError.notFound("no feature \"\(QueryParameters.clip(raw))\" in \(source.id)")
        }
        _ = try await data.snapshot()
        guard let feature = try await source.item(id: id, data: data) else {
            throw APIError.notFound("no feature \"\(QueryParameters.clip(id))\" in \(source.id)")
        }
        let links = LinkBuilder(request: request, fallback: fallbackBase)
        let collectionPath = "/collections/\(LinkBuilder.encode(source.id))"
        var out = JSONBytes()
        Self.write(feature, links: [
            LinkBuilder.link(links.url(collectionPath + "/items/" + LinkBuilder.encode(feature.id)), rel: "self", type: MediaTypes.geoJSON),
            LinkBuilder.link(links.url(collectionPath), rel: "collection", type: MediaTypes.json, title: source.title),
        ], to: &out)
        return jsonResponse(out, contentType: MediaTypes.geoJSON)
    }

    // MARK: Pieces

    private func lookup(_ context: Context) throws -> any FeatureCollectionSource {
        let id = context.parameters.get("collectionId") ?? ""
        guard let source = collections.first(where: { $0.id == id }) else {
            throw APIError.notFound("no collection \"\(QueryParameters.clip(id))\"; collections are \(collections.map(\.id).joined(separator: ", "))")
        }
        return source
    }

    private func describe(_ source: any FeatureCollectionSource, _ snapshot: DataSnapshot, _ links: LinkBuilder) -> JSONValue {
        let path = "/collections/\(LinkBuilder.encode(source.id))"
        var members: [(String, JSONValue)] = [
            ("id", .string(source.id)), ("title", .string(source.title)), ("description", .string(source.description)),
            ("itemType", .string("feature")), ("crs", .array([.string(FeaturesAPI.crs84)])),
        ]
        if let box = source.extent(in: snapshot) {
            members.append(("extent", .object([("spatial", .object([
                ("bbox", .array([.array([box.west, box.south, box.east, box.north].map(JSONValue.number))])),
                ("crs", .string(FeaturesAPI.crs84)),
            ]))])))
        }
        if let credit = snapshot.creditLine(source.layers) { members.append(("attribution", .string(credit))) }
        members.append(("links", .array([
            LinkBuilder.link(links.url(path), rel: "self", type: MediaTypes.json, title: source.title),
            LinkBuilder.link(links.url(path + "/items"), rel: "items", type: MediaTypes.geoJSON, title: source.title),
        ])))
        return .object(members)
    }

    static func write(_ feature: StoredFeature, links: [JSONValue]?, to out: inout JSONBytes) {
        out.raw("{\"type\":\"Feature\",\"id\":" as StaticString)
        out.string(feature.id)
        out.raw(",\"geometry\":" as StaticString)
        if let geometry = feature.geometry { out.geometry(geometry) } else { out.null() }
        out.raw(",\"properties\":" as StaticString)
        out.value(.object(feature.properties))
        if let links {
            out.raw(",\"links\":" as StaticString)
            out.value(.array(links))
        }
        out.byte(UInt8(ascii: "}"))
    }

    /// `west,south,east,north` (or six numbers with heights, which are ignored), CRS84 degrees.
    static func parseBBox(_ text: String) throws -> BoundingBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 4 || parts.count == 6 else {
            throw APIError.invalid(FeaturesAPI.Name.bbox, "give 4 numbers (west,south,east,north) or 6 (with heights); got \(parts.count)")
        }
        let n = try parts.map { try QueryParameters.number(String($0), FeaturesAPI.Name.bbox) }
        let (west, south, east, north) = parts.count == 4 ? (n[0], n[1], n[2], n[3]) : (n[0], n[1], n[3], n[4])
        for lon in [west, east] where !(-180...180).contains(lon) {
            throw APIError.outOfRange(FeaturesAPI.Name.bbox, "longitude \(lon) is outside -180…180")
        }
        for lat in [south, north] where !(-90...90).contains(lat) {
            throw APIError.outOfRange(FeaturesAPI.Name.bbox, "latitude \(lat) is outside -90…90")
        }
        guard south <= north else { throw APIError.outOfRange(FeaturesAPI.Name.bbox, "south \(south) is above north \(north)") }
        guard west <= east else {
            throw APIError.outOfRange(FeaturesAPI.Name.bbox, "west \(west) is east of east \(east); boxes crossing the antimeridian are not supported")
        }
        return BoundingBox(west: west, south: south, east: east, north: north)
    }

    static func bboxText(_ b: BoundingBox) -> String {
        [b.west, b.south, b.east, b.north].map { JSONValue.number($0).jsonText }.joined(separator: ",")
    }
}

extension QueryParameters {
    /// The `f` parameter: only JSON (GeoJSON for features) is served; anything else is a 400.
    func format() throws -> String? {
        guard let f = try string(FeaturesAPI.Name.f) else { return nil }
        guard ["json", "geojson", "application/json", "application/geo+json"].contains(f.lowercased()) else {
            throw APIError.invalid("f", "\"\(QueryParameters.clip(f))\" is not served; use json (GeoJSON for features)")
        }
        return f
    }
}
