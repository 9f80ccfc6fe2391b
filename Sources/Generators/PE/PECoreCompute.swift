import HWIR
import SpikeForgeCore

/// Compute: the fire check of SPEC §1 (the neuron unit's `fireConditions`) on the add stage's
/// registered row. A group with a spike due is held (`h_*`) and sends one spike per cycle, lowest
/// firing lane first; when none is due its state is written back (and into the bypass register
/// of the add stage).
extension PECoreBuilder {
    struct Compute {
        /// A spike enters the spike FIFO: its neuron index and sign.
        let emit, neuron, negative: Expr
        /// The spike FIFO has room (driven by the store stage).
        let spRoom: Expr
    }

    /// One lane's view of the held or freshly read group, and its fire check.
    struct Lane {
        let v, z, fire, down, theta: Expr
    }

    func compute(_ r: Registers, _ d: Dispatch, _ l: Load, _ a: Add) -> Compute {
        let L = c.lanes
        let hKind = b.reg("h_kind_q", .uint(RowKind.bits))
        let hGroup = r.hGroup
        let hTheta = b.reg("h_theta_q", .uint(c.thresholdBits))
        let hMode = b.reg("h_mode_q", .uint(2))
        let hFlushed = b.reg("h_flushed_q", .uint(L))
        let (byValid, byAddr, byData) = (a.bypValid, a.bypAddr, a.bypData)
        let active = b.node("c_active", l.xConsume | r.hValid)
        let kind = b.node("c_kind", hKind.when(r.hValid, else: a.kind))
        let theta = b.node("c_theta", hTheta.when(r.hValid, else: a.theta))
        let mode = b.node("c_mode", hMode.when(r.hValid, else: a.mode))
        let group = b.node("c_group", hGroup.when(r.hValid, else: r.xGroup))
        let isFlush = b.node("c_flush", kind.eq(RowKind.flush.rawValue))
        var hV: [Expr] = [], hZ: [Expr] = []
        let lanes = (0 ..< L).map { k -> Lane in
            let rv = b.reg("h_v\(k)_q", .sint(c.vBits)), rz = b.reg("h_z\(k)_q", .sint(c.zBits))
            hV.append(rv)
            hZ.append(rz)
            return lane(k, r, v: rv.when(r.hValid, else: a.v[k]), z: rz.when(r.hValid, else: a.z[k]), hFlushed: hFlushed, isFlush: isFlush, theta: theta, mode: mode)
        }
        // The lowest firing lane spikes first.
        var sel: [Expr] = [], seen = Expr.zero
        for k in 0 ..< L {
            sel.append(b.node("l\(k)_sel", lanes[k].fire & ~seen))
            seen = seen | lanes[k].fire
        }
        let anyFire = b.node("c_any_fire", seen)
        let spRoom = b.wire("sp_room", .bool)
        let emit = b.node("c_emit", active & anyFire & spRoom)
        let lw = Bits.addressWidth(L)
        var idxBits: [Expr] = []
        for bit in (0 ..< lw).reversed() {
            idxBits.append((0 ..< L).filter { ($0 >> bit) & 1 == 1 }.map { sel[$0] }.reduce(Expr.zero, |))
        }
        let selIdx: Expr? = L == 1 ? nil : b.node("c_sel_idx", .concat(idxBits))
        let selNeg = (0 ..< L).map { sel[$0] & lanes[$0].down }.reduce(Expr.zero, |)
        var resV: [Expr] = [], resZ: [Expr] = [], resFire = Expr.zero, flushedNext: [Expr] = []
        for k in 0 ..< L {
            let spikeHere = b.node("l\(k)_spike", emit & sel[k])
            let x = lanes[k]
            // Both possible spikes' results, and whether each would fire again, are formed beside
            // the fire check, not after the lane select: the check of the result is the longest
            // path of the PE (docs/PE.md, "FPGA figures"). The lane that spikes takes its
            // candidate's check (a flush spike ends the lane's flush, so those checks need no flush
            // branch); a lane that does not spike keeps its first check, whose flush mask applies.
            let vUp = b.node("l\(k)_v_up", x.v - x.theta), vDown = b.node("l\(k)_v_down", x.v + x.theta)
            let (zUp, _) = Arith.saturatingAdd(b, x.z, .lit(1, .sint(2)), outWidth: c.zBits, name: "l\(k)_zinc")
            let (zDown, _) = Arith.saturatingAdd(b, x.z, .lit(-1, .sint(2)), outWidth: c.zBits, name: "l\(k)_zdec")
            let (upU, downU, _) = NeuronGenerator.fireConditions(b, prefix: "l\(k)_after_up_", v: vUp, z: zUp, theta: theta, mode: .runtime, modeCode: mode, flushing: nil)
            let (upD, downD, _) = NeuronGenerator.fireConditions(b, prefix: "l\(k)_after_down_", v: vDown, z: zDown, theta: theta, mode: .runtime, modeCode: mode, flushing: nil)
            let againAfterSpike = b.node("l\(k)_again", (upD | downD).when(x.down, else: upU | downU) & ~isFlush)
            let rv = b.node("r\(k)_v", vDown.when(x.down, else: vUp).when(spikeHere, else: x.v))
            let rz = b.node("r\(k)_z", zDown.when(x.down, else: zUp).when(spikeHere, else: x.z))
            let fl = b.node("r\(k)_flushed", (hFlushed.bit(k) & r.hValid) | (spikeHere & isFlush))
            resFire = resFire | againAfterSpike.when(spikeHere, else: x.fire)
            resV.append(rv.asUnsigned)
            resZ.append(rz.asUnsigned)
            flushedNext.append(fl)
            b.next(hV[k], rv, when: active)
            b.next(hZ[k], rz, when: active)
        }
        // The state word: every lane's V, then every lane's z (`PEConfig.stateVLo`/`stateZLo`).
        let res = b.node("c_result", .concat(resZ.reversed() + resV.reversed()))
        let cDone = b.node("c_done", active & ~resFire)
        b.next(r.hValid, active & ~cDone)
        b.next(hKind, a.kind, when: l.xConsume)
        b.next(hGroup, r.xGroup, when: l.xConsume)
        b.next(hTheta, a.theta, when: l.xConsume)
        b.next(hMode, a.mode, when: l.xConsume)
        b.next(hFlushed, .concat(flushedNext.reversed()), when: active)
        // State write-back (or a configuration write), remembered for forwarding. The V bank is
        // written by every write-back, the z bank only on a reset or when the row sent a spike
        // (only then can z have changed). A row that sent one is written back in the cycle of its
        // last spike: compute holds a group only while a lane fires, and a held lane that fires
        // sends (or waits for room, and is not done). The bypass register takes every write-back.
        let cfgState = d.cfgWe[.state]!
        let isReset = kind.eq(RowKind.reset.rawValue)
        let sWe = b.node("state_we", cDone | cfgState)
        let sWeZ = b.node("state_we_z", (cDone & (emit | isReset)) | cfgState)
        let sWAddr = b.node("state_waddr", d.word[.state]!.when(cfgState, else: group))
        let sWData = b.node("state_wdata", d.committed[.state]!.when(cfgState, else: res))
        stateWrite(v: sWe, z: sWeZ, address: sWAddr, data: sWData)
        b.next(byValid, .one, when: sWe)
        b.next(byAddr, sWAddr, when: sWe)
        b.next(byData, sWData, when: sWe)

        let neuron: Expr
        if let idx = selIdx {
            neuron = L == 1 << lw ? Expr.concat([group, idx]) : group.resized(c.neuronBits) * .lit(L, .uint(c.neuronBits)) + idx.resized(c.neuronBits)
        } else {
            neuron = group.resized(c.neuronBits)
        }
        return Compute(emit: emit, neuron: neuron, negative: selNeg, spRoom: spRoom)
    }

    /// Lane `k`: the value compute works on (held, or the add stage's) and its fire check.
    func lane(_ k: Int, _ r: Registers, v vIn: Expr, z zIn: Expr, hFlushed: Expr, isFlush: Expr, theta: Expr, mode: Expr) -> Lane {
        let v = b.node("l\(k)_v", vIn)
        let z = b.node("l\(k)_z", zIn)
        let done = hFlushed.bit(k) & r.hValid & isFlush
        let (up, down, th) = NeuronGenerator.fireConditions(b, prefix: "l\(k)_", v: v, z: z, theta: theta, mode: .runtime, modeCode: mode, flushing: isFlush)
        return Lane(v: v, z: z, fire: b.node("l\(k)_fire", (up | down) & ~done), down: b.node("l\(k)_down", down), theta: th)
    }
}
