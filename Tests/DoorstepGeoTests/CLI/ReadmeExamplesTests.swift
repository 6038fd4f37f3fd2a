import DoorstepTestSupport
import Foundation
import XCTest

/// Every example in README.md runs as written, against this build's `doorstep` and the sample city.
///
/// The rules (keep the README to them; a new example is tested without touching this file):
/// 1. The examples are the lines of the README's fenced `sh` blocks (```` ```sh ````). A line ending in `\` goes on
///    on the next one; `#` starts a shell comment, as in a terminal.
/// 2. Lines starting with `make ` are the set-up itself (`make test` is what runs this test; `make install` builds a
///    release) and are not run here; the Makefile has tests of its own (`InstallTests`).
/// 3. `[…]` marks optional parts (a synopsis such as `doorstep info --db city.sqlite [--format json]`): the line runs
///    twice, without them and with them.
/// 4. Each block runs in a fresh directory holding `city.sqlite` (the sample city, loaded as `make run` loads it) and
///    links to the repository's `geodata/` and `Tests/`, with this build's `doorstep` first on PATH. Its lines run in
///    order (a later line may use what an earlier one wrote), each with `sh -c`; each must exit 0, and a file it
///    writes (`--out FILE`, `> FILE`) must exist and not be empty.
/// 5. `doorstep serve …` runs with `--port 0` (a free port) for `--port N`, added when absent, and `--host
///    127.0.0.1` for any other host; it must say it serves, answer `/health` with 200, and exit 0 on SIGTERM.
/// 6. Lines that name `http://127.0.0.1:8080` (curl, ogrinfo) run against `doorstep serve --db city.sqlite` started
///    for the block, its port for 8080; `curl` gets `--fail --silent --show-error`, so an HTTP error fails.
final class ReadmeExamplesTests: XCTestCase {
    struct Example {
        let line: Int
        let command: String
    }

    /// The fenced `sh` blocks of `markdown`, their lines joined where they continue, comments left to the shell.
    static func blocks(_ markdown: String) -> [[Example]] {
        var blocks = [[Example]](), current: [Example]?, pending: (line: Int, text: String)?
        for (index, raw) in markdown.components(separatedBy: "\n").enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if current == nil {
                if trimmed == "```sh" { current = [] }
                continue
            }
            if trimmed == "```" {
                blocks.append(current!)
                current = nil
                continue
            }
            let start = pending?.line ?? index + 1
            let text = (pending.map { $0.text + " " } ?? "") + trimmed
            if text.hasSuffix("\\") {
                pending = (start, String(text.dropLast()).trimmingCharacters(in: .whitespaces))
                continue
            }
            pending = nil
            if !text.isEmpty && !text.hasPrefix("#") { current!.append(Example(line: start, command: text)) }
        }
        return blocks
    }

    /// `command` with its `[…]` parts left out and with them kept (rule 3); the command alone when it has none.
    static func variants(_ command: String) -> [String] {
        guard command.contains("[") else { return [command] }
        let without = command.replacingOccurrences(of: #"\s*\[[^\]]*\]"#, with: "", options: .regularExpression)
        let with = command.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
        return [without, with]
    }

    /// A `doorstep serve` line on a free loopback port (rule 5).
    static func loopback(_ serve: String) -> String {
        var line = serve.replacingOccurrences(of: #"--host\s+\S+"#, with: "--host 127.0.0.1", options: .regularExpression)
        if line.range(of: #"--port\s+\d+"#, options: .regularExpression) != nil {
            line = line.replacingOccurrences(of: #"--port\s+\d+"#, with: "--port 0", options: .regularExpression)
        } else {
            line += " --port 0"
        }
        return line
    }

    /// Files a command says it writes: `--out FILE` and `> FILE`.
    static func outputs(_ command: String) -> [String] {
        let code = command.components(separatedBy: " #").first ?? command
        let words = code.split(separator: " ").map(String.init)
        return zip(words, words.dropFirst()).compactMap { ($0.0 == "--out" || $0.0 == ">") && $0.1 != "-" ? $0.1 : nil }
    }

    func testTheRulesReadTheREADMEAsMeant() {
        let blocks = Self.blocks("""
            text
            ```sh
            doorstep a --x 1 \\
              --y 2   # note
            make run    # the set-up
            # a comment
            ```
            ```json
            {"not": "run"}
            ```
            """)
        XCTAssertEqual(blocks.map { $0.map(\.command) }, [["doorstep a --x 1 --y 2   # note", "make run    # the set-up"]])
        XCTAssertEqual(blocks.first?.first?.line, 3)
        XCTAssertEqual(Self.variants("doorstep info --db c.sqlite [--format json]"),
                       ["doorstep info --db c.sqlite", "doorstep info --db c.sqlite --format json"])
        XCTAssertEqual(Self.loopback("doorstep serve --db c --host 0.0.0.0 --port 8080 --x 1"), "doorstep serve --db c --host 127.0.0.1 --port 0 --x 1")
        XCTAssertEqual(Self.loopback("doorstep serve --db c"), "doorstep serve --db c --port 0")
        XCTAssertEqual(Self.outputs("doorstep export a --out a.gpkg --db c  # --out b"), ["a.gpkg"])
        XCTAssertEqual(Self.outputs("doorstep nearest --format geojson > routes.geojson"), ["routes.geojson"])
    }

    func testEveryExampleInTheREADMERuns() throws {
        let root = TestProducts.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = Self.blocks(readme)
        let doorstep = try TestProducts.doorstep()
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = doorstep.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-readme-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let city = work.appendingPathComponent("city.sqlite")
        for layer in ["ways", "grids", "compounds", "entrances", "stations"] {
            let r = try runProcess(doorstep, ["import", layer, root.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer).geojson").path,
                                              "--db", city.path])
            XCTAssertEqual(r.status, 0, r.err)
        }

        var ran = 0, served = 0, requested = 0, skipped = 0
        for (number, block) in blocks.enumerated() {
            let directory = work.appendingPathComponent("block-\(number)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: city, to: directory.appendingPathComponent("city.sqlite"))
            for name in ["geodata", "Tests"] {
                try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent(name),
                                                           withDestinationURL: root.appendingPathComponent(name))
            }
            var server: ServedDoorstep?
            defer { if let server { XCTAssertEqual(try? server.stop(), 0, "the block's server:\n\(server.log)") } }
            for example in block {
                if example.command.hasPrefix("make ") { skipped += 1; continue }
                for command in Self.variants(example.command) {
                    let label = "README.md:\(example.line): \(command)"
                    if command.hasPrefix("doorstep serve ") {
                        let line = Self.loopback(command)
                        let instance = try ServedDoorstep(executable: URL(fileURLWithPath: "/bin/sh"), ["-c", "exec " + line],
                                                          in: directory, environment: environment)
                        let health = try instance.get("/health")
                        XCTAssertEqual(health.status, 200, "\(label): /health \(health.body)")
                        XCTAssertEqual(try instance.stop(), 0, "\(label):\n\(instance.log)")
                        served += 1
                        continue
                    }
                    var line = command
                    if line.contains("http://127.0.0.1:8080") {
                        if server == nil { server = try ServedDoorstep(["--db", "city.sqlite", "--log-level", "warning"], in: directory) }
                        line = line.replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://127.0.0.1:\(server!.port)")
                        if line.hasPrefix("curl ") { line = "curl --fail --silent --show-error " + line.dropFirst(5) }
                        requested += 1
                    }
                    let started = Date()
                    let r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", line], in: directory, environment: environment,
                                           timeout: 600)
                    ran += 1
                    XCTAssertEqual(r.status, 0, "\(label)\n(ran \(line))\n\(r.err.suffix(2000))\(r.timedOut ? "\n(timed out)" : "")")
                    for file in Self.outputs(line) {
                        let size = (try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path)[.size] as? Int) ?? nil
                        XCTAssertGreaterThan(size ?? 0, 0, "\(label): \(file) was not written")
                    }
                    if Date().timeIntervalSince(started) > 20 { print("slow README example (\(Int(Date().timeIntervalSince(started))) s): \(label)") }
                }
            }
        }
        // Not a run that tested nothing: the README has dozens of examples, servers and requests among them.
        XCTAssertGreaterThan(ran, 40)
        XCTAssertEqual(served, 3, "doorstep serve lines run (the synopsis twice and the public set-up)")
        XCTAssertGreaterThan(requested, 8)
        XCTAssertGreaterThan(skipped, 0)
    }
}
