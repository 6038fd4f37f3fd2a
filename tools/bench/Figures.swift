import DoorstepGeo
import Foundation

/// The figures a bench row is read beside (issue 15.6): this project's previous figure for the same row
/// (`tools/bench/previous-figures.json`, committed: value, unit, when and by what command) and, when a peers' file is
/// present, pgRouting's or PostGIS's figure for the same work (`DOORSTEP_PEER_FIGURES`, else
/// `../shared/peers/figures-2026-11-30.json`). Both files are `{"…": {"KEY": {"value": N, "unit": U, …}}}`; either may
/// be missing, and then a row says so. No database is needed.
struct Figures {
    struct Figure {
        let value: Double
        let unit: String
    }

    let previous: [String: Figure]
    let peers: [String: Figure]

    static let shared = Figures()

    init() {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        previous = Figures.read([here.appendingPathComponent("previous-figures.json").path, "tools/bench/previous-figures.json"], section: "figures")
        peers = Figures.read([ProcessInfo.processInfo.environment["DOORSTEP_PEER_FIGURES"], "../shared/peers/figures-2026-11-30.json"].compactMap { $0 },
                             section: "metrics")
    }

    /// The first readable file's `section`: key → value and unit.
    static func read(_ paths: [String], section: String) -> [String: Figure] {
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path),
                  let json = try? JSONValue.parse(String(decoding: data, as: UTF8.self)),
                  case .object(let members)? = json[section] else { continue }
            var out = [String: Figure]()
            for (key, entry) in members {
                guard case .number(let value)? = entry["value"] else { continue }
                if case .string(let unit)? = entry["unit"] { out[key] = Figure(value: value, unit: unit) } else { out[key] = Figure(value: value, unit: "") }
            }
            return out
        }
        return [:]
    }

    /// "now 12.3 s (before 126 s, ×0.10; pgRouting 73.4 s, ×0.17)": today's figure, the previous one and the peers',
    /// with today's as a multiple of each (below 1: less than before). `unit` is today's; a previous figure in
    /// another unit is shown, not divided.
    func beside(_ now: Double, _ unit: String, previous key: String, peer peerKey: String? = nil, peerName: String = "pgRouting") -> String {
        var parts = [String]()
        if let before = previous[key] {
            parts.append(before.unit == unit && before.value > 0
                         ? "before \(Figures.format(before.value)) \(unit), ×\(Figures.format(now / before.value))"
                         : "before \(Figures.format(before.value)) \(before.unit)")
        } else {
            parts.append("no previous figure")
        }
        if let peerKey {
            if let peer = peers[peerKey], peer.value > 0 {
                let converted = Figures.convert(peer.value, from: peer.unit, to: unit)
                parts.append(converted.map { "\(peerName) \(Figures.format($0)) \(unit), ×\(Figures.format(now / $0))" }
                             ?? "\(peerName) \(Figures.format(peer.value)) \(peer.unit)")
            } else {
                parts.append("no \(peerName) figure")
            }
        }
        return "now \(Figures.format(now)) \(unit) (\(parts.joined(separator: "; ")))"
    }

    /// Seconds and milliseconds into each other; otherwise only the same unit.
    static func convert(_ value: Double, from: String, to: String) -> Double? {
        switch (from, to) {
        case _ where from == to: return value
        case ("s", "ms"): return value * 1000
        case ("ms", "s"): return value / 1000
        default: return nil
        }
    }

    /// Three significant figures, without exponent: 126, 29.6, 1.52, 0.0312.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let magnitude = abs(value)
        let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : magnitude == 0 ? 0 : min(6, 2 - Int(floor(log10(magnitude))))
        return String(format: "%.\(decimals)f", value)
    }
}
