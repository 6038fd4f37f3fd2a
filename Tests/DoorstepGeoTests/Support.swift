import Foundation

/// The package root (Tests/DoorstepGeoTests/Support.swift is three levels down): tests in any subfolder find
/// geodata/ and Tests/Fixtures/ from here, not by counting their own file's depth.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

import DoorstepGeo
import DoorstepSpatiaLite
import DoorstepTestSupport
import XCTest

/// A fresh, empty store for `test` (`TestStores.fresh`: a SpatiaLite file, or a PostGIS schema under
/// DOORSTEP_TEST_STORE), created and opened for writing through `StoreBackends`, as `doorstep import` does; removed
/// when the test ends. `name` and `directory` place a SpatiaLite file.
func freshStore(_ test: XCTestCase, name: String = "city", in directory: URL? = nil) throws -> (store: any StoreWriter, address: String) {
    let address = try TestStores.fresh(test, name: name, in: directory)
    try StoreBackends.writing(address) { _ in }
    return (try StoreBackends.open(address, readOnly: false), address)
}

/// The sample city (central Nanjing, geodata/) — or the five layers' GeoJSON files in `directory` — imported into
/// `store` in `make run`'s order, as `doorstep import` does (without building the walking network).
let sampleCityDirectory = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou")
func importSampleCity(into store: any StoreWriter, from directory: URL = sampleCityDirectory) throws {
    for layer in [Layer.ways, .grids, .compounds, .entrances, .stations] {
        _ = try Importer.run(ImportOptions(layer: layer, file: directory.appendingPathComponent("\(layer.rawValue).geojson")), into: store)
    }
}

/// One value computed by the store's own database engine, as a check of Doorstep's Swift independent of it: `spatiaLite`
/// run by SQLite on the file, or `postGIS` run by PostgreSQL (through psql) in the address's schema. Numbers are to be
/// written into the SQL (`sqlNumber`); nil for SQL NULL.
func engineScalar(_ address: String, spatiaLite: String, postGIS: String) throws -> String? {
    guard TestStores.isPostgres(address) else {
        return try Store(path: address, readOnly: true).database.scalarText(spatiaLite)
    }
    let schema = try XCTUnwrap(TestStores.schema(of: address))
    let out = try TestStores.psql(address, "SET search_path TO \"\(schema)\", public; \(postGIS)")
        .trimmingCharacters(in: .whitespacesAndNewlines)
    return out.isEmpty ? nil : out
}

/// `x` as SQL text that reads back as the same Double.
func sqlNumber(_ x: Double) -> String { "\(x)" }
