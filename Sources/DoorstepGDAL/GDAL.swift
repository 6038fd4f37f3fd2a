import DoorstepModel
import CGDAL
import Foundation

/// Process-wide GDAL set-up and the per-thread collection of its messages.
package enum GDAL {
    private static let registered: Bool = {
        GDALAllRegister()
        return true
    }()

    package static func setUp() { _ = registered }

    /// GDAL's short name of the vector driver that recognises the file, or nil.
    package static func identify(_ path: String) -> String? {
        setUp()
        let collector = GDALMessages()
        return collector.collecting {
            guard let driver = GDALIdentifyDriverEx(path, UInt32(GDAL_OF_VECTOR), nil, nil),
                  let name = GDALGetDriverShortName(driver) else { return nil }
            return String(cString: name)
        }
    }
}

/// GDAL's error and warning messages on the current thread, kept for Doorstep's own messages instead of going to
/// stderr. Uses GDAL's per-thread handler stack, so imports on other threads (and the HTTP server) are unaffected.
package final class GDALMessages {
    package private(set) var failures: [String] = []
    package private(set) var warnings: [String] = []

    package init() {}

    package func add(_ level: CPLErr, _ message: String) {
        if level == CE_Failure || level == CE_Fatal { failures.append(message) } else if level == CE_Warning { warnings.append(message) }
    }

    /// Failures since `mark`, and forgets them.
    package func takeFailures() -> [String] {
        defer { failures.removeAll() }
        return failures
    }

    package func collecting<T>(_ body: () throws -> T) rethrows -> T {
        CPLPushErrorHandlerEx({ level, _, message in
            guard let data = CPLGetErrorHandlerUserData() else { return }
            let me = Unmanaged<GDALMessages>.fromOpaque(data).takeUnretainedValue()
            me.add(level, message.map { String(cString: $0) } ?? "")
        }, Unmanaged.passUnretained(self).toOpaque())
        defer { CPLPopErrorHandler() }
        return try withExtendedLifetime(self) { try body() }
    }
}
