import Foundation
import XCTest
@testable import DoorstepGeo

final class OpeningHoursTests: XCTestCase {
    // ISO weekdays, for readability.
    private let mo = 1, tu = 2, we = 3, th = 4, fr = 5, sa = 6, su = 7

    private func parse(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> OpeningHours {
        do {
            return try OpeningHours(parsing: s)
        } catch {
            XCTFail("\"\(s)\" should parse: \(error)", file: file, line: line)
            return .alwaysOpen
        }
    }

    /// `"HH:MM"` → minute of day.
    private func at(_ hhmm: String) -> Int {
        let parts = hhmm.split(separator: ":")
        return Int(parts[0])! * 60 + Int(parts[1])!
    }

    private func isOpen(_ oh: OpeningHours, _ weekday: Int, _ hhmm: String) -> Bool {
        oh.isOpen(weekday: weekday, minuteOfDay: at(hhmm))
    }

    /// Asserts the text is rejected and the message quotes `mentioning` and gives the 1-based position.
    private func assertRejects(_ s: String, mentioning fragment: String, position: Int? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        do throws(OpeningHoursError) {
            let oh = try OpeningHours(parsing: s)
            XCTFail("\"\(s)\" should be rejected, parsed as \"\(oh.text)\"", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.contains(fragment),
                          "\"\(error.description)\" should mention \(fragment)", file: file, line: line)
            XCTAssertTrue(error.description.contains("in \"\(s)\""), error.description, file: file, line: line)
            if let position {
                XCTAssertEqual(error.position, position, error.description, file: file, line: line)
            }
        }
    }

    // MARK: - Accepted forms

    func testWeekdayRangeWithOneTimeRange() {
        let oh = parse("Mo-Fr 08:30-17:30")
        for d in [mo, tu, we, th, fr] {
            XCTAssertTrue(isOpen(oh, d, "08:30"))
            XCTAssertTrue(isOpen(oh, d, "12:00"))
            XCTAssertTrue(isOpen(oh, d, "17:29"))
            XCTAssertFalse(isOpen(oh, d, "17:30"), "end is exclusive")
            XCTAssertFalse(isOpen(oh, d, "08:29"))
        }
        XCTAssertFalse(isOpen(oh, sa, "12:00"))
        XCTAssertFalse(isOpen(oh, su, "12:00"))
    }

    func testRangeNotStartingOnMonday() {
        let oh = parse("Tu-Su 09:00-17:00")
        XCTAssertFalse(isOpen(oh, mo, "10:00"))
        for d in [tu, we, th, fr, sa, su] { XCTAssertTrue(isOpen(oh, d, "10:00")) }
    }

    func testWrappingDayRange() {
        let oh = parse("Fr-Mo 10:00-16:00")
        for d in [fr, sa, su, mo] { XCTAssertTrue(isOpen(oh, d, "10:00"), "\(d)") }
        for d in [tu, we, th] { XCTAssertFalse(isOpen(oh, d, "10:00"), "\(d)") }
    }

    func testDayListAndMixedList() {
        let weekend = parse("Sa,Su 10:00-14:00")
        XCTAssertTrue(isOpen(weekend, sa, "11:00"))
        XCTAssertTrue(isOpen(weekend, su, "11:00"))
        XCTAssertFalse(isOpen(weekend, fr, "11:00"))

        let mixed = parse("Mo-We,Fr 08:00-12:00")
        for d in [mo, tu, we, fr] { XCTAssertTrue(isOpen(mixed, d, "09:00"), "\(d)") }
        for d in [th, sa, su] { XCTAssertFalse(isOpen(mixed, d, "09:00"), "\(d)") }
    }

    func testSeveralTimeRanges() {
        let oh = parse("Mo-Fr 08:00-12:00,14:00-17:30")
        XCTAssertTrue(isOpen(oh, we, "11:59"))
        XCTAssertFalse(isOpen(oh, we, "12:00"))
        XCTAssertFalse(isOpen(oh, we, "13:59"))
        XCTAssertTrue(isOpen(oh, we, "14:00"))
        XCTAssertTrue(isOpen(oh, we, "17:29"))
        XCTAssertFalse(isOpen(oh, we, "17:30"))
    }

    func testPastMidnightSpillsIntoTheNextDay() {
        let oh = parse("Fr 18:00-02:00")
        XCTAssertFalse(isOpen(oh, fr, "17:59"))
        XCTAssertTrue(isOpen(oh, fr, "18:00"))
        XCTAssertTrue(isOpen(oh, fr, "23:59"))
        XCTAssertTrue(isOpen(oh, sa, "00:00"))
        XCTAssertTrue(isOpen(oh, sa, "01:59"))
        XCTAssertFalse(isOpen(oh, sa, "02:00"))
        XCTAssertFalse(isOpen(oh, fr, "01:00"), "Thursday has no rule, so nothing spills into Friday")
    }

    func testSundayNightWrapsIntoMonday() {
        let oh = parse("Su 22:00-03:00")
        XCTAssertTrue(isOpen(oh, su, "23:00"))
        XCTAssertTrue(isOpen(oh, mo, "02:30"))
        XCTAssertFalse(isOpen(oh, mo, "03:00"))
        XCTAssertFalse(isOpen(oh, su, "02:30"), "Saturday has no rule")
    }

    func testMidnightAsEnd() {
        let late = parse("Sa 18:00-24:00")
        XCTAssertTrue(isOpen(late, sa, "23:59"))
        XCTAssertFalse(isOpen(late, su, "00:00"))
        let allDay = parse("Mo 00:00-24:00")
        XCTAssertTrue(isOpen(allDay, mo, "00:00"))
        XCTAssertTrue(isOpen(allDay, mo, "23:59"))
        XCTAssertFalse(isOpen(allDay, tu, "00:00"))
        // 00:00 as an end is the same instant as 24:00.
        let zero = parse("Sa 18:00-00:00")
        XCTAssertTrue(isOpen(zero, sa, "23:59"))
        XCTAssertFalse(isOpen(zero, su, "00:00"))
    }

    func testTwentyFourSeven() {
        let oh = parse("24/7")
        for d in 1...7 {
            XCTAssertTrue(oh.isOpen(weekday: d, minuteOfDay: 0))
            XCTAssertTrue(oh.isOpen(weekday: d, minuteOfDay: 1439))
        }
        XCTAssertEqual(oh, OpeningHours.alwaysOpen)
        XCTAssertEqual(OpeningHours.alwaysOpen.text, "24/7")
    }

    func testTimeRangeWithoutDaysMeansEveryDay() {
        let oh = parse("08:00-20:00")
        for d in 1...7 {
            XCTAssertTrue(isOpen(oh, d, "08:00"))
            XCTAssertFalse(isOpen(oh, d, "20:00"))
        }
    }

    func testOff() {
        let oh = parse("Mo-Sa 09:00-18:00; Su off")
        XCTAssertTrue(isOpen(oh, sa, "10:00"))
        XCTAssertFalse(isOpen(oh, su, "10:00"))

        let open = parse("24/7; Su off")
        XCTAssertTrue(isOpen(open, sa, "23:59"))
        XCTAssertFalse(isOpen(open, su, "00:00"))
        XCTAssertFalse(isOpen(open, su, "23:59"))
        XCTAssertTrue(isOpen(open, mo, "00:00"))

        let closed = parse("off")
        for d in 1...7 { XCTAssertFalse(closed.isOpen(weekday: d, minuteOfDay: 720)) }
    }

    func testLaterRuleReplacesTheDaysItNames() {
        let oh = parse("Mo-Fr 08:30-17:30; Sa 09:00-12:00")
        XCTAssertTrue(isOpen(oh, sa, "09:00"))
        XCTAssertFalse(isOpen(oh, sa, "13:00"))
        XCTAssertTrue(isOpen(oh, fr, "17:00"))

        // The later rule replaces Wednesday's intervals entirely, not adds to them.
        let over = parse("Mo-Fr 08:00-18:00; We 14:00-16:00")
        XCTAssertFalse(isOpen(over, we, "09:00"))
        XCTAssertTrue(isOpen(over, we, "15:00"))
        XCTAssertTrue(isOpen(over, th, "09:00"))
    }

    func testSpillOverBelongsToTheDayItStartsOn() {
        // Saturday's own rule does not remove Friday night's hours after midnight ...
        let kept = parse("Fr 18:00-02:00; Sa 10:00-12:00")
        XCTAssertTrue(isOpen(kept, sa, "01:00"))
        XCTAssertTrue(isOpen(kept, sa, "11:00"))
        XCTAssertFalse(isOpen(kept, sa, "03:00"))
        let keptOff = parse("Fr 18:00-02:00; Sa off")
        XCTAssertTrue(isOpen(keptOff, sa, "01:00"))
        XCTAssertFalse(isOpen(keptOff, sa, "11:00"))

        // ... but a later rule for Friday itself does.
        let removed = parse("Fr 18:00-02:00; Fr off")
        XCTAssertFalse(isOpen(removed, fr, "19:00"))
        XCTAssertFalse(isOpen(removed, sa, "01:00"))
        let shortened = parse("Mo-Su 18:00-02:00; Fr 18:00-22:00")
        XCTAssertFalse(isOpen(shortened, sa, "01:00"))
        XCTAssertTrue(isOpen(shortened, su, "01:00"))
    }

    func testWhitespaceToleranceAndNormalizedText() {
        let oh = parse("  Mo-Fr   8:30-17:30 ;Sa,Su 09:00 - 12:00,14:00-16:00  ")
        XCTAssertEqual(oh.text, "Mo-Fr 08:30-17:30; Sa,Su 09:00-12:00,14:00-16:00")
        XCTAssertTrue(isOpen(oh, mo, "08:30"))
        XCTAssertTrue(isOpen(oh, su, "15:00"))
        XCTAssertEqual(oh, parse(oh.text), "normalized text parses to the same hours")
    }

    func testOutOfRangeQueriesAreClosedNotACrash() {
        let oh = OpeningHours.alwaysOpen
        XCTAssertFalse(oh.isOpen(weekday: 0, minuteOfDay: 600))
        XCTAssertFalse(oh.isOpen(weekday: 8, minuteOfDay: 600))
        XCTAssertFalse(oh.isOpen(weekday: 1, minuteOfDay: -1))
        XCTAssertFalse(oh.isOpen(weekday: 1, minuteOfDay: 1440))
    }

    func testIsOpenAtDateUsesTheGivenTimeZone() throws {
        let oh = parse("Mo-Fr 08:00-17:00")
        let shanghai = try XCTUnwrap(TimeZone(identifier: "Asia/Shanghai"))
        // 2024-01-05 is a Friday. 01:30 UTC is 09:30 in Shanghai (open) but 01:30 in UTC (closed).
        let fridayEarly = Date(timeIntervalSince1970: 1_704_418_200)
        XCTAssertTrue(oh.isOpen(at: fridayEarly, timeZone: shanghai))
        XCTAssertFalse(oh.isOpen(at: fridayEarly, timeZone: try XCTUnwrap(TimeZone(identifier: "UTC"))))
        // 2024-01-06 01:30 UTC is Saturday 09:30 in Shanghai: closed.
        XCTAssertFalse(oh.isOpen(at: fridayEarly.addingTimeInterval(86_400), timeZone: shanghai))
        // 2024-01-07 20:00 UTC is Monday 04:00 in Shanghai but still Sunday in UTC.
        let sundayNight = Date(timeIntervalSince1970: 1_704_657_600)
        let mondayOnly = parse("Mo 00:00-06:00")
        XCTAssertTrue(mondayOnly.isOpen(at: sundayNight, timeZone: shanghai))
        XCTAssertFalse(mondayOnly.isOpen(at: sundayNight, timeZone: try XCTUnwrap(TimeZone(identifier: "UTC"))))
    }

    func testWeekTimeAgreesWithFoundationCalendar() throws {
        // WeekTime.at does its own arithmetic (it runs per request); Calendar is the independent answer.
        var generator = SystemRandomNumberGenerator()
        for zoneName in ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"] {
            let zone = try XCTUnwrap(TimeZone(identifier: zoneName))
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            for _ in 0..<2_000 {
                // 1950 … 2100, including dates before 1970 (negative epoch seconds).
                let date = Date(timeIntervalSince1970: Double.random(in: -631_152_000...4_102_444_800, using: &generator))
                let c = calendar.dateComponents([.weekday, .hour, .minute], from: date)
                let expected = WeekTime(weekday: (c.weekday! + 5) % 7 + 1, minute: c.hour! * 60 + c.minute!)
                XCTAssertEqual(WeekTime.at(date, in: zone), expected, "\(date) in \(zoneName)")
            }
        }
        XCTAssertEqual(WeekTime(weekday: 1, minute: 5)?.description, "Mo 00:05")
        XCTAssertEqual(WeekTime(weekday: 7, minute: 1439)?.description, "Su 23:59")
        XCTAssertEqual(WeekTime(weekday: 3, minute: 600)?.description, "We 10:00")
    }

    // MARK: - Rejected forms

    func testUnsupportedTokensAreNamedWithTheirPosition() {
        assertRejects("Mo-Fr 08:00-17:00; PH off", mentioning: "unsupported token \"PH\"", position: 20)
        do throws(OpeningHoursError) {
            _ = try OpeningHours(parsing: "Mo-Fr 08:00-17:00; PH off")
            XCTFail("PH should be rejected")
        } catch {
            XCTAssertEqual(error.description,
                           "unsupported token \"PH\" at position 20 in \"Mo-Fr 08:00-17:00; PH off\"")
        }
    }

    func testHolidaysMonthsWeeksAndSunTimesAreRejected() {
        assertRejects("PH off", mentioning: "\"PH\"", position: 1)
        assertRejects("SH 10:00-12:00", mentioning: "\"SH\"", position: 1)
        assertRejects("Mo-Fr 08:00-17:00; SH off", mentioning: "\"SH\"")
        assertRejects("Jan-Mar Mo 08:00-10:00", mentioning: "\"Jan\"", position: 1)
        assertRejects("Mo-Fr 08:00-12:00; Dec off", mentioning: "\"Dec\"")
        assertRejects("week 01-10 Mo 08:00-10:00", mentioning: "\"week\"", position: 1)
        assertRejects("Mo sunrise-sunset", mentioning: "\"sunrise\"", position: 4)
        assertRejects("Mo 08:00-sunset", mentioning: "\"sunset\"")
    }

    func testCommentsOpenEndsAndOtherSyntaxAreRejected() {
        assertRejects("Mo 08:00-12:00 \"by appointment\"", mentioning: "\"\"\"", position: 16)
        assertRejects("Mo-Fr 18:00+", mentioning: "\"+\"", position: 12)
        assertRejects("Mo 08:00-12:00 || Tu off", mentioning: "\"|\"")
        assertRejects("Mo[1] 08:00-12:00", mentioning: "\"[\"", position: 3)
        assertRejects("Mo 08:00-12:00 closed", mentioning: "\"closed\"")
        assertRejects("Mo-Fr 08:00-12:00, Sa 09:00-12:00", mentioning: "found \"Sa\"")
        assertRejects("Mo-Fr 24/7", mentioning: "24/7")
        assertRejects("24/7 off", mentioning: "found \"off\"")
        assertRejects("周一 08:00-10:00", mentioning: "\"周一\"", position: 1)
    }

    func testDayNamesAreCaseSensitive() {
        assertRejects("mo-fr 08:00-17:00", mentioning: "\"mo\"", position: 1)
        assertRejects("MO 08:00-17:00", mentioning: "\"MO\"", position: 1)
        assertRejects("Mo-fr 08:00-17:00", mentioning: "\"fr\"", position: 4)
    }

    func testMalformedTimesAreRejected() {
        assertRejects("Mo 25:00-26:00", mentioning: "malformed time \"25:00\"", position: 4)
        assertRejects("Mo 08:60-09:00", mentioning: "malformed time \"08:60\"", position: 4)
        assertRejects("Mo 08:00-09:60", mentioning: "malformed time \"09:60\"", position: 10)
        assertRejects("Mo 24:00-02:00", mentioning: "malformed time \"24:00\"", position: 4)
        assertRejects("Mo 08:00-24:30", mentioning: "malformed time \"24:30\"")
        assertRejects("Mo 0800-1200", mentioning: "malformed time \"0800\"")
        assertRejects("Mo 08:0-12:00", mentioning: "malformed time \"08:0\"")
        assertRejects("Mo 08:00-08:00", mentioning: "empty time range")
        assertRejects("Mo 08:00", mentioning: "expected \"-\"")
        assertRejects("Mo 08:00-", mentioning: "but the text ends")
        assertRejects("Mo 08:00-12:00,", mentioning: "but the text ends")
    }

    func testEmptyRulesAndIncompleteSelectorsAreRejected() {
        assertRejects("", mentioning: "empty rule", position: 1)
        assertRejects("   ", mentioning: "empty rule")
        assertRejects("Mo 08:00-12:00;", mentioning: "empty rule", position: 16)
        assertRejects("Mo 08:00-12:00;; Tu off", mentioning: "empty rule", position: 16)
        assertRejects("; Mo 08:00-12:00", mentioning: "empty rule", position: 1)
        assertRejects("Mo-Fr", mentioning: "expected a time range or \"off\"")
        assertRejects("Mo,", mentioning: "expected a day")
        assertRejects("Mo-", mentioning: "expected a day")
        assertRejects("Mo-Fr Sa 08:00-12:00", mentioning: "found \"Sa\"")
    }
}
