import DoorstepGeo
import DoorstepHTTP
import DoorstepTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

/// The package root (Tests/DoorstepHTTPTests/Support.swift is three levels down).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let sampleCity = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-http-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Imports the sample city (central Nanjing) in `make run`'s order into the store at `address`.
func importSampleCity(into address: String) throws {
    try StoreBackends.writing(address) { store in
        for layer in [Layer.ways, .grids, .compounds, .entrances, .stations] {
            _ = try Importer.run(ImportOptions(layer: layer, file: sampleCity.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
        }
    }
}

/// A fresh store holding the sample city (a SpatiaLite file, or a PostGIS schema under DOORSTEP_TEST_STORE), removed
/// when the test ends.
func sampleDatabase(_ test: XCTestCase) throws -> String {
    let address = try TestStores.fresh(test)
    try importSampleCity(into: address)
    return address
}

/// Imports `options` into the existing store at `address`, as `doorstep import … --db ADDRESS` does.
@discardableResult
func importInto(_ address: String, _ options: ImportOptions) throws -> ImportSummary {
    try StoreBackends.writing(address) { try Importer.run(options, into: $0) }
}

/// The service on `path`, checking for new imports on every request unless told otherwise.
func makeApp(_ path: String, refresh: Duration = .zero, port: Int = 0)
    throws -> (app: Application<RouterResponder<BasicRequestContext>>, data: StoreData) {
    let data = try StoreData(address: path, refreshInterval: refresh)
    var logger = Logger(label: "doorstep.http.test")
    logger.logLevel = .warning
    let app = buildApplication(data: data, options: ServeOptions(databasePath: path, port: port, logLevel: .warning), logger: logger)
    return (app, data)
}

/// A response with its body read as text and, when it is JSON, parsed.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    /// The body as sent (a workbook is no text).
    var bytes: [UInt8] = []
    var json: JSONValue? { try? JSONValue.parse(text) }
    var contentType: String? { headers[.contentType] }

    /// The JSON body, failing the test when there is none.
    func body(file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try XCTUnwrap(json, "not JSON: \(text.prefix(300))", file: file, line: line)
    }
}

extension TestClientProtocol {
    func request(_ uri: String, _ method: HTTPRequest.Method = .get, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Reply {
        let r = try await executeRequest(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: r.status, headers: r.headers, text: String(buffer: r.body), bytes: Array(buffer: r.body))
    }
}

extension JSONValue {
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    var int: Int? { number.map { Int($0) } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    var isNull: Bool { if case .null = self { return true } else { return false } }
    var keys: [String] { if case .object(let m) = self { return m.map(\.0) } else { return [] } }
}

/// The `href` of the link with relation `rel`.
func link(_ document: JSONValue, _ rel: String) -> String? {
    document["links"]?.array?.first { $0["rel"]?.string == rel }?["href"]?.string
}

/// The path and query of an absolute URL (what the router test client takes).
func pathAndQuery(_ href: String) -> String {
    guard let url = URLComponents(string: href) else { return href }
    return url.percentEncodedPath + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
}

/// Andoyer–Lambert distance, copied from Tests/DoorstepGeoTests/Analysis/NearestTests.swift: a different method from
/// the product's Vincenty (about 1e-5 relative), so agreement says the served distances and ranking are right.
func andoyerLambert(_ p: Coordinate, _ q: Coordinate) -> Double {
    let a = 6_378_137.0, f = 1 / 298.257223563
    let r = Double.pi / 180
    let b1 = atan((1 - f) * tan(p.lat * r)), b2 = atan((1 - f) * tan(q.lat * r))
    let dl = (q.lon - p.lon) * r
    let s = sin((b2 - b1) / 2), c = sin(dl / 2)
    let h = s * s + cos(b1) * cos(b2) * c * c
    let sigma = 2 * asin(min(1, h.squareRoot()))
    if sigma == 0 { return 0 }
    let P = (b1 + b2) / 2, Q = (b2 - b1) / 2
    let X = (sigma - sin(sigma)) * pow(sin(P) * cos(Q), 2) / pow(cos(sigma / 2), 2)
    let Y = (sigma + sin(sigma)) * pow(cos(P) * sin(Q), 2) / pow(sin(sigma / 2), 2)
    return a * (sigma - f / 2 * (X + Y))
}

/// Runs a program to completion without blocking a Swift concurrency thread (the server under test needs them),
/// output to a file so a large one cannot fill a pipe. Returns exit status and combined output.
func runProgram(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let run = try await runProgram(executable, arguments, combined: true)
    return (run.status, run.output)
}

/// As above, in `directory`; standard error apart from standard output unless `combined`.
func runProgram(_ executable: String, _ arguments: [String], in directory: URL? = nil, combined: Bool)
    async throws -> (status: Int32, output: String, errors: String) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-run-\(UUID().uuidString)")
    let out = base.appendingPathExtension("out"), err = base.appendingPathExtension("err")
    for file in [out, err] { FileManager.default.createFile(atPath: file.path, contents: nil) }
    defer { for file in [out, err] { try? FileManager.default.removeItem(at: file) } }
    let outHandle = try FileHandle(forWritingTo: out), errHandle = combined ? outHandle : try FileHandle(forWritingTo: err)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.standardOutput = outHandle
    process.standardError = errHandle
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    try outHandle.close()
    if !combined { try errHandle.close() }
    func text(_ url: URL) -> String { String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
    return (status, text(out), text(err))
}

/// The full path of a program on PATH, or nil.
func findProgram(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// A stations GeoJSON file with `count` stations spread over central Nanjing, ids `prefix0…`.
func writeStations(_ count: Int, prefix: String, to url: URL, badLast: Bool = false) throws {
    var out = "{\"type\":\"FeatureCollection\",\"features\":["
    for i in 0..<count {
        if i > 0 { out += "," }
        let lon = 118.76 + Double(i % 200) * 0.0002, lat = 32.03 + Double(i / 200 % 200) * 0.0001
        let name = badLast && i == count - 1 ? "" : "站\(i)"
        out += "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[\(lon),\(lat)]},"
        out += "\"properties\":{\"id\":\"\(prefix)\(i)\",\"name\":\"\(name)\",\"kind\":\"post\",\"services\":[\"water\"],\"hours\":\"24/7\"}}"
    }
    out += "]}"
    try out.write(to: url, atomically: true, encoding: .utf8)
}
