import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the tests of both test targets need to run the package's own executables as a user would: the package root,
/// the `doorstep` of this build (built first when it is missing or older than its sources, never skipped), and a
/// process runner.
public enum TestProducts {
    /// The package's root directory (this file is Tests/DoorstepTestSupport/Products.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The directory SwiftPM built the running tests into (`.build/<triple>/debug`, or whatever `--scratch-path` and
    /// `-c` said), where it puts the package's executables too; `.build/debug` when the tests run from elsewhere.
    public static let productsDirectory: URL = {
        var url = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        while url.path != "/" {
            if url.lastPathComponent.hasSuffix(".xctest") { return url.deletingLastPathComponent() }
            url.deleteLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    /// `doorstep` of this build, once per test process; never a reason to skip a test:
    /// - not older than Package.swift and every file under Sources/: used as it is;
    /// - otherwise, outside `swift test` (tests run from their bundle, built with `swift build --build-tests`):
    ///   `swift build --product doorstep` into the same build directory first (incremental, seconds);
    /// - under `swift test`, which holds its build directory's lock while the tests run (a `swift build` there would
    ///   wait for ever): SwiftPM built every product before starting the tests, so an existing binary is current even
    ///   when older than a source it recompiled to the same object; only when it is missing, or stale under
    ///   `--skip-build`, is it built with a build directory of its own, `.build-test-products/` (a cold build, minutes).
    /// A failed build throws with the compiler's output.
    public static func doorstep() throws -> URL {
        try built.get("doorstep")
    }

    private static let built = BuiltOnce()

    /// The newest modification time of the files an executable is made from.
    static func newestSource() -> Date {
        var newest = modified(packageRoot.appendingPathComponent("Package.swift")) ?? .distantPast
        let sources = packageRoot.appendingPathComponent("Sources")
        let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey])
        while let file = walker?.nextObject() as? URL {
            if let date = modified(file), date > newest { newest = date }
        }
        return newest
    }

    static func modified(_ url: URL) -> Date? {
        try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
    }

    static func build(_ product: String) throws -> URL {
        let binary = productsDirectory.appendingPathComponent(product)
        let exists = FileManager.default.isExecutableFile(atPath: binary.path)
        if exists, let date = modified(binary), date >= newestSource() { return binary }
        let configuration = productsDirectory.lastPathComponent
        guard let swiftTest = enclosingSwiftTest() else {
            // productsDirectory is <scratch path>/<triple>/<configuration>.
            let scratch = productsDirectory.deletingLastPathComponent().deletingLastPathComponent()
            try swiftBuild(product, scratch: scratch, configuration: configuration)
            return binary
        }
        if exists && !swiftTest.contains("--skip-build") { return binary }
        let scratch = packageRoot.appendingPathComponent(".build-test-products")
        try swiftBuild(product, scratch: scratch, configuration: configuration)
        return scratch.appendingPathComponent(configuration).appendingPathComponent(product)
    }

    private static func swiftBuild(_ product: String, scratch: URL, configuration: String) throws {
        let swift = ProcessInfo.processInfo.environment["SWIFT"] ?? "swift"
        let arguments = [swift, "build", "--package-path", packageRoot.path, "--scratch-path", scratch.path,
                         "-c", configuration, "--product", product]
        FileHandle.standardError.write(Data("building \(product) for the tests: \(arguments.joined(separator: " "))\n".utf8))
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        guard result.status == 0,
              FileManager.default.isExecutableFile(atPath: scratch.appendingPathComponent("\(configuration)/\(product)").path) else {
            throw TestSupportError("`\(arguments.joined(separator: " "))` failed (\(result.status)):\n\(result.out)\n\(result.err)")
        }
    }

    /// The command line of the `swift test` this process runs under (its nearest such ancestor), or nil. Linux: /proc.
    public static func enclosingSwiftTest() -> [String]? {
        var pid = getppid()
        while pid > 1 {
            let arguments = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")))
                .map { $0.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) } } ?? []
            let program = arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent }
            if program == "swift-test" || (program == "swift" && arguments.dropFirst().first == "test") { return arguments }
            // /proc/PID/stat: "PID (command) STATE PPID …"; the command may hold spaces and parentheses.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")"),
                  let parent = stat[stat.index(after: close)...].split(separator: " ").dropFirst().first.flatMap({ Int32($0) })
            else { return nil }
            pid = parent
        }
        return nil
    }
}

/// Builds each product at most once per process, however many tests ask at once.
private final class BuiltOnce: @unchecked Sendable {
    // Safe: `results` is only read and written with `lock` held (the build runs under it, so callers wait for it).
    private let lock = NSLock()
    private var results: [String: Result<URL, any Error>] = [:]

    func get(_ product: String) throws -> URL {
        try lock.withLock {
            if let result = results[product] { return try result.get() }
            let result = Result { try TestProducts.build(product) }
            results[product] = result
            return try result.get()
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A finished process: exit status, standard output and standard error as text.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let out: String
    public let err: String
    /// It was still running after the timeout and was killed (`status` is then the signal's number).
    public let timedOut: Bool
}

/// Runs `executable` to completion in `directory` (default: the current one) with `environment` (default: this
/// process's), standard input from /dev/null, output through files so a large one cannot fill a pipe; killed after
/// `timeout` seconds. Output is decoded as is (Foundation's String(contentsOf:encoding:) would drop a byte-order mark).
public func runProcess(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                       environment: [String: String]? = nil, timeout: Double = 1800) throws -> ProcessResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-process-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let out = scratch.appendingPathComponent("out"), err = scratch.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            break
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
    try outHandle.close()
    try errHandle.close()
    return ProcessResult(status: process.terminationStatus, out: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                         err: String(decoding: try Data(contentsOf: err), as: UTF8.self), timedOut: timedOut)
}
