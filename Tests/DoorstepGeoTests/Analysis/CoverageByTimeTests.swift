import DoorstepGeo
import DoorstepSpatiaLite
import Foundation
import XCTest

/// Coverage by time of day (issue 17, point 3): `open_at` among the analysis options and coverage over a day, checked
/// against independent paths — `nearest --open-at` (the residents' use case, k = 1) for which compounds are covered,
/// `coverage --open-at` for every hour of `--over-day`, and opening hours read by `OpeningHours` itself.
final class CoverageByTimeTests: XCTestCase {
    private var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-time-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    static let sampleCity = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")
    /// The reach at which the test's two stations alone decide their compounds (the sample's compounds are at most
    /// about 325 m from a station).
    static let lonely = 100.0

    /// The sample city (every station has hours), and with `extra` two stations of the test's own, each standing on the
    /// first reference point of a compound more than `2 × lonely` metres from every station and from the other: `T-NONE`
    /// without hours, `T-OFFICE` open `Mo-Fr 09:00-17:00`. Within `lonely` metres of these compounds there is only
    /// their own new station. Returns the database and those two compounds.
    func database(extra: Bool) throws -> (path: String, hoursless: CompoundSite?, office: CompoundSite?) {
        let (store, path) = try freshStore(self, name: "city-\(extra)", in: work)
        try importSampleCity(into: store, from: Self.sampleCity)
        guard extra else { return (path, nil, nil) }
        let report = try CoverageAnalysis.run(stations: try store.stations(), compounds: try store.compoundSites(), network: nil,
                                              options: CoverageOptions(reach: .uniform(Self.lonely)))
        // Far from every station and from each other, so that each new station decides its own compound only.
        let lonely = report.compounds.filter { ($0.nearestStraight?.metres ?? 0) > 2 * Self.lonely && $0.site.households != nil }
        let hoursless = try XCTUnwrap(lonely.first)
        let office = try XCTUnwrap(lonely.dropFirst().first { c in
            c.site.referencePoints.allSatisfy { Geodesic.distance($0, hoursless.site.referencePoints[0]) > 2 * Self.lonely }
                && hoursless.site.referencePoints.allSatisfy { Geodesic.distance($0, c.site.referencePoints[0]) > 2 * Self.lonely }
        })
        func feature(_ id: String, _ at: Coordinate, hours: String?) -> String {
            let h = hours.map { ", \"hours\": \"\($0)\"" } ?? ""
            return """
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [\(at.lon), \(at.lat)]},
                 "properties": {"id": "\(id)", "name": "\(id)", "kind": "post"\(h)}}
                """
        }
        let file = work.appendingPathComponent("extra.geojson")
        try Data("""
            {"type": "FeatureCollection", "features": [
            \(feature("T-NONE", hoursless.site.referencePoints[0], hours: nil)),
            \(feature("T-OFFICE", office.site.referencePoints[0], hours: "Mo-Fr 09:00-17:00"))]}
            """.utf8).write(to: file)
        _ = try Importer.run(ImportOptions(layer: .stations, file: file), into: store)
        XCTAssertNil(try store.stations().first { $0.id == "T-NONE" }?.hours)
        return (path, hoursless.site, office.site)
    }

    func coverage(_ path: String, _ open: String?, walk: Bool = false, radius: Double = 300) throws -> CoverageUseCase.Result {
        let options = try CoverageUseCase.Options(AnalysisOptions(radius: radius, walk: walk, openAt: open))
        return try CoverageUseCase.run(options, on: DatabaseSource(try StoreBackends.open(path, readOnly: true)))
    }

    /// Straight reach, one radius: a compound is covered at `open_at` exactly when the nearest station open then (the
    /// nearest use case with that `open_at`, k = 1, from each reference point) is within the radius.
    func testCoverageAtATimeAgreesWithNearestOpenAt() throws {
        let (path, _, _) = try database(extra: true)
        let store = try StoreBackends.open(path, readOnly: true)
        let stations = try store.stations()
        for (open, radius) in [("2026-11-23 19:30", 300.0), ("Mo 08:00", 500), ("Sa 12:30", 300), ("2026-11-29T21:30", 1000), ("Su 03:00", 500)] {
            let at = try XCTUnwrap(WeekTime(parsing: open))
            // Not a vacuous time: some stations are closed then, some open.
            let closed = stations.filter { !($0.hours?.isOpen(weekday: at.weekday, minuteOfDay: at.minute) ?? false) }
            XCTAssertFalse(closed.isEmpty, open)
            XCTAssertLessThan(closed.count, stations.count, open)

            let result = try coverage(path, open, radius: radius)
            XCTAssertEqual(result.report.qualifyingStations, stations.count - closed.count, open)
            for c in result.report.compounds {
                var nearest = Double.infinity
                for p in c.site.referencePoints {
                    let n = try NearestUseCase.run(NearestUseCase.Options(lon: p.lon, lat: p.lat, k: 1, openAt: open), on: store)
                    if let d = n.found.first?.distance { nearest = min(nearest, d) }
                    // What nearest found is open then by its own hours.
                    if let s = n.found.first?.station { XCTAssertTrue(s.hours?.isOpen(weekday: at.weekday, minuteOfDay: at.minute) == true) }
                }
                XCTAssertEqual(c.isCovered, nearest <= radius, "\(c.site.id) at \(open): nearest open station \(nearest) m")
            }
            // Fewer stations, never more coverage than without open_at.
            let always = try coverage(path, nil, radius: radius)
            XCTAssertLessThanOrEqual(result.report.total.householdsCovered, always.report.total.householdsCovered)
        }
        // At 19:30 on a Monday the evening closes posts: the answer differs from ignoring hours.
        XCTAssertLessThan(try coverage(path, "Mo 19:30").report.total.householdsCovered, try coverage(path, nil).report.total.householdsCovered)
    }

    /// Hour h of `--over-day` is `coverage --open-at "<day> h:00"`, for every hour, straight and walking; an office
    /// station (Mo-Fr 09:00-17:00) counts at 09:00 and 16:00, not at 08:00, 17:00 or 21:00, nor on Saturday; a station
    /// without hours never counts.
    func testEachHourIsCoverageAtThatHour() throws {
        let (path, hoursless, office) = try database(extra: true)
        let hoursless_ = try XCTUnwrap(hoursless), office_ = try XCTUnwrap(office)
        let source = DatabaseSource(try StoreBackends.open(path, readOnly: true))
        for (day, walk, radius) in [("Mo", false, Self.lonely), ("2026-11-28", false, Self.lonely), ("Fr", true, 300), ("Th", false, 300)] {
            let hours = try CoverageHoursUseCase.run(CoverageHoursUseCase.Options(AnalysisOptions(radius: radius, walk: walk), day: day), on: source)
            XCTAssertEqual(hours.hours.map(\.hour), Array(0..<24))
            let date = day == "2026-11-28" ? "2026-11-28" : nil
            XCTAssertEqual(hours.options.day, date == nil ? day : "Sa")
            var distinct = Set<Int>()
            for h in 0..<24 {
                let at = (date ?? day) + (h < 10 ? " 0\(h):00" : " \(h):00")
                let one = try coverage(path, at, walk: walk, radius: radius).report
                let row = hours.hours[h]
                let t = one.total
                XCTAssertEqual([row.openStations, row.householdsCovered, row.households, row.populationCovered, row.population],
                               [one.qualifyingStations, t.householdsCovered, t.households, t.populationCovered, t.population], "\(day) \(at) walk \(walk)")
                distinct.insert(row.householdsCovered)
                guard radius == Self.lonely else { continue }
                // The compound under the hoursless station is never covered (nothing else is within reach).
                XCTAssertFalse(one.compounds.first { $0.site.id == hoursless_.id }!.isCovered, at)
                do {
                    let weekday = try XCTUnwrap(WeekTime(parsing: at)).weekday
                    let officeOpen = weekday <= 5 && (9..<17).contains(h)
                    XCTAssertEqual(one.compounds.first { $0.site.id == office_.id }!.isCovered, officeOpen, "office compound at \(at)")
                }
            }
            XCTAssertGreaterThan(distinct.count, 2, "the day has a shape: \(hours.hours.map(\.householdsCovered))")
            // The JSON rows: share is households covered / households to 4 decimals.
            for (row, h) in zip(hours.rows, hours.hours) {
                let share = row.first { $0.0 == "share" }!.1
                XCTAssertEqual(share, .number((Double(h.householdsCovered) / Double(h.households) * 10_000).rounded() / 10_000))
                XCTAssertEqual(row.first { $0.0 == "time" }!.1, .string(String(format: "%02d:00", h.hour)))
            }
        }
        // The office station's own moments, straight: 09:00 and 16:00 yes; 08:59, 17:00 and 21:00 no (OpeningHours: the
        // end is exclusive).
        for (at, open) in [("Mo 09:00", true), ("Mo 16:00", true), ("Mo 16:59", true), ("Mo 08:59", false), ("Mo 17:00", false),
                           ("Mo 21:00", false), ("Sa 10:00", false)] {
            let report = try coverage(path, at, radius: Self.lonely).report
            XCTAssertEqual(report.compounds.first { $0.site.id == office_.id }!.isCovered, open, at)
        }
    }

    /// `open_at` goes through the one parser (nearest's); bad values name the parameter; the query echoes the moment.
    func testOpenAtOptionIsValidatedAndEchoed() throws {
        for bad in ["", "Mo", "Mo 24:00", "mo 09:30", "2026-02-30 09:00", "2026-11-23 9:3", "Xx 09:00", "09:30", "2026-11-23T09:30:00",
                    "Mo 09:30 extra", String(repeating: "9", count: 5000)] {
            XCTAssertThrowsError(try AnalysisOptions(openAt: bad), bad) { error in
                XCTAssertEqual((error as? UseCaseError)?.parameters, ["open_at"], bad)
                XCTAssertEqual((error as? UseCaseError)?.kind, .invalid, bad)
            }
            XCTAssertThrowsError(try NearestUseCase.Options(lon: 118.78, lat: 32.04, openAt: bad), bad) { error in
                XCTAssertEqual((error as? UseCaseError)?.parameters, ["open_at"], bad)
            }
            XCTAssertThrowsError(try AreasUseCase.Options(openAt: bad), bad) { error in
                XCTAssertEqual((error as? UseCaseError)?.parameters, ["open_at"], bad)
            }
        }
        // 2026-11-23 is a Monday; 2028-02-29 a Tuesday (a leap day).
        // `Th` and `Tu` are weekdays, not a date's `T`.
        for (given, echoed) in [("2026-11-23T09:30", "Mo 09:30"), ("2026-11-23 09:30", "Mo 09:30"), ("Su 23:59", "Su 23:59"), ("2028-02-29 00:00", "Tu 00:00"),
                                ("Th 09:30", "Th 09:30"), ("Tu 00:00", "Tu 00:00"), ("2026-11-26T18:05", "Th 18:05")] {
            let options = try AnalysisOptions(preset: "10min", openAt: given)
            XCTAssertEqual(options.openAt?.description, echoed)
            XCTAssertEqual(options.filter.openAt, options.openAt)
            XCTAssertEqual(options.query.first { $0.0 == "open_at" }?.1, .string(echoed))
        }
        XCTAssertNil(try AnalysisOptions().query.first { $0.0 == "open_at" }, "not echoed when not given")
        // --over-day takes a day, not open_at; a day is a weekday or a date.
        XCTAssertThrowsError(try CoverageHoursUseCase.Options(AnalysisOptions(openAt: "Mo 09:00"))) { error in
            XCTAssertEqual((error as? UseCaseError)?.parameters, ["open_at"])
        }
        for bad in ["mon", "Monday", "2026-13-01", "2026-11-23 09:00", "2026-11-23T", "", "8"] {
            XCTAssertThrowsError(try CoverageHoursUseCase.Options(AnalysisOptions(), day: bad), bad) { error in
                XCTAssertEqual((error as? UseCaseError)?.parameters, ["day"], bad)
            }
        }
        XCTAssertEqual(try CoverageHoursUseCase.Options(AnalysisOptions()).weekday, 1, "Monday by default")
        XCTAssertEqual(try CoverageHoursUseCase.Options(AnalysisOptions(), day: "2026-11-29").day, "Su")
        XCTAssertEqual(try CoverageHoursUseCase.Options(AnalysisOptions(), day: "Th").weekday, 4)
    }

    /// A hand-built day, expected by hand: a station open `Su 23:00-01:00` counts at Sunday 23:00 and Monday 00:00 (the
    /// hours after midnight belong to the day the range starts on) but not at Monday 01:00 or 23:00; one open
    /// `Mo-Fr 09:00-17:00` counts from 09:00 to 16:00; one without hours never; a 24/7 one always; a station of another
    /// kind not when the kind is filtered. Three distinct sets of open stations on a Monday, so three coverage runs.
    func testAHandBuiltDay() throws {
        func station(_ id: String, _ x: Double, _ hours: String?, kind: String = "post") throws -> Station {
            Station(id: id, name: id, kind: kind, services: [], address: nil, phone: nil, hours: try hours.map { try OpeningHours(parsing: $0) },
                    radiusMetres: nil, capacity: nil, location: at(x, 0))
        }
        func site(_ id: String, _ x: Double) -> CompoundSite {
            CompoundSite(id: id, name: id, households: 100, population: 250, kind: nil, referencePoints: [at(x, 0)], hasEntrances: false,
                         gridID: nil, gridName: nil, community: nil, street: nil, district: nil)
        }
        let stations = [try station("night", 0, "Su 23:00-01:00"), try station("office", 1000, "Mo-Fr 09:00-17:00"),
                        try station("unknown", 2000, nil), try station("always", 3000, "24/7"), try station("centre", 2000, "24/7", kind: "center")]
        let compounds = [site("A", 0), site("B", 1000), site("C", 2000), site("D", 3000)]
        let posts = CoverageOptions(reach: .uniform(100), filter: StationFilter(kinds: ["post"]))
        let monday = try CoverageByHour.run(stations: stations, compounds: compounds, network: nil, options: posts, weekday: 1)
        for h in 0..<24 {
            let open = 1 + (h == 0 ? 1 : 0) + ((9..<17).contains(h) ? 1 : 0)
            let r = monday[h]
            XCTAssertEqual([r.hour, r.openStations, r.householdsCovered, r.households, r.populationCovered, r.population],
                           [h, open, 100 * open, 400, 250 * open, 1000], "Mo \(h):00")
        }
        let sets = CoverageByHour.openSets(stations, filter: posts.filter, weekday: 1).sets
        XCTAssertEqual(sets.map(\.hours), [[0], Array(1...8) + Array(17...23), Array(9...16)])
        let sunday = try CoverageByHour.run(stations: stations, compounds: compounds, network: nil, options: posts, weekday: 7)
        XCTAssertEqual(sunday.map(\.householdsCovered), Array(repeating: 100, count: 23) + [200])
        // Without the kind filter the 24/7 centre covers C all day; the station without hours still counts for nothing.
        let any = try CoverageByHour.run(stations: stations, compounds: compounds, network: nil,
                                         options: CoverageOptions(reach: .uniform(100)), weekday: 3)
        XCTAssertEqual(any.map(\.openStations), (0..<24).map { 2 + ((9..<17).contains($0) ? 1 : 0) })
        XCTAssertEqual(any.map(\.householdsCovered), (0..<24).map { 200 + ((9..<17).contains($0) ? 100 : 0) })
        // No compounds, no stations: 24 empty hours, not a crash.
        let empty = try CoverageByHour.run(stations: [], compounds: [], network: nil, options: posts, weekday: 2)
        XCTAssertEqual(empty.map(\.hour), Array(0..<24))
        XCTAssertTrue(empty.allSatisfy { $0.households == 0 && $0.openStations == 0 })
    }
}
