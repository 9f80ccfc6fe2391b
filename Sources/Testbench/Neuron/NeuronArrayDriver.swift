import SpikeForgeCore

/// Drives a neuron array (its cycle model or its Verilated RTL: any `ClockedDevice` with the
/// `NeuronArray` ports) one cycle at a time, honouring the handshakes: a command is held until
/// `cmd_ready`, and every spike presented with `spike_ready` is recorded. Used by the
/// equivalence tests and `spikeforge report neuron`.
public struct NeuronArrayDriver<D: ClockedDevice> {
    public private(set) var device: D
    public let config: NeuronConfig
    public var theta: UInt64
    public var mode: NeuronMode
    /// Probability that `spike_ready` is high in a cycle (1 = no back-pressure).
    public var readyProbability: Double
    var rng: SplitMix64
    var frame: PortValues
    /// Spikes each neuron emitted, in order.
    public private(set) var spikes: [[Spike]]
    public private(set) var cycles = 0
    let ins: PortLayout, outs: PortLayout

    public init(_ device: D, config: NeuronConfig, theta: UInt64, mode: NeuronMode, readyProbability: Double = 1, seed: UInt64 = 1) {
        self.device = device
        self.config = config
        self.theta = theta
        self.mode = mode
        self.readyProbability = readyProbability
        rng = SplitMix64(seed: seed)
        ins = device.inputLayout
        outs = device.outputLayout
        frame = PortValues(ins)
        spikes = Array(repeating: [], count: config.neurons)
    }

    func i(_ name: String) -> Int { ins.index(of: name)! }

    /// One clock cycle with the current frame; records the spikes taken; returns the outputs.
    @discardableResult
    mutating func cycle(ready: Bool? = nil) -> PortValues {
        frame[i("threshold")] = theta
        if config.mode == .runtime { frame[i("mode")] = mode.code }
        frame.set(i("spike_ready"), ready ?? rng.chance(readyProbability))
        var out = [UInt64](repeating: 0, count: outs.stride)
        frame.words.withUnsafeBufferPointer { inp in out.withUnsafeMutableBufferPointer { device.run(cycles: 1, inputs: inp, outputs: $0) } }
        let o = PortValues(outs, words: out)
        cycles += 1
        if frame.bool(i("spike_ready")) && !frame.bool(i("rst")) {
            let valid = o[outs.index(of: "spike_valid")!], neg = o[outs.index(of: "spike_neg")!]
            for k in 0 ..< config.neurons where (valid >> UInt64(k)) & 1 == 1 {
                spikes[k].append((neg >> UInt64(k)) & 1 == 1 ? -1 : 1)
            }
        }
        return o
    }

    /// Synchronous reset for two cycles.
    public mutating func reset() {
        frame = PortValues(ins)
        frame.set(i("rst"), true)
        cycle()
        cycle()
        frame.set(i("rst"), false)
        spikes = Array(repeating: [], count: config.neurons)
    }

    /// Offers one command until it is accepted.
    public mutating func command(_ op: NeuronOp, negative: Bool = false, multiplicity: UInt64 = 1, weights: [Int64] = [], biases: [Int64] = [], maxCycles: Int = 1 << 22) {
        frame.set(i("cmd_valid"), true)
        frame[i("cmd_op")] = op.rawValue
        frame.set(i("cmd_neg"), negative)
        if let m = ins.index(of: "cmd_mult") { frame[m] = multiplicity }
        let ws = (0 ..< config.neurons).map { Bits.raw($0 < weights.count ? weights[$0] : 0, width: config.wBits) }
        let bs = (0 ..< config.neurons).map { Bits.raw($0 < biases.count ? biases[$0] : 0, width: config.vBits) }
        frame.setWide(i("cmd_weights"), Bits.packFields(ws, width: config.wBits))
        frame.setWide(i("cmd_biases"), Bits.packFields(bs, width: config.vBits))
        for _ in 0 ..< maxCycles where cycle()[outs.index(of: "cmd_ready")!] == 1 { break }
        frame.set(i("cmd_valid"), false)
    }

    /// Runs until no neuron is busy; returns the cycles it took.
    @discardableResult
    public mutating func settle(maxCycles: Int = 1 << 22) -> Int {
        let start = cycles
        for _ in 0 ..< maxCycles where cycle()[outs.index(of: "busy")!] == 0 { break }
        return cycles - start
    }

    /// Current `V` and `z` of every neuron.
    public mutating func state() -> (v: [Int64], z: [Int64]) {
        // A cycle with no command and no spike taken leaves a quiet neuron unchanged.
        let o = cycle(ready: false)
        let vw = o.wide(outs.index(of: "v")!), zw = o.wide(outs.index(of: "z")!)
        let v = (0 ..< config.neurons).map { Bits.signExtend(Bits.field(vw, lo: $0 * config.vBits, width: config.vBits), width: config.vBits) }
        let z = (0 ..< config.neurons).map { Bits.signExtend(Bits.field(zw, lo: $0 * config.zBits, width: config.zBits), width: config.zBits) }
        return (v, z)
    }
}
