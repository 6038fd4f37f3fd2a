import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo

/// `doorstep --version` and `doorstep serve` as a user meets them: one version everywhere, and a busy port reported
/// before the server claims to serve.
extension CLITests {
    /// `doorstep --version`, `/health`'s `version` and `/api`'s `info.version` are the one `DoorstepVersion.string`.
    func testVersionIsTheSameInTheCLIHealthAndAPI() throws {
        let version = try doorstep(["--version"])
        XCTAssertEqual(version.status, 0, version.err)
        XCTAssertEqual(version.out, DoorstepVersion.string + "\n")
        XCTAssertTrue(DoorstepVersion.string.split(separator: ".").count == 3
                      && DoorstepVersion.string.split(separator: ".").allSatisfy { Int($0) != nil }, DoorstepVersion.string)

        let server = try ServedDoorstep(["--db", try sampleDatabase(), "--log-level", "warning"])
        let health = try server.get("/health")
        XCTAssertEqual(health.status, 200, health.body)
        XCTAssertEqual(try json(health.body)["version"] as? String, DoorstepVersion.string, health.body)
        let api = try server.get("/api")
        XCTAssertEqual(api.status, 200)
        let info = try XCTUnwrap(try json(api.body)["info"] as? [String: Any])
        XCTAssertEqual(info["version"] as? String, DoorstepVersion.string)
        XCTAssertEqual(try server.stop(), 0, server.log)
    }

    /// A port another process listens on: a non-zero exit at once, a message naming host:port and why, and never
    /// the "serving" line (which used to be printed before the bind was tried).
    func testServeOnABusyPortFailsNamingItBeforeSayingItServes() throws {
        let db = try sampleDatabase()
        let listener = try ListeningSocket()
        let r = try runProcess(try TestProducts.doorstep(), ["serve", "--db", db, "--port", String(listener.port)], timeout: 60)
        XCTAssertFalse(r.timedOut, "doorstep serve kept running on a busy port:\n\(r.err)")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("127.0.0.1:\(listener.port)"), r.err)
        XCTAssertTrue(r.err.contains("already in use"), r.err)
        XCTAssertFalse((r.out + r.err).contains("serving"), r.out + r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)

        // The same port, once free, serves (the failure was the port's, not the command's).
        listener.close()
        let server = try ServedDoorstep(["--db", db, "--log-level", "warning"], port: listener.port)
        XCTAssertEqual(server.port, listener.port)
        XCTAssertEqual(try server.get("/livez").status, 200)
        XCTAssertEqual(try server.stop(), 0, server.log)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }
}

/// A TCP socket listening on 127.0.0.1 on a port the system chose.
final class ListeningSocket {
    private var fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, ok else { throw POSIXError(.EADDRNOTAVAIL) }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}
