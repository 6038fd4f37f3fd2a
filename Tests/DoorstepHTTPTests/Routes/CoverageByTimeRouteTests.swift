import DoorstepGeo
@testable import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// `open_at` on the planners' routes and `/v1/coverage/hours`: the same answers as the CLI (`--open-at`,
/// `coverage --over-day`), a cache that never serves one time's answer for another, and bad values refused naming the
/// parameter.
final class CoverageByTimeRouteTests: XCTestCase {
    /// This build's `doorstep` run on `db`: status and standard output.
    func doorstep(_ arguments: [String], db: String) async throws -> (status: Int32, out: String, err: String) {
        let run = try await runProgram(try TestProducts.doorstep().path, arguments + ["--db", db], in: nil, combined: false)
        return (run.status, run.output, run.errors)
    }

    /// The answer the library gives on the database itself (no server, no cache).
    static func library(_ db: String, _ options: CoverageUseCase.Options) throws -> JSONValue {
        try JSONValue.parse(CoverageUseCase.run(options, on: DatabaseSource(try StoreBackends.open(db, readOnly: true))).json.jsonText)
    }

    func testOpenAtAndHoursEqualTheCLI() async throws {
        let db = try sampleDatabase(self)
        let questions: [(cli: [String], http: String)] = [
            (["coverage", "--preset", "10min", "--open-at", "2026-11-23 19:30"], "/v1/coverage?preset=10min&open_at=2026-11-23T19:30"),
            (["coverage", "--radius", "300", "--walk", "--by", "grid", "--open-at", "Sa 10:00"], "/v1/coverage?radius=300&walk=true&by=grid&open_at=Sa+10:00"),
            (["gaps", "--preset", "5min", "--open-at", "Fr 21:00", "--limit", "5"], "/v1/gaps?preset=5min&open_at=Fr%2021:00&limit=5"),
            (["plan", "--add", "2", "--preset", "5min", "--open-at", "Mo 20:00"], "/v1/plan?add=2&preset=5min&open_at=Mo%2020:00"),
            (["areas", "--preset", "10min", "--kind", "post", "--open-at", "Mo 20:00", "--out", "-"], "/v1/areas?preset=10min&kind=post&open_at=Mo+20:00"),
            (["coverage", "--over-day", "--preset", "10min"], "/v1/coverage/hours?preset=10min"),
            (["coverage", "--over-day", "--day", "2026-11-28", "--radius", "400", "--walk", "--kind", "post", "--kind", "station"],
             "/v1/coverage/hours?day=2026-11-28&radius=400&walk=true&kind=post,station"),
        ]
        var runs = [(status: Int32, out: String, err: String)]()
        for q in questions { runs.append(try await doorstep(q.cli + (q.cli[0] == "areas" ? [] : ["--format", "json"]), db: db)) }
        // The areas drawn at Mo 20:00 are those of the posts open then, by their own hours.
        let posts = try StoreBackends.open(db, readOnly: true).stations().filter { $0.kind == "post" }
        let openPosts = Set(posts.filter { $0.hours?.isOpen(weekday: 1, minuteOfDay: 20 * 60) == true }.map(\.id))
        XCTAssertFalse(openPosts.isEmpty)
        XCTAssertLessThan(openPosts.count, posts.count)
        let drawn = try JSONValue.parse(runs[4].out)["features"]?.array?.compactMap { $0["properties"]?["station_id"]?.string } ?? []
        XCTAssertEqual(Set(drawn), openPosts)
        let answers = runs
        let (app, _) = try makeApp(db)
        try await app.test(.router) { client in
            for (q, run) in zip(questions, answers) {
                XCTAssertEqual(run.status, 0, "\(q.cli): \(run.err)")
                let reply = try await client.request(q.http)
                XCTAssertEqual(reply.status, .ok, "\(q.http): \(reply.text.prefix(300))")
                XCTAssertEqual(run.out, reply.text + "\n", "\(q.cli.joined(separator: " ")) ≠ \(q.http)")
            }
            // The hours answer: 24 rows, each the coverage at HH:00 of that day as /v1/coverage answers it.
            let hours = try await client.request("/v1/coverage/hours?day=Sa&preset=10min").body()
            XCTAssertEqual(hours["day"]?.string, "Sa")
            XCTAssertEqual(hours["query"]?["day"]?.string, "Sa")
            let rows = hours["hours"]?.array ?? []
            XCTAssertEqual(rows.count, 24)
            // A Saturday is not a Monday (the office hours): the hours cache keeps days apart.
            let monday = try await client.request("/v1/coverage/hours?preset=10min&day=2026-11-23").body()
            XCTAssertEqual(monday["day"]?.string, "Mo")
            XCTAssertNotEqual(monday["hours"], hours["hours"])
            for h in [0, 7, 9, 12, 17, 19, 21, 23] {
                let at = try await client.request("/v1/coverage?preset=10min&open_at=Sa%20\(String(format: "%02d", h)):00").body()
                XCTAssertEqual(rows[h]["hour"]?.int, h)
                XCTAssertEqual(rows[h]["open_stations"], at["summary"]?["qualifying_stations"], "\(h):00")
                XCTAssertEqual(rows[h]["households_covered"], at["summary"]?["households_covered"], "\(h):00")
                XCTAssertEqual(rows[h]["population_covered"], at["summary"]?["population_covered"], "\(h):00")
                XCTAssertEqual(rows[h]["households"], at["summary"]?["households"], "\(h):00")
            }
        }
    }

    /// Two times, two answers, each the library's own; the coverage cache (keyed by the options, shared by coverage,
    /// gaps and the by-levels) never answers 21:00 with 09:00's report.
    func testTheCacheKeepsTimesApart() async throws {
        let db = try sampleDatabase(self)
        let (app, data) = try makeApp(db)
        try await app.test(.router) { client in
            let morning = try await client.request("/v1/coverage?preset=5min&open_at=Mo%2009:00")
            XCTAssertEqual(morning.status, .ok, morning.text)
            // Another route and level on the same options but another time: a cache keyed without open_at would
            // reuse the morning's report here.
            let evening = try await client.request("/v1/coverage?by=grid&open_at=Mo%2021:00&preset=5min")
            XCTAssertEqual(evening.status, .ok, evening.text)
            let eveningGaps = try await client.request("/v1/gaps?open_at=Mo+21:00&preset=5min")
            let morningByGrid = try await client.request("/v1/coverage?by=grid&preset=5min&open_at=2026-11-23T09:00")
            let always = try await client.request("/v1/coverage?preset=5min")

            let m = try Self.library(db, CoverageUseCase.Options(AnalysisOptions(preset: "5min", openAt: "Mo 09:00")))
            let e = try Self.library(db, CoverageUseCase.Options(AnalysisOptions(preset: "5min", openAt: "Mo 21:00"), by: "grid"))
            let eg = try JSONValue.parse(GapsUseCase.run(GapsUseCase.Options(AnalysisOptions(preset: "5min", openAt: "Mo 21:00")),
                                                         on: DatabaseSource(try StoreBackends.open(db, readOnly: true))).json.jsonText)
            let mg = try Self.library(db, CoverageUseCase.Options(AnalysisOptions(preset: "5min", openAt: "Mo 09:00"), by: "grid"))
            XCTAssertEqual(try morning.body(), m)
            XCTAssertEqual(try evening.body(), e)
            XCTAssertEqual(try eveningGaps.body(), eg)
            XCTAssertEqual(try morningByGrid.body(), mg)
            // Not an empty difference: fewer stations are open at 21:00, and fewer households covered.
            let openMorning = try XCTUnwrap(try morning.body()["summary"]?["qualifying_stations"]?.int)
            let openEvening = try XCTUnwrap(try evening.body()["summary"]?["qualifying_stations"]?.int)
            XCTAssertLessThan(openEvening, openMorning)
            XCTAssertLessThan(try XCTUnwrap(try evening.body()["summary"]?["households_covered"]?.int),
                              try XCTUnwrap(try morning.body()["summary"]?["households_covered"]?.int))
            XCTAssertNotEqual(try evening.body()["rows"], try morningByGrid.body()["rows"])
            XCTAssertEqual(try always.body()["query"]?["open_at"], nil, "no open_at echoed when not given")
            XCTAssertEqual(try evening.body()["query"]?["open_at"]?.string, "Mo 21:00")
            // Three coverage reports: 09:00, 21:00, any time.
            let snapshot = try await data.snapshot()
            XCTAssertEqual(snapshot.analysis.cachedCoverageCount, 3)
        }
    }

    /// Bad `open_at` and `day`: 400 naming the parameter, as JSON; `open_at` is no parameter of the hours.
    func testBadTimesAreRefusedNamingTheParameter() async throws {
        let db = try sampleDatabase(self)
        let (app, _) = try makeApp(db)
        try await app.test(.router) { client in
            let cases: [(String, String, String)] = [
                ("/v1/coverage?open_at=tomorrow", "invalid_parameter", "open_at"),
                ("/v1/coverage?open_at=Mo%2024:00", "invalid_parameter", "open_at"),
                ("/v1/coverage?open_at=2026-02-30T09:00", "invalid_parameter", "open_at"),
                ("/v1/coverage?open_at=", "invalid_parameter", "open_at"),
                ("/v1/coverage?open_at=Mo+09:00&open_at=Mo+10:00", "invalid_parameter", "open_at"),
                ("/v1/gaps?open_at=Mo%2009:30%3B%20DROP%20TABLE%20stations", "invalid_parameter", "open_at"),
                ("/v1/areas?open_at=Mo", "invalid_parameter", "open_at"),
                ("/v1/plan?add=2&open_at=2026-11-23T25:00", "invalid_parameter", "open_at"),
                ("/v1/coverage/hours?open_at=Mo+09:00", "unknown_parameter", "open_at"),
                ("/v1/coverage/hours?day=Monday", "invalid_parameter", "day"),
                ("/v1/coverage/hours?day=2026-13-01", "invalid_parameter", "day"),
                ("/v1/coverage/hours?day=Mo&by=grid", "unknown_parameter", "by"),
                ("/v1/coverage/hours?day=" + String(repeating: "x", count: 3000), "invalid_parameter", "day"),
            ]
            for (path, code, parameter) in cases {
                let reply = try await client.request(path)
                XCTAssertEqual(reply.status, .badRequest, "\(path): \(reply.text)")
                XCTAssertEqual(reply.contentType, "application/json", path)
                XCTAssertEqual(reply.json?["code"]?.string, code, "\(path): \(reply.text)")
                XCTAssertTrue(reply.json?["description"]?.string?.contains(parameter) == true, "\(path): \(reply.text)")
            }
        }
    }
}
