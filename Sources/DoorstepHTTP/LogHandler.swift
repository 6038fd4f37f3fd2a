import Foundation
import Logging

/// Standard-error log lines for `doorstep serve`: `2026-11-22T05:31:00Z info doorstep.http: [key=value …] message`.
///
/// swift-log's `StreamLogHandler` formats its metadata again every time a key is set, and Hummingbird sets a request
/// id on every request's logger — 4 % of the server's time under load even with nothing logged. This handler keeps
/// metadata as given and formats it only for a line that is actually written.
public struct ServerLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit { all.merge(explicit) { $1 } }
        var text = Date().formatted(.iso8601) + " \(level) \(label):"
        if !all.isEmpty { text += " [" + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]" }
        text += " \(message)\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
