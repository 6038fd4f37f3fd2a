import DoorstepTestSupport
import Foundation
import XCTest
@testable import DoorstepGeo

/// `make install PREFIX=…`: the binary, its man page and completions in the standard places, and the binary runs
/// with the Swift toolchain out of reach (the Swift standard library and Foundation linked in statically).
///
/// Which install it checks: `make test` installs into `.build/test-install` with `INSTALL_CONFIG=debug` before
/// `swift test` and names it in `DOORSTEP_TEST_INSTALL_PREFIX`. The static build has its own build directory,
/// `.build-static` (a cold debug build the first time, minutes; then incremental), and debug keeps it cheap: a release
/// build would add ~7 minutes cold and a slow whole-module rebuild on every change. Run on its own, the test runs
/// `make install INSTALL_CONFIG=debug` itself into a temporary prefix (under `swift test`, which holds `.build`'s lock,
/// building the man-page tool in `.build-test-products`). `DOORSTEP_TEST_INSTALL_CONFIG=release` makes it install
/// the release build, as users get it.
final class InstallTests: XCTestCase {
    func testInstalledDoorstepRunsWithoutTheSwiftToolchain() throws {
        let prefix = try installedPrefix()
        let binary = prefix.appendingPathComponent("bin/doorstep")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary.path), binary.path)

        // Nothing from the toolchain among the libraries it loads, and no Swift runtime or Foundation at all.
        let toolchain = try swiftToolchain()
        guard !["/", "/usr", "/usr/local"].contains(toolchain.path) else {
            return XCTFail("the toolchain is in \(toolchain.path), which cannot be hidden; this test needs one of its own (/opt/swift)")
        }
        let ldd = try runProcess(URL(fileURLWithPath: "/usr/bin/ldd"), [binary.path])
        XCTAssertEqual(ldd.status, 0, ldd.err)
        XCTAssertTrue(ldd.out.contains("libspatialite"), ldd.out)
        XCTAssertFalse(ldd.out.contains(toolchain.path), ldd.out)
        for library in ["libswiftCore", "libFoundation", "libdispatch", "not found"] {
            XCTAssertFalse(ldd.out.contains(library), "\(library) in:\n\(ldd.out)")
        }

        // Run with the toolchain's directory hidden under an empty tmpfs in a mount namespace of its own: the
        // version, an import, info, and a nearest query that evaluates opening hours in Asia/Shanghai.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-install-run-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("city.sqlite").path
        let stations = TestProducts.packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/stations.geojson").path
        let script = """
            mount -t tmpfs none '\(toolchain.path)' || exit 90
            test -z "$(ls -A '\(toolchain.path)')" || exit 91
            d='\(binary.path)'
            "$d" --version && "$d" import stations '\(stations)' --db '\(db)' && "$d" info --db '\(db)' \
              && "$d" nearest --db '\(db)' --lon 118.7790 --lat 32.0440 -k 2 --open-at '2026-11-23 09:30'
            """
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/unshare"), ["--mount", "sh", "-c", script])
        if r.status == 90 || (r.status != 0 && r.err.contains("unshare failed")) {
            guard getuid() != 0 else { return XCTFail("cannot hide \(toolchain.path) as root: \(r.err)") }
            throw XCTSkip("hiding the toolchain needs root (unshare --mount, mount -t tmpfs): \(r.err)")
        }
        XCTAssertEqual(r.status, 0, "without \(toolchain.path):\n\(r.out)\n\(r.err)")
        XCTAssertTrue(r.out.hasPrefix(DoorstepVersion.string + "\n"), r.out)
        XCTAssertTrue(r.out.contains("stations           34"), r.out)
        XCTAssertTrue(r.out.contains("S025") && r.out.contains("新街口转盘红色驿站"), r.out)

        // The man page, as swift-argument-parser's generate-manual writes it, names every subcommand `--help` lists.
        let help = try runProcess(binary, ["--help"])
        let subcommands = help.out.components(separatedBy: "SUBCOMMANDS:").dropFirst().first?
            .split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0 != "See" } ?? []
        XCTAssertTrue(subcommands.count >= 11 && subcommands.contains("import-osm") && subcommands.contains("serve"), help.out)
        let man = try String(contentsOf: prefix.appendingPathComponent("share/man/man1/doorstep.1"), encoding: .utf8)
        XCTAssertTrue(man.contains(".Dt DOORSTEP 1"), String(man.prefix(300)))
        for subcommand in subcommands {
            XCTAssertTrue(man.contains(".It Em \(subcommand)\n"), "man page without \(subcommand)")
        }

        // Completions where bash-completion, zsh and fish look for them; bash's offers the subcommands and options.
        let zsh = try String(contentsOf: prefix.appendingPathComponent("share/zsh/site-functions/_doorstep"), encoding: .utf8)
        XCTAssertTrue(zsh.hasPrefix("#compdef doorstep"), String(zsh.prefix(100)))
        let fish = try String(contentsOf: prefix.appendingPathComponent("share/fish/vendor_completions.d/doorstep.fish"), encoding: .utf8)
        XCTAssertTrue(fish.contains("complete -c 'doorstep'") || fish.contains("complete -c doorstep"), String(fish.prefix(300)))
        let bashFile = prefix.appendingPathComponent("share/bash-completion/completions/doorstep").path
        let bash = try runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", """
            shopt -s extglob; source '\(bashFile)'
            COMP_WORDS=(doorstep ''); COMP_CWORD=1; COMP_LINE='doorstep '; COMP_POINT=${#COMP_LINE}
            _doorstep; printf '%s\\n' "${COMPREPLY[@]}"
            """])
        XCTAssertEqual(bash.status, 0, bash.err)
        XCTAssertEqual(Set(bash.out.split(separator: "\n").map(String.init)), Set(subcommands + ["help", "--version", "--help", "-h"]),
                       bash.out + bash.err)
    }

    /// The prefix `make test` installed into, or a fresh `make install` into a temporary one.
    private func installedPrefix() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["DOORSTEP_TEST_INSTALL_PREFIX"] { return URL(fileURLWithPath: given) }
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-install-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: prefix) }
        let toolScratch = TestProducts.enclosingSwiftTest() == nil ? ".build" : ".build-test-products"
        let configuration = environment["DOORSTEP_TEST_INSTALL_CONFIG"] ?? "debug"
        let make = try runProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["make", "-C", TestProducts.packageRoot.path, "install", "PREFIX=\(prefix.path)",
                                   "INSTALL_CONFIG=\(configuration)", "TOOL_SCRATCH=\(toolScratch)"])
        guard make.status == 0 else {
            throw TestSupportError("make install failed (\(make.status)):\n\(make.out.suffix(3000))\n\(make.err.suffix(3000))")
        }
        return prefix
    }

    /// The toolchain's root directory: /opt/swift for /opt/swift/usr/bin/swift.
    private func swiftToolchain() throws -> URL {
        let which = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sh", "-c", "command -v swift"])
        let swift = URL(fileURLWithPath: which.out.trimmingCharacters(in: .whitespacesAndNewlines)).resolvingSymlinksInPath()
        XCTAssertEqual(swift.deletingLastPathComponent().lastPathComponent, "bin", swift.path)
        return swift.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
