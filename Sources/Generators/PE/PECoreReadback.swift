import HWIR
import SpikeForgeCore

/// Read-back and output: the status counters, the read response (one part of one word of the
/// memory a read request named, or zeros for a bad request), and the output FIFO that the read
/// response and the store stage's spike packets share (a pending response goes first).
extension PECoreBuilder {
    func readback(_ r: Registers, _ d: Dispatch, _ l: Load, _ s: Store, outFIFO: Module) {
        typealias L = PacketLayout
        let P = c.partBits
        var rdata: [PEMemory: Expr] = [.weights: l.wQ, .state: l.sQ, .bias: l.bQ, .axonMap: l.axonQ, .targets: s.tQ, .params: l.paramsWord]
        if c.accumulatedWeights {
            let accQ = syncRead(.accumulated, when: d.hostRe[.accumulated]!, address: d.word[.accumulated]!, into: "acc_q")
            write(.accumulated, when: d.cfgWe[.accumulated]!, address: d.word[.accumulated]!, data: d.committed[.accumulated]!)
            rdata[.accumulated] = accQ
        }
        // Status counters.
        var counters: [Expr] = []
        for (st, inc) in [(PEStatus.badAccess, d.badAccess), (.ignored, d.ignored), (.spikesIn, d.axonLoad), (.spikesOut, s.pushSpike)] {
            let reg = b.reg("status_\(st)_q", .uint(PEConfig.statusCounterBits))
            b.next(reg, reg + 1, when: inc)
            counters.append(reg)
        }
        b.next(r.respPending, d.readGo | (r.respPending & ~s.outRoom))
        b.next(r.respMem, d.memId, when: d.readGo)
        b.next(r.respAddrQ, d.addr, when: d.readGo)
        b.next(r.respTag, d.head.field(L.ReadRequest.tag), when: d.readGo)
        let respOK = b.reg("resp_ok_q", .bool)
        b.next(respOK, d.anyWritable | d.statusOK, when: d.readGo)
        var respData = Expr.lit(0, .uint(P))
        for m in c.memories.reversed() {
            respData = responseSlice(m, r, rdata: rdata, counters: counters).when(r.respMem.eq(m.rawValue), else: respData)
        }
        let respFlit = Expr.packed(width: c.flitWidth, [
            (L.Header.host, .one), (L.Header.type, .lit(FlitType.readResponse.rawValue, .uint(L.Header.type.width))),
            (L.ReadResponse.memory, r.respMem), (L.ReadResponse.tag, r.respTag),
            (L.ReadResponse.data(partBits: P), respData.when(respOK, else: .lit(0, .uint(P)))),
        ])

        let fout = b.instance("u_out_fifo", of: outFIFO, inputs: [
            "clk": clk, "rst": rst, "in_valid": s.pushSpike | r.respPending, "in_data": respFlit.when(r.respPending, else: s.spikeFlit),
            "out_ready": outReady,
        ])
        b.allowUnused(fout["count"]!, because: "occupancy is not needed; busy uses out_valid")
        b.assign(s.outRoom, fout["in_ready"]!)
        b.output("out_valid", fout["out_valid"]!, doc: "a packet for the router")
        b.output("out_flit", fout["out_data"]!, doc: "")
        b.output("busy", d.headValid | r.aValid | r.lActive | r.mValid | r.pValid | r.xValid | r.hValid | r.spFifoValid | r.sValid | r.respPending | fout["out_valid"]!,
                 doc: "some packet or row operation is in flight")
    }

    /// The part of memory `m`'s word that the pending read response carries.
    func responseSlice(_ m: PEMemory, _ r: Registers, rdata: [PEMemory: Expr], counters: [Expr]) -> Expr {
        let P = c.partBits
        let (w, depth) = c.geometry(m)
        let aw = Bits.addressWidth(depth), parts = c.parts(m)
        var word: Expr
        if m == .status {
            word = counters[0]
            for (i, reg) in counters.enumerated().dropFirst() { word = reg.when(r.respAddr.bits(aw - 1, 0).eq(i), else: word) }
            word = b.node("status_word", word)
        } else {
            word = rdata[m]!
        }
        func slice(_ p: Int) -> Expr { word.bits(min(p * P + P - 1, w - 1), p * P).resized(P) }
        var v = slice(0)
        if parts > 1 {
            let part = r.respAddr.bits(PacketLayout.ReadRequest.address.width - 1, aw)
            for p in (1 ..< parts).reversed() { v = slice(p).when(part.eq(p), else: v) }
            v = b.node("resp_slice_\(m.rtlName)", v)
        }
        return v
    }
}
