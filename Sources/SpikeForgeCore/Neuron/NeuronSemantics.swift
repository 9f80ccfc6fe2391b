/// The activation modes of SPEC §1, shared by the trainer, the cycle models and the RTL.
public enum NeuronMode: String, Codable, Sendable, CaseIterable, Hashable {
    /// SpikeGrad eq. 3: +1 when `V ≥ θ`, −1 when `V ≤ −θ`.
    case linear
    /// SpikeGrad eq. 4: +1 when `V ≥ θ`, −1 when `V ≤ −θ` and `z > 0`.
    case relu
    /// Exact floor ReLU: +1 when `V ≥ θ`, −1 when `V < 0` and `z > 0`.
    case reluFloor

    /// The 2-bit code on a runtime `mode` port. Code 3 is reserved and behaves as `reluFloor`.
    public var code: UInt64 {
        switch self {
        case .linear: return 0
        case .relu: return 1
        case .reluFloor: return 2
        }
    }

    @inlinable public init(code: UInt64) {
        switch code & 3 {
        case 0: self = .linear
        case 1: self = .relu
        default: self = .reluFloor
        }
    }
}

/// A spike: +1 or −1.
public typealias Spike = Int8

/// The integer ANN equivalent of SPEC §1: what the trainer computes and what the hardware's
/// final spike counts equal.
public enum IntegerActivation {
    /// The activation of pre-activation `x` (= bias + Σ s·w·m) for threshold `θ > 0`.
    /// - `reluFloor`: `floor(max(0, x) / θ)` (the flush changes nothing).
    /// - `relu` + flush: `max(0, round(x / θ))`; `linear` + flush: `round(x / θ)`, rounding
    ///   half away from zero.
    /// - without the flush, `relu` and `linear` are *not* a function of `x` alone (they depend on
    ///   arrival order); use `bounds` instead.
    public static func exact(_ x: Int64, theta: Int64, mode: NeuronMode, flush: Bool) -> Int64? {
        precondition(theta > 0, "θ must be positive")
        switch (mode, flush) {
        case (.reluFloor, _): return max(0, x) / theta
        case (.relu, true): return max(0, roundHalfAway(x, theta))
        case (.linear, true): return roundHalfAway(x, theta)
        default: return nil
        }
    }

    /// SpikeGrad's spike discretization error bound without the flush: the final `z` satisfies
    /// `|z − a| < 1` where `a = max(0, x/θ)` (relu) or `x/θ` (linear). Returned as the open
    /// interval of integers allowed: `lower...upper`.
    public static func bounds(_ x: Int64, theta: Int64, mode: NeuronMode) -> ClosedRange<Int64> {
        let a = mode == .linear ? x : max(0, x)
        // |z − a/θ| < 1  ⟺  a − θ < z·θ < a + θ
        let lo = floorDiv(a - theta, theta) + 1
        let hi = ceilDiv(a + theta, theta) - 1
        return lo ... hi
    }

    /// `round(x / θ)` with ties away from zero.
    public static func roundHalfAway(_ x: Int64, _ theta: Int64) -> Int64 {
        let q = x.magnitude / theta.magnitude
        let r = x.magnitude % theta.magnitude
        let rounded = Int64(q) + (2 * r >= theta.magnitude ? 1 : 0)
        return x < 0 ? -rounded : rounded
    }

    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    public static func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { -floorDiv(-a, b) }
}

/// The event-level functional reference of one neuron (SPEC §1), independent of any clock:
/// start, input events, the fire check repeated until quiet, and the residual flush. The cycle
/// model and the RTL must end every event sequence in the same state and with the same spikes.
public struct FunctionalNeuron: Hashable, Sendable {
    public var v: Int64
    public var z: Int64
    public let theta: Int64
    public let mode: NeuronMode
    public let vBits: Int
    public let zBits: Int
    /// Every spike emitted so far, in order.
    public private(set) var spikes: [Spike] = []
    /// True when some `V` update or `z` count clamped (equivalence is then not promised).
    public private(set) var saturated = false

    /// `V ← b`, `z ← 0`, then one fire check.
    public init(bias: Int64, theta: Int64, mode: NeuronMode, vBits: Int = 32, zBits: Int = 32) {
        precondition(theta > 0)
        v = Bits.saturate(bias, width: vBits)
        saturated = v != bias
        z = 0
        self.theta = theta
        self.mode = mode
        self.vBits = vBits
        self.zBits = zBits
        fire()
    }

    /// The standard fire condition: +1, −1 or 0.
    @inlinable
    public static func fireCondition(v: Int64, z: Int64, theta: Int64, mode: NeuronMode) -> Spike {
        if v >= theta { return 1 }
        switch mode {
        case .linear: return v <= -theta ? -1 : 0
        case .relu: return v <= -theta && z > 0 ? -1 : 0
        case .reluFloor: return v < 0 && z > 0 ? -1 : 0
        }
    }

    /// The residual flush rule (derived in docs/NEURON.md). With `T = z·θ + V` and `|V| < θ`,
    /// `z + q` is `round(T/θ)`, ties away from zero, clamped at 0 unless linear:
    /// - `+1` when `2V > θ`, or `2V = θ` and `z ≥ 0` (then `T > 0`);
    /// - `−1` when `2V < −θ`, or `2V = −θ` and `z ≤ 0` (then `T < 0`), and, unless linear, `z > 0`;
    /// - `reluFloor` never flushes: its count is already the exact floor.
    @inlinable
    public static func flushCondition(v: Int64, z: Int64, theta: Int64, mode: NeuronMode) -> Spike {
        if mode == .reluFloor { return 0 }
        let twoV = 2 * v
        if twoV > theta || (twoV == theta && z >= 0) { return 1 }
        if (twoV < -theta || (twoV == -theta && z <= 0)) && (mode == .linear || z > 0) { return -1 }
        return 0
    }

    mutating func emit(_ q: Spike) {
        v -= Int64(q) * theta
        let nz = Bits.saturate(z + Int64(q), width: zBits)
        if nz != z + Int64(q) { saturated = true }
        z = nz
        spikes.append(q)
    }

    /// Repeats the fire check until quiet.
    public mutating func fire() {
        while true {
            let q = Self.fireCondition(v: v, z: z, theta: theta, mode: mode)
            if q == 0 { return }
            emit(q)
            if saturated && spikes.count > 1 << 20 { return }
        }
    }

    /// An input event: `V ← sat(V + s·w)`, `m` times, then the fire check.
    public mutating func input(sign: Spike, weight: Int64, multiplicity: Int = 1) {
        for _ in 0 ..< multiplicity {
            let (nv, sat) = Bits.saturatingAdd(v, Int64(sign) * weight, width: vBits)
            v = nv
            saturated = saturated || sat
        }
        fire()
    }

    /// The residual flush: at most one extra spike.
    public mutating func flush() {
        let q = Self.flushCondition(v: v, z: z, theta: theta, mode: mode)
        if q != 0 { emit(q) }
    }
}
