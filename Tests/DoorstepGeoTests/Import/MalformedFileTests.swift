import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Files that are not well-formed input: broken, truncated, empty or missing files, invalid UTF-8, NaN, absurd nesting,
/// a GeoJSON that is not a FeatureCollection.
final class MalformedFileTests: ImportTestCase {
    func testMalformedJSON() throws {
        try seedCity()
        let text = """
            {"type": "FeatureCollection",
             "features": [
              {"type": "Feature", "properties": {"id": "S9" "name": "x"}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}
             ]}
            """
        let error = try assertTextFails(.stations, "broken.geojson", text)
        let thirdLine = text.split(separator: "\n", omittingEmptySubsequences: false)[2]
        let column = thirdLine[..<thirdLine.range(of: #""name""#)!.lowerBound].utf8.count + 1
        assertProblem(error, file: "broken.geojson", at: .position(line: 3, column: column), field: nil, ["expected ',' or '}'"])
        XCTAssertTrue(error.description.contains("broken.geojson: line 3, column \(column): "), error.description)
    }

    func testTruncatedJSON() throws {
        try seedCity()
        let full = collection((1...20).map { i in
            feature(#"{"id": "T\#(i)", "name": "站\#(i)", "address": "中山路\#(i)号"}"#, point(118.78 + Double(i) / 1000, 32.04))
        })
        let bytes = Array(full.utf8)
        for cut in [bytes.count / 2, bytes.count / 3, bytes.count - 3] {
            let url = try write("truncated-\(cut).geojson", Data(bytes[0..<cut]))
            let error = try assertImportFails(.stations, url)
            XCTAssertEqual(error.problems.count, 1)
            guard case .position(let line, _)? = error.problems.first?.location else {
                XCTFail("a truncated file is a syntax error at a position: \(error)"); continue
            }
            XCTAssertGreaterThanOrEqual(line, 2)
            XCTAssertTrue(error.problems[0].message.contains("truncated"), error.description)
            XCTAssertTrue(error.description.contains("truncated-\(cut).geojson: line \(line), column"), error.description)
        }
    }

    func testNaNAndInfinityInCoordinates() throws {
        try seedCity()
        for bad in ["NaN", "Infinity", "-Infinity"] {
            let text = collection([
                feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
                #"{"type": "Feature", "properties": {"id": "S6", "name": "六号站"}, "geometry": {"type": "Point", "coordinates": [118.78, \#(bad)]}}"#,
            ])
            let error = try assertTextFails(.stations, "nan.geojson", text)
            let line = text.split(separator: "\n", omittingEmptySubsequences: false)[3]
            // Columns count bytes (UTF-8), like the offsets they come from.
            let column = line[..<line.range(of: bad)!.lowerBound].utf8.count + 1
            assertProblem(error, file: "nan.geojson", at: .position(line: 4, column: column), field: nil,
                          ["NaN and Infinity are not numbers in JSON"])
        }
        // Numbers that overflow a double are no better.
        let error = try assertTextFails(.stations, "huge.geojson", collection([
            #"{"type": "Feature", "properties": {"id": "S6", "name": "六号站"}, "geometry": {"type": "Point", "coordinates": [1e999, 32.04]}}"#,
        ]))
        XCTAssertEqual(error.problems.first?.message, "number out of range")
    }

    func testInvalidUTF8InAGeoJSONString() throws {
        try seedCity()
        var data = Data(#"{"type": "FeatureCollection", "features": ["#.utf8)
        data.append(Data("\n".utf8))
        data.append(Data(#"{"type": "Feature", "properties": {"id": "S5", "name": ""#.utf8))
        data.append(try gbk("华侨路站"))
        data.append(Data(#""}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}]}"#.utf8))
        let error = try assertImportFails(.stations, try write("gbk.geojson", data))
        let column = #"{"type": "Feature", "properties": {"id": "S5", "name": ""#.utf8.count // the opening quote
        assertProblem(error, file: "gbk.geojson", at: .position(line: 2, column: column), field: nil,
                      ["invalid UTF-8", "GeoJSON must be UTF-8"])

        // A lone invalid byte in an escaped string is caught too.
        var data2 = Data(#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "S5", "name": "a\n"#.utf8)
        data2.append(contentsOf: [0xFF])
        data2.append(Data(#""}, "geometry": {"type": "Point", "coordinates": [118.78, 32.04]}}]}"#.utf8))
        let error2 = try assertImportFails(.stations, try write("ff.geojson", data2))
        XCTAssertTrue(error2.problems.first?.message.contains("invalid UTF-8") ?? false, error2.description)
    }

    func testAbsurdlyDeepNestingIsACleanError() throws {
        try seedCity()
        let depth = 100_000
        var text = #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "S5", "name": "深"}, "geometry": {"type": "Point", "coordinates": "#
        text += String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}]}"
        let error = try assertTextFails(.stations, "deep.geojson", text)
        XCTAssertEqual(error.problems.count, 1)
        XCTAssertTrue(error.problems[0].message.contains("nesting deeper than"), error.description)
        guard case .position(line: 1, _)? = error.problems.first?.location else { return XCTFail("\(error)") }

        // Unclosed, in the properties, and at the top level: same clean answer, no crash.
        let unclosed = #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "#
            + String(repeating: "{\"a\":", count: depth)
        let error2 = try assertTextFails(.stations, "deep2.geojson", unclosed)
        XCTAssertTrue(error2.problems.first?.message.contains("nesting deeper than") ?? false, error2.description)
        let error3 = try assertTextFails(.stations, "deep3.geojson", String(repeating: "[", count: depth))
        XCTAssertTrue(error3.problems.first?.message.contains("FeatureCollection") ?? false, error3.description)
        // JSONValue.parse (request bodies) has the same limit.
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
    }

    func testEmptyFile() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "empty.geojson", "")
        assertProblem(error, file: "empty.geojson", at: .position(line: 1, column: 1), field: nil, ["empty"])
        let blank = try assertTextFails(.stations, "blank.geojson", "  \n\n ")
        XCTAssertTrue(blank.problems.first?.message.contains("empty") ?? false, blank.description)
        let noFeatures = try assertTextFails(.stations, "none.geojson", collection([]))
        assertProblem(noFeatures, file: "none.geojson", at: .file, field: nil, ["no features"])
        let emptyCSV = try assertImportFails(.stations, try write("empty.csv", ""))
        assertProblem(emptyCSV, file: "empty.csv", at: .file, field: nil, ["empty"])
        let headerOnly = try assertImportFails(.stations, try write("header.csv", "id,name,lon,lat\n"))
        assertProblem(headerOnly, file: "header.csv", at: .file, field: nil, ["no features"])
    }

    func testMissingFile() throws {
        try seedCity()
        let url = directory.appendingPathComponent("nowhere.geojson")
        let error = try assertImportFails(.stations, url)
        XCTAssertTrue(error.description.contains("nowhere.geojson"), error.description)
        XCTAssertEqual(error.problems.first?.location, .file)
    }

    func testTopLevelFeatureInsteadOfFeatureCollection() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "single.geojson",
                                        feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)))
        XCTAssertEqual(error.problems.count, 1)
        let message = error.problems[0].message
        XCTAssertTrue(message.contains("FeatureCollection") && message.contains("\"Feature\""), message)
        XCTAssertTrue(error.description.contains("single.geojson"), error.description)

        // A bare geometry, and a collection holding something that is not a Feature.
        let geometry = try assertTextFails(.stations, "geometry.geojson", point(118.78, 32.04))
        XCTAssertTrue(geometry.problems[0].message.contains("FeatureCollection"), geometry.description)
        let notFeature = try assertTextFails(.stations, "mixed.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)), point(118.78, 32.04),
        ]))
        assertProblem(notFeature, file: "mixed.geojson", at: .feature(index: 2, id: nil), field: nil, ["expected a Feature object", "Point"])
    }
}
