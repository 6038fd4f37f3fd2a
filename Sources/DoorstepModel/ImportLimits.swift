import Foundation

/// The sizes an import accepts (README, "Limits"). A file past them is refused at once, naming the file (and the line),
/// so a wrong or hostile file costs neither minutes nor memory.
public struct ImportLimits: Sendable, Hashable {
    /// The largest input file, in bytes (1 GiB). A city's layers are megabytes; a province's ways a few hundred.
    public var maxFileBytes: Int
    /// The longest CSV record, in bytes (1 MiB), quoted newlines included.
    public var maxCSVRecordBytes: Int

    public init(maxFileBytes: Int = 1 << 30, maxCSVRecordBytes: Int = 1 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxCSVRecordBytes = maxCSVRecordBytes
    }

    /// "1 GiB", "1 MiB", "512 KiB", "12345 bytes".
    package static func describe(bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes >= 1 << shift {
            let value = Double(bytes) / Double(1 << shift)
            return value == value.rounded() ? "\(Int(value)) \(unit)" : String(format: "%.1f %@", value, unit)
        }
        return "\(bytes) bytes"
    }
}

/// What an input path is, found with `stat` before anything opens it (opening a FIFO for reading would block).
package enum InputFileCheck {
    /// The size of the regular file at `path`, or the problem with it.
    package static func regularFileSize(_ path: String) -> Result<Int, ImportProblem> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return .failure(ImportProblem(.file, "no such file")) }
            return .failure(ImportProblem(.file, "cannot read the file: \(String(cString: strerror(e)))"))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(ImportProblem(.file, "is a directory, not a file; give the GeoJSON or CSV file in it"))
        case S_IFIFO: return .failure(ImportProblem(.file, "is a FIFO (named pipe), not a regular file; save the data to a file first"))
        case S_IFCHR, S_IFBLK: return .failure(ImportProblem(.file, "is a device, not a regular file"))
        case S_IFSOCK: return .failure(ImportProblem(.file, "is a socket, not a regular file"))
        default: return .failure(ImportProblem(.file, "is not a regular file"))
        }
        guard access(path, R_OK) == 0 else {
            return .failure(ImportProblem(.file, "cannot read the file: \(String(cString: strerror(errno)))"))
        }
        return .success(Int(info.st_size))
    }
}
