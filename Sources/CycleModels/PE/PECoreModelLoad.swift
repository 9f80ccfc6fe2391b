import SpikeForgeCore

/// Load and the memory stage (`PECoreLoad.swift`): row operations from an axon-map entry or a
/// reset / flush sweep; the memory stage holds the row's synchronous reads until compute takes it.
extension PECoreModel {
    @inline(__always) mutating func evaluateLoad(_ e: inout PECycle) {
        e.mConsume = mValid && !hValid
        e.issue = lActive && !lLoad && lLeft != 0 && (!mValid || e.mConsume)
        e.ended = lActive && !lLoad && (lLeft == 0 || (lLeft == 1 && e.issue))
        e.cont = e.ended && lAll && lLayer != config.layers - 1
        e.aTake = aValid && (!lActive || (e.ended && !e.cont))
        // Decoded only when used (before this edge's read replaces the word).
        if e.aTake { e.ax = AxonEntry.decode(axonQ, config) }
        // Layer parameters (asynchronous read).
        let pAddr = respPending ? respAddr & Int(Bits.mask(config.layerBits)) : lLayer
        if e.issue || lLoad { e.params = params(pAddr) }
    }

    @inline(__always) mutating func updateLoad(_ e: PECycle) {
        let c = config
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
        } else if e.issue {
            lRow = (lRow + 1) & Int(Bits.mask(c.rowBits))
        }
        if e.aTake {
            lGroup = e.ax.group
            lLeft = e.ax.count
        } else if oldLoad {
            lGroup = e.params.first
            lLeft = e.params.count
        } else if e.issue {
            lGroup = (lGroup + 1) & Int(Bits.mask(c.groupBits))
            lLeft -= 1
        }
        if e.aTake {
            lLayer = e.ax.layer
        } else if e.cont {
            lLayer = (lLayer + 1) & Int(Bits.mask(c.layerBits))
        } else if e.ctrlStart {
            lLayer = e.startReset ? 0 : e.layerField & Int(Bits.mask(c.layerBits))
        }
        if e.aTake {
            lNeg = aNeg
            lMult = aMult
        }
        if e.aTake || e.ctrlStart { lAll = e.startReset }
        lLoad = e.cont || e.ctrlStart
    }
}
