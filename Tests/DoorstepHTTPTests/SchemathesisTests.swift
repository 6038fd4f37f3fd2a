import DoorstepGeo
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// The OpenAPI document tells the truth: schemathesis (pinned, in `.venv-schemathesis`, which `make deps` makes) fuzzes
/// every operation of `/api` against the service on a real loopback socket over the sample city, with every check
/// (status codes, content types, headers, response schemas, positive and negative data, 405 with Allow, no 5xx), and
/// must report no failure. Settings that OpenAPI cannot carry are in `tools/schemathesis.toml`, each with its reason.
///
/// Bounded for 2 cores: one worker, a few examples per operation, a fixed seed (a failure reproduces with the printed
/// command). `--checks all` includes max_response_time (10 s): an answer slower than that fails the run, so once the
/// analysis routes have their time budget (serve --analysis-budget) this server should get one well under 10 s, and its
/// 503 budget_exceeded is accepted there (tools/schemathesis.toml). Skipped when schemathesis is not installed, except
/// on CI (`CI=true`), where `make deps` guarantees it.
final class SchemathesisTests: XCTestCase {
    /// Examples per operation in the fuzzing phase, and the seed; `SCHEMATHESIS_EXAMPLES` / `SCHEMATHESIS_SEED` override.
    static let examples = ProcessInfo.processInfo.environment["SCHEMATHESIS_EXAMPLES"] ?? "25"
    static let seed = ProcessInfo.processInfo.environment["SCHEMATHESIS_SEED"] ?? "20261123"

    func testOpenAPIDocumentHoldsUnderSchemathesis() async throws {
        let program = try Self.schemathesis()
        let (app, _) = try makeApp(try sampleDatabase(self))
        let dir = try temporaryDirectory(self)
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            var config = try String(contentsOf: packageRoot.appendingPathComponent("tools/schemathesis.toml"), encoding: .utf8)
            var exclude: [String] = []
            // Documented ahead of the server change that brings them (being made as this was written). While the server
            // lacks one, the run leaves out just that piece and says so; once the server has it, this adds nothing.
            if try await client.request("/livez").status == .notFound {
                exclude = ["--exclude-operation-id", "livez"]
                print("schemathesis: PENDING server change: /livez is not served yet; left out of this run")
            }
            if try await client.request("/health", HTTPRequest.Method("QUERY")!).status != .methodNotAllowed {
                config += "\n[phases.coverage]\nunexpected-methods = [\"get\", \"put\", \"post\", \"delete\", \"options\", \"patch\", \"trace\"]\n"
                print("schemathesis: PENDING server change: QUERY is not answered 405; undeclared methods are probed without it")
            }
            let configFile = dir.appendingPathComponent("schemathesis.toml")
            try config.write(to: configFile, atomically: true, encoding: .utf8)
            let junit = dir.appendingPathComponent("junit.xml")
            let arguments = [
                "--no-color", "--config-file", configFile.path,
                "run", "http://127.0.0.1:\(port)/api",
                "--checks", "all", "--workers", "1", "--seed", Self.seed, "--max-examples", Self.examples,
                "--request-timeout", "30", "--report", "junit", "--report-junit-path", junit.path,
            ] + exclude
            let started = ContinuousClock.now
            let (status, output) = try await runProgram(program, arguments)
            print("schemathesis took \(ContinuousClock.now - started): \(program) \(arguments.joined(separator: " "))")
            XCTAssertEqual(status, 0, "schemathesis reported failures (exit \(status)):\n\(output)")
            // Not a run that tested nothing: every operation of the document was exercised.
            let report = (try? String(contentsOf: junit, encoding: .utf8)) ?? ""
            for operation in ["GET /", "GET /conformance", "GET /collections", "GET /collections/{collectionId}",
                              "GET /collections/{collectionId}/items", "GET /collections/{collectionId}/items/{featureId}",
                              "GET /v1/nearest", "GET /v1/coverage", "GET /v1/gaps", "GET /v1/areas", "GET /v1/plan",
                              "GET /health"] + (exclude.isEmpty ? ["GET /livez"] : []) {
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
