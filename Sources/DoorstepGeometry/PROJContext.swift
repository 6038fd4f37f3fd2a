import DoorstepModel
import CPROJ

/// A PROJ context whose messages come to Doorstep instead of the terminal.
///
/// PROJ writes its log (`proj_create: crs not found`) to standard error unless the context has a log function;
/// every context Doorstep makes has this one, which keeps the last few messages so the error Doorstep throws can
/// carry them. Not `Sendable`: PROJ contexts are used by one thread at a time.
package final class PROJContext {
    package let handle: OpaquePointer?
    private let log = Log()

    package final class Log {
        package var messages: [String] = []
    }

    package init() {
        PROJContext.silenceDefault
        handle = proj_context_create()
        proj_log_func(handle, Unmanaged.passUnretained(log).toOpaque()) { data, _, message in
            guard let data, let message else { return }
            let log = Unmanaged<PROJContext.Log>.fromOpaque(data).takeUnretainedValue()
            if log.messages.count == 8 { log.messages.removeFirst() }
            log.messages.append(String(cString: message))
        }
    }

    deinit { proj_context_destroy(handle) }

    /// PROJ's default context (used where no context is given) keeps quiet too.
    private static let silenceDefault: Void = { proj_log_func(nil, nil) { _, _, _ in } }()

    /// What PROJ said since the last call, as " (…; …)" to append to a message, or "" when it said nothing.
    package func takeMessages() -> String {
        defer { log.messages.removeAll() }
        return log.messages.isEmpty ? "" : " (PROJ: \(log.messages.joined(separator: "; ")))"
    }
}

@available(*, unavailable)
extension PROJContext: Sendable {}
