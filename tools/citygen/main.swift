import CityGen
import DoorstepGeo
import Foundation

// doorstep-citygen: writes Doorstep's GeoJSON/CSV layers for the sample city or a synthetic city of any size.
// Arguments are parsed by hand: this tool depends on CityGen only.

let usage = """
    usage:
      doorstep-citygen sample [--osm-dir DIR] [--out DIR] [--seed S] [--format geojson|csv] [--chinese-headers]
          Real OSM extracts of central Nanjing plus deterministic synthetic attributes.
          Defaults: --osm-dir geodata/nanjing-xinjiekou/osm  --out geodata/nanjing-xinjiekou  --seed \(SampleCity.defaultSeed)

      doorstep-citygen synthetic --stations N --compounds M --ways-grid G --out DIR
                                 [--seed S] [--center LON,LAT] [--format geojson|csv] [--chinese-headers] [--river]
          A G×G-block street lattice (100 m blocks, 2·G·(G+1) edges) with N stations and M compounds;
          --river adds a 4 m canal through the middle crossed by bridges on every 4th street (water.geojson).
          Defaults: --seed 1  --center 118.78,32.04

    Both write stations, compounds, entrances, ways and grids. --format csv writes stations.csv and
    compounds.csv instead of GeoJSON; --chinese-headers (with csv) uses 名称,类型,经度,纬度,户数,人口,地址,电话,开放时间,服务.
    """

struct UsageError: Error, CustomStringConvertible {
    var description: String
}

/// `--name value` / `--name=value` options and bare flags, each allowed once.
struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private var unused: Set<String> = []

    init(_ arguments: ArraySlice<String>, flagNames: Set<String>) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else { throw UsageError(description: "unexpected argument '\(argument)'") }
            var name = String(argument.dropFirst(2)), value: String?
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard !values.keys.contains(name), !flags.contains(name) else { throw UsageError(description: "--\(name) given twice") }
            if flagNames.contains(name) {
                guard value == nil else { throw UsageError(description: "--\(name) takes no value") }
                flags.insert(name)
            } else {
                guard let v = value ?? rest.popFirst() else { throw UsageError(description: "--\(name) needs a value") }
                values[name] = v
            }
            unused.insert(name)
        }
    }

    mutating func flag(_ name: String) -> Bool {
        unused.remove(name)
        return flags.contains(name)
    }

    mutating func string(_ name: String, default fallback: String? = nil) throws -> String {
        unused.remove(name)
        guard let value = values[name] ?? fallback else { throw UsageError(description: "--\(name) is required") }
        return value
    }

    mutating func int(_ name: String, default fallback: Int? = nil) throws -> Int {
        unused.remove(name)
        guard let text = values[name] else {
            guard let fallback else { throw UsageError(description: "--\(name) is required") }
            return fallback
        }
        guard let value = Int(text), value >= 0 else { throw UsageError(description: "--\(name) must be a whole number ≥ 0, not '\(text)'") }
        return value
    }

    mutating func seed(default fallback: UInt64) throws -> UInt64 {
        unused.remove("seed")
        guard let text = values["seed"] else { return fallback }
        guard let value = UInt64(text) else { throw UsageError(description: "--seed must be a whole number ≥ 0, not '\(text)'") }
        return value
    }

    mutating func output() throws -> OutputOptions {
        let text = try string("format", default: "geojson")
        guard let format = PointLayerFormat(rawValue: text) else {
            throw UsageError(description: "--format must be geojson or csv, not '\(text)'")
        }
        let chinese = flag("chinese-headers")
        guard !chinese || format == .csv else { throw UsageError(description: "--chinese-headers needs --format csv") }
        return OutputOptions(pointFormat: format, chineseHeaders: chinese)
    }

    /// Fails on options no one asked for (misspellings, options of the other mode).
    func finish() throws {
        if let name = unused.sorted().first { throw UsageError(description: "unknown option --\(name)") }
    }
}

func parseCenter(_ text: String) throws -> Coordinate {
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let lon = parts[0], let lat = parts[1], (-180...180).contains(lon), (-85...85).contains(lat) else {
        throw UsageError(description: "--center must be LON,LAT in degrees, not '\(text)'")
    }
    return Coordinate(lon: lon, lat: lat)
}

func run(_ arguments: [String]) throws {
    guard let mode = arguments.first, !["-h", "--help", "help"].contains(mode) else {
        print(usage)
        return
    }
    var options = try Options(arguments.dropFirst(), flagNames: ["chinese-headers", "river"])
    let started = Date()
    let summaries: [LayerSummary]
    switch mode {
    case "sample":
        let input = URL(fileURLWithPath: try options.string("osm-dir", default: "geodata/nanjing-xinjiekou/osm"))
        let out = URL(fileURLWithPath: try options.string("out", default: "geodata/nanjing-xinjiekou"))
        let seed = try options.seed(default: SampleCity.defaultSeed)
        let output = try options.output()
        try options.finish()
        summaries = try SampleCity(osmDirectory: input, seed: seed).write(to: out, options: output)
    case "synthetic":
        let stations = try options.int("stations"), compounds = try options.int("compounds")
        let grid = try options.int("ways-grid")
        guard grid >= 1 else { throw UsageError(description: "--ways-grid must be at least 1") }
        let out = URL(fileURLWithPath: try options.string("out"))
        let seed = try options.seed(default: 1)
        let center = try parseCenter(options.string("center", default: "118.78,32.04"))
        let output = try options.output()
        let river = options.flag("river")
        try options.finish()
        let city = SyntheticCity(stations: stations, compounds: compounds, waysGrid: grid, seed: seed, center: center, river: river)
        summaries = try city.write(to: out, options: output)
    default:
        throw UsageError(description: "unknown mode '\(mode)' (sample or synthetic)")
    }
    for summary in summaries {
        print("wrote \(summary.url.path): \(summary.count) \(summary.layer)")
    }
    let seconds = Date().timeIntervalSince(started)
    FileHandle.standardError.write(Data(String(format: "done in %.2f s\n", seconds).utf8))
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    FileHandle.standardError.write(Data("doorstep-citygen: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("doorstep-citygen: \(error)\n".utf8))
    exit(1)
}
