import Foundation

/// Station kinds: the three of the data contract, from their English or Chinese names; other text is kept.
public enum StationKind {
    public static let center = "center"
    public static let station = "station"
    public static let post = "post"

    public static func normalize(_ text: String) -> String {
        let t = text.trimmed
        switch t.lowercased() {
        case "center", "centre", "党群服务中心", "社区党群服务中心", "街道党群服务中心": return center
        case "station", "党群服务站", "社区党群服务站": return station
        case "post", "驿站", "红色驿站", "党员驿站", "户外劳动者驿站", "暖心驿站": return post
        default: return t
        }
    }
}

/// Service names: English keys of the data contract, also from their usual Chinese names.
public enum Services {
    public static let chinese: [String: String] = [
        "休息": "rest", "饮水": "water", "喝水": "water", "充电": "charging", "热饭": "meal", "用餐": "meal", "就餐": "meal",
        "医疗": "medical", "法律": "legal", "养老": "elderly", "助老": "elderly", "儿童": "children", "托育": "children",
        "会议": "meeting", "议事": "meeting", "如厕": "toilet", "厕所": "toilet", "阅读": "reading",
    ]

    /// The services Doorstep knows (README, data contract): every other value is kept as given and reported by the import.
    public static let known: Set<String> = ["rest", "water", "charging", "meal", "medical", "legal", "elderly", "children",
                                            "meeting", "toilet", "reading"]

    /// Trimmed, lowercased, Chinese names mapped, duplicates removed, order kept.
    public static func normalize(_ items: [String]) -> [String] {
        var seen = Set<String>()
        var out = [String]()
        for item in items {
            let t = item.trimmed
            guard !t.isEmpty else { continue }
            let key = chinese[t] ?? t.lowercased()
            if seen.insert(key).inserted { out.append(key) }
        }
        return out
    }
}
