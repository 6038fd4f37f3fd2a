import DoorstepGeo
import Foundation

// The parts of `export` and `render` that use the service areas (Analysis/ServiceAreas.swift).

/// Walking service areas of the qualifying stations, each at its own radius, for the map.
func walkingAreaGeometries(store: any StoreWriter, report: CoverageReport, snapLimit: Double) throws -> [Geometry] {
    let network = try WalkingNetwork.load(from: store, snapLimit: snapLimit, persist: true)
    let stations = try store.stations().filter { report.options.filter.accepts($0) }
    var geometries = [Geometry]()
    for (radius, group) in Dictionary(grouping: stations, by: { report.options.reach.radius(of: $0) }).sorted(by: { $0.key < $1.key }) {
        let result = try ServiceAreas.make(stations: group, bands: [radius], network: network, zone: network.zone)
        geometries += result.areas.map(\.geometry)
    }
    return geometries
}

/// `export areas`: service areas of the qualifying stations (walking areas with --walk, else circles), streamed.
func exportServiceAreas(store: any StoreWriter, coverage: CoverageArguments, to path: String, options: ExportOptions) throws -> ExportSummary {
    let options0 = coverage.options
    let stations = try store.stations().filter { options0.filter.accepts($0) }
    let network = options0.walk ? try WalkingNetwork.load(from: store, snapLimit: coverage.snapLimit, persist: true) : nil
    let zone = try network?.zone ?? store.metricZone()
    var members: [(String, JSONValue)] = [("name", .string("doorstep service areas")), ("doorstep:content", .string("areas"))]
    if let credit = Credits.line(try store.credits(of: [.stations] + (options0.walk ? [.ways] : []))) {
        members.append(("attribution", .string(credit)))
    }
    let writer = try ExportFormat.sink(path: path, options: options, members: members)
    for (radius, group) in Dictionary(grouping: stations, by: { options0.reach.radius(of: $0) }).sorted(by: { $0.key < $1.key }) {
        let result = try ServiceAreas.make(stations: group, bands: [radius], network: network, zone: zone)
        for area in result.areas {
            var p = area.properties
            if options.style {
                p += [("fill", .string(MapRenderer.serviceAreaFill)), ("fill-opacity", .number(0.2)),
                      ("stroke", .string(MapRenderer.serviceAreaFill)), ("stroke-width", .number(1)),
                      ("title", .string(area.stationName))]
            }
            try writer.write(geometry: area.geometry, properties: p, id: "\(area.stationID)@\(Int(area.band))")
        }
        if !result.offNetwork.isEmpty {
            note("note: \(result.offNetwork.count) stations are off the network and have no walking area: \(result.offNetwork.prefix(10).joined(separator: ", "))")
        }
    }
    let box = try writer.finish()
    return ExportSummary(path: path, features: writer.featureCount, bbox: box, notes: writer.notes)
}
