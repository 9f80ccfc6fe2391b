import SpikeForgeCore

/// Compute (`PECoreCompute.swift`): the fire check on the add stage's row (or the held group),
/// one spike per cycle from the lowest firing lane, the write-back when no spike is due.
extension PECoreModel {
    @inline(__always) mutating func evaluateCompute(_ e: inout PECycle) {
        e.active = e.xConsume || hValid
        let kind = hValid ? hKind : xKind
        let theta = hValid ? hTheta : xTheta
        let mode = hValid ? hMode : xMode
        e.group = hValid ? hGroup : xGroup
        let isFlush = kind == .flush
        var resFire = false
        if e.active {
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
            for k in 0 ..< L {
                rv[k] = hValid ? hV[k] : xV[k]
                rz[k] = hValid ? hZ[k] : xZ[k]
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
        // The write-back writes V always, z on a reset or when the row sent a spike, which it did
        // in this cycle if at all (a held group is done only in a cycle that sends).
        e.writeZ = e.cDone && (e.emit || kind == .reset)
    }

    @inline(__always) mutating func updateCompute(_ e: inout PECycle) {
        if e.active {
            for k in 0 ..< L {
                hV[k] = resV[k]
                hZ[k] = resZ[k]
            }
            hFlushed = e.flushedNext
        }
        if e.xConsume {
            hKind = xKind
            hGroup = xGroup
            hTheta = xTheta
            hMode = xMode
        }
        hValid = e.active && !e.cDone
    }
}
