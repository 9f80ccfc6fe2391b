import SpikeForgeCore

/// Compute (`PECoreCompute.swift`): the row applied per lane, the fire check, one spike per
/// cycle from the lowest firing lane, the write-back when no spike is due.
extension PECoreModel {
    @inline(__always) mutating func evaluateCompute(_ e: inout PECycle) {
        let c = config
        e.active = e.mConsume || hValid
        let kind = hValid ? hKind : mKind
        let theta = hValid ? hTheta : mTheta
        let mode = hValid ? hMode : mMode
        e.group = hValid ? hGroup : mGroup
        let isFlush = kind == .flush
        var resFire = false
        if e.active {
            let useByp = bypValid && bypAddr == mGroup
            for k in 0 ..< L {
                var v: Int64, z: Int64
                if hValid {
                    v = hV[k]
                    z = hZ[k]
                } else {
                    (v, z) = enteringLane(k, base: useByp ? bypData[...] : sQ[...])
                }
                srcV[k] = v
                srcZ[k] = z
                let done = hValid && isFlush && hFlushed >> UInt64(k) & 1 == 1
                let q = done ? 0 : fire(v, z, theta: theta, mode: mode, flushing: isFlush)
                fireQ[k] = q
                if q != 0 && e.sel < 0 {
                    e.sel = k
                    e.selNeg = q < 0
                }
            }
            e.emit = e.sel >= 0 && !spF.full
            for k in 0 ..< L {
                var v = srcV[k], z = srcZ[k]
                let here = e.emit && k == e.sel
                if here {
                    let q = Int64(fireQ[k])
                    v -= q * theta
                    z = Bits.saturatingAdd(z, q, width: c.zBits).sum
                }
                resV[k] = v
                resZ[k] = z
                let fl = (hValid && hFlushed >> UInt64(k) & 1 == 1) || (here && isFlush)
                if fl { e.flushedNext |= 1 << UInt64(k) }
                if !(fl && isFlush) && fire(v, z, theta: theta, mode: mode, flushing: isFlush) != 0 { resFire = true }
            }
        }
        e.cDone = e.active && !resFire
    }

    /// Lane `k` of the memory stage's row as compute first sees it: the bias on a reset, the
    /// saturated `V + s·m·w` on an add, the stored state on a flush.
    @inline(__always) func enteringLane(_ k: Int, base: ArraySlice<UInt64>) -> (v: Int64, z: Int64) {
        let c = config
        let vOld = Bits.signExtend(Bits.field(base, lo: k * c.stateLaneBits, width: c.vBits), width: c.vBits)
        let zOld = Bits.signExtend(Bits.field(base, lo: k * c.stateLaneBits + c.vBits, width: c.zBits), width: c.zBits)
        switch mKind {
        case .reset:
            return (Bits.signExtend(Bits.field(bQ[...], lo: k * c.vBits, width: c.vBits), width: c.vBits), 0)
        case .add:
            let w = Bits.signExtend(Bits.field(wQ[...], lo: k * c.weightSlot, width: c.wBits), width: c.wBits)
            let prod = w * Int64(mMult)
            return (Bits.saturatingAdd(vOld, mNeg ? -prod : prod, width: c.vBits).sum, zOld)
        case .flush:
            return (vOld, zOld)
        }
    }

    @inline(__always) mutating func updateCompute(_ e: PECycle) {
        if e.mConsume {
            counters.rowOps += 1
            if mKind == .add { counters.synapticOps += L }
        }
        if e.active {
            for k in 0 ..< L {
                hV[k] = resV[k]
                hZ[k] = resZ[k]
            }
            hFlushed = e.flushedNext
        }
        if e.mConsume {
            hKind = mKind
            hGroup = mGroup
            hTheta = mTheta
            hMode = mMode
        }
        hValid = e.active && !e.cDone
    }
}
