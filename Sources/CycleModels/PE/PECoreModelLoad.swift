import SpikeForgeCore

/// Load and the memory stage (`PECoreLoad.swift`): row operations from an axon-map entry (with
/// `maxKernel > 1`, over its kernel window) or a reset / flush sweep; the memory stage holds the
/// row's weight read until the product stage takes it.
extension PECoreModel {
    @inline(__always) mutating func evaluateLoad(_ e: inout PECycle) {
        // The add stage takes the product stage's row unless compute works on the same group
        // (`p_hazard`: the row waits for the write-back, which the bypass register then holds).
        e.xConsume = xValid && !hValid
        let hazard = (xValid || hValid) && (hValid ? hGroup : xGroup) == pGroup
        e.pConsume = pValid && (!xValid || e.xConsume) && !hazard
        e.mConsume = mValid && (!pValid || e.pConsume)
        e.issue = lActive && !lLoad && lLeft != 0 && (!mValid || e.mConsume)
        e.runEnd = lLeft == 1
        e.colEnd = e.runEnd && lColsLeft == 1
        e.last = windowed ? e.colEnd && lRowsLeft == 1 : e.runEnd
        e.ended = lActive && !lLoad && (lLeft == 0 || (e.last && e.issue))
        e.cont = e.ended && lAll && lLayer != layers - 1
        e.aTake = aValid && (!lActive || (e.ended && !e.cont))
        // Decoded only when used (before this edge's read replaces the word).
        if e.aTake { e.ax = AxonEntry.decode(axonQ, config) }
        // Layer parameters (asynchronous read).
        let pAddr = respPending ? respAddr & layerMask : lLayer
        if e.issue || lLoad { e.params = params(pAddr) }
    }

    @inline(__always) mutating func updateLoad(_ e: inout PECycle) {
        // Memory stage.
        if e.issue {
            mKind = lKind
            mGroup = lGroup
            mNeg = lNeg
            mMult = lMult
            mTheta = e.params.theta
            mMode = e.params.modeCode
        }
        mValid = e.issue || (mValid && !e.mConsume)

        // Load stage.
        let oldLoad = lLoad
        lActive = e.aTake || e.cont || e.ctrlStart || (lActive && !e.ended)
        if e.aTake {
            lKind = .add
        } else if e.ctrlStart {
            lKind = e.startReset ? .reset : .flush
        }
        if e.aTake {
            lRow = e.ax.row
            lGroup = e.ax.group
            // An empty window is an empty entry.
            lLeft = e.ax.windowRows != 0 && e.ax.windowCols != 0 ? e.ax.count : 0
        } else if oldLoad {
            lGroup = e.params.first
            lLeft = e.params.count
        } else if e.issue && windowed && e.runEnd {
            // The end of a run: the next run of the window row, or the next window row.
            let nextRowBase = (lRowBase + e.params.rowStride) & rowMask
            let nextGroupBase = (lGroupBase - e.params.groupStride) & groupMask
            let nextGroupCol = (lGroupCol - lCount) & groupMask
            lRow = e.colEnd ? nextRowBase : (lRow + 1) & rowMask
            lGroup = e.colEnd ? nextGroupBase : nextGroupCol
            lLeft = e.last ? 0 : lCount
            if !e.last {
                lGroupCol = e.colEnd ? nextGroupBase : nextGroupCol
                lColsLeft = e.colEnd ? lCols : lColsLeft - 1
                if e.colEnd {
                    lRowBase = nextRowBase
                    lGroupBase = nextGroupBase
                    lRowsLeft -= 1
                }
            }
        } else if e.issue {
            lRow = (lRow + 1) & rowMask
            lGroup = (lGroup + 1) & groupMask
            lLeft -= 1
        }
        if windowed {
            if e.aTake {
                lCount = e.ax.count
                lCols = e.ax.windowCols
                lColsLeft = e.ax.windowCols
                lRowsLeft = e.ax.windowRows
                lRowBase = e.ax.row
                lGroupBase = e.ax.group
                lGroupCol = e.ax.group
            } else if e.ctrlStart {
                // A sweep is one run: its window is 1 x 1.
                lColsLeft = 1
                lRowsLeft = 1
            }
        }
        if e.aTake {
            lLayer = e.ax.layer
        } else if e.cont {
            lLayer = (lLayer + 1) & layerMask
        } else if e.ctrlStart {
            lLayer = e.startReset ? 0 : e.layerField & layerMask
        }
        if e.aTake {
            lNeg = aNeg
            lMult = aMult
        }
        if e.aTake || e.ctrlStart { lAll = e.startReset }
        lLoad = e.cont || e.ctrlStart
    }
}
