import HWIR
import SpikeForgeCore

/// Load: an axon-map entry (YOSO's spike-address SRAM, read in dispatch) or a reset / flush
/// sweep over a layer's groups becomes row operations, one per cycle; each issues the
/// synchronous reads of the weight, state or bias SRAM (the memory stage, `m_*`).
extension PECoreBuilder {
    struct Load {
        let axonQ: Expr
        /// The params word (an asynchronous read: the layer of the load stage or of a read-back).
        let paramsWord: Expr
        /// Compute takes the memory stage's row this cycle.
        let mConsume: Expr
        /// The synchronous read registers of the weight, state and bias SRAMs.
        let wQ, sQ, bQ: Expr
    }

    func load(_ r: Registers, _ d: Dispatch) -> Load {
        let axonAddress = d.head.field(PacketLayout.Spike.axon).bits(c.axonBits - 1, 0)
        let axonQ = syncRead(.axonMap, when: d.axonLoad | d.hostRe[.axonMap]!,
                             address: d.word[.axonMap]!.when(d.hostRe[.axonMap]!, else: axonAddress), into: "axon_q")
        let ax = fields(axonQ, c.axonFieldWidths)
        let (axRow, axGroup, axCount, axLayer) = (ax[0], ax[1], ax[2], ax[3])
        write(.axonMap, when: d.cfgWe[.axonMap]!, address: d.word[.axonMap]!, data: d.committed[.axonMap]!)

        // Layer parameters: a small register file read asynchronously.
        let pAddr = r.respAddr.bits(c.layerBits - 1, 0).when(r.respPending, else: r.lLayer)
        let pWord = b.node("params_word", b.asyncRead(mem[.params]!, address: pAddr))
        let pf = fields(pWord, c.paramFieldWidths)
        let (pTheta, pMode, pFirst, pCount) = (pf[0], pf[1], pf[2], pf[3])
        write(.params, when: d.cfgWe[.params]!, address: d.word[.params]!, data: d.committed[.params]!)

        let mConsume = b.node("m_consume", r.mValid & ~r.hValid)
        let issue = b.node("issue", r.lActive & ~r.lLoad & r.lLeft.ne(0) & (~r.mValid | mConsume))
        let ended = b.node("l_ended", r.lActive & ~r.lLoad & (r.lLeft.eq(0) | (r.lLeft.eq(1) & issue)))
        let cont = b.node("l_continue", ended & r.lAll & r.lLayer.ne(c.layers - 1))
        b.assign(r.aTake, r.aValid & (~r.lActive | (ended & ~cont)))
        let ctrlStart = d.startReset | d.startFlush
        func kind(_ k: RowKind) -> Expr { .lit(k.rawValue, .uint(RowKind.bits)) }
        b.next(r.lActive, r.aTake | cont | ctrlStart | (r.lActive & ~ended))
        b.next(r.lKind, kind(.add).when(r.aTake, else: kind(.reset).when(d.startReset, else: kind(.flush))), when: r.aTake | ctrlStart)
        b.next(r.lRow, axRow.when(r.aTake, else: r.lRow + 1), when: r.aTake | issue)
        b.next(r.lGroup, axGroup.when(r.aTake, else: pFirst.when(r.lLoad, else: r.lGroup + 1)), when: r.aTake | r.lLoad | issue)
        b.next(r.lLeft, axCount.when(r.aTake, else: pCount.when(r.lLoad, else: r.lLeft - 1)), when: r.aTake | r.lLoad | issue)
        let layerSel = d.layerField.bits(c.layerBits - 1, 0)
        b.next(r.lLayer, axLayer.when(r.aTake, else: (r.lLayer + 1).when(cont, else: Expr.lit(0, .uint(c.layerBits)).when(d.startReset, else: layerSel))),
               when: r.aTake | cont | ctrlStart)
        b.next(r.lNeg, r.aNeg, when: r.aTake)
        b.next(r.lMult, r.aMult, when: r.aTake)
        b.next(r.lAll, d.startReset, when: r.aTake | ctrlStart)
        b.next(r.lLoad, cont | ctrlStart)

        // Memory stage: synchronous reads, held until compute takes them.
        let isAddL = r.lKind.eq(RowKind.add.rawValue), isResetL = r.lKind.eq(RowKind.reset.rawValue)
        let wQ = syncRead(.weights, when: (issue & isAddL) | d.hostRe[.weights]!,
                          address: d.word[.weights]!.when(d.hostRe[.weights]!, else: r.lRow), into: "w_q")
        let sQ = syncRead(.state, when: (issue & ~isResetL) | d.hostRe[.state]!,
                          address: d.word[.state]!.when(d.hostRe[.state]!, else: r.lGroup), into: "s_q")
        let bQ = syncRead(.bias, when: (issue & isResetL) | d.hostRe[.bias]!,
                          address: d.word[.bias]!.when(d.hostRe[.bias]!, else: r.lGroup), into: "b_q")
        write(.weights, when: d.cfgWe[.weights]!, address: d.word[.weights]!, data: d.committed[.weights]!)
        write(.bias, when: d.cfgWe[.bias]!, address: d.word[.bias]!, data: d.committed[.bias]!)
        b.next(r.mValid, issue | (r.mValid & ~mConsume))
        b.next(r.mKind, r.lKind, when: issue)
        b.next(r.mGroup, r.lGroup, when: issue)
        b.next(r.mNeg, r.lNeg, when: issue)
        b.next(r.mMult, r.lMult, when: issue)
        b.next(r.mTheta, pTheta, when: issue)
        b.next(r.mMode, pMode, when: issue)
        return Load(axonQ: axonQ, paramsWord: pWord, mConsume: mConsume, wQ: wQ, sQ: sQ, bQ: bQ)
    }
}
