import Foundation

/// Bytes on their way to a file: appended to a buffer that is written out whenever it fills, so memory stays the
/// size of the buffer however long the output grows. Values are formatted by `JSONBytes`.
///
/// Not `Sendable`: one writer, one task.
package final class BufferedOutput {
    private let handle: FileHandle
    private let ownsHandle: Bool
    /// What has not been written out yet.
    package var json: JSONBytes
    private let capacity: Int
    private var flushed = 0
    /// Bytes written so far (flushed or not).
    package var count: Int { flushed + json.count }

    /// Creates (or truncates) the file at `path`; `-` is standard output.
    package init(path: String, capacity: Int = 1 << 16) throws {
        if path == "-" {
            handle = FileHandle.standardOutput
            ownsHandle = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw ExportError("cannot create \(path): check that the folder exists and is writable")
            }
            guard let h = FileHandle(forWritingAtPath: path) else { throw ExportError("cannot open \(path) for writing") }
            handle = h
            ownsHandle = true
        }
        self.capacity = capacity
        json = JSONBytes(capacity: capacity + capacity / 4)
    }

    deinit { if ownsHandle { try? handle.close() } }

    @inline(__always)
    package func append(_ byte: UInt8) { json.byte(byte) }

    package func append(_ text: String) { json.raw(text) }

    /// Appends `value` with at most `decimals` decimals, no exponent and no trailing zeros (`118.7812345`, `-0.5`, `32`).
    package func appendFixed(_ value: Double, decimals: Int = 7) { json.fixed(value, decimals: decimals) }

    /// Writes the buffer out when it is full (called between features, so a feature is never split needlessly).
    package func flushIfFull() throws {
        if json.count >= capacity { try flush() }
    }

    package func flush() throws {
        guard json.count > 0 else { return }
        try handle.write(contentsOf: json.bytes)
        flushed += json.count
        json.removeAll(keepingState: true)
    }

    package func close() throws {
        try flush()
        if ownsHandle { try handle.close() }
    }
}

@available(*, unavailable)
extension BufferedOutput: Sendable {}


/// An export cannot be written as asked.
public struct ExportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
