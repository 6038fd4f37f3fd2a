import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport

/// A walking analysis reads the stations and compounds on a second connection while the ways are read and their graph
/// built (`DatabaseSource`'s `besideNetwork`): the same answer as one connection, and nothing lost when the second
/// connection fails or the store changes underneath.
final class DatabaseSourceTests: XCTestCase {
    private let options = { try! CoverageUseCase.Options(AnalysisOptions(radius: 300, walk: true)) }()

    private func answer(_ address: String, beside: (@Sendable () throws -> any StoreReader)?) throws -> (json: String, beside: Bool) {
        let source = DatabaseSource(try StoreBackends.open(address, readOnly: true), besideNetwork: beside)
        let json = try CoverageUseCase.run(options, on: source).json.jsonText
        return (json, source.readBesideNetwork)
    }

    private static func execute(_ address: String, _ sql: String) throws {
        if TestStores.isPostgres(address) { return try PostGISQuery.execute(address, sql) }
        try Store(path: address).database.execute(sql)
    }

    func testCompoundsReadBesideTheNetworkAreTheStoresOwn() throws {
        let address = try TestStores.fresh(self)
        try StoreBackends.writing(address) { store in
            for layer in [Layer.ways, .grids, .compounds, .entrances, .stations] {
                _ = try Importer.run(ImportOptions(layer: layer, file: CoverageByTimeTests.sampleCity.appendingPathComponent("\(layer.rawValue).geojson")),
                                     into: store)
            }
        }
        let alone = try answer(address, beside: nil)
        XCTAssertFalse(alone.beside)
        let beside = try answer(address, beside: { try StoreBackends.open(address, readOnly: true) })
        XCTAssertTrue(beside.beside, "the second connection was used")
        XCTAssertEqual(beside.json, alone.json)
        XCTAssertTrue(alone.json.contains("\"walking_m\":"), "a walking answer")

        // A second connection that cannot be opened: read here instead.
        struct Refused: Error {}
        let refused = try answer(address, beside: { throw Refused() })
        XCTAssertFalse(refused.beside)
        XCTAssertEqual(refused.json, alone.json)

        // A change committed (by an SQL client) after the generation was taken, before the side read: the side's
        // generation differs, so the compounds are read again here, and the answer is the changed store's.
        let changing = try answer(address, beside: {
            try Self.execute(address, "UPDATE compounds SET households = households + 1000")
            return try StoreBackends.open(address, readOnly: true)
        })
        XCTAssertFalse(changing.beside)
        let changed = try answer(address, beside: nil)
        XCTAssertNotEqual(changed.json, alone.json)
        XCTAssertEqual(changing.json.replacingOccurrences(of: #""generation":\d+"#, with: "", options: .regularExpression),
                       changed.json.replacingOccurrences(of: #""generation":\d+"#, with: "", options: .regularExpression))
    }
}
