import Foundation
import XCTest
@testable import DoorstepGeo
import DoorstepSpatiaLite

/// The union-free walking areas (issue 15): against GEOS's buffer of the same lines on the sample city (area and
/// intersection over union measured by GEOS, an independent engine), against shapes worked out by hand (a river,
/// a block ringed by streets), and the threaded, ordered delivery against the sequential drawing.
final class ReachRasterTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("doorstep-raster-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The sample city (geodata/nanjing-xinjiekou) imported into a fresh store: its network and stations.
    func sampleCity() throws -> (WalkingNetwork, [Station]) {
        let store = try Store(path: dir.appendingPathComponent("city.sqlite").path)
        for layer in ["ways", "stations"] {
            let file = packageRoot.appendingPathComponent("geodata/nanjing-xinjiekou/\(layer).geojson")
            _ = try Importer.run(ImportOptions(layer: Layer(rawValue: layer)!, file: file), into: store)
        }
        return (try WalkingNetwork.load(from: store), try store.stations())
    }

    /// `g` (WGS84) in the zone's plane, metres.
    func plane(_ g: Geometry, _ projection: MetricProjection) -> Geometry {
        g.mapCoordinates { let p = projection.project($0); return Coordinate(lon: p.x, lat: p.y) }
    }

    /// Polygons and their holes, by the rings' own count.
    func rings(_ g: Geometry) -> [[[Coordinate]]] {
        switch g {
        case .polygon(let r): return [r]
        case .multiPolygon(let ps): return ps
        default: return []
        }
    }

    /// GEOS's validity, area, and the intersection over union of two plane geometries.
    func compare(_ raster: Geometry, _ buffer: Geometry, _ label: String) throws -> (area: Double, bufferArea: Double, iou: Double) {
        let r = try XCTUnwrap(try GeometryEngine.validity(of: raster), label)
        XCTAssertTrue(r.valid, "\(label): \(r.reason)")
        let b = try XCTUnwrap(try GeometryEngine.validity(of: buffer), label)
        let both = try XCTUnwrap(try GeometryEngine.intersectionArea(raster, buffer), label)
        return (r.area, b.area, both / (r.area + b.area - both))
    }

    func testRasterAgreesWithTheBufferForEveryStationOfTheSampleCity() throws {
        let (network, stations) = try sampleCity()
        XCTAssertGreaterThan(stations.count, 20)
        let projection = try network.makeProjection()
        var worst = 1.0, compared = 0
        for band in [500.0, 1000] {
            let raster = try ServiceAreas.make(stations: stations, bands: [band], network: network, zone: network.zone)
            let buffer = try ServiceAreas.make(stations: stations, bands: [band], network: network, zone: network.zone, construction: .buffer)
            XCTAssertEqual(raster.offNetwork, buffer.offNetwork)
            XCTAssertEqual(raster.areas.map(\.stationID), buffer.areas.map(\.stationID))
            for (r, b) in zip(raster.areas, buffer.areas) {
                let label = "\(r.stationID) at \(band) m"
                let c = try compare(plane(r.geometry, projection), plane(b.geometry, projection), label)
                XCTAssertEqual(c.area, c.bufferArea, accuracy: c.bufferArea * 0.10, label)
                // The area the properties report is the plane area GEOS measures of the same polygon.
                XCTAssertEqual(r.area, c.area, accuracy: c.area * 1e-6 + 1, label)
                XCTAssertGreaterThanOrEqual(c.iou, 0.9, label)
                XCTAssertEqual(r.reachableNetwork, b.reachableNetwork, label)
                worst = min(worst, c.iou)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 40)
        print("raster vs buffer on the sample city: \(compared) areas, worst IoU \(worst)")
    }

    /// A river 150 m wide between two streets, crossed only by a bridge at its north end: the west station's area
    /// takes the west bank, the bridge and, beyond it, the east bank, never the water between.
    func testNoGroundAcrossARiverWithoutABridge() throws {
        let west = [at(0, 0), at(0, 300), at(0, 600)], east = [at(150, 0), at(150, 300), at(150, 600)]
        let bridge = [at(0, 600), at(150, 600)], eastSide = [at(150, 300), at(400, 300)]
        let net = try network([west, east, bridge, eastSide])
        let s = station("W", at(-20, 0))
        let projection = try net.makeProjection()
        for construction in [ServiceAreas.Construction.raster, .buffer] {
            // 500 m: 20 m of leg and 480 m up the west bank; the bridge is 620 m away.
            let near = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [500], network: net, zone: net.zone,
                                                           construction: construction).areas.first)
            XCTAssertTrue(contains(near.geometry, at(0, 470)))
            XCTAssertFalse(contains(near.geometry, at(0, 540)), "\(construction): beyond 480 m + 35 m")
            XCTAssertFalse(contains(near.geometry, at(150, 0)), "\(construction): the east bank")
            // 1200 m: over the bridge (770 m to its east end) and 430 m down the east bank, to y = 170.
            let far = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [1200], network: net, zone: net.zone,
                                                          construction: construction).areas.first)
            for (x, y, inside) in [(150.0, 300.0, true), (150, 180, true), (150, 120, false), (75, 600, true), (75, 580, true),
                                   (75, 560, false), (75, 300, false), (30, 300, true), (40, 300, false), (110, 300, false),
                                   (120, 300, true), (300, 300, true), (300, 340, false)] {
                XCTAssertEqual(contains(far.geometry, at(x, y)), inside, "\(construction): (\(x), \(y))")
            }
        }
        let r = try ServiceAreas.make(stations: [s], bands: [1200], network: net, zone: net.zone).areas[0]
        let b = try ServiceAreas.make(stations: [s], bands: [1200], network: net, zone: net.zone, construction: .buffer).areas[0]
        let c = try compare(plane(r.geometry, projection), plane(b.geometry, projection), "river")
        XCTAssertGreaterThan(c.iou, 0.97)
    }

    /// A square of streets 200 m a side around a block the network does not enter: the area is a frame with a hole
    /// of (200 − 2 × 35)² m², sharp-cornered as a buffer's inner corners are; a block narrower than twice the lateral
    /// leaves none.
    func testAStreetRingAroundAnUnreachableBlockLeavesAHole() throws {
        let ring = [at(0, 0), at(200, 0), at(200, 200), at(0, 200), at(0, 0)]
        let net = try network([ring])
        let s = station("S", at(-10, 100))
        let a = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [1000], network: net, zone: net.zone, lateral: 35).areas.first)
        let polygons = rings(a.geometry)
        XCTAssertEqual(polygons.count, 1)
        XCTAssertEqual(polygons.first?.count, 2, "one outer ring and one hole")
        let projection = try net.makeProjection()
        let hole = try XCTUnwrap(polygons.first?.last).map { let p = projection.project($0); return Coordinate(lon: p.x, lat: p.y) }
        XCTAssertEqual(abs(ringArea(hole)), 130 * 130, accuracy: 130 * 130 * 0.02)
        XCTAssertLessThan(ringArea(hole), 0, "holes wind clockwise (RFC 7946)")
        XCTAssertFalse(contains(a.geometry, at(100, 100)), "the block's middle")
        XCTAssertFalse(contains(a.geometry, at(40, 100)))
        XCTAssertTrue(contains(a.geometry, at(30, 100)))
        XCTAssertTrue(contains(a.geometry, at(100, 230)))
        XCTAssertFalse(contains(a.geometry, at(100, 240)))
        // Outer ring: a 270 m square with round corners of radius 35 m (the four quarter discs make one), and the
        // cap of the station's 10 m leg: the segment of its 35 m disc beyond the frame, 25 m from its centre.
        let cap = 35.0 * 35 * acos(25.0 / 35) - 25 * (35.0 * 35 - 25 * 25).squareRoot()
        let outer = 270.0 * 270 - (4 - Double.pi) * 35 * 35 + cap
        XCTAssertEqual(a.area + abs(ringArea(hole)), outer, accuracy: outer * 0.01)

        let small = [at(0, 0), at(60, 0), at(60, 60), at(0, 60), at(0, 0)]
        let filled = try XCTUnwrap(try ServiceAreas.make(stations: [s], bands: [1000], network: try network([small]),
                                                         zone: net.zone).areas.first)
        XCTAssertEqual(rings(filled.geometry).map(\.count), [1], "60 m < 2 × 35 m: no hole")
        XCTAssertTrue(contains(filled.geometry, at(30, 30)))
    }

    /// Lateral distances at the limits, a band shorter than the station's leg, and a lateral too thin for the grid
    /// (drawn by the buffer instead): valid areas that agree with the buffer.
    func testHostileLateralsAndBands() throws {
        let net = try network(lattice())
        let projection = try net.makeProjection()
        let s = station("S", at(150, 205))
        for (band, lateral) in [(500.0, 1.0), (500, 3), (1000, 200), (20_000, 35), (20_000, 200), (3, 35), (5.1, 1)] {
            let r = try ServiceAreas.make(stations: [s], bands: [band], network: net, zone: net.zone, lateral: lateral)
            let b = try ServiceAreas.make(stations: [s], bands: [band], network: net, zone: net.zone, lateral: lateral, construction: .buffer)
            XCTAssertEqual(r.areas.count, b.areas.count, "\(band) m, lateral \(lateral) m")
            guard let ra = r.areas.first, let ba = b.areas.first else { continue }
            let c = try compare(plane(ra.geometry, projection), plane(ba.geometry, projection), "\(band) m, lateral \(lateral) m")
            XCTAssertGreaterThanOrEqual(c.iou, 0.9, "\(band) m, lateral \(lateral) m")
        }
        XCTAssertNil(ReachRaster.cellSize(band: 20_000, lateral: 35), "too thin for the grid: the buffer draws it")
        XCTAssertEqual(ReachRaster.cellSize(band: 1000, lateral: 35), 35.0 / 3)
    }

    /// The threaded drawing hands every station's areas over in station order, the same as the sequential one;
    /// off-network stations as nil; an error of the receiver stops the workers and comes out.
    func testThreadsDeliverInStationOrderTheSameAreas() throws {
        let (network, stations) = try sampleCity()
        let far = station("FAR", Coordinate(lon: 118.9, lat: 32.2))
        let all = Array(stations.prefix(12)) + [far] + Array(stations.dropFirst(12))
        let expected = try ServiceAreas.make(stations: all, bands: [300, 800], network: network, zone: network.zone)
        XCTAssertEqual(expected.offNetwork, ["FAR"])
        for (threads, window) in [(1, 1), (2, 3), (5, 256)] {
            var got = [ServiceArea](), order = [Int](), off = [String]()
            try ServiceAreas.each(stations: all, bands: [300, 800], network: network, zone: network.zone, threads: threads,
                                  window: window, render: { $0 }, deliver: { i, areas in
                order.append(i)
                if let areas { got += areas } else { off.append(all[i].id) }
            })
            XCTAssertEqual(order, Array(all.indices), "threads \(threads)")
            XCTAssertEqual(off, ["FAR"])
            XCTAssertEqual(got.map(\.stationID), expected.areas.map(\.stationID))
            XCTAssertEqual(got.map(\.band), expected.areas.map(\.band))
            XCTAssertEqual(got.map(\.geometry), expected.areas.map(\.geometry), "threads \(threads)")
        }
        struct Stop: Error {}
        var delivered = 0
        XCTAssertThrowsError(try ServiceAreas.each(stations: all, bands: [500], network: network, zone: network.zone, threads: 2,
                                                   window: 2, render: { $0.count }, deliver: { i, _ in
            delivered += 1
            if i == 4 { throw Stop() }
        })) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(delivered, 5)
    }

    /// Douglas–Peucker keeps corners, drops points on straight runs, and drops rings that collapse.
    func testSimplifiedRings() {
        func c(_ x: Double, _ y: Double) -> Coordinate { Coordinate(lon: x, lat: y) }
        let square = [c(0, 0), c(5, 0), c(10, 0), c(10, 5), c(10, 10), c(5, 10.1), c(0, 10), c(0, 5), c(0, 0)]
        XCTAssertEqual(ReachRaster.simplified(square, tolerance: 0.2), [c(0, 0), c(10, 0), c(10, 10), c(0, 10), c(0, 0)])
        XCTAssertEqual(ReachRaster.simplified(square, tolerance: 0.05).count, 6, "the bump of 0.1 stays")
        XCTAssertEqual(ReachRaster.simplified([c(0, 0), c(1, 0), c(2, 0), c(3, 0.01), c(0, 0)], tolerance: 0.5), [], "a sliver")
        XCTAssertEqual(ReachRaster.simplified([c(0, 0), c(1, 0), c(0, 0)], tolerance: 0.5), [])
    }

    /// Even-odd over every ring, in degrees (as ServiceAreaTests does).
    func contains(_ g: Geometry, _ p: Coordinate) -> Bool {
        rings(g).contains { polygon in
            var inside = false
            for ring in polygon {
                for (a, b) in zip(ring, ring.dropFirst()) where (a.lat > p.lat) != (b.lat > p.lat) {
                    if p.lon < a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon) { inside.toggle() }
                }
            }
            return inside
        }
    }

    /// Shoelace, written out here rather than taken from the code under test.
    func ringArea(_ ring: [Coordinate]) -> Double {
        zip(ring, ring.dropFirst()).reduce(0) { $0 + ($1.0.lon * $1.1.lat - $1.1.lon * $1.0.lat) } / 2
    }
}
