import CityGen
import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
#if canImport(Glibc)
import Glibc
#endif

/// Issue 15, point 3: the progress line on a terminal (and nowhere else), and Ctrl-C (SIGINT) or SIGTERM leaving no
/// half-written output file and the database as it was. The terminal is a pseudo-terminal from util-linux's
/// `script`; the city is a synthetic one big enough that the commands run for seconds.
final class ProgressTests: XCTestCase {
    /// The synthetic city, imported once for the whole class.
    static let city = SyntheticCity(stations: 300, compounds: 40_000, waysGrid: 120, seed: 15)
    nonisolated(unsafe) static var fixture: (dir: URL, db: String)?

    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-progress-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    override class func tearDown() {
        if let fixture { try? FileManager.default.removeItem(at: fixture.dir) }
    }

    /// The city's layers as files, and a database holding them (with its walking network stored).
    func city() throws -> (dir: URL, db: String) {
        if let fixture = Self.fixture { return fixture }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-progress-city-\(UUID())")
        try Self.city.write(to: dir)
        let db = dir.appendingPathComponent("city.sqlite").path
        try StoreBackends.writing(db) { store in
            for layer in [Layer.ways, .compounds, .stations] {
                _ = try Importer.run(ImportOptions(layer: layer, file: dir.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
            }
            _ = try WalkingNetwork.load(from: store, persist: true)
        }
        Self.fixture = (dir, db)
        return (dir, db)
    }

    /// A copy of the city's database in this test's folder (tests that write to it, or interrupt writers).
    func cityCopy() throws -> String {
        let copy = work.appendingPathComponent("city.sqlite").path
        try FileManager.default.copyItem(atPath: try city().db, toPath: copy)
        return copy
    }

    func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Runs `doorstep arguments` with standard error (and input) on a pseudo-terminal, standard output to `stdout`;
    /// returns the status and what the terminal showed.
    func onTerminal(_ arguments: [String], stdout: URL) throws -> (status: Int32, terminal: String) {
        let command = ([try TestProducts.doorstep().path] + arguments).map(shellQuoted).joined(separator: " ")
            + " > " + shellQuoted(stdout.path)
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qefc", command, "/dev/null"], timeout: 600)
        return (r.status, r.out)
    }

    // MARK: Progress

    /// ProgressState's figures, against the arithmetic done here: rate = done / elapsed, ETA = (total − done) / rate.
    func testProgressLineFigures() {
        let state = ProgressState(task: "coverage: walking from compounds", done: 250, total: 1000, unit: "compounds", elapsed: .seconds(5))
        XCTAssertEqual(state.rate!, 50, accuracy: 1e-9)
        XCTAssertEqual(state.secondsLeft!, 15, accuracy: 1e-9)
        XCTAssertEqual(state.line, "coverage: walking from compounds 250/1000 compounds (25%), 50.0/s, ETA 15s")
        // Hostile: more done than the total (percent capped, nothing left), a total of 0, no time yet, hours left.
        let over = ProgressState(task: "t", done: 12, total: 10, unit: "", elapsed: .seconds(2))
        XCTAssertEqual(over.line, "t 12/10 (100%), 6.0/s, ETA 0s")
        XCTAssertEqual(ProgressState(task: "t", done: 0, total: 0, unit: "x", elapsed: .seconds(1)).line, "t 0/0 x")
        XCTAssertNil(ProgressState(task: "t", done: 5, total: 10, unit: "", elapsed: .zero).rate)
        XCTAssertEqual(ProgressState(task: "t", done: 1, total: 7201, unit: "", elapsed: .seconds(1)).line, "t 1/7201 (0%), 1.0/s, ETA 2h00m")
        XCTAssertEqual(ProgressState(task: "t", done: 0, total: nil, unit: "", elapsed: .seconds(3)).line, "t …")
        XCTAssertEqual(ProgressState(task: "t", done: 4000, total: nil, unit: "features", elapsed: .seconds(2)).line, "t 4000 features, 2000/s")
    }

    /// Records what would be drawn. `@unchecked Sendable`: its members are used with `lock` held.
    final class Recorder: ProgressDisplay, @unchecked Sendable {
        let lock = NSLock()
        var states = [ProgressState]()
        var clears = 0
        func show(_ state: ProgressState) { lock.withLock { states.append(state) } }
        func clear() { lock.withLock { clears += 1 } }
    }

    /// Eight threads advancing one progress: every step is counted, the line is drawn at most about ten times a
    /// second (plus the first), never past the total, and cleared once however often it is finished. Without a
    /// display nothing is counted or drawn.
    func testAdvancesFromManyThreadsAreCountedAndThrottled() {
        let recorder = Recorder()
        WorkProgress.display = recorder
        defer { WorkProgress.display = nil }
        let threads = 8, steps = 20_000
        let started = Date()
        let progress = WorkProgress.begin("t", total: threads * steps, unit: "steps")
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<steps { progress.advance() }
        }
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(progress.completed, threads * steps)
        progress.finish()
        progress.finish()
        progress.advance()
        recorder.lock.withLock {
            let states = recorder.states.filter { $0.task == "t" }
            XCTAssertEqual(recorder.clears, 1)
            XCTAssertEqual(states.first?.done, 0)
            XCTAssertLessThanOrEqual(states.count, Int(seconds * 10) + 2)
            XCTAssertTrue(states.allSatisfy { $0.done <= threads * steps && $0.total == threads * steps })
        }
        WorkProgress.display = nil
        let silent = WorkProgress.begin("u", total: 3)
        silent.advance()
        silent.finish()
        XCTAssertEqual(silent.completed, 0)
        recorder.lock.withLock { XCTAssertFalse(recorder.states.contains { $0.task == "u" }) }
    }

    /// On a terminal, `import` counts the features it reads with their rate; the last count drawn is at most the
    /// file's features (counted here in the file's text) and the line is cleared before the summary.
    func testImportShowsItsCountOnATerminal() throws {
        let (dir, _) = try city()
        let ways = dir.appendingPathComponent("ways.geojson")
        let features = try String(contentsOf: ways, encoding: .utf8).components(separatedBy: #""type":"Feature""#).count - 1
        XCTAssertGreaterThan(features, 1000)
        let db = work.appendingPathComponent("new.sqlite").path
        let r = try onTerminal(["import", "ways", ways.path, "--db", db], stdout: work.appendingPathComponent("stdout"))
        XCTAssertEqual(r.status, 0, r.terminal)
        // The first drawing, before a feature is read, is the task alone ("… …").
        let lines = redraws(r.terminal, task: "import ways: reading ways.geojson").filter { !$0.hasSuffix("…") }
        XCTAssertFalse(lines.isEmpty, r.terminal)
        let counts = lines.compactMap { Int($0.split(separator: " ")[4]) }
        XCTAssertEqual(counts.count, lines.count, "\(lines)")
        XCTAssertEqual(counts, counts.sorted())
        XCTAssertLessThanOrEqual(counts.last ?? .max, features)
        XCTAssertTrue(lines.contains { $0.hasSuffix("/s") }, "\(lines)")
        let summary = try String(contentsOf: work.appendingPathComponent("stdout"), encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("ways: \(features) features from \(ways.path) "), summary)
    }

    /// The drawn states of one task in what a terminal was sent: each `\r…\e[K` redraw.
    func redraws(_ terminal: String, task: String) -> [String] {
        terminal.components(separatedBy: "\r").filter { $0.hasPrefix(task) }.map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
    }

    /// On a terminal, `coverage --walk` draws its line in place: the task, count/total with the city's compound count
    /// as the total (counted here from the generator), a rate; counts never go back nor past the total; at most about
    /// ten redraws a second; and the line is cleared at the end (the last thing on the terminal is the clearing).
    func testCoverageShowsProgressOnATerminalAndClearsIt() throws {
        let db = try cityCopy()
        let out = work.appendingPathComponent("coverage.csv")
        let started = Date()
        let r = try onTerminal(["coverage", "--walk", "--preset", "10min", "--format", "csv", "--db", db], stdout: out)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 0, r.terminal)
        let task = "coverage: walking from compounds"
        let lines = redraws(r.terminal, task: task)
        XCTAssertFalse(lines.isEmpty, r.terminal)
        let total = Self.city.compoundCount
        var last = -1
        for line in lines {
            let counts = line.dropFirst(task.count + 1).prefix { $0 != " " }.split(separator: "/")
            XCTAssertEqual(counts.count, 2, line)
            guard counts.count == 2, let done = Int(counts[0]), let all = Int(counts[1]) else { continue }
            XCTAssertEqual(all, total, line)
            XCTAssertLessThanOrEqual(done, total, line)
            XCTAssertGreaterThanOrEqual(done, last, line)
            last = done
        }
        XCTAssertTrue(lines.contains { $0.contains("/s") && $0.contains("ETA") }, "no rate and ETA in \(lines)")
        XCTAssertLessThanOrEqual(lines.count, Int(seconds * 10) + 2, "redrawn more than ten times a second")
        // Cleared: after the last line drawn comes the clearing, and nothing but clearings and the normal messages.
        XCTAssertTrue(r.terminal.hasSuffix("\r\u{1B}[K"), String(r.terminal.suffix(200)).debugDescription)
        // The rows went to standard output, one per compound (and the header), untouched by the line.
        let csv = try String(contentsOf: out, encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, total + 1)
        XCTAssertFalse(csv.contains("\r") || csv.contains("\u{1B}"))
    }

    /// In a pipe nothing but the normal messages reaches standard error; on a terminal with --quiet neither.
    func testNoProgressInAPipeOrWithQuiet() throws {
        let db = try cityCopy()
        let piped = try runProcess(try TestProducts.doorstep(), ["areas", "--walk", "--preset", "5min", "--out", work.appendingPathComponent("a.geojson").path, "--db", db])
        XCTAssertEqual(piped.status, 0, piped.err)
        XCTAssertFalse(piped.err.contains("\r") || piped.err.contains("\u{1B}") || piped.err.contains("service areas: walking"), piped.err)
        XCTAssertTrue(piped.err.hasPrefix("\(Self.city.stationCount) service areas ("), piped.err)

        let quiet = try onTerminal(["areas", "--walk", "--preset", "5min", "--quiet", "--out", work.appendingPathComponent("b.geojson").path, "--db", db],
                                   stdout: work.appendingPathComponent("stdout"))
        XCTAssertEqual(quiet.status, 0, quiet.terminal)
        XCTAssertFalse(quiet.terminal.contains("\u{1B}") || quiet.terminal.contains("service areas: walking"), quiet.terminal)
        XCTAssertTrue(quiet.terminal.hasPrefix("\(Self.city.stationCount) service areas ("), quiet.terminal)
        // The same file either way.
        XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("a.geojson")), try Data(contentsOf: work.appendingPathComponent("b.geojson")))
    }

    // MARK: Interruption

    /// Starts `doorstep arguments`, waits until `ready` holds (polled), sends `signal`, and returns the exit status and
    /// standard error. Fails when the command ended before `ready`.
    func interrupt(_ arguments: [String], signal: Int32 = SIGINT, when ready: () -> Bool) throws -> (status: Int32, err: String, sawReady: Bool) {
        let process = Process()
        process.executableURL = try TestProducts.doorstep()
        process.arguments = arguments
        let errFile = work.appendingPathComponent("stderr-\(UUID())")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var sawReady = false
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning && Date() < deadline {
            if ready() { sawReady = true; break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        if sawReady { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        let err = String(decoding: try Data(contentsOf: errFile), as: UTF8.self)
        try FileManager.default.removeItem(at: errFile)
        return (process.terminationStatus, err, sawReady)
    }

    /// Names in `folder` (hidden ones too).
    func names(_ folder: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }

    /// A write under way: the hidden temporary folder of `AtomicOutput` beside the target.
    func partial(_ folder: URL, for name: String) -> URL? {
        names(folder).first { $0.hasPrefix(".doorstep-") && $0.hasSuffix(".partial") }.map { folder.appendingPathComponent($0) }
    }

    /// SIGINT while `export coverage --walk --out x.gpkg` is under way: status 130, one line saying so, the previous
    /// x.gpkg byte for byte, and no temporary left; the same command not interrupted replaces it with a GeoPackage.
    func testInterruptedExportLeavesThePreviousFile() throws {
        let db = try cityCopy()
        let outputs = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let target = outputs.appendingPathComponent("x.gpkg")
        let previous = Data("the previous export".utf8)
        try previous.write(to: target)
        let arguments = ["export", "coverage", "--walk", "--preset", "10min", "--out", target.path, "--db", db]
        let r = try interrupt(arguments) { partial(outputs, for: "x.gpkg") != nil }
        XCTAssertTrue(r.sawReady, "the export ended before it could be interrupted: \(r.err)")
        XCTAssertEqual(r.status, 130, r.err)
        XCTAssertTrue(r.err.hasSuffix("doorstep: interrupted; nothing half-written is left (the output being written was removed, a previous file at its place is untouched)\n"), r.err)
        XCTAssertEqual(try Data(contentsOf: target), previous)
        XCTAssertEqual(names(outputs), ["x.gpkg"])

        // Not interrupted: replaced by a GeoPackage (SQLite's header), still nothing else in the folder.
        let done = try runProcess(try TestProducts.doorstep(), arguments)
        XCTAssertEqual(done.status, 0, done.err)
        XCTAssertEqual(try Data(contentsOf: target).prefix(16), Data("SQLite format 3\0".utf8))
        XCTAssertEqual(names(outputs), ["x.gpkg"])
    }

    /// SIGINT and SIGTERM while `render --out x.svg` writes (its temporary SVG already has bytes when possible): 130 and
    /// 143, no x.svg, no temporary.
    func testInterruptedRenderLeavesNoFile() throws {
        let db = try cityCopy()
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let outputs = work.appendingPathComponent("render-\(signal)")
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
            let target = outputs.appendingPathComponent("x.svg")
            let r = try interrupt(["render", "--preset", "10min", "--out", target.path, "--db", db], signal: signal) {
                guard let folder = partial(outputs, for: "x.svg") else { return false }
                let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("x.svg").path)[.size] as? Int) ?? nil
                return (size ?? 0) > 0
            }
            XCTAssertTrue(r.sawReady, "the render ended before its SVG was half-written: \(r.err)")
            XCTAssertEqual(r.status, status, r.err)
            XCTAssertTrue(r.err.contains(signal == SIGINT ? "doorstep: interrupted;" : "doorstep: terminated;"), r.err)
            XCTAssertEqual(names(outputs), [])
        }
    }

    /// Counts of the layers and network edges, read here with SQL.
    func counts(_ db: String) throws -> [Int] {
        let store = try Store(path: db, readOnly: true)
        return try ["stations", "compounds", "entrances", "ways", "network_edges"].map { Int(try store.database.scalarInt("SELECT count(*) FROM \($0)") ?? -1) }
    }

    /// SIGINT during `import ways --replace` of a big file: the database keeps exactly what it had (counts, and SQLite's
    /// integrity check); into a database that did not exist: no database and none of its journal files.
    func testInterruptedImportLeavesTheDatabaseAsItWas() throws {
        let (dir, _) = try city()
        let db = try cityCopy()
        let before = try counts(db)
        let ways = dir.appendingPathComponent("ways.geojson").path
        // A small import first, so the layer's contents would differ if the replace went through.
        let small = work.appendingPathComponent("small.geojson")
        try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"W1"},"geometry":{"type":"LineString","coordinates":[[118.7,32.0],[118.701,32.0]]}}]}"#.utf8).write(to: small)
        let r = try interrupt(["import", "ways", ways, "--replace", "--db", db]) {
            ((try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int) ?? 0) > 1 << 20
        }
        XCTAssertTrue(r.sawReady, "the import ended before it could be interrupted: \(r.err)")
        XCTAssertEqual(r.status, 130, r.err)
        XCTAssertTrue(r.err.contains("doorstep: interrupted; nothing half-written is left (the database keeps what it had)"), r.err)
        XCTAssertEqual(try counts(db), before)
        XCTAssertEqual(try Store(path: db, readOnly: true).database.scalarText("PRAGMA integrity_check"), "ok")
        // The database still takes an import.
        let after = try runProcess(try TestProducts.doorstep(), ["import", "ways", small.path, "--replace", "--db", db])
        XCTAssertEqual(after.status, 0, after.err)
        XCTAssertEqual(try counts(db)[3], 1)

        // A database this import was creating is removed with its journals.
        let fresh = work.appendingPathComponent("new").path
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        let newDB = fresh + "/new.sqlite"
        let n = try interrupt(["import", "ways", ways, "--db", newDB]) {
            ((try? FileManager.default.attributesOfItem(atPath: newDB + "-wal")[.size] as? Int) ?? 0) > 1 << 20
        }
        XCTAssertTrue(n.sawReady, "the import ended before it could be interrupted: \(n.err)")
        XCTAssertEqual(n.status, 130, n.err)
        XCTAssertEqual(names(URL(fileURLWithPath: fresh)), [])
    }

    // MARK: AtomicOutput

    /// A writer that throws leaves neither a file nor a temporary, and the previous file as it was; one that finishes
    /// moves every file it wrote (a Shapefile's companions) into place; `-` is passed through; a missing folder is said.
    func testAtomicOutput() throws {
        let target = work.appendingPathComponent("layer.shp")
        try Data("old".utf8).write(to: target)
        struct Refused: Error {}
        XCTAssertThrowsError(try AtomicOutput.write(to: target.path) { path in
            XCTAssertNotEqual(path, target.path)
            XCTAssertEqual(URL(fileURLWithPath: path).lastPathComponent, "layer.shp")
            try Data("half".utf8).write(to: URL(fileURLWithPath: path))
            throw Refused()
        }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(names(work), ["layer.shp"])
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "old")

        let value = try AtomicOutput.write(to: target.path) { path -> Int in
            let base = URL(fileURLWithPath: path).deletingPathExtension()
            for ext in ["shp", "shx", "dbf", "cpg"] { try Data(ext.utf8).write(to: base.appendingPathExtension(ext)) }
            XCTAssertEqual(names(work).filter { !$0.hasPrefix(".") }, ["layer.shp"], "nothing in place before the end")
            return 7
        }
        XCTAssertEqual(value, 7)
        XCTAssertEqual(names(work), ["layer.cpg", "layer.dbf", "layer.shp", "layer.shx"])
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "shp")
        XCTAssertEqual(try AtomicOutput.write(to: "-") { $0 }, "-")
        // A writer's message names the file asked for, not the temporary.
        XCTAssertThrowsError(try AtomicOutput.write(to: target.path) { path in throw ExportError("cannot write \(path)") }) {
            XCTAssertEqual("\($0)", "cannot write \(target.path)")
        }
        XCTAssertThrowsError(try AtomicOutput.write(to: work.appendingPathComponent("missing/x.geojson").path) { _ in }) {
            XCTAssertTrue("\($0)".contains("missing/x.geojson"), "\($0)")
        }
    }
}
