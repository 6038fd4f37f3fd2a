/// Where in an input file a problem is.
public enum InputLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file as a whole.
    case file
    /// A byte position, for syntax errors.
    case position(line: Int, column: Int)
    /// A GeoJSON feature, counted from 1, with its id when it has one.
    case feature(index: Int, id: String?)
    /// A CSV line, counted from 1 with the header as line 1, with the row's id when it has one.
    case line(Int, id: String?)
    /// A feature of a GDAL layer: its place in the layer counted from 1, its FID (the source's own number, often
    /// from 0) and its id when it has one.
    case record(index: Int, fid: Int64, id: String?)

    public var description: String {
        switch self {
        case .file: return ""
        case .position(let line, let column): return "line \(line), column \(column)"
        case .feature(let index, let id): return id.map { "feature \(index) (id \($0))" } ?? "feature \(index)"
        case .line(let n, let id): return id.map { "line \(n) (id \($0))" } ?? "line \(n)"
        case .record(let index, let fid, let id): return "feature \(index) (FID \(fid)\(id.map { ", id \($0)" } ?? ""))"
        }
    }
}

/// One thing wrong with the input: where, which field, what.
public struct ImportProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: InputLocation
    public var field: String?
    public var message: String

    public init(_ location: InputLocation, field: String? = nil, _ message: String) {
        self.location = location
        self.field = field
        self.message = message
    }

    public var description: String {
        [location.description, field ?? "", message].filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

/// An import that stored nothing because its input is wrong. Names the file and every problem found (up to a limit).
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problems: [ImportProblem]
    /// Problems found beyond those listed.
    public let more: Int

    public init(file: String, problems: [ImportProblem], more: Int = 0) {
        self.file = file
        self.problems = problems
        self.more = more
    }

    public init(file: String, _ problem: ImportProblem) {
        self.init(file: file, problems: [problem])
    }

    public var description: String {
        var lines = problems.map { "\(file): \($0)" }
        if more > 0 { lines.append("\(file): … and \(more) more problems") }
        lines.append("\(file): nothing was imported")
        return lines.joined(separator: "\n")
    }
}

/// Collects problems during an import, keeping the first `limit` in full and counting the rest.
package struct ProblemLog {
    package static let limit = 20

    package init() {}
    package private(set) var problems: [ImportProblem] = []
    package var more = 0

    package var isEmpty: Bool { problems.isEmpty }

    package mutating func add(_ problem: ImportProblem) {
        if problems.count < ProblemLog.limit { problems.append(problem) } else { more += 1 }
    }

    package func error(file: String) -> ImportError { ImportError(file: file, problems: problems, more: more) }
}
