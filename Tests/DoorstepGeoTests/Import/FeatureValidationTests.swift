import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// Well-formed files whose features break the data contract: missing or duplicate ids and names, bad households,
/// unknown compounds, bad opening hours; many problems capped and counted.
final class FeatureValidationTests: ImportTestCase {
    func testMissingID() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "noid.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.78, 32.04)),
            feature(#"{"name": "无名站"}"#, point(118.79, 32.05)),
            feature(#"{"id": "", "name": "空号站"}"#, point(118.79, 32.05)),
            feature(#"{"id": true, "name": "真站"}"#, point(118.79, 32.05)),
        ]))
        assertProblem(error, file: "noid.geojson", at: .feature(index: 2, id: nil), field: "id", ["missing"])
        assertProblem(error, file: "noid.geojson", at: .feature(index: 3, id: nil), field: "id", ["missing"])
        assertProblem(error, file: "noid.geojson", at: .feature(index: 4, id: nil), field: "id", ["boolean"])
        XCTAssertTrue(error.description.contains("noid.geojson: feature 2: id: missing"), error.description)
    }

    func testMissingName() throws {
        try seedCity()
        let error = try assertTextFails(.compounds, "noname.geojson", collection([
            feature(#"{"id": "C5", "name": "五号小区"}"#, polygon([square(118.78, 32.04)])),
            feature(#"{"id": "C6", "name": "  "}"#, polygon([square(118.79, 32.04)])),
            feature(#"{"id": "C7"}"#, polygon([square(118.80, 32.04)])),
        ]))
        assertProblem(error, file: "noname.geojson", at: .feature(index: 2, id: "C6"), field: "name", ["missing"])
        assertProblem(error, file: "noname.geojson", at: .feature(index: 3, id: "C7"), field: "name", ["missing"])
        XCTAssertTrue(error.description.contains("noname.geojson: feature 3 (id C7): name: missing"), error.description)
    }

    func testDuplicateIDsWithinOneFile() throws {
        try seedCity()
        // S1 is already in the database (that would be an upsert), but twice in one file is an error.
        let error = try assertTextFails(.stations, "dups.geojson", collection([
            feature(#"{"id": "S1", "name": "一号站"}"#, point(118.78, 32.04)),
            feature(#"{"id": "S5", "name": "五号站"}"#, point(118.79, 32.05)),
            feature(#"{"name": "一号站副本"}"#, point(118.80, 32.06), id: #""S1""#),
            feature(#"{"id": "S1", "name": "一号站又一个副本"}"#, point(118.81, 32.07)),
        ]))
        assertProblem(error, file: "dups.geojson", at: .feature(index: 3, id: "S1"), field: "id",
                      [#"duplicate id "S1""#, "first at feature 1 (id S1)"])
        // A third copy still points at the first one.
        assertProblem(error, file: "dups.geojson", at: .feature(index: 4, id: "S1"), field: "id",
                      [#"duplicate id "S1""#, "first at feature 1 (id S1)"])
        XCTAssertEqual(error.problems.count, 2)
    }

    func testNegativeHouseholds() throws {
        try seedCity()
        // Many good features first: they are written before the bad one is met, and must be rolled back.
        var features = (1...500).map { i in
            feature(#"{"id": "N\#(i)", "name": "小区\#(i)", "households": \#(i)}"#, polygon([square(118.70 + Double(i) * 0.003, 32.0)]))
        }
        features.append(feature(#"{"id": "N501", "name": "负数小区", "households": -5}"#, polygon([square(118.5, 32.0)])))
        let error = try assertTextFails(.compounds, "negative.geojson", collection(features))
        assertProblem(error, file: "negative.geojson", at: .feature(index: 501, id: "N501"), field: "households",
                      ["must not be negative", "-5"])
        XCTAssertEqual(try count("compounds"), 1)
    }

    func testNonNumericHouseholds() throws {
        try seedCity()
        let error = try assertTextFails(.compounds, "approx.geojson", collection([
            feature(#"{"id": "C5", "name": "约数小区", "households": "约300户"}"#, polygon([square(118.78, 32.04)])),
            feature(#"{"id": "C6", "name": "小数小区", "households": 12.5, "population": true}"#, polygon([square(118.79, 32.04)])),
        ]))
        assertProblem(error, file: "approx.geojson", at: .feature(index: 1, id: "C5"), field: "households", [#"not a number: "约300户""#])
        assertProblem(error, file: "approx.geojson", at: .feature(index: 2, id: "C6"), field: "households", ["whole number", "12.5"])
        assertProblem(error, file: "approx.geojson", at: .feature(index: 2, id: "C6"), field: "population", ["expected a number", "boolean"])
    }

    func testEntranceOfAnUnknownCompound() throws {
        try seedCity()
        let error = try assertTextFails(.entrances, "gates.geojson", collection([
            feature(#"{"compound_id": "C1", "name": "东门"}"#, point(118.783, 32.042)),
            feature(#"{"compound_id": "C404", "name": "西门"}"#, point(118.780, 32.042)),
            feature(#"{"name": "无主门"}"#, point(118.780, 32.042)),
        ]))
        assertProblem(error, file: "gates.geojson", at: .feature(index: 2, id: "gates#2"), field: "compound_id",
                      [#"no compound with id "C404""#])
        assertProblem(error, file: "gates.geojson", at: .feature(index: 3, id: "gates#3"), field: "compound_id", ["missing"])
    }

    func testInvalidOpeningHoursNameTheFeature() throws {
        try seedCity()
        let error = try assertTextFails(.stations, "hours.geojson", collection([
            feature(#"{"id": "S5", "name": "五号站", "hours": "Mo-Fr 08:00-17:00; PH off"}"#, point(118.78, 32.04)),
        ]))
        assertProblem(error, file: "hours.geojson", at: .feature(index: 1, id: "S5"), field: "hours", ["PH"])
    }

    func testManyProblemsAreCappedAndCounted() throws {
        try seedCity()
        let features = (1...30).map { i in feature(#"{"id": "M\#(i)"}"#, point(118.78, 32.04)) }
        let error = try assertTextFails(.stations, "many.geojson", collection(features))
        XCTAssertEqual(error.problems.count, ProblemLog.limit)
        XCTAssertEqual(error.more, 30 - ProblemLog.limit)
        XCTAssertEqual(error.problems.last?.location, .feature(index: ProblemLog.limit, id: "M\(ProblemLog.limit)"))
        XCTAssertTrue(error.description.contains("and \(30 - ProblemLog.limit) more problems"), error.description)
    }
}
