import Foundation

/// A small, fast, seeded random number generator (SplitMix64, Steele/Lea/Flood 2014).
///
/// Everything CityGen invents comes from this generator, never from the system's, so a given seed gives the
/// same city on every run and every machine. Helpers below (`below`, `uniform`, `chance`, …) are implemented
/// here rather than through `Int.random(in:using:)`, whose algorithm the standard library may change.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The generator for item `index` of the stream named `stream`.
    ///
    /// Items draw from their own generator, so item 7 of "stations" is the same whether the city has 10 or
    /// 100,000 stations and whatever other layers contain; a layer can be produced in any order or streamed.
    public init(seed: UInt64, stream: String, index: Int = 0) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable, unlike Hasher, which is seeded per process.
        for byte in stream.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let item = UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15
        state = Self.mix(Self.mix(seed &+ hash) &+ item)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform integer in 0 ..< `bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(_:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// A uniform double in `low ..< high`.
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * unit()
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        unit() < probability
    }

    /// A uniformly chosen element of a non-empty array.
    public mutating func element<T>(of array: [T]) -> T {
        array[below(array.count)]
    }

    /// An element chosen with probability proportional to its weight.
    public mutating func weighted<T>(_ choices: [(T, Int)]) -> T {
        let total = choices.reduce(0) { $0 + $1.1 }
        var roll = below(total)
        for (value, weight) in choices {
            if roll < weight { return value }
            roll -= weight
        }
        return choices[choices.count - 1].0
    }

    /// Fisher–Yates shuffle in place.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, below(i + 1))
        }
    }

    /// `count` distinct elements of `array`, in random order (all of them when `count` ≥ `array.count`).
    public mutating func sample<T>(_ array: [T], count: Int) -> [T] {
        var copy = array
        shuffle(&copy)
        return Array(copy.prefix(count))
    }
}
