/// Configuration of the ternary-spike integrate-and-fire neuron unit and of the standalone
/// neuron array that wraps `neurons` units around one shared command bus.
///
/// Unit timing (`NeuronUnit`): a command (`add`, `load`, `flush`) is accepted in a cycle where
/// `cmd_valid && cmd_ready`; the new state is visible the next cycle. While the fire condition
/// holds, `spike_valid` is high and `cmd_ready` low; each cycle with `spike_ready` consumes one
/// spike (`V ← V ∓ θ`, `z ← sat(z ± 1)`). So an event that crosses the threshold k times costs
/// k cycles of spikes, at most one per cycle, and no spike is lost under back-pressure.
public struct NeuronConfig: BlockConfig {
    /// The mode fixed at generation time, or `runtime` for a 2-bit `mode` input port
    /// (`NeuronMode.code`).
    public enum ModeSelect: String, Codable, Sendable, CaseIterable {
        case linear, relu, reluFloor, runtime

        public var fixed: NeuronMode? { NeuronMode(rawValue: rawValue) }
        var tag: String {
            switch self {
            case .linear: return "lin"
            case .relu: return "relu"
            case .reluFloor: return "floor"
            case .runtime: return "rt"
            }
        }
    }

    public static let blockName = "neuron"
    public static let defaultConfig = NeuronConfig(neurons: 4, wBits: 8, vBits: 16, zBits: 8, thresholdBits: 8, multiplicityBits: 4, mode: .runtime)

    /// Units in the standalone array.
    public var neurons: Int
    /// Signed weight width.
    public var wBits: Int
    /// Signed membrane potential width (saturating); also the bias width.
    public var vBits: Int
    /// Signed spike-count width (saturating).
    public var zBits: Int
    /// Unsigned width of the runtime `threshold` input.
    public var thresholdBits: Int
    /// Unsigned width of the input multiplicity `m`; 0 leaves multiplicity out.
    public var multiplicityBits: Int
    public var mode: ModeSelect

    public init(neurons: Int, wBits: Int, vBits: Int, zBits: Int, thresholdBits: Int, multiplicityBits: Int, mode: ModeSelect) {
        self.neurons = neurons
        self.wBits = wBits
        self.vBits = vBits
        self.zBits = zBits
        self.thresholdBits = thresholdBits
        self.multiplicityBits = multiplicityBits
        self.mode = mode
    }

    /// The smallest `vBits` that holds any quiet potential (|V| < θ) plus one weight.
    public var minimumVBits: Int { max(wBits, thresholdBits + 1) + 1 }

    enum Field {
        static let neurons = ConfigField("neurons", .range(1 ... 64)), wBits = ConfigField("wBits", .range(2 ... 32))
        static let vBits = ConfigField("vBits", .range(3 ... 48), also: "at least max(wBits, thresholdBits + 1) + 1")
        static let zBits = ConfigField("zBits", .range(2 ... 32)), thresholdBits = ConfigField("thresholdBits", .range(1 ... 46))
        static let multiplicityBits = ConfigField("multiplicityBits", .range(0 ... 8))
        static let mode = ConfigField("mode", .choice(ModeSelect.allCases.map(\.rawValue)))
    }

    public static let fields = [Field.neurons, Field.wBits, Field.vBits, Field.zBits, Field.thresholdBits, Field.multiplicityBits, Field.mode]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "NeuronConfig")
        v.check(Field.neurons, neurons)
        v.check(Field.wBits, wBits)
        v.check(Field.vBits, vBits)
        v.check(Field.zBits, zBits)
        v.check(Field.thresholdBits, thresholdBits)
        v.check(Field.multiplicityBits, multiplicityBits)
        v.requireVBits(vBits, wBits: wBits, thresholdBits: thresholdBits, judged: Field.wBits.accepts(wBits) && Field.thresholdBits.accepts(thresholdBits))
        try v.finish()
    }

    var suffix: String { "w\(wBits)_v\(vBits)_z\(zBits)_t\(thresholdBits)_m\(multiplicityBits)_\(mode.tag)" }
    public var moduleName: String { "NeuronArray_n\(neurons)_\(suffix)" }
    public var unitModuleName: String { "NeuronUnit_\(suffix)" }
}

/// Neuron commands on `cmd_op`.
public enum NeuronOp: UInt64, Sendable, CaseIterable {
    /// `V ← sat(V + s·m·w)`, then the fire check.
    case add = 0
    /// `V ← cmd_bias`, `z ← 0` (start of an inference), then the fire check.
    case load = 1
    /// The residual flush: at most one extra spike.
    case flush = 2
    /// Reserved; accepted and ignored.
    case nop = 3
}

extension ViolationCollector {
    /// `V` holds a weight plus the threshold: `vBits ≥ max(wBits, thresholdBits + 1) + 1` (the
    /// neuron array and the PE share the rule). Judged only when `wBits` and `thresholdBits` are
    /// in their own ranges (`judged`), so a huge value cannot overflow the formula.
    mutating func requireVBits(_ vBits: Int, wBits: Int, thresholdBits: Int, judged: Bool) {
        guard judged else { return }
        let need = max(wBits, thresholdBits + 1) + 1
        require(vBits >= need, field: "vBits", value: "\(vBits)",
                expected: "at least \(need) = max(wBits \(wBits), thresholdBits \(thresholdBits) + 1) + 1, so V holds a weight plus the threshold")
    }
}
