import DoorstepGeo
import DoorstepTestSupport
import DoorstepHTTP
import Foundation
import HTTPTypes
import HummingbirdTesting
import XCTest

/// The API carries the data's own credits: the landing page and `/api` all of them, each collection its layers'.
final class CreditsRouteTests: XCTestCase {
    func testCreditsFollowTheData() async throws {
        let dir = try temporaryDirectory(self)
        let path = try sampleDatabase(self)
        // The street office replaces the stations with its own list.
        let csv = dir.appendingPathComponent("stations.csv")
        try "编号,名称,经度,纬度\nS1,华侨路党群服务中心,118.7716,32.0510\n".write(to: csv, atomically: true, encoding: .utf8)
        var office = ImportOptions(layer: .stations, file: csv, replace: true)
        office.attribution = "鼓楼区华侨路街道办事处"
        try importInto(path, office)
        let osm = try XCTUnwrap(JSONValue.parse(String(contentsOf: sampleCity.appendingPathComponent("ways.geojson"), encoding: .utf8))["metadata"]?["attribution"]?.string)

        let (app, _) = try makeApp(path)
        try await app.test(.router) { client in
            let landing = try await client.request("/?f=json").body()
            let all = try XCTUnwrap(landing["attribution"]?.string)
            XCTAssertTrue(all.contains(osm) && all.contains("鼓楼区华侨路街道办事处"), all)

            let stations = try await client.request("/collections/stations").body()
            XCTAssertEqual(stations["attribution"]?.string, "鼓楼区华侨路街道办事处")
            let ways = try await client.request("/collections/ways").body()
            XCTAssertEqual(ways["attribution"]?.string, osm)

            let license = try await client.request("/api").body()["info"]?["license"]
            XCTAssertEqual(license?["name"]?.string, "Data: " + all)
            XCTAssertEqual(license?["url"]?.string, "https://www.openstreetmap.org/copyright")
        }
    }
}
