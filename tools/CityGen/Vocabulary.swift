import Foundation

/// The invented attributes shared by the sample and synthetic cities: what a station of a kind offers and when it
/// opens, how many households a compound of a given size holds, and the name pools. Every choice is drawn from the
/// caller's generator, so the same generator state gives the same attributes.
enum Vocabulary {
    // MARK: Stations

    /// Services, opening hours, phone, capacity and own radius of a station of `kind`.
    struct StationTraits {
        var services: [CityData.Service]
        var hours: String
        var phone: String
        var capacity: Int
        var radiusMetres: Int?
    }

    static func stationTraits(for kind: CityData.StationKind, using rng: inout SplitMix64) -> StationTraits {
        let always: Set<CityData.Service>
        let optional: [CityData.Service]
        let extra: ClosedRange<Int>
        let hours: [(String, Int)]
        let capacity: ClosedRange<Int>
        let radius: (metres: Int, probability: Double)
        switch kind {
        case .center:
            always = [.meeting, .legal, .elderly, .rest, .water]
            optional = [.charging, .meal, .medical, .children]
            extra = 1...3
            hours = [
                ("Mo-Fr 08:30-12:00,14:00-17:30", 4),
                ("Mo-Fr 08:30-17:30; Sa 09:00-12:00", 3),
                ("Mo-Sa 08:30-17:30", 2),
            ]
            capacity = 60...200
            radius = (1000, 0.5)
        case .station:
            always = [.rest, .water]
            optional = [.charging, .meal, .medical, .legal, .elderly, .children, .meeting]
            extra = 1...4
            hours = [
                ("Mo-Fr 08:30-17:30; Sa 09:00-12:00", 4),
                ("Mo-Fr 08:30-12:00,14:00-17:30", 3),
                ("Mo-Su 08:00-20:00", 2),
                ("Tu-Su 09:00-17:00", 1),
                ("Mo-Sa 08:30-17:30; Th off", 1),
            ]
            capacity = 15...60
            radius = (500, 0.1)
        case .post:
            always = [.rest, .water]
            optional = [.charging, .meal, .medical]
            extra = 0...2
            hours = [
                ("24/7", 3),
                ("Mo-Su 07:00-21:00", 4),
                ("Mo-Su 06:30-22:00", 2),
                ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", 2),
                ("Mo-Su 07:00-02:00", 1),
            ]
            capacity = 4...12
            radius = (300, 0.3)
        }
        var offered = always
        for service in rng.sample(optional, count: rng.int(in: extra)) {
            offered.insert(service)
        }
        return StationTraits(
            services: CityData.Service.allCases.filter(offered.contains),
            hours: rng.weighted(hours),
            phone: phoneNumber(using: &rng),
            capacity: rng.int(in: capacity),
            radiusMetres: rng.chance(radius.probability) ? radius.metres : nil
        )
    }

    /// A Nanjing landline in the form "025-8xxxxxxx".
    static func phoneNumber(using rng: inout SplitMix64) -> String {
        let digits = String(rng.below(10_000_000))
        return "025-8" + String(repeating: "0", count: 7 - digits.count) + digits
    }

    /// Kinds of synthetic stations: few centres, more stations, many posts.
    static let stationKindWeights: [(CityData.StationKind, Int)] = [(.center, 5), (.station, 30), (.post, 65)]

    // MARK: Compounds

    /// Central Chinese cities are dominated by older estates; resettlement housing is rarer in the core.
    static let compoundKindWeights: [(CityData.CompoundKind, Int)] = [
        (.oldEstate, 40), (.commercial, 35), (.workUnit, 15), (.resettlement, 10),
    ]

    /// Households on a compound of `landArea` m²: floor area (land × plot ratio 1.2–2.4) over flats of 65–95 m².
    static func householdsOnLand(area landArea: Double, using rng: inout SplitMix64) -> Int {
        let floorArea = landArea * rng.uniform(1.2, 2.4)
        return max(1, Int((floorArea / rng.uniform(65, 95)).rounded()))
    }

    /// Households in one building of `footprint` m² and `floors` floors (75 % of floor area is flats).
    static func householdsInBuilding(footprint: Double, floors: Int, using rng: inout SplitMix64) -> Int {
        let flatArea = footprint * Double(floors) * 0.75
        return max(1, Int((flatArea / rng.uniform(60, 95)).rounded()))
    }

    /// Residents of `households` households (2.2–2.9 per household, as in Chinese city censuses).
    static func population(of households: Int, using rng: inout SplitMix64) -> Int {
        Int((Double(households) * rng.uniform(2.2, 2.9)).rounded())
    }

    // MARK: Names

    private static let firstCharacters = Array("长新和安兴福康春华明翠金玉清瑞祥荣晨星云桂梅兰竹松柏丰乐嘉怡宏泰顺宁永盛锦文德仁")
    private static let secondCharacters = Array("园苑村里坊庭湾城岭桥塘门坡林洲港亭巷台阁堂院楼湖山泉花景居邦府泽源汇芳馨溪江河滨")

    /// The `index`-th two-character place name; distinct for the first 1,600 indices, numbered after that.
    static func placeName(_ index: Int) -> String {
        let n = firstCharacters.count * secondCharacters.count
        let i = index % n
        let first = firstCharacters[i % firstCharacters.count]
        let second = secondCharacters[(i / firstCharacters.count + i) % secondCharacters.count]
        let round = index / n
        return String(first) + String(second) + (round == 0 ? "" : String(round + 1))
    }

    /// A made-up compound name such as "瑞园花园" or "春湾新村".
    static func compoundName(using rng: inout SplitMix64) -> String {
        let suffixes = ["小区", "新村", "花园", "家园", "公寓", "雅苑", "新寓"]
        return placeName(rng.below(firstCharacters.count * secondCharacters.count)) + rng.element(of: suffixes)
    }

    /// Chinese numerals for "second gate", "third post"…: 二, 三, … 十, then Arabic digits.
    static func ordinal(_ n: Int) -> String {
        let numerals = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
        return (1...numerals.count).contains(n) ? numerals[n - 1] : String(n)
    }

    /// The gate name for an entrance lying in compass direction `bearing` (degrees clockwise from north)
    /// from the compound's centre, numbered when the compound already has a gate on that side.
    static func gateName(bearing: Double, taken: inout [String: Int]) -> String {
        let sides = ["北", "东", "南", "西"]
        let side = sides[Int(((bearing + 45).truncatingRemainder(dividingBy: 360) + 360)
            .truncatingRemainder(dividingBy: 360) / 90) % 4]
        let count = taken[side, default: 0] + 1
        taken[side] = count
        return count == 1 ? side + "门" : side + ordinal(count) + "门"
    }

    /// `base`, or `base` with （二）, （三）… when `used` already holds it; records the result in `used`.
    static func unique(_ base: String, in used: inout Set<String>) -> String {
        var name = base
        var n = 1
        while used.contains(name) {
            n += 1
            name = base + "（" + ordinal(n) + "）"
        }
        used.insert(name)
        return name
    }
}
