import HWIR
import SpikeForgeCore

/// The ternary-spike integrate-and-fire neuron (SPEC §1): a `NeuronUnit` and a standalone
/// `NeuronArray` of `neurons` units on one command bus. The PE does not instantiate the unit: its
/// compute lanes (`PECoreCompute.swift`) share the unit's fire check, `fireConditions`. See `NeuronConfig` for the handshake and `docs/NEURON.md` for the flush rule.
///
/// Unit ports: `threshold` (θ, unsigned; θ = 0 disables firing), `mode` (runtime only),
/// `cmd_valid`/`cmd_ready`, `cmd_op` (`NeuronOp`), `cmd_neg` (input sign s = −1),
/// `cmd_mult` (m, when `multiplicityBits > 0`), `cmd_weight`, `cmd_bias`,
/// `spike_valid`/`spike_ready`, `spike_neg` (the spike is −1), `v`, `z`, `busy`.
/// Reset: `V = 0`, `z = 0`, not flushing.
public enum NeuronGenerator: BlockGenerator {
    public static func design(_ c: NeuronConfig) throws(ConfigError) -> Design {
        try c.validate()
        let u = unit(c)
        return Design(top: c.moduleName, modules: [u, array(c, unit: u)])
    }

    /// The inputs the unit and the array share, in port order: threshold, mode (runtime only),
    /// cmd_valid, cmd_op, cmd_neg, cmd_mult (with multiplicity only).
    static func commandPorts(_ b: ModuleBuilder, _ c: NeuronConfig, validDoc: String)
        -> (theta: Expr, mode: Expr?, valid: Expr, op: Expr, negative: Expr, multiplicity: Expr?)
    {
        let theta = b.input("threshold", .uint(c.thresholdBits), doc: "theta (> 0)")
        let mode = c.mode == .runtime ? b.input("mode", .uint(2), doc: "0 linear, 1 relu, 2/3 reluFloor") : nil
        let valid = b.input("cmd_valid", .bool, doc: validDoc)
        let op = b.input("cmd_op", .uint(2), doc: "0 add, 1 load, 2 flush, 3 nop")
        let negative = b.input("cmd_neg", .bool, doc: "input spike sign is -1")
        let mult = c.multiplicityBits > 0 ? b.input("cmd_mult", .uint(c.multiplicityBits), doc: "multiplicity m") : nil
        return (theta, mode, valid, op, negative, mult)
    }

    public static func unit(_ c: NeuronConfig) -> Module {
        let b = ModuleBuilder(c.unitModuleName, doc: """
        Ternary-spike integrate-and-fire neuron unit (mode: \(c.mode.rawValue)).
        Commands (cmd_valid && cmd_ready): add V <= sat(V + s*m*w); load V <= bias, z <= 0; flush (residual spike).
        While the fire condition holds: spike_valid, cmd_ready low; one spike per cycle with spike_ready:
        V <= V - q*theta, z <= sat(z + q). V and z saturate, never wrap. threshold == 0 disables firing.
        """, configuration: describe(c))
        b.clock()
        b.reset()
        let vB = c.vBits, zB = c.zBits
        let (theta, modeIn, cmdValid, cmdOp, cmdNeg, cmdMult) = commandPorts(b, c, validDoc: "command offered")
        let cmdWeight = b.input("cmd_weight", .sint(c.wBits), doc: "synaptic weight w")
        let cmdBias = b.input("cmd_bias", .sint(vB), doc: "start value of V for load")
        let spikeReady = b.input("spike_ready", .bool, doc: "the spike is taken")

        let v = b.reg("v_q", .sint(vB))
        let z = b.reg("z_q", .sint(zB))
        let flushing = b.reg("flushing_q", .bool)

        let (up, down, th) = fireConditions(b, prefix: "", v: v, z: z, theta: theta, mode: c.mode, modeCode: modeIn, flushing: flushing)
        let upW = b.node("fire_up", up)
        let downW = b.node("fire_down", down)
        let spikeValid = b.output("spike_valid", upW | downW, doc: "a spike is pending")
        b.output("spike_neg", downW, doc: "the pending spike is -1")
        let fire = b.node("fire", spikeValid & spikeReady)
        let cmdReady = b.output("cmd_ready", ~spikeValid & ~flushing, doc: "quiet: a command can be taken")
        let accept = b.node("accept", cmdValid & cmdReady)
        let isAdd = cmdOp.eq(Int(NeuronOp.add.rawValue))
        let isLoad = cmdOp.eq(Int(NeuronOp.load.rawValue))
        let isFlush = cmdOp.eq(Int(NeuronOp.flush.rawValue))

        // Synaptic update: d = ±(m·w), formed wide enough never to wrap, then a saturating add.
        let delta: Expr
        if let m = cmdMult {
            let p = c.wBits + c.multiplicityBits + 1
            let prod = b.node("mw", cmdWeight.resized(p) * m.resized(p).asSigned)
            delta = (-prod).when(cmdNeg, else: prod)
        } else {
            let wd = b.node("w_ext", cmdWeight.resized(c.wBits + 1))
            delta = (-wd).when(cmdNeg, else: wd)
        }
        let (vSum, _) = Arith.saturatingAdd(b, v, b.node("delta", delta), outWidth: vB, name: "v_add")
        let (zInc, _) = Arith.saturatingAdd(b, z, Expr.lit(-1, .sint(2)).when(downW, else: .lit(1, .sint(2))), outWidth: zB, name: "z_inc")
        let vFire = (v + th).when(downW, else: v - th)

        b.next(v, vFire.when(fire, else: vSum.when(isAdd, else: cmdBias)), when: fire | (accept & (isAdd | isLoad)))
        b.next(z, zInc.when(fire, else: .lit(0, .sint(zB))), when: fire | (accept & isLoad))
        b.next(flushing, (accept & isFlush) | (flushing & spikeValid & ~spikeReady))
        b.output("v", v, doc: "membrane potential V")
        b.output("z", z, doc: "net spike count z")
        b.output("busy", spikeValid | flushing, doc: "not quiet")
        return b.build()
    }

    /// The fire check of SPEC §1 for one neuron, with the residual flush of docs/NEURON.md while
    /// `flushing`: returns (emit +1, emit −1). `theta` is unsigned; θ = 0 disables firing. Shared
    /// by the neuron unit and the PE's compute lanes. Node names start with `prefix`; `theta` in the
    /// result is θ as a signed `vBits` value.
    public static func fireConditions(_ b: ModuleBuilder, prefix p: String, v: Expr, z: Expr, theta: Expr, mode: NeuronConfig.ModeSelect,
                                      modeCode: Expr?, flushing: Expr?) -> (up: Expr, down: Expr, theta: Expr)
    {
        let vB = v.type.width, zB = z.type.width
        // Mode decode: constants when the mode is fixed, so synthesis drops the other modes.
        func isMode(_ m: NeuronMode) -> Expr {
            if let f = mode.fixed { return f == m ? .one : .zero }
            let code = modeCode!
            switch m {
            case .linear: return code.eq(0)
            case .relu: return code.eq(1)
            case .reluFloor: return code.bit(1)
            }
        }
        let th = b.node("\(p)theta_s", theta.resized(vB).asSigned)
        let zPos = b.node("\(p)z_pos", z.gt(.lit(0, .sint(zB))))

        // Standard fire check (SPEC §1 table). reluFloor never compares with -theta.
        let stdUp = v.ge(th)
        let vLeNegTh = mode == .reluFloor ? Expr.zero : v.le(b.node("\(p)neg_theta", -th))
        var stdDown: Expr
        switch mode.fixed {
        case .linear?: stdDown = vLeNegTh
        case .relu?: stdDown = vLeNegTh & zPos
        case .reluFloor?: stdDown = v.msb & zPos
        case nil: stdDown = (vLeNegTh & (isMode(.linear) | zPos)).when(~isMode(.reluFloor), else: v.msb & zPos)
        }
        let thetaOn = b.node("\(p)theta_on", theta.any)
        // nil: a value that is never flushed (no flush branch is built).
        guard let flushing else { return (thetaOn & stdUp, thetaOn & stdDown, th) }
        if mode == .reluFloor {
            // reluFloor's count is already exact: the flush emits nothing.
            return (thetaOn & ~flushing & stdUp, thetaOn & ~flushing & stdDown, th)
        }
        // Residual flush (docs/NEURON.md): compare 2V with ±theta; ties follow z*theta + V.
        let w1 = vB + 1
        let twoV = b.node("\(p)two_v", v.resized(w1) + v.resized(w1))
        let th1 = th.resized(w1)
        let zNonNeg = ~z.msb
        let zNonPos = ~zPos
        let fUp = twoV.gt(th1) | (twoV.eq(th1) & zNonNeg)
        var fDown = twoV.lt(-th1) | (twoV.eq(-th1) & zNonPos)
        if mode.fixed != .linear { fDown = fDown & (isMode(.linear) | zPos) }
        let notFloor = mode == .runtime ? ~isMode(.reluFloor) : Expr.one
        return (thetaOn & (stdUp.when(~flushing, else: fUp & notFloor)), thetaOn & (stdDown.when(~flushing, else: fDown & notFloor)), th)
    }

    /// `neurons` units sharing threshold, mode and command; each has its own weight and bias
    /// slice. A command is taken only when every unit is quiet (all `cmd_ready`), so an input
    /// event reaches every neuron of its fan-out at once; `spike_ready` takes every pending spike.
    public static func array(_ c: NeuronConfig, unit: Module) -> Module {
        let n = c.neurons
        let b = ModuleBuilder(c.moduleName, doc: """
        Standalone array of \(n) neuron units on one command bus (mode: \(c.mode.rawValue)).
        cmd_ready = every unit quiet. Unit i uses cmd_weights[i] and cmd_biases[i]; spike_valid[i],
        spike_neg[i], v[i], z[i] are unit i's. spike_ready takes all pending spikes of that cycle.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        let (theta, modeIn, cmdValid, cmdOp, cmdNeg, cmdMult) = commandPorts(b, c, validDoc: "command offered to every unit")
        let weights = b.input("cmd_weights", .uint(n * c.wBits), doc: "unit i: bits [i*wBits +: wBits]")
        let biases = b.input("cmd_biases", .uint(n * c.vBits), doc: "unit i: bits [i*vBits +: vBits]")
        let spikeReady = b.input("spike_ready", .bool, doc: "all pending spikes are taken")
        let allReady = b.wire("all_ready", .bool)
        let go = b.node("cmd_go", cmdValid & allReady)
        var ready: [Expr] = [], valid: [Expr] = [], neg: [Expr] = [], vs: [Expr] = [], zs: [Expr] = [], busy: [Expr] = []
        for i in 0 ..< n {
            var ins: [String: Expr] = [
                "clk": clk, "rst": rst, "threshold": theta, "cmd_valid": go, "cmd_op": cmdOp, "cmd_neg": cmdNeg,
                "cmd_weight": weights.bits((i + 1) * c.wBits - 1, i * c.wBits).asSigned,
                "cmd_bias": biases.bits((i + 1) * c.vBits - 1, i * c.vBits).asSigned, "spike_ready": spikeReady,
            ]
            if let m = modeIn { ins["mode"] = m }
            if let m = cmdMult { ins["cmd_mult"] = m }
            let o = b.instance("u_neuron\(i)", of: unit, inputs: ins)
            ready.append(o["cmd_ready"]!)
            valid.append(o["spike_valid"]!)
            neg.append(o["spike_neg"]!)
            vs.append(o["v"]!.asUnsigned)
            zs.append(o["z"]!.asUnsigned)
            busy.append(o["busy"]!)
        }
        b.assign(allReady, ready.dropFirst().reduce(ready[0], &))
        b.output("cmd_ready", allReady, doc: "every unit is quiet")
        b.output("spike_valid", .concat(valid.reversed()), doc: "unit i has a pending spike")
        b.output("spike_neg", .concat(neg.reversed()), doc: "unit i's pending spike is -1")
        b.output("v", .concat(vs.reversed()), doc: "unit i: bits [i*vBits +: vBits]")
        b.output("z", .concat(zs.reversed()), doc: "unit i: bits [i*zBits +: zBits]")
        b.output("busy", busy.dropFirst().reduce(busy[0], |), doc: "some unit is not quiet")
        return b.build()
    }
}
