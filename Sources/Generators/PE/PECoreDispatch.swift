import HWIR
import SpikeForgeCore

/// Dispatch: the input FIFO's head is decoded through `PacketLayout`. A spike goes to the load
/// stage (its axon-map read is issued here); any other packet waits until the pipeline has
/// drained, then writes a configuration part, starts a read-back, or starts a reset or flush.
extension PECoreBuilder {
    struct Dispatch {
        let headValid, head: Expr
        /// The head's address field, the data field, and the control packet's layer field.
        let addr, data, layerField: Expr
        let memId: Expr
        let spikeGo, axonLoad, cfgGo, readGo: Expr
        let startReset, startFlush: Expr
        let badAccess, ignored: Expr
        /// Per memory: the word and part decoded from the address field.
        let word: [PEMemory: Expr], part: [PEMemory: Expr]
        /// The request names an existing memory (word and part in range), or a status counter.
        let anyWritable, statusOK: Expr
        /// The last part of a configuration write commits the word to memory `m`.
        let cfgWe: [PEMemory: Expr]
        /// A read-back of memory `m` reads its SRAM this cycle (not the params register file).
        let hostRe: [PEMemory: Expr]
        /// The word a configuration write commits to each memory (its last part completes it).
        let committed: [PEMemory: Expr]
    }

    func dispatch(_ r: Registers, inFIFO: Module) -> Dispatch {
        typealias L = PacketLayout
        let popIn = b.wire("in_pop", .bool)
        let fin = b.instance("u_in_fifo", of: inFIFO, inputs: ["clk": clk, "rst": rst, "in_valid": inValid, "in_data": inFlit, "out_ready": popIn])
        b.output("in_ready", fin["in_ready"]!, doc: "the input FIFO has room")
        b.allowUnused(fin["count"]!, because: "occupancy is not needed; busy uses out_valid")
        let hv = fin["out_valid"]!
        let head = b.node("head", fin["out_data"]!)
        b.allowUnused(head, because: "the routing header's destination fields are the router's")
        let hType = b.node("head_type", head.field(L.Header.type))
        let isCfg = hType.eq(FlitType.configWrite.rawValue), isRead = hType.eq(FlitType.readRequest.rawValue)
        let isCtrl = hType.eq(FlitType.control.rawValue)
        // Configuration writes and read requests share the memory and address fields.
        let memId = b.node("head_mem", head.field(L.ConfigWrite.memory))
        let addr = b.node("head_addr", head.field(L.ConfigWrite.address))
        let data = b.node("head_data", head.field(L.ConfigWrite.data(flitWidth: c.flitWidth)))
        b.allowUnused(data, because: "a word narrower than the data field ignores its upper bits")

        let drained = b.node("drained", ~r.aValid & ~r.lActive & ~r.mValid & ~r.pValid & ~r.xValid & ~r.hValid & ~r.spFifoValid & ~r.sValid)
        let ctrlGo = b.node("ctrl_go", hv & hType.ne(FlitType.spike.rawValue) & drained & ~r.respPending)
        let spikeGo = b.node("spike_go", hv & hType.eq(FlitType.spike.rawValue) & ~r.respPending & (~r.aValid | r.aTake))
        b.assign(popIn, spikeGo | ctrlGo)
        let axonField = head.field(L.Spike.axon)
        let axonOK = c.axonBits >= L.Spike.axon.width ? Expr.one : b.node("axon_ok", axonField.bits(L.Spike.axon.width - 1, c.axonBits).eq(0))
        let axonLoad = b.node("axon_load", spikeGo & axonOK)

        // Per-memory decode of the address field: word below, part above.
        let aw16 = L.ConfigWrite.address.width
        var ok: [PEMemory: Expr] = [:], last: [PEMemory: Expr] = [:], word: [PEMemory: Expr] = [:], part: [PEMemory: Expr] = [:]
        for m in c.srams {
            let aw = Bits.addressWidth(c.geometry(m).depth), parts = c.parts(m)
            let p: Expr = aw < aw16 ? addr.bits(aw16 - 1, aw) : Expr.lit(0, .uint(1))
            word[m] = addr.bits(aw - 1, 0)
            part[m] = p
            ok[m] = b.node("sel_\(m.rtlName)", memId.eq(m.rawValue) & p.lt(.lit(parts, p.type)))
            last[m] = p.eq(parts - 1)
        }
        let statusAW = Bits.addressWidth(PEStatus.allCases.count)
        let statusOK = b.node("sel_status", memId.eq(PEMemory.status.rawValue)
            & addr.bits(aw16 - 1, statusAW).lt(.lit(c.parts(.status), .uint(aw16 - statusAW))))
        let anyWritable = c.srams.map { ok[$0]! }.reduce(Expr.zero, |)
        let cfgGo = b.node("cfg_go", ctrlGo & isCfg)
        let readGo = b.node("read_go", ctrlGo & isRead)
        let badAccess = b.node("bad_access", (cfgGo & ~anyWritable) | (readGo & ~(anyWritable | statusOK)))
        let opcode = head.field(L.Control.opcode)
        let layerField = head.field(L.Control.layer)
        let layerOK = c.layerBits >= L.Control.layer.width ? Expr.one : layerField.bits(L.Control.layer.width - 1, c.layerBits).eq(0)
        let startReset = b.node("start_reset", ctrlGo & isCtrl & opcode.eq(PEControl.reset.rawValue))
        let startFlush = b.node("start_flush", ctrlGo & isCtrl & opcode.eq(PEControl.flush.rawValue) & layerOK)
        let ignored = b.node("ignored", (ctrlGo & isCtrl & ~startReset & ~startFlush) | (ctrlGo & ~(isCfg | isRead | isCtrl)) | (spikeGo & ~axonOK))

        b.next(r.aValid, axonLoad | (r.aValid & ~r.aTake))
        b.next(r.aNeg, head.field(L.Spike.negative), when: spikeGo)
        b.next(r.aMult, head.field(L.Spike.multiplicity), when: spikeGo)

        let committed = configurationStaging(data: data, cfgGo: cfgGo, ok: ok, part: part)
        var cfgWe: [PEMemory: Expr] = [:], hostRe: [PEMemory: Expr] = [:]
        for m in c.srams {
            cfgWe[m] = b.node("cfg_we_\(m.rtlName)", cfgGo & ok[m]! & last[m]!)
            if m != .params { hostRe[m] = b.node("host_re_\(m.rtlName)", readGo & ok[m]!) }
        }
        return Dispatch(headValid: hv, head: head, addr: addr, data: data, layerField: layerField, memId: memId,
                        spikeGo: spikeGo, axonLoad: axonLoad, cfgGo: cfgGo, readGo: readGo, startReset: startReset, startFlush: startFlush,
                        badAccess: badAccess, ignored: ignored, word: word, part: part, anyWritable: anyWritable, statusOK: statusOK,
                        cfgWe: cfgWe, hostRe: hostRe, committed: committed)
    }

    /// Staging registers hold all parts but the last of a multi-part word; returns, per memory,
    /// the word its last part commits.
    func configurationStaging(data: Expr, cfgGo: Expr, ok: [PEMemory: Expr], part: [PEMemory: Expr]) -> [PEMemory: Expr] {
        let P = c.partBits
        let maxParts = c.srams.map { c.parts($0) }.max() ?? 1
        var stage: [Expr] = []
        for p in 0 ..< max(0, maxParts - 1) {
            let r = b.reg("stage\(p)_q", .uint(P))
            var en = Expr.zero
            for m in c.srams where c.parts(m) - 1 > p { en = en | (ok[m]! & part[m]!.eq(p)) }
            b.next(r, data, when: cfgGo & en)
            stage.append(r)
        }
        var committed: [PEMemory: Expr] = [:]
        for m in c.srams {
            let w = c.geometry(m).width, parts = c.parts(m)
            let top = w - (parts - 1) * P
            committed[m] = Expr.concat([top == P ? data : data.bits(top - 1, 0)] + stage.prefix(parts - 1).reversed())
        }
        return committed
    }
}
