import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// CSV imports: quoting, multi-line fields, encodings (UTF-8, BOM, GBK detected or given), line numbers in errors,
/// streaming across the reader's chunks.
final class CSVImportTests: ImportTestCase {
    func testCSVUTF8WithQuotedCommasAndNewlines() throws {
        let csv = #"""
            id,name,kind,lon,lat,services,hours,address,note
            S1,"Xinjiekou Center, Gulou",center,118.7812,32.0441,rest;water,"Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00","1 Zhongshan Rd
            Floor 2, Room ""A""",plain
            S2,Hanzhongmen,驿站, 118.7691 ,32.0402,,,,

            S3,Huaqiao,station,118.7745,32.0456,"meal, elderly",24/7,x,"y"

            """#
        let url = try write("stations.csv", csv)
        let summary = try importFile(.stations, url)
        XCTAssertEqual(summary.format, "CSV")
        XCTAssertEqual(summary.encoding, "UTF-8")
        XCTAssertEqual(summary.features, 3)
        XCTAssertEqual(try count("stations"), 3)
        XCTAssertEqual(try row("SELECT name, kind, services, hours, address, properties FROM stations WHERE id = 'S1'"),
                       [.text("Xinjiekou Center, Gulou"), .text("center"), .text(#"["rest","water"]"#),
                        .text("Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00"), .text("1 Zhongshan Rd\nFloor 2, Room \"A\""),
                        .text(#"{"note":"plain"}"#)])
        XCTAssertEqual(try row("SELECT kind, services, hours, address, ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S2'"),
                       [.text("post"), .null, .null, .null, .double(118.7691), .double(32.0402)])
        XCTAssertEqual(try text("SELECT services FROM stations WHERE id = 'S3'"), #"["meal","elderly"]"#)
    }

    func testCSVUTF8WithBOM() throws {
        var data = Data([0xEF, 0xBB, 0xBF])
        data.append(Data("id,名称,类型,经度,纬度\nS1,新街口党群服务站,党群服务站,118.78,32.04\n".utf8))
        let summary = try importFile(.stations, try write("bom.csv", data))
        XCTAssertEqual(summary.encoding, "UTF-8 (BOM)")
        XCTAssertEqual(try row("SELECT id, name, kind, properties FROM stations"),
                       [.text("S1"), .text("新街口党群服务站"), .text("station"), .null],
                       "the BOM must not stick to the first header name")
    }

    private let gbkHeader = "编号,名称,类型,经度,纬度,户数,人口,地址,电话,开放时间,服务"

    private var gbkRows: [String] {
        [
            #"S101,新街口社区党群服务中心,党群服务中心,118.7812,32.0441,1200,3400,"中山路1号,2楼",025-84561234,Mo-Fr 08:30-17:30,休息、饮水、充电"#,
            "S102,华侨路党群服务站,党群服务站,118.7745,32.0456,800,2100,\"华侨路\n18号\",,Mo-Su 09:00-21:00,热饭、养老",
            "S103,汉中门红色驿站,红色驿站,118.7691,32.0402,,,,,24/7,饮水、如厕",
        ]
    }

    func testCSVGBKWithChineseHeadersIsDetected() throws {
        // Windows tools write GBK with CRLF line ends.
        let csvText = ([gbkHeader] + gbkRows).joined(separator: "\r\n") + "\r\n"
        let url = try write("站点.csv", try gbk(csvText))
        let summary = try importFile(.stations, url)
        XCTAssertEqual(summary.encoding, "GB18030 (detected)")
        XCTAssertEqual(summary.features, 3)
        XCTAssertEqual(try row("SELECT name, kind, services, address, phone, hours, properties FROM stations WHERE id = 'S101'"),
                       [.text("新街口社区党群服务中心"), .text("center"), .text(#"["rest","water","charging"]"#), .text("中山路1号,2楼"),
                        .text("025-84561234"), .text("Mo-Fr 08:30-17:30"), .text(#"{"户数":"1200","人口":"3400"}"#)])
        XCTAssertEqual(try row("SELECT kind, services, address, phone FROM stations WHERE id = 'S102'"),
                       [.text("station"), .text(#"["meal","elderly"]"#), .text("华侨路\n18号"), .null])
        XCTAssertEqual(try row("SELECT kind, services, hours FROM stations WHERE id = 'S103'"),
                       [.text("post"), .text(#"["water","toilet"]"#), .text("24/7")])
        XCTAssertEqual(try row("SELECT ST_X(geom), ST_Y(geom) FROM stations WHERE id = 'S103'"), [.double(118.7691), .double(32.0402)])

        // The same file as compounds: 户数 and 人口 are now contract fields, the station columns are extras.
        let compounds = try importFile(.compounds, url)
        XCTAssertEqual(compounds.features, 3)
        XCTAssertEqual(try row("SELECT name, households, population, kind FROM compounds WHERE id = 'S101'"),
                       [.text("新街口社区党群服务中心"), .int(1200), .int(3400), .text("党群服务中心")])
        XCTAssertEqual(try row("SELECT households, population, ref_lon, ref_lat FROM compounds WHERE id = 'S103'"),
                       [.null, .null, .double(118.7691), .double(32.0402)])
        XCTAssertEqual(try text("SELECT json_extract(properties, '$.\"服务\"') FROM compounds WHERE id = 'S101'"), "休息、饮水、充电")
    }

    func testCSVEncodingGivenExplicitly() throws {
        let url = try write("gbk.csv", try gbk(([gbkHeader] + gbkRows).joined(separator: "\n")))
        let summary = try importFile(.stations, url, encoding: .gb18030)
        XCTAssertEqual(summary.encoding, "GB18030")
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S102'"), "华侨路党群服务站")
        XCTAssertEqual(TextEncodingChoice(name: "GBK"), .gb18030)
        XCTAssertEqual(TextEncodingChoice(name: "utf8"), .utf8)
        XCTAssertNil(TextEncodingChoice(name: "latin1"))

        let utf8 = try write("utf8.csv", ([gbkHeader] + gbkRows).joined(separator: "\n"))
        let second = try importFile(.stations, utf8, encoding: .utf8)
        XCTAssertEqual(second.encoding, "UTF-8")
        XCTAssertEqual(second.updated, 3)
        XCTAssertEqual(try text("SELECT name FROM stations WHERE id = 'S102'"), "华侨路党群服务站")
    }

    func testCSVInvalidUTF8GivenAsUTF8IsAClearError() throws {
        try seedCity()
        var data = Data("id,name,lon,lat\nS1,ok,118.78,32.04\n".utf8)
        data.append(try gbk("S2,华侨路站,118.79,32.05\n"))
        let url = try write("mixed.csv", data)
        let error = try assertImportFails(.stations, url, encoding: .utf8)
        assertProblem(error, file: "mixed.csv", at: .line(3, id: nil), field: nil, ["invalid UTF-8", "--encoding gbk"])
    }

    func testCSVLineNumbersCountTheHeaderAndMultiLineFields() throws {
        try seedCity()
        // line 1 header; lines 2–4 one record with a field spanning three lines; line 5 fine; line 6 bad.
        let csv = #"""
            id,name,lon,lat,households,address
            C10,"Jinling, East",118.78,32.04,300,"Building 1
            Building 2
            Building 3"
            C11,Yincheng,118.79,32.05,"1,200",x
            C12,Longjiang,118.80,32.06,约300户,y
            C13,Nanhu,118.81,abc,5,z

            """#
        let url = try write("compounds.csv", csv)
        let error = try assertImportFails(.compounds, url)
        assertProblem(error, file: "compounds.csv", at: .line(6, id: "C12"), field: "households", [#"not a number: "约300户""#])
        assertProblem(error, file: "compounds.csv", at: .line(7, id: "C13"), field: "lat", [#"not a finite number: "abc""#])
        XCTAssertEqual(error.problems.count, 2)
        XCTAssertTrue(error.description.contains("compounds.csv: line 6 (id C12): households: not a number"), error.description)
    }

    func testCSVDuplicateIDsAndFieldCountErrorsNameTheLines() throws {
        try seedCity()
        let dup = try write("dup.csv", "id,name,lon,lat\nS5,a,118.78,32.04\nS6,b,118.78,32.04\nS5,c,118.78,32.04\n")
        let error = try assertImportFails(.stations, dup)
        assertProblem(error, file: "dup.csv", at: .line(4, id: "S5"), field: "id", [#"duplicate id "S5""#, "line 2 (id S5)"])

        let ragged = try write("ragged.csv", "id,name,lon,lat\nS5,a,118.78,32.04\nS6,b,118.78\n")
        let error2 = try assertImportFails(.stations, ragged)
        assertProblem(error2, file: "ragged.csv", at: .line(3, id: nil), field: nil, ["3 fields", "header has 4"])

        let unterminated = try write("quote.csv", "id,name,lon,lat\nS5,\"a,118.78,32.04\nS6,b,118.78,32.04\n")
        let error3 = try assertImportFails(.stations, unterminated)
        assertProblem(error3, file: "quote.csv", at: .line(2, id: nil), field: nil, ["unterminated quoted field"])
    }

    func testCSVIsRefusedForLayersThatAreNotPoints() throws {
        try seedCity()
        let url = try write("grids.csv", "id,name,lon,lat\nG1,a,118.78,32.04\n")
        let error = try assertImportFails(.grids, url)
        assertProblem(error, file: "grids.csv", at: .file, field: nil, ["grids layer needs GeoJSON"])
    }

    /// Records, a quoted field with line breaks and CR LF line ends across the reader's 1 MiB chunks, and an encoding
    /// settled by a GBK record that comes after the first chunk.
    func testCSVIsStreamedAcrossChunks() throws {
        var text = "id,name,lon,lat,address\r\n"
        var n = 0
        while text.utf8.count < 3 << 20 {
            n += 1
            text += "S\(n),station \(n),118.78,32.04,\"line one\r\nline two, \"\"quoted\"\"\"\r\n"
        }
        var data = Data(text.utf8)
        data.append(try gbk("S\(n + 1),新街口站,118.79,32.05,中山路\r\n"))
        let summary = try importFile(.stations, try write("stream.csv", data))
        XCTAssertEqual(summary.features, n + 1)
        XCTAssertEqual(summary.encoding, "GB18030 (detected)")
        XCTAssertEqual(try row("SELECT name, address FROM stations WHERE id = ?", [.text("S\(n / 2)")]),
                       [.text("station \(n / 2)"), .text("line one\r\nline two, \"quoted\"")])
        XCTAssertEqual(try row("SELECT name, address FROM stations WHERE id = ?", [.text("S\(n + 1)")]), [.text("新街口站"), .text("中山路")])
    }
}
