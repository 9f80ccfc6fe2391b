import HWIR
import SpikeForgeCore

/// Store: the spike FIFO's head looks up its neuron's target (`TargetEntry`) and, when the
/// target is valid, sends a spike packet (a multicast when the target's rectangle is larger
/// than one tile) into the output FIFO.
extension PECoreBuilder {
    struct Store {
        let tQ: Expr
        /// A spike packet enters the output FIFO this cycle (when no read response does).
        let pushSpike, spikeFlit: Expr
        /// The output FIFO has room (driven by the read-back stage, which owns the FIFO).
        let outRoom: Expr
    }

    func store(_ r: Registers, _ d: Dispatch, _ x: Compute, spikeFIFO: Module) -> Store {
        typealias T = TargetEntry.Field
        typealias L = PacketLayout
        let sTake = b.wire("s_take", .bool)
        let fsp = b.instance("u_spike_fifo", of: spikeFIFO, inputs: [
            "clk": clk, "rst": rst, "in_valid": x.emit, "in_data": .concat([x.negative, x.neuron]), "out_ready": sTake,
        ])
        b.allowUnused(fsp["count"]!, because: "occupancy is not needed; busy uses out_valid")
        b.assign(x.spRoom, fsp["in_ready"]!)
        b.assign(r.spFifoValid, fsp["out_valid"]!)
        let spHead = fsp["out_data"]!
        let tQ = syncRead(.targets, when: sTake | d.hostRe[.targets]!,
                          address: d.word[.targets]!.when(d.hostRe[.targets]!, else: spHead.bits(c.neuronBits - 1, 0)), into: "t_q")
        write(.targets, when: d.cfgWe[.targets]!, address: d.word[.targets]!, data: d.committed[.targets]!)
        let tValid = tQ.field(T.valid)
        let outRoom = b.wire("out_room", .bool)
        let sConsume = b.node("s_consume", r.sValid & (~tValid | outRoom))
        b.assign(sTake, r.spFifoValid & (~r.sValid | sConsume))
        b.next(r.sValid, sTake | (r.sValid & ~sConsume))
        b.next(r.sNeg, spHead.bit(c.neuronBits), when: sTake)
        let pushSpike = b.node("push_spike", r.sValid & tValid & outRoom)
        // The target's rectangle, host flag and axon id, type spike, the sign, multiplicity 1.
        let spikeFlit = Expr.packed(width: c.flitWidth, [
            (L.Header.x0, tQ.field(T.x0)), (L.Header.x1, tQ.field(T.x1)), (L.Header.y0, tQ.field(T.y0)), (L.Header.y1, tQ.field(T.y1)),
            (L.Header.host, tQ.field(T.host)), (L.Header.type, .lit(FlitType.spike.rawValue, .uint(L.Header.type.width))),
            (L.Spike.axon, tQ.field(T.axon)), (L.Spike.negative, r.sNeg), (L.Spike.multiplicity, .lit(1, .uint(L.Spike.multiplicity.width))),
        ])
        return Store(tQ: tQ, pushSpike: pushSpike, spikeFlit: spikeFlit, outRoom: outRoom)
    }
}
