import HWIR
import SpikeForgeCore

/// Product and add: the memory stage's row applied to every lane in two registered steps.
/// - Product (`p_*`): `±m·w` per lane from the weight read, registered; as the row enters, the
///   state SRAM (or on a reset the bias SRAM) is read for its group.
/// - Add (`x_*`): `V ← sat(V + s·m·w)` with a saturating adder on an add, `V ← bias, z ← 0` on a
///   reset, the stored state on a flush, registered. A layer with θ = 0 never fires: its `z`
///   bank is not read, and its `z` is taken as 0 (reset leaves it 0 and nothing changes it).
///
/// Compute then starts from registers: no SRAM output, product or adder is on the path of the
/// fire check and the lane select (docs/PE.md, "FPGA figures").
///
/// Read-after-write on the state SRAM is solved by forwarding: the last word written is kept with
/// its address (`byp_*`, written by compute) and replaces the older SRAM read when the addresses
/// match. The load stage holds a row of the group compute is working on in the product stage
/// (`p_hazard`), so the one write the bypass register holds is always the newest.
extension PECoreBuilder {
    struct Product {
        let kind, theta, mode: Expr
        /// `±m·w` per lane.
        let delta: [Expr]
    }

    func product(_ r: Registers, _ l: Load) -> Product {
        let pKind = b.reg("p_kind_q", .uint(RowKind.bits))
        let pTheta = b.reg("p_theta_q", .uint(c.thresholdBits))
        let pMode = b.reg("p_mode_q", .uint(2))
        // w·m: a signed weight times the unsigned multiplicity, with room for the sign.
        let pw = c.wBits + PacketLayout.Spike.multiplicity.width + 1
        let delta = (0 ..< c.lanes).map { k -> Expr in
            let w = l.wQ.bits(k * c.weightSlot + c.wBits - 1, k * c.weightSlot).asSigned
            let prod = b.node("l\(k)_mw", w.resized(pw) * r.mMult.resized(pw).asSigned)
            let q = b.reg("p_delta\(k)_q", .sint(pw))
            b.next(q, (-prod).when(r.mNeg, else: prod), when: l.mConsume)
            return q
        }
        b.next(r.pValid, l.mConsume | (r.pValid & ~l.pConsume))
        b.next(pKind, r.mKind, when: l.mConsume)
        b.next(r.pGroup, r.mGroup, when: l.mConsume)
        b.next(pTheta, r.mTheta, when: l.mConsume)
        b.next(pMode, r.mMode, when: l.mConsume)
        return Product(kind: pKind, theta: pTheta, mode: pMode, delta: delta)
    }

    struct Add {
        let kind, theta, mode: Expr
        /// Every lane as the add stage left it.
        let v, z: [Expr]
        /// The bypass registers (compute writes them with the state).
        let bypValid, bypAddr, bypData: Expr
    }

    func add(_ r: Registers, _ l: Load, _ p: Product) -> Add {
        let xKind = b.reg("x_kind_q", .uint(RowKind.bits))
        let xTheta = b.reg("x_theta_q", .uint(c.thresholdBits))
        let xMode = b.reg("x_mode_q", .uint(2))
        let byValid = b.reg("byp_valid_q", .bool)
        let byAddr = b.reg("byp_addr_q", .uint(c.groupBits))
        let byData = b.reg("byp_data_q", .uint(c.lanes * c.stateLaneBits))
        let base = b.node("x_base", byData.when(byValid & byAddr.eq(r.pGroup), else: l.sQ))
        let isAdd = p.kind.eq(RowKind.add.rawValue), isReset = p.kind.eq(RowKind.reset.rawValue)
        // z ← 0 on a reset, and for a layer that never fires (θ = 0), whose z bank was not read.
        let zClear = b.node("x_z_clear", isReset | p.theta.eq(0))
        let vB = c.vBits, zB = c.zBits
        var xv: [Expr] = [], xz: [Expr] = []
        for k in 0 ..< c.lanes {
            let vOld = base.bits(c.stateVLo(k) + vB - 1, c.stateVLo(k)).asSigned
            let zOld = base.bits(c.stateZLo(k) + zB - 1, c.stateZLo(k)).asSigned
            let (vAdd, _) = Arith.saturatingAdd(b, vOld, p.delta[k], outWidth: vB, name: "l\(k)_add")
            let bias = l.bQ.bits(k * vB + vB - 1, k * vB).asSigned
            let rv = b.reg("x_v\(k)_q", .sint(vB)), rz = b.reg("x_z\(k)_q", .sint(zB))
            b.next(rv, bias.when(isReset, else: vAdd.when(isAdd, else: vOld)), when: l.pConsume)
            b.next(rz, Expr.lit(0, .sint(zB)).when(zClear, else: zOld), when: l.pConsume)
            xv.append(rv)
            xz.append(rz)
        }
        b.next(r.xValid, l.pConsume | (r.xValid & ~l.xConsume))
        b.next(xKind, p.kind, when: l.pConsume)
        b.next(r.xGroup, r.pGroup, when: l.pConsume)
        b.next(xTheta, p.theta, when: l.pConsume)
        b.next(xMode, p.mode, when: l.pConsume)
        return Add(kind: xKind, theta: xTheta, mode: xMode, v: xv, z: xz, bypValid: byValid, bypAddr: byAddr, bypData: byData)
    }
}
