import SpikeForgeCore

/// Compute (`PECoreCompute.swift`): the row applied per lane, the fire check, one spike per
/// cycle from the lowest firing lane, the write-back when no spike is due.
extension PECoreModel {
    @inline(__always) mutating func evaluateCompute(_ e: inout PECycle) {
        e.active = e.mConsume || hValid
        let kind = hValid ? hKind : mKind
        let theta = hValid ? hTheta : mTheta
        let mode = hValid ? hMode : mMode
        e.group = hValid ? hGroup : mGroup
        let isFlush = kind == .flush
        var resFire = false
        if e.active {
            let useByp = bypValid && bypAddr == mGroup
            let m = NeuronMode(code: mode)
            // Lanes other than the one that sends keep V and z, so their fire check after the
            // edge is the one before it (`fireQ`); lanes already flushed in this sweep do not
            // count. Only the sending lane is checked again.
            var othersFire = false
            for k in 0 ..< L {
                var v: Int64, z: Int64
                if hValid {
                    v = hV[k]
                    z = hZ[k]
                } else {
                    (v, z) = enteringLane(k, bypass: useByp)
                }
                srcV[k] = v
                srcZ[k] = z
                let done = hValid && isFlush && hFlushed >> UInt64(k) & 1 == 1
                let q = done || theta == 0 ? 0 : Int(isFlush ? FunctionalNeuron.flushCondition(v: v, z: z, theta: theta, mode: m)
                    : FunctionalNeuron.fireCondition(v: v, z: z, theta: theta, mode: m))
                fireQ[k] = q
                if q != 0 {
                    if e.sel < 0 {
                        e.sel = k
                        e.selNeg = q < 0
                    } else {
                        othersFire = true
                    }
                }
            }
            e.emit = e.sel >= 0 && !spF.full
            for k in 0 ..< L {
                resV[k] = srcV[k]
                resZ[k] = srcZ[k]
            }
            if hValid { e.flushedNext = hFlushed }
            if e.emit {
                let k = e.sel, q = Int64(fireQ[k])
                let v = srcV[k] - q * theta, z = Bits.saturatingAdd(srcZ[k], q, width: zBits).sum
                resV[k] = v
                resZ[k] = z
                if isFlush { e.flushedNext |= 1 << UInt64(k) }
                // A flushed lane is done for this sweep; otherwise it may fire again.
                if !isFlush && fire(v, z, theta: theta, mode: mode, flushing: false) != 0 { resFire = true }
                resFire = resFire || othersFire
            } else {
                resFire = e.sel >= 0
            }
        }
        e.cDone = e.active && !resFire
    }

    /// Lane `k` of the memory stage's row as compute first sees it: the bias on a reset, the
    /// saturated `V + s·m·w` on an add, the stored state on a flush.
    /// The state word comes from the bypass register when `bypass` (the word being written back
    /// is the one the memory stage read), else from the state read register.
    @inline(__always) func enteringLane(_ k: Int, bypass: Bool) -> (v: Int64, z: Int64) {
        let vOld: Int64, zOld: Int64
        if bypass {
            vOld = Bits.signExtend(Self.field(bypData, lo: k * laneBits, width: vBits), width: vBits)
            zOld = Bits.signExtend(Self.field(bypData, lo: k * laneBits + vBits, width: zBits), width: zBits)
        } else {
            vOld = Bits.signExtend(Self.field(sQ, lo: k * laneBits, width: vBits), width: vBits)
            zOld = Bits.signExtend(Self.field(sQ, lo: k * laneBits + vBits, width: zBits), width: zBits)
        }
        switch mKind {
        case .reset:
            return (Bits.signExtend(Self.field(bQ, lo: k * vBits, width: vBits), width: vBits), 0)
        case .add:
            let w = Bits.signExtend(Self.field(wQ, lo: k * weightSlot, width: wBits), width: wBits)
            let prod = w * Int64(mMult)
            return (Bits.saturatingAdd(vOld, mNeg ? -prod : prod, width: vBits).sum, zOld)
        case .flush:
            return (vOld, zOld)
        }
    }

    /// `Bits.field` on a whole array (no slice, so no reference counting in the lane loop).
    @inline(__always) static func field(_ words: [UInt64], lo: Int, width: Int) -> UInt64 {
        let w = lo >> 6, sh = lo & 63
        var x = words[w] >> UInt64(sh)
        if sh != 0 && sh + width > 64 && w + 1 < words.count { x |= words[w + 1] << UInt64(64 - sh) }
        return x & Bits.mask(width)
    }

    @inline(__always) mutating func updateCompute(_ e: inout PECycle) {
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
