import SpikeForgeCore

/// Product and add (`PECoreAdd.swift`): `±m·w` per lane from the memory stage's weight read
/// (registered as the product stage takes the row, when the state or bias SRAM is read), then the
/// row applied to every lane and registered: the saturated `V + s·m·w` on an add, the bias on a
/// reset, the stored state on a flush. The state word comes from the bypass register when it
/// holds the product stage's group (the load stage keeps a row of compute's group back until it
/// is written, so that write is the newest). A layer with θ = 0 never fires: its `z` bank is not
/// read and its `z` is taken as 0.
extension PECoreModel {
    @inline(__always) mutating func evaluateProduct(_ e: inout PECycle) {
        guard e.mConsume, mKind == .add else { return }
        let lanes = L, mult = Int64(mMult), neg = mNeg, wF = wField, slot = weightSlot
        var d: [Int64] = []
        swap(&d, &npDelta)
        wQ.withUnsafeBufferPointer { w in
            for k in 0 ..< lanes {
                let prod = wF.read(w, at: k * slot) * mult
                d[k] = neg ? -prod : prod
            }
        }
        swap(&d, &npDelta)
    }

    @inline(__always) mutating func updateProduct(_ e: inout PECycle) {
        if e.mConsume {
            swap(&pDelta, &npDelta)
            pKind = mKind
            pGroup = mGroup
            pTheta = mTheta
            pMode = mMode
        }
        pValid = e.mConsume || (pValid && !e.pConsume)
    }

    @inline(__always) mutating func evaluateAdd(_ e: inout PECycle) {
        guard e.pConsume else { return }
        var rv: [Int64] = [], rz: [Int64] = []
        swap(&rv, &nxV)
        swap(&rz, &nxZ)
        enteringLanes(&rv, &rz, bypass: bypValid && bypAddr == pGroup)
        swap(&rv, &nxV)
        swap(&rz, &nxZ)
    }

    /// Every lane of the product stage's row as the add stage leaves it.
    @inline(__always) func enteringLanes(_ rv: inout [Int64], _ rz: inout [Int64], bypass: Bool) {
        // The closures capture locals only (a closure over `self` would copy the core).
        let lanes = L, vF = vField, zF = zField, vBits = vBits, zBase = zBase, zBits = zBits
        if pKind == .reset {
            bQ.withUnsafeBufferPointer { b in
                for k in 0 ..< lanes {
                    rv[k] = vF.read(b, at: k * vBits)
                    rz[k] = 0
                }
            }
            return
        }
        // A layer that never fires (θ = 0) did not read its z bank: its z is taken as 0.
        let zRead = pTheta != 0
        (bypass ? bypData : sQ).withUnsafeBufferPointer { s in
            for k in 0 ..< lanes {
                rv[k] = vF.read(s, at: k * vBits)
                rz[k] = zRead ? zF.read(s, at: zBase + k * zBits) : 0
            }
        }
        guard pKind == .add else { return }
        for k in 0 ..< lanes { rv[k] = vF.add(rv[k], pDelta[k]) }
    }

    @inline(__always) mutating func updateAdd(_ e: inout PECycle) {
        if e.pConsume {
            counters.rowOps += 1
            if pKind == .add { counters.synapticOps += L }
            swap(&xV, &nxV)
            swap(&xZ, &nxZ)
            xKind = pKind
            xGroup = pGroup
            xTheta = pTheta
            xMode = pMode
        }
        xValid = e.pConsume || (xValid && !e.xConsume)
    }
}
