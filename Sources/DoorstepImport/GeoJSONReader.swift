import DoorstepModel
import DoorstepGeometry
import DoorstepStore
import DoorstepGDAL
import Foundation

/// Reads a GeoJSON FeatureCollection one feature at a time.
///
/// The file is memory-mapped; a first pass checks the syntax of the whole document (so a truncated file fails before
/// anything is stored) and finds the `features` array and a legacy `crs` member wherever they are; the second pass
/// builds one feature at a time, so memory holds one feature, never the whole tree. Pages already read are handed
/// back to the kernel as each pass moves on (`MappedFile.release`), so a large file does not stay resident.
package struct GeoJSONReader {
    package let fileName: String
    package let file: MappedFile

    package init(url: URL) throws {
        fileName = url.lastPathComponent
        do {
            file = try MappedFile(path: url.path)
        } catch {
            throw ImportError(file: url.path, ImportProblem(.file, "cannot read the file: \(error.message)"))
        }
    }

    /// What the first pass found.
    package struct Outline {
        package var crs: JSONValue?
        /// The file's own credit: a top-level `attribution` (as Doorstep's exports write it) or
        /// `metadata.attribution` (as the sample city's files carry it).
        package var attribution: String?
        package var featureCount: Int
        package var featuresOffset: Int
    }

    private func syntaxError(_ e: JSONSyntaxError, _ bytes: UnsafeBufferPointer<UInt8>) -> ImportError {
        let (line, column) = JSONParser.lineAndColumn(of: e.offset, in: bytes)
        return ImportError(file: fileName, ImportProblem(.position(line: line, column: column), e.message))
    }

    /// Checks the document and calls `body` with each feature (index from 1) after the whole file parsed cleanly.
    package func read(outline onOutline: (Outline) throws -> Void, feature body: (Int, JSONValue) throws -> Void) throws {
        do {
            let bytes = file.bytes
            let outline: Outline
            do {
                outline = try scan(bytes)
            } catch {
                throw syntaxError(error, bytes)
            }
            try onOutline(outline)
            file.restartRelease(at: outline.featuresOffset)
            var parser = JSONParser(bytes: bytes, position: outline.featuresOffset + 1)
            var index = 0
            while index < outline.featureCount {
                let value: JSONValue
                do {
                    if index > 0 { try parser.expect(UInt8(ascii: ","), "','") }
                    value = try parser.parseValue()
                } catch {
                    throw syntaxError(error, bytes)
                }
                index += 1
                file.release(upTo: parser.position)
                try body(index, value)
            }
        }
    }

    private func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> Outline {
        file.restartRelease(at: 0)
        var parser = JSONParser(bytes: bytes)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.position = 3 }
        parser.skipWhitespace()
        if parser.atEnd { throw parser.fail("the file is empty") }
        guard try parser.peek() == UInt8(ascii: "{") else {
            throw parser.fail("expected a GeoJSON FeatureCollection object, found \(parser.describe(bytes[parser.position]))")
        }
        parser.position += 1
        parser.depth = 1
        var outline = Outline(crs: nil, attribution: nil, featureCount: 0, featuresOffset: -1)
        var type: String?
        if try parser.peek() != UInt8(ascii: "}") {
            while true {
                guard try parser.peek() == UInt8(ascii: "\"") else { throw parser.fail("expected a member name in quotes") }
                let key = try parser.parseString()
                try parser.expect(UInt8(ascii: ":"), "':' after \"\(key)\"")
                switch key {
                case "type":
                    let v = try parser.parseValue()
                    guard case .string(let s) = v else { throw parser.fail("\"type\" must be a string") }
                    type = s
                case "crs":
                    outline.crs = try parser.parseValue()
                case "attribution":
                    if case .string(let text) = try parser.parseValue() { outline.attribution = text }
                case "metadata":
                    if case .string(let text)? = try parser.parseValue()["attribution"], outline.attribution == nil {
                        outline.attribution = text
                    }
                case "features":
                    guard try parser.peek() == UInt8(ascii: "[") else { throw parser.fail("\"features\" must be an array") }
                    outline.featuresOffset = parser.position
                    parser.position += 1
                    parser.depth += 1
                    if try parser.peek() == UInt8(ascii: "]") {
                        parser.position += 1
                    } else {
                        while true {
                            try parser.skipValue()
                            outline.featureCount += 1
                            file.release(upTo: parser.position)
                            let c = try parser.peek()
                            parser.position += 1
                            if c == UInt8(ascii: ",") { continue }
                            if c == UInt8(ascii: "]") { break }
                            throw parser.fail("expected ',' or ']' between features, found \(parser.describe(c))", at: parser.position - 1)
                        }
                    }
                    parser.depth -= 1
                default:
                    try parser.skipValue()
                }
                let c = try parser.peek()
                parser.position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { break }
                throw parser.fail("expected ',' or '}' in the FeatureCollection, found \(parser.describe(c))", at: parser.position - 1)
            }
        } else {
            parser.position += 1
        }
        parser.skipWhitespace()
        guard parser.atEnd else { throw parser.fail("unexpected text after the end of the FeatureCollection") }
        guard type == "FeatureCollection" else {
            throw JSONSyntaxError(offset: 0, message: type.map { "expected \"type\": \"FeatureCollection\", found \"\($0)\"" }
                ?? "not GeoJSON: no \"type\": \"FeatureCollection\"")
        }
        guard outline.featuresOffset >= 0 else { throw JSONSyntaxError(offset: 0, message: "the FeatureCollection has no \"features\" array") }
        return outline
    }
}

extension GeoJSONReader {
    /// The CRS named by a legacy (2008) GeoJSON `crs` member.
    package static func legacyCRS(_ value: JSONValue) -> Result<InputCRS, ImportProblem> {
        guard case .string(let name)? = value["properties"]?["name"] else {
            return .failure(ImportProblem(.file, field: "crs", "only named CRS members are supported ({\"type\": \"name\", \"properties\": {\"name\": \"EPSG:…\"}})"))
        }
        guard let crs = InputCRS(name) else {
            return .failure(ImportProblem(.file, field: "crs", "unknown CRS name \"\(name)\""))
        }
        return .success(crs)
    }

    /// Decodes a GeoJSON geometry object; rings must be closed unless `closeRings` is set (then closing is reported).
    package static func geometry(_ value: JSONValue, closeRings: Bool, repaired: inout [String]) throws(GeometryProblem) -> Geometry {
        guard case .object = value else { throw GeometryProblem("expected a geometry object, found \(value.typeName)") }
        guard case .string(let type)? = value["type"] else { throw GeometryProblem("missing \"type\"") }
        if type == "GeometryCollection" { throw GeometryProblem("GeometryCollection is not supported; use a Multi* geometry") }
        guard let coordinates = value["coordinates"] else { throw GeometryProblem("\(type) without \"coordinates\"") }

        func position(_ v: JSONValue) throws(GeometryProblem) -> Coordinate {
            guard case .array(let items) = v else { throw GeometryProblem("a position must be an array of numbers, found \(v.typeName)") }
            guard items.count >= 2 else { throw GeometryProblem("a position needs at least 2 numbers, found \(items.count)") }
            guard case .number(let x) = items[0], case .number(let y) = items[1] else {
                throw GeometryProblem("a position must hold numbers, found \(items[0].typeName), \(items[1].typeName)")
            }
            return Coordinate(lon: x, lat: y)
        }
        func positions(_ v: JSONValue) throws(GeometryProblem) -> [Coordinate] {
            guard case .array(let items) = v else { throw GeometryProblem("expected an array of positions, found \(v.typeName)") }
            var out = [Coordinate]()
            out.reserveCapacity(items.count)
            for item in items { out.append(try position(item)) }
            return out
        }
        func line(_ v: JSONValue) throws(GeometryProblem) -> [Coordinate] {
            var cs = try positions(v)
            cs = cs.enumerated().filter { $0.offset == 0 || cs[$0.offset - 1] != $0.element }.map(\.element)
            guard cs.count >= 2 else { throw GeometryProblem("a line needs at least 2 distinct positions") }
            return cs
        }
        func ring(_ v: JSONValue, _ n: Int) throws(GeometryProblem) -> [Coordinate] {
            var cs = try positions(v)
            if let first = cs.first, let last = cs.last, first != last {
                if closeRings {
                    cs.append(first)
                    repaired.append("ring \(n) was not closed; closed it")
                } else {
                    throw GeometryProblem("ring \(n) is not closed (first position \(first) ≠ last \(last))")
                }
            }
            guard cs.count >= 4 else { throw GeometryProblem("ring \(n) is degenerate: \(cs.count) positions, a ring needs at least 4") }
            return cs
        }
        func polygon(_ v: JSONValue) throws(GeometryProblem) -> [[Coordinate]] {
            guard case .array(let rings) = v, !rings.isEmpty else { throw GeometryProblem("a polygon needs at least one ring") }
            var out = [[Coordinate]]()
            for (i, r) in rings.enumerated() { out.append(try ring(r, i + 1)) }
            return out
        }
        func array(_ v: JSONValue) throws(GeometryProblem) -> [JSONValue] {
            guard case .array(let items) = v, !items.isEmpty else { throw GeometryProblem("\(type) needs a non-empty coordinates array") }
            return items
        }

        switch type {
        case "Point": return .point(try position(coordinates))
        case "LineString": return .lineString(try line(coordinates))
        case "Polygon": return .polygon(try polygon(coordinates))
        case "MultiPoint":
            var out = [Coordinate]()
            for p in try array(coordinates) { out.append(try position(p)) }
            return .multiPoint(out)
        case "MultiLineString":
            var out = [[Coordinate]]()
            for l in try array(coordinates) { out.append(try line(l)) }
            return .multiLineString(out)
        case "MultiPolygon":
            var out = [[[Coordinate]]]()
            for p in try array(coordinates) { out.append(try polygon(p)) }
            return .multiPolygon(out)
        default:
            throw GeometryProblem("unknown geometry type \"\(type)\"")
        }
    }
}

/// What is wrong with a geometry (the feature and file are added by the caller).
package struct GeometryProblem: Error {
    package let message: String
    package init(_ message: String) { self.message = message }
}

/// A file mapped read-only into memory, unmapped when released.
///
/// `@unchecked Sendable` is not claimed: one import's reading thread owns it.
package final class MappedFile {
    package struct Failure: Error { let message: String }

    private let base: UnsafeMutableRawPointer?
    package let count: Int
    /// Bytes before this offset have been handed back with `release`.
    private var released = 0
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    /// Pages are handed back in steps of this many bytes.
    private static let step = 16 << 20

    package init(path: String) throws(Failure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(message: String(cString: strerror(errno))) }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw Failure(message: String(cString: strerror(errno)))
        }
        base = p
    }

    deinit { if let base { munmap(base, count) } }

    package var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base?.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// Tells the kernel this process is done with the pages before `offset`: they leave its resident set (the page
    /// cache keeps them; reading them again maps them again). Peak memory of a pass over a large file stays one step.
    package func release(upTo offset: Int) {
        guard let base, offset - released >= MappedFile.step else { return }
        let end = offset / MappedFile.pageSize * MappedFile.pageSize
        guard end > released else { return }
        madvise(base + released, end - released, MADV_DONTNEED)
        released = end
    }

    /// A new pass begins at `offset`: pages from there on are read again.
    package func restartRelease(at offset: Int) {
        released = max(0, offset) / MappedFile.pageSize * MappedFile.pageSize
    }
}
