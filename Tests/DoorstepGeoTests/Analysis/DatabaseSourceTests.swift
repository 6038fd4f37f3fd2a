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

    private func answer(_ address: String, beside: (@Sendable () throws -> any StoreReader)?,
                        pieceSize: Int = 1 << 18) throws -> (json: String, beside: Bool) {
        let source = DatabaseSource(try StoreBackends.open(address, readOnly: true), besideNetwork: beside)
        source.wayPieceSize = pieceSize
        let json = try CoverageUseCase.run(options, on: source).json.jsonText
        return (json, source.readBesideNetwork)
    }

    private static func execute(_ address: String, _ sql: String) throws {
        if TestStores.isPostgres(address) { return try PostGISQuery.execute(address, sql) }
        try Store(path: address).database.execute(sql)
    }

    private func sampleCity() throws -> String {
        let address = try TestStores.fresh(self)
        try StoreBackends.writing(address) { store in
            try importSampleCity(into: store)
        }
        return address
    }

    /// The ways read in pieces of feature ids and joined are the ways read whole: ids, levels, connectors, lines,
    /// points.
    func testWaysReadInPiecesAreTheWaysReadWhole() throws {
        let address = try sampleCity()
        let store = try StoreBackends.open(address, readOnly: true)
        let whole = try store.walkableWayLines()
        let bounds = try XCTUnwrap(store.fidBounds(of: .ways))
        XCTAssertEqual(bounds.count, try store.count(.ways), "the sample's feature ids run without gaps")
        XCTAssertGreaterThan(whole.count, 3 * 37)
        var joined = WayLines()
        for low in stride(from: bounds.lowerBound, through: bounds.upperBound, by: 37) {
            joined.append(contentsOf: try store.walkableWayLines(fids: low..<min(low + 37, bounds.upperBound + 1)))
        }
        XCTAssertEqual(joined.ids, whole.ids)
        XCTAssertEqual(Array(joined.levels), Array(whole.levels))
        XCTAssertTrue(Set(whole.levels).count > 1, "the sample has bridges or tunnels")
        XCTAssertEqual(joined.mended, whole.mended)
        XCTAssertEqual(joined.lineWay, whole.lineWay)
        XCTAssertEqual(joined.lineStart, whole.lineStart)
        XCTAssertEqual(joined.coordinates, whole.coordinates)
        // As `import ways` reads them: on two connections at once.
        let both = try DatabaseSource.walkableWayLines(of: store, beside: { try StoreBackends.open(address, readOnly: true) }, pieceSize: 37)
        XCTAssertEqual(both.ids, whole.ids)
        XCTAssertEqual(both.lineStart, whole.lineStart)
        XCTAssertEqual(both.coordinates, whole.coordinates)
        XCTAssertNil(try freshStore(self, name: "empty").store.fidBounds(of: .ways), "an empty layer has no bounds")
    }

    func testCompoundsReadBesideTheNetworkAreTheStoresOwn() throws {
        let address = try sampleCity()
        let alone = try answer(address, beside: nil)
        XCTAssertFalse(alone.beside)
        let beside = try answer(address, beside: { try StoreBackends.open(address, readOnly: true) })
        XCTAssertTrue(beside.beside, "the second connection was used")
        XCTAssertEqual(beside.json, alone.json)
        XCTAssertTrue(alone.json.contains("\"walking_m\":"), "a walking answer")
        // The ways in many small pieces, read by both connections.
        let pieces = try answer(address, beside: { try StoreBackends.open(address, readOnly: true) }, pieceSize: 7)
        XCTAssertTrue(pieces.beside)
        XCTAssertEqual(pieces.json, alone.json)

        // A second connection that cannot be opened: everything read here instead.
        struct Refused: Error {}
        let refused = try answer(address, beside: { throw Refused() }, pieceSize: 7)
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
