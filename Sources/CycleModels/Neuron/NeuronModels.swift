import SpikeForgeCore

/// Cycle model of one `NeuronUnit` (see `NeuronGenerator`): the same state (`V`, `z`,
/// flushing), the same fire and flush conditions, the same handshake, cycle for cycle.
public struct NeuronUnitModel: Hashable, Sendable {
    public let config: NeuronConfig
    public private(set) var v: Int64 = 0
    public private(set) var z: Int64 = 0
    public private(set) var flushing = false

    public init(_ c: NeuronConfig) { config = c }

    /// One unit's command inputs for a cycle.
    public struct Command: Hashable, Sendable {
        public var valid = false
        public var op: NeuronOp = .nop
        public var negative = false
        public var multiplicity: UInt64 = 1
        public var weight: Int64 = 0
        public var bias: Int64 = 0
        public init() {}
    }

    /// +1, −1 or 0: the spike this unit presents now.
    public func pending(theta: Int64, mode: NeuronMode) -> Spike {
        guard theta != 0 else { return 0 }
        if flushing { return FunctionalNeuron.flushCondition(v: v, z: z, theta: theta, mode: mode) }
        return FunctionalNeuron.fireCondition(v: v, z: z, theta: theta, mode: mode)
    }

    public func cmdReady(theta: Int64, mode: NeuronMode) -> Bool { pending(theta: theta, mode: mode) == 0 && !flushing }

    public mutating func reset() {
        v = 0
        z = 0
        flushing = false
    }

    /// The clock edge. `accept` is whether the command is taken this cycle (the array decides).
    public mutating func step(theta: Int64, mode: NeuronMode, command: Command, accept: Bool, spikeReady: Bool) {
        let q = pending(theta: theta, mode: mode)
        let fire = q != 0 && spikeReady
        let wasFlushing = flushing
        flushing = (accept && command.op == .flush) || (wasFlushing && q != 0 && !spikeReady)
        if fire {
            v -= Int64(q) * theta
            z = Bits.saturatingAdd(z, Int64(q), width: config.zBits).sum
        } else if accept && command.op == .add {
            let m = config.multiplicityBits > 0 ? Int64(command.multiplicity) : 1
            let d = m * command.weight
            v = Bits.saturatingAdd(v, command.negative ? -d : d, width: config.vBits).sum
        } else if accept && command.op == .load {
            v = command.bias
            z = 0
        }
    }
}

/// Cycle model of `NeuronArray`: `neurons` unit models behind the array's ports.
public struct NeuronArrayModel: CycleModel {
    public let config: NeuronConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var units: [NeuronUnitModel]
    // Input port indices.
    let iRst = 0, iTheta = 1
    let iMode: Int?
    let iValid: Int, iOp: Int, iNeg: Int
    let iMult: Int?
    let iWeights: Int, iBiases: Int, iReady: Int

    public init(_ c: NeuronConfig) {
        config = c
        let n = c.neurons
        var ins: [PortSpec] = [.init("rst", width: 1), .init("threshold", width: c.thresholdBits)]
        if c.mode == .runtime { ins.append(.init("mode", width: 2)) }
        ins += [.init("cmd_valid", width: 1), .init("cmd_op", width: 2), .init("cmd_neg", width: 1)]
        if c.multiplicityBits > 0 { ins.append(.init("cmd_mult", width: c.multiplicityBits)) }
        ins += [.init("cmd_weights", width: n * c.wBits), .init("cmd_biases", width: n * c.vBits), .init("spike_ready", width: 1)]
        inputLayout = PortLayout(ins)
        outputLayout = PortLayout([
            .init("spike_valid", width: n), .init("spike_neg", width: n), .init("cmd_ready", width: 1),
            .init("v", width: n * c.vBits), .init("z", width: n * c.zBits), .init("busy", width: 1),
        ])
        units = Array(repeating: NeuronUnitModel(c), count: n)
        iMode = c.mode == .runtime ? 2 : nil
        iValid = inputLayout.index(of: "cmd_valid")!
        iOp = iValid + 1
        iNeg = iValid + 2
        iMult = inputLayout.index(of: "cmd_mult")
        iWeights = inputLayout.index(of: "cmd_weights")!
        iBiases = iWeights + 1
        iReady = iWeights + 2
    }

    func mode(_ i: PortValues) -> NeuronMode { iMode.map { NeuronMode(code: i[$0]) } ?? config.mode.fixed! }

    public func outputs(_ i: PortValues) -> PortValues {
        let theta = Int64(i[iTheta]), m = mode(i)
        var o = PortValues(outputLayout)
        var valid: UInt64 = 0, neg: UInt64 = 0
        var allReady = true, busy = false
        for (k, u) in units.enumerated() {
            let q = u.pending(theta: theta, mode: m)
            if q != 0 { valid |= 1 << UInt64(k) }
            if q < 0 { neg |= 1 << UInt64(k) }
            allReady = allReady && u.cmdReady(theta: theta, mode: m)
            busy = busy || q != 0 || u.flushing
        }
        o[0] = valid
        o[1] = neg
        o.set(2, allReady)
        o.setWide(3, Bits.packFields(units.map { Bits.raw($0.v, width: config.vBits) }, width: config.vBits))
        o.setWide(4, Bits.packFields(units.map { Bits.raw($0.z, width: config.zBits) }, width: config.zBits))
        o.set(5, busy)
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(iRst) {
            for k in units.indices { units[k].reset() }
            return
        }
        let theta = Int64(i[iTheta]), m = mode(i)
        let allReady = units.allSatisfy { $0.cmdReady(theta: theta, mode: m) }
        let accept = i.bool(iValid) && allReady
        let ws = i.wide(iWeights), bs = i.wide(iBiases)
        for k in units.indices {
            var cmd = NeuronUnitModel.Command()
            cmd.valid = i.bool(iValid)
            cmd.op = NeuronOp(rawValue: i[iOp])!
            cmd.negative = i.bool(iNeg)
            cmd.multiplicity = iMult.map { i[$0] } ?? 1
            cmd.weight = Bits.signExtend(Bits.field(ws, lo: k * config.wBits, width: config.wBits), width: config.wBits)
            cmd.bias = Bits.signExtend(Bits.field(bs, lo: k * config.vBits, width: config.vBits), width: config.vBits)
            units[k].step(theta: theta, mode: m, command: cmd, accept: accept, spikeReady: i.bool(iReady))
        }
    }
}
