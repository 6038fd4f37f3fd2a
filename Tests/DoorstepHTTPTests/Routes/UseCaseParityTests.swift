import DoorstepGeo
import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// One use-case layer (`Sources/DoorstepGeo/UseCases`) under the CLI and the HTTP API: the same question asked of the
/// built `doorstep` binary and of the in-process service gives the same answer byte for byte, a value out of range is
/// refused by both naming the same limit, the OpenAPI document states the constants the use cases check, and
/// `--out -` is standard output.
final class UseCaseParityTests: XCTestCase {
    struct Run {
        let status: Int32
        let out: String
        let err: String
    }

    /// Runs this build's `doorstep` (as CLITests does: `TestProducts.doorstep()`, built when missing or stale) in
    /// `directory`, standard output and error apart.
    func doorstep(_ arguments: [String], in directory: URL? = nil) async throws -> Run {
        let binary = try TestProducts.doorstep()
        let run = try await runProgram(binary.path, arguments, in: directory, combined: false)
        return Run(status: run.status, out: run.output, err: run.errors)
    }

    /// `doorstep` run with each list of arguments and the database, one after the other.
    func doorstep(each arguments: [[String]], db: String) async throws -> [Run] {
        var runs = [Run]()
        for a in arguments { runs.append(try await doorstep(a + ["--db", db])) }
        return runs
    }

    /// The sample city loaded by the CLI, as CLITests loads it.
    func cliDatabase() async throws -> String {
        let db = try TestStores.fresh(self)
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let r = try await doorstep(["import", layer, sampleCity.appendingPathComponent("\(layer).geojson").path, "--db", db])
            XCTAssertEqual(r.status, 0, r.err)
        }
        return db
    }

    /// The same questions through the CLI (`--format json`, `areas --out -`) and HTTP: the same bytes (the CLI adds a
    /// line feed), so the same numbers, summary and envelope.
    func testSameAnswersThroughCLIAndHTTP() async throws {
        let db = try await cliDatabase()
        // `open_at` fixes the moment `open` is evaluated at, which is otherwise now.
        let questions: [(cli: [String], http: String)] = [
            (["coverage", "--preset", "10min"], "/v1/coverage?preset=10min"),
            (["coverage", "--radius", "300", "--walk", "--by", "community", "--speed", "1.0"], "/v1/coverage?radius=300&walk=true&by=community&speed=1.0"),
            (["coverage", "--kind", "station", "--by", "grid", "--format", "geojson"], "/v1/coverage?kind=station&by=grid&format=geojson"),
            (["coverage", "--preset", "5min", "--walk", "--service", "water", "--format", "geojson"], "/v1/coverage?preset=5min&walk=true&service=water&format=geojson"),
            (["gaps", "--preset", "5min", "--walk", "--limit", "3"], "/v1/gaps?preset=5min&walk=true&limit=3"),
            (["gaps", "--radius", "200", "--speed", "0.8"], "/v1/gaps?radius=200&speed=0.8"),
            (["gaps", "--preset", "5min", "--format", "geojson"], "/v1/gaps?preset=5min&format=geojson"),
            (["areas", "--walk", "--bands", "500,300", "--station", "S001", "--station", "S002", "--out", "-"],
             "/v1/areas?walk=true&bands=500,300&station=S001,S002"),
            (["areas", "--preset", "10min", "--kind", "post", "--out", "-"], "/v1/areas?preset=10min&kind=post"),
            (["areas", "--radius", "250", "--walk", "--lateral", "20", "--station", "S003", "--out", "-"],
             "/v1/areas?radius=250&walk=true&lateral=20&station=S003"),
            (["plan", "--add", "3", "--preset", "5min", "--walk"], "/v1/plan?add=3&preset=5min&walk=true"),
            (["plan", "--target", "98%", "--radius", "300", "--weight", "population"], "/v1/plan?target=98%25&radius=300&weight=population"),
            (["plan", "--add", "2", "--preset", "5min", "--spacing", "200", "--format", "geojson"], "/v1/plan?add=2&preset=5min&spacing=200&format=geojson"),
            (["whatif", "--add", "118.7835,32.0425", "--add", "118.7790,32.0370", "--close", "S001", "--preset", "10min", "--walk"],
             "/v1/whatif?add=118.7835,32.0425%3B118.7790,32.0370&close=S001&preset=10min&walk=true"),
            (["whatif", "--add", "118.7835,32.0425", "--preset", "5min", "--by", "community", "--format", "geojson"],
             "/v1/whatif?add=118.7835,32.0425&preset=5min&by=community&format=geojson"),
            (["nearest", "--lon", "118.7790", "--lat", "32.0440", "-k", "5", "--open-at", "2026-11-23 09:30"],
             "/v1/nearest?lon=118.7790&lat=32.0440&k=5&open_at=2026-11-23T09:30"),
            (["nearest", "--lon", "118.7790", "--lat", "32.0440", "-k", "4", "--walk", "--route", "--speed", "1.0", "--open-at", "Mo 09:30"],
             "/v1/nearest?lon=118.7790&lat=32.0440&k=4&walk=true&route=true&speed=1.0&open_at=Mo%2009:30"),
            (["nearest", "--lon", "118.7855", "--lat", "32.0415", "--crs", "gcj02", "--service", "water", "--open-at", "Sa 10:00"],
             "/v1/nearest?lon=118.7855&lat=32.0415&crs=gcj02&service=water&open_at=Sa%2010:00"),
        ]
        let answers = try await doorstep(each: questions.map {
            $0.cli + ($0.cli.first == "areas" || $0.cli.contains("--format") ? [] : ["--format", "json"])
        }, db: db)
        let (app, _) = try makeApp(db)
        try await app.test(.router) { client in
            for (q, run) in zip(questions, answers) {
                XCTAssertEqual(run.status, 0, "\(q.cli): \(run.err)")
                let out = run.out
                let reply = try await client.request(q.http)
                XCTAssertEqual(reply.status, .ok, "\(q.http): \(reply.text.prefix(300))")
                XCTAssertEqual(out, reply.text + "\n", "\(q.cli.joined(separator: " ")) ≠ \(q.http)")
                // Not an empty agreement: the answers hold numbers.
                let body = try reply.body()
                XCTAssertTrue(body["summary"] != nil || body["features"]?.array?.isEmpty == false || body["stations"]?.array?.isEmpty == false
                              || body["baseline"]?["households"]?.number != nil, q.http)
            }
        }
    }

    /// A value out of range: the CLI exits non-zero and the API answers 422 out_of_range, both naming the parameter and
    /// the same allowed range, the use case's constant.
    func testOutOfRangeIsRefusedByBothWithTheSameLimit() async throws {
        let db = try await cliDatabase()
        func range(_ r: ClosedRange<Double>, _ unit: String, excludingLower: Bool = false) -> String {
            Limits.text(r, unit: unit, excludingLower: excludingLower)
        }
        func range(_ r: ClosedRange<Int>) -> String { Limits.text(Double(r.lowerBound)...Double(r.upperBound)) }
        let speed = range(AnalysisOptions.walkingSpeed, "m/s")
        let cases: [(cli: [String], http: String, parameter: String, allowed: String)] = [
            (["coverage", "--speed", "7"], "/v1/coverage?speed=7", "speed", speed),
            (["gaps", "--speed", "0.05"], "/v1/gaps?speed=0.05", "speed", speed),
            (["plan", "--add", "2", "--speed", "9.9"], "/v1/plan?add=2&speed=9.9", "speed", speed),
            (["nearest", "--lon", "118.78", "--lat", "32.04", "--walk", "--speed", "7"], "/v1/nearest?lon=118.78&lat=32.04&walk=true&speed=7", "speed", speed),
            (["nearest", "--lon", "118.78", "--lat", "32.04", "-k", "101"], "/v1/nearest?lon=118.78&lat=32.04&k=101", "k", range(NearestUseCase.Options.k)),
            (["coverage", "--radius", "0"], "/v1/coverage?radius=0", "radius", range(AnalysisOptions.radiusMetres, "m", excludingLower: true)),
            (["coverage", "--radius", "100001"], "/v1/coverage?radius=100001", "radius", range(AnalysisOptions.radiusMetres, "m", excludingLower: true)),
            (["gaps", "--limit=-1"], "/v1/gaps?limit=-1", "limit", range(GapsUseCase.Options.limit)),
            (["plan", "--add", "2", "--spacing", "10"], "/v1/plan?add=2&spacing=10", "spacing", range(PlanUseCase.Options.spacingMetres, "m")),
            (["areas", "--lateral", "0.5", "--out", "-"], "/v1/areas?lateral=0.5", "lateral", range(AreasUseCase.Options.lateralMetres, "m")),
            (["areas", "--radius", "30000", "--out", "-"], "/v1/areas?radius=30000", "radius", range(AreasUseCase.Options.radiusMetres, "m", excludingLower: true)),
            (["areas", "--bands", "300,50000", "--out", "-"], "/v1/areas?bands=300,50000", "bands", range(AreasUseCase.Options.radiusMetres, "m", excludingLower: true)),
            (["plan", "--target", "150%"], "/v1/plan?target=150%25", "target", "above 0 and at most 100%"),
        ]
        let runs = try await doorstep(each: cases.map(\.cli), db: db)
        let (app, _) = try makeApp(db)
        try await app.test(.router) { client in
            for (c, r) in zip(cases, runs) {
                let reply = try await client.request(c.http)
                XCTAssertEqual(reply.status, .unprocessableContent, "\(c.http): \(reply.text)")
                XCTAssertEqual(reply.json?["code"]?.string, "out_of_range", c.http)
                let description = reply.json?["description"]?.string ?? ""
                XCTAssertTrue(description.hasPrefix("\(c.parameter): "), description)
                XCTAssertTrue(description.contains(c.allowed), "\(c.http): \(description) lacks \(c.allowed)")
                // The CLI says the same after its own name of the parameter.
                XCTAssertNotEqual(r.status, 0, "\(c.cli) was accepted")
                let problem = description.dropFirst(c.parameter.count + 2)
                XCTAssertTrue(r.err.contains("\(UseCaseError.flag(c.parameter)): \(problem)"), "\(c.cli): \(r.err) ≠ \(description)")
            }
            // The server's own budget is named beside the CLI's limit.
            let add = try await client.request("/v1/plan?add=\(PlanUseCase.Options.servedSites.upperBound + 1)")
            XCTAssertEqual(add.status, .unprocessableContent)
            XCTAssertTrue(add.json?["description"]?.string?.contains("\(PlanUseCase.Options.sites.upperBound)") == true, add.text)
        }
        let more = try await doorstep(["plan", "--add", "\(PlanUseCase.Options.sites.upperBound + 1)", "--db", db])
        XCTAssertNotEqual(more.status, 0)
        XCTAssertTrue(more.err.contains("--add: \(PlanUseCase.Options.sites.upperBound + 1) is outside \(range(PlanUseCase.Options.sites))"), more.err)
    }

    /// `/api`'s minimum, maximum and default of every bounded parameter are the use cases' constants.
    func testOpenAPIBoundsAreTheUseCaseConstants() async throws {
        let (app, _) = try makeApp(try sampleDatabase(self))
        try await app.test(.router) { client in
            let doc = try await client.request("/api").body()
            func schema(_ path: String, _ name: String) -> JSONValue? {
                doc["paths"]?[path]?["get"]?["parameters"]?.array?.first { $0["name"]?.string == name }?["schema"]
            }
            func assertBounds(_ path: String, _ name: String, _ min: Double, _ max: Double, _ def: Double?, line: UInt = #line) {
                let s = schema(path, name)
                XCTAssertEqual(s?["minimum"]?.number, min, "\(path) \(name) minimum", line: line)
                XCTAssertEqual(s?["maximum"]?.number, max, "\(path) \(name) maximum", line: line)
                XCTAssertEqual(s?["default"]?.number, def, "\(path) \(name) default", line: line)
            }
            for path in ["/v1/coverage", "/v1/gaps", "/v1/plan"] {
                assertBounds(path, "speed", AnalysisOptions.walkingSpeed.lowerBound, AnalysisOptions.walkingSpeed.upperBound, AnalysisOptions.defaultWalkingSpeed)
                assertBounds(path, "radius", AnalysisOptions.radiusMetres.lowerBound, AnalysisOptions.radiusMetres.upperBound, nil)
                XCTAssertEqual(schema(path, "radius")?["exclusiveMinimum"]?.bool, true)
            }
            assertBounds("/v1/nearest", "speed", NearestUseCase.Options.walkingSpeed.lowerBound, NearestUseCase.Options.walkingSpeed.upperBound,
                         NearestUseCase.Options.defaultWalkingSpeed)
            XCTAssertEqual(NearestUseCase.Options.walkingSpeed, AnalysisOptions.walkingSpeed, "one walking speed")
            assertBounds("/v1/nearest", "k", Double(NearestUseCase.Options.k.lowerBound), Double(NearestUseCase.Options.k.upperBound),
                         Double(NearestUseCase.Options.defaultK))
            XCTAssertEqual(schema("/v1/nearest", "tz")?["default"]?.string, NearestUseCase.Options.defaultTimeZone)
            assertBounds("/v1/gaps", "limit", Double(GapsUseCase.Options.limit.lowerBound), Double(GapsUseCase.Options.limit.upperBound),
                         Double(GapsUseCase.Options.defaultLimit))
            assertBounds("/v1/areas", "radius", AreasUseCase.Options.radiusMetres.lowerBound, AreasUseCase.Options.radiusMetres.upperBound, nil)
            let bands = schema("/v1/areas", "bands")
            XCTAssertEqual(bands?["maxItems"]?.int, AreasUseCase.Options.bandCount)
            XCTAssertEqual(bands?["items"]?["maximum"]?.number, AreasUseCase.Options.radiusMetres.upperBound)
            assertBounds("/v1/areas", "lateral", AreasUseCase.Options.lateralMetres.lowerBound, AreasUseCase.Options.lateralMetres.upperBound,
                         AreasUseCase.Options.defaultLateral)
            assertBounds("/v1/plan", "spacing", PlanUseCase.Options.spacingMetres.lowerBound, PlanUseCase.Options.spacingMetres.upperBound,
                         PlanUseCase.Options.defaultSpacing)
            assertBounds("/v1/plan", "add", Double(PlanUseCase.Options.servedSites.lowerBound), Double(PlanUseCase.Options.servedSites.upperBound), nil)
            XCTAssertEqual(schema("/v1/plan", "weight")?["default"]?.string, PlanUseCase.Options.defaultWeight.rawValue)
            XCTAssertEqual(schema("/v1/coverage", "by")?["default"]?.string, CoverageUseCase.Options.defaultLevel.rawValue)
            XCTAssertEqual(schema("/v1/coverage", "preset")?["enum"]?.array?.compactMap(\.string), AnalysisOptions.presets.keys.sorted())
        }
    }

    /// `-` is standard output for every `--out`: `areas` (which wrote a file named `-`), `export` and `render`; nothing
    /// named `-` is left in the working directory, and the summary goes to standard error.
    func testOutDashIsStandardOutput() async throws {
        let db = try await cliDatabase()
        let cwd = try temporaryDirectory(self)
        let areas = try await doorstep(["areas", "--preset", "5min", "--out", "-", "--db", db], in: cwd)
        XCTAssertEqual(areas.status, 0, areas.err)
        XCTAssertTrue(areas.err.contains("written to standard output"), areas.err)
        let collection = try XCTUnwrap(try? JSONValue.parse(areas.out), areas.out.prefix(200).description)
        XCTAssertEqual(collection["type"]?.string, "FeatureCollection")
        XCTAssertEqual(collection["features"]?.array?.count, try StoreBackends.open(db, readOnly: true).stations().count)
        let export = try await doorstep(["export", "gaps", "--preset", "5min", "--out", "-", "--db", db], in: cwd)
        XCTAssertEqual(export.status, 0, export.err)
        XCTAssertEqual((try? JSONValue.parse(export.out))?["type"]?.string, "FeatureCollection")
        let render = try await doorstep(["render", "--preset", "5min", "--out", "-", "--db", db], in: cwd)
        XCTAssertEqual(render.status, 0, render.err)
        XCTAssertTrue(render.out.hasPrefix("<?xml") && render.out.contains("</svg>"), String(render.out.prefix(100)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cwd.path), [], "a file was written in the working directory")
    }
}
