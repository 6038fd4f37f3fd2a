import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `doorstep serve` running as a process, on a port the system chose (`--port 0`) unless told one, found from the
/// line it prints once it listens.
public final class ServedDoorstep {
    public let process = Process()
    public let port: Int
    /// Everything the server wrote to standard error (its "serving" line, access log, errors).
    public let errorLog: URL
    private let scratch: URL

    /// Starts `doorstep serve` with `arguments` (which must not name a port) and `--port port`, and waits up to
    /// `seconds` for it to say it serves; throws with its output when it does not.
    public convenience init(_ arguments: [String], port: Int = 0, in directory: URL? = nil, seconds: Double = 30) throws {
        try self.init(executable: try TestProducts.doorstep(), ["serve"] + arguments + ["--port", String(port)],
                      in: directory, seconds: seconds)
    }

    /// Starts a process that becomes `doorstep serve` (say `/bin/sh -c "exec doorstep serve …"`, so that SIGTERM
    /// reaches the server) and waits as above.
    public init(executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
                seconds: Double = 30) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        errorLog = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let log = Self.read(errorLog)
            if let port = Self.servingPort(in: log) { self.port = port; return }
            if !process.isRunning || Date() > deadline {
                if process.isRunning { process.terminate() }
                throw TestSupportError("\(([executable.path] + arguments).joined(separator: " ")) did not start serving:\n\(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: scratch)
    }

    public var log: String { Self.read(errorLog) }

    private static func read(_ file: URL) -> String { String(decoding: (try? Data(contentsOf: file)) ?? Data(), as: UTF8.self) }

    /// The port of `doorstep: serving FILE on http://HOST:PORT …`, or nil before that line.
    public static func servingPort(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix("doorstep: serving ") }),
              let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
              let port = url.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
        return port
    }

    /// SIGTERM, then the exit status once it has ended (at most `seconds`; then SIGKILL and a thrown error).
    public func stop(seconds: Double = 15) throws -> Int32 {
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw TestSupportError("doorstep serve did not end within \(seconds) s of SIGTERM")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return process.terminationStatus
    }

    /// `GET path` on the server: status and body.
    public func get(_ path: String) throws -> (status: Int, body: String) {
        try httpGet(port: port, path)
    }
}

/// A TCP socket connected to 127.0.0.1:`port`, as its descriptor; a failure throws the POSIXError of its errno.
public func connectLoopback(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        let code = errno
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
    }
    return fd
}

/// A plain HTTP/1.1 GET on 127.0.0.1:`port` with `Connection: close`; status and body (chunked bodies unchunked).
public func httpGet(port: Int, _ path: String, timeout: Double = 60) throws -> (status: Int, body: String) {
    let fd = try connectLoopback(port: port)
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
    guard send(fd, request, request.count, 0) == request.count else { throw TestSupportError("send: errno \(errno)") }
    var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n < 0 { throw TestSupportError("recv from 127.0.0.1:\(port): errno \(errno)") }
        if n == 0 { break }
        response += buffer[..<n]
    }
    guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
        throw TestSupportError("no HTTP answer: \(String(decoding: response.prefix(200), as: UTF8.self))")
    }
    let head = String(decoding: response[..<split.lowerBound], as: UTF8.self), body = response[split.upperBound...]
    guard let status = head.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
        throw TestSupportError("no HTTP status: \(head.prefix(200))")
    }
    let chunked = head.lowercased().contains("transfer-encoding: chunked")
    return (status, String(decoding: chunked ? unchunk(body) : Array(body), as: UTF8.self))
}

/// The body of a chunked transfer (sizes in hex, each chunk followed by CRLF).
private func unchunk(_ raw: ArraySlice<UInt8>) -> [UInt8] {
    var bytes = raw, body = [UInt8]()
    while let lineEnd = bytes.firstRange(of: [13, 10]),
          let size = Int(String(decoding: bytes[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? "", radix: 16),
          size > 0 {
        let start = lineEnd.upperBound
        body += bytes[start..<min(start + size, bytes.endIndex)]
        bytes = bytes[min(start + size + 2, bytes.endIndex)...]
    }
    return body
}
