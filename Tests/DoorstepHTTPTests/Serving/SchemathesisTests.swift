import DoorstepGeo
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import XCTest

/// The OpenAPI document tells the truth: schemathesis (pinned, in `.venv-schemathesis`, which `make deps` makes) fuzzes
/// every operation of `/api` against the service on a real loopback socket over the sample city, with every check
/// (status codes, content types, headers, response schemas, positive and negative data, 405 with Allow, no 5xx), and
/// must report no failure. Settings that OpenAPI cannot carry are in `tools/schemathesis.toml`, each with its reason.
///
/// Bounded for 2 cores: one worker, a few examples per operation, a fixed seed (a failure reproduces with the printed
/// command). `--checks all` includes max_response_time (10 s): an answer slower than that fails the run, so this
/// server's analyses get a 4 s budget, and their 503 budget_exceeded is accepted (tools/schemathesis.toml). Skipped when schemathesis is not installed, except
/// on CI (`CI=true`), where `make deps` guarantees it.
final class SchemathesisTests: XCTestCase {
    /// Examples per operation in the fuzzing phase, and the seed; `SCHEMATHESIS_EXAMPLES` / `SCHEMATHESIS_SEED` override.
    static let examples = ProcessInfo.processInfo.environment["SCHEMATHESIS_EXAMPLES"] ?? "25"
    static let seed = ProcessInfo.processInfo.environment["SCHEMATHESIS_SEED"] ?? "20261123"

    func testOpenAPIDocumentHoldsUnderSchemathesis() async throws {
        let program = try Self.schemathesis()
        // An analysis budget well under schemathesis' 10 s response-time check: heavy generated requests (20 km
        // walking areas with 200 m either side) end in 503 budget_exceeded, which the document states.
        let path = try sampleDatabase(self)
        let data = try StoreData(address: path, refreshInterval: .zero)
        let pool = AnalysisPool(.init(budget: .seconds(4)))
        let app = buildApplication(data: data, options: ServeOptions(databasePath: path, port: 0, logLevel: .critical), analysis: pool)
        let dir = try temporaryDirectory(self)
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let config = try String(contentsOf: packageRoot.appendingPathComponent("tools/schemathesis.toml"), encoding: .utf8)
            let configFile = dir.appendingPathComponent("schemathesis.toml")
            try config.write(to: configFile, atomically: true, encoding: .utf8)
            let junit = dir.appendingPathComponent("junit.xml")
            let arguments = [
                "--no-color", "--config-file", configFile.path,
                "run", "http://127.0.0.1:\(port)/api",
                "--checks", "all", "--workers", "1", "--seed", Self.seed, "--max-examples", Self.examples,
                "--request-timeout", "30", "--report", "junit", "--report-junit-path", junit.path,
            ]
            let started = ContinuousClock.now
            let (status, output) = try await runProgram(program, arguments)
            print("schemathesis took \(ContinuousClock.now - started): \(program) \(arguments.joined(separator: " "))")
            XCTAssertEqual(status, 0, "schemathesis reported failures (exit \(status)):\n\(output)")
            // Not a run that tested nothing: every operation of the document was exercised.
            let report = (try? String(contentsOf: junit, encoding: .utf8)) ?? ""
            for operation in ["GET /", "GET /conformance", "GET /collections", "GET /collections/{collectionId}",
                              "GET /collections/{collectionId}/items", "GET /collections/{collectionId}/items/{featureId}",
                              "GET /v1/nearest", "GET /v1/coverage", "GET /v1/coverage/hours", "GET /v1/gaps", "GET /v1/areas", "GET /v1/plan", "GET /v1/access", "GET /v1/whatif",
                              "GET /health", "GET /livez"] {
                XCTAssertTrue(report.contains("<testcase name=\"\(operation)\""), "schemathesis did not test \(operation):\n\(report)")
            }
        }
    }

    /// `.venv-schemathesis/bin/schemathesis` (what `make deps` installs), else `schemathesis` on PATH.
    static func schemathesis() throws -> String {
        let venv = packageRoot.appendingPathComponent(".venv-schemathesis/bin/schemathesis").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        if let onPath = findProgram("schemathesis") { return onPath }
        let message = "schemathesis is not installed (`make deps` puts it in .venv-schemathesis)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail(message + "; on CI it must be")
            throw CocoaError(.fileNoSuchFile)
        }
        throw XCTSkip(message)
    }
}
