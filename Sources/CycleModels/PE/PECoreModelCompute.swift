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
            // Lanes other than the one that sends keep V and z, so their fire check after the
            // edge is the one before it; lanes already flushed in this sweep do not count. Only
            // the sending lane is checked again. `resV`/`resZ` take every lane as compute first
            // sees it; the sending lane's are replaced below.
            var othersFire = false, selQ: Int64 = 0
            let done = hValid && isFlush ? hFlushed : 0
            // Moved out for the lane loops (no copy, no uniqueness check per lane; no closure
            // over `self`, which would copy the whole core).
            var rv: [Int64] = [], rz: [Int64] = []
            swap(&rv, &resV)
            swap(&rz, &resZ)
            if hValid {
                for k in 0 ..< L {
                    rv[k] = hV[k]
                    rz[k] = hZ[k]
                }
            } else {
                enteringLanes(&rv, &rz, bypass: useByp)
            }
            for k in 0 ..< L {
                let v = rv[k], z = rz[k]
                let q = done >> UInt64(k) & 1 == 1 ? 0 : fire(v, z, theta: theta, mode: mode, flushing: isFlush)
                if q != 0 {
                    if e.sel < 0 {
                        e.sel = k
                        e.selNeg = q < 0
                        selQ = Int64(q)
                    } else {
                        othersFire = true
                    }
                }
            }
            swap(&rv, &resV)
            swap(&rz, &resZ)
            e.emit = e.sel >= 0 && !spF.full
            if hValid { e.flushedNext = hFlushed }
            if e.emit {
                let k = e.sel
                let v = resV[k] - selQ * theta, z = zField.add(resZ[k], selQ)
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

    /// Every lane of the memory stage's row as compute first sees it: the bias on a reset, the
    /// saturated `V + s·m·w` on an add, the stored state on a flush.
    /// The state word comes from the bypass register when `bypass` (the word being written back
    /// is the one the memory stage read), else from the state read register.
    @inline(__always) func enteringLanes(_ rv: inout [Int64], _ rz: inout [Int64], bypass: Bool) {
        // The closures capture locals only (a closure over `self` would copy the core).
        let lanes = L, vF = vField, zF = zField, vBits = vBits, laneBits = laneBits
        if mKind == .reset {
            bQ.withUnsafeBufferPointer { b in
                for k in 0 ..< lanes {
                    rv[k] = vF.read(b, at: k * vBits)
                    rz[k] = 0
                }
            }
            return
        }
        (bypass ? bypData : sQ).withUnsafeBufferPointer { s in
            for k in 0 ..< lanes {
                rv[k] = vF.read(s, at: k * laneBits)
                rz[k] = zF.read(s, at: k * laneBits + vBits)
            }
        }
        guard mKind == .add else { return }
        let mult = Int64(mMult), neg = mNeg, wF = wField, slot = weightSlot
        wQ.withUnsafeBufferPointer { w in
            for k in 0 ..< lanes {
                let prod = wF.read(w, at: k * slot) * mult
                rv[k] = vF.add(rv[k], neg ? -prod : prod)
            }
        }
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
