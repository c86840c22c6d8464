import Foundation

/// A small, fast, deterministic pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// Synthetic data must be bit-identical for the same seed on every run and every machine, so it never
/// touches the system generator. `RandomNumberGenerator` conformance lets it drive the standard library's
/// `random(in:using:)` too.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator for `seed`, optionally on an independent sub-stream (`stream` values give unrelated sequences).
    init(seed: UInt64, stream: UInt64 = 0) {
        var state = seed ^ SeededRandom.mix(stream &+ 0x6A09_E667_F3BC_C909)
        s0 = SeededRandom.splitMix(&state)
        s1 = SeededRandom.splitMix(&state)
        s2 = SeededRandom.splitMix(&state)
        s3 = SeededRandom.splitMix(&state)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [lower, upper).
    mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * unit()
    }

    /// Log-uniform in [lower, upper): every order of magnitude equally likely.
    mutating func logUniform(_ lower: Double, _ upper: Double) -> Double {
        exp(uniform(log(lower), log(upper)))
    }

    /// Uniform integer in `range` (slight modulo bias is irrelevant here).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % width)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// Standard normal deviate (Box–Muller; one of the pair is discarded to keep the state simple).
    mutating func normal() -> Double {
        let u1 = max(unit(), 0x1.0p-60)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// SplitMix64 step: the standard way to expand one seed into well-mixed state words.
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }

    /// SplitMix64's finaliser: a bijective 64-bit mix, handy for hashing (seed, index) pairs.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over the UTF-8 bytes: a hash of a name that, unlike `Hasher`, is the same in every process.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
