/// SplitMix64: a tiny, fast, seedable generator. The same seed gives the same stream on every
/// platform, which is what reproducible stimulus and training need.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform raw bits for a `width`-bit port.
    public mutating func bits(_ width: Int) -> UInt64 { next() & Bits.mask(width) }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1.0p-53 < p }
}

/// Seeded random back-pressure for tests and experiments: `stalls()` says whether a `ready`
/// is held low this cycle. Stalls come in runs (a run of up to `burst` cycles starts with
/// probability `probability`), so queues behind a stalled port fill and drain again.
public struct RandomStall: Sendable, CustomStringConvertible {
    public let probability: Double
    public let burst: Int
    public let seed: UInt64
    var rng: SplitMix64
    var left = 0

    public init(probability: Double, burst: Int = 8, seed: UInt64) {
        self.probability = probability
        self.burst = max(1, burst)
        self.seed = seed
        rng = SplitMix64(seed: seed)
    }

    public mutating func stalls() -> Bool {
        if left > 0 {
            left -= 1
            return true
        }
        guard rng.chance(probability) else { return false }
        left = Int(rng.next() % UInt64(burst))
        return true
    }

    public var description: String { "stalls with probability \(probability), runs up to \(burst) cycles, seed \(seed)" }
}
