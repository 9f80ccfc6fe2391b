import HWIR
import SpikeForgeCore

/// Builds `PECore`, one pipeline stage per file (docs/PE.md):
///
/// | stage | file | registers |
/// |---|---|---|
/// | dispatch | `PECoreDispatch.swift` | `a_*`: the spike taken from the input FIFO; configuration staging |
/// | load | `PECoreLoad.swift` | `l_*`: row operations of an axon-map entry (its kernel window with `maxKernel > 1`) or a sweep; `m_*`: the memory stage |
/// | product, add | `PECoreAdd.swift` | `p_*`: `±m·w` per lane, while the state or bias SRAM is read; `x_*`: the row applied to every lane (`V + s·m·w`, the bias, or the stored state); `byp_*`: state forwarding |
/// | compute | `PECoreCompute.swift` | `h_*`: a group held while it spikes |
/// | store | `PECoreStore.swift` | `s_*`: the spike whose target is being read |
/// | read-back | `PECoreReadback.swift` | `resp_*`, `status_*`, the output FIFO |
///
/// Every pipeline register is declared up front (`Registers`), because each stage's handshake
/// looks at the next one's; stages then add their logic in pipeline order, each returning the
/// signals later stages use.
struct PECoreBuilder {
    let b: ModuleBuilder
    let c: PEConfig
    let clk: Expr, rst: Expr
    /// The core's input ports: a packet from the router, and the router taking ours.
    let inValid: Expr, inFlit: Expr, outReady: Expr
    var mem: [PEMemory: Memory] = [:]
    /// The state SRAM as two banks at the same addresses: every lane's `V`, every lane's `z`
    /// (`PEConfig.stateVLo`/`stateZLo`). Each is read and written only when its part is needed;
    /// the host sees one memory.
    var stateBank: (v: Memory, z: Memory)?

    init(_ c: PEConfig) {
        self.c = c
        b = ModuleBuilder(c.coreModuleName, doc: """
        SpikeForge PE core: \(c.neurons) neurons in \(c.groups) groups of \(c.lanes) lanes, \(c.layers) layers, \(c.axons) axons, \(c.weightRows) weight rows.
        Packets in on in_*, out on out_* (the router's local port). Dispatch -> load (axon map, row ops) ->
        memory (weight read) -> product (s*m*w per lane; state or bias read) -> add (V <= sat(V + s*m*w) per lane) -> compute (fire check, one spike per cycle,
        write-back) -> store (targets). Read-after-write on the state SRAM: forwarding from the last state write; a row of the
        group that the add stage or compute holds waits in the product stage until it is written back.
        Configuration writes, read-backs and control packets wait until the pipeline has drained.
        Each INIT_* parameter, when not "", loads that SRAM with $readmemh (the simulation backdoor).
        """, configuration: describe(c))
        clk = b.clock()
        rst = b.reset()
        for m in c.srams {
            b.parameter(m.initParameter, default: .string(""), doc: "$readmemh image of the \(m) SRAM, \"\" for none")
        }
        inValid = b.input("in_valid", .bool, doc: "the router offers a packet")
        inFlit = b.input("in_flit", .uint(c.flitWidth), doc: "")
        outReady = b.input("out_ready", .bool, doc: "the router takes our packet")
    }

    /// The pipeline registers and the wires that carry a later stage's handshake back to an
    /// earlier one.
    struct Registers {
        let aValid, aNeg, aMult: Expr
        let lActive, lKind, lRow, lGroup, lLeft, lLayer, lNeg, lMult, lAll, lLoad: Expr
        let mValid, mKind, mGroup, mNeg, mMult, mTheta, mMode: Expr
        let pValid, pGroup, xValid, xGroup, hValid, hGroup, sValid, sNeg: Expr
        let respPending, respMem, respTag, respAddrQ: Expr
        /// `resp_addr_q` as read (each memory decodes only its own bits of it).
        let respAddr: Expr
        /// Wires: load takes the dispatched spike; the spike FIFO holds a spike.
        let aTake, spFifoValid: Expr
    }

    func registers() -> Registers {
        let kindT = HWType.uint(RowKind.bits), multT = HWType.uint(PacketLayout.Spike.multiplicity.width)
        let respAddrQ = b.reg("resp_addr_q", .uint(PacketLayout.ReadRequest.address.width))
        let respAddr = b.node("resp_addr", respAddrQ)
        b.allowUnused(respAddr, because: "each memory decodes only its own word and part bits; for some geometries no memory reads a middle bit")
        return Registers(
            aValid: b.reg("a_valid_q", .bool), aNeg: b.reg("a_neg_q", .bool), aMult: b.reg("a_mult_q", multT),
            lActive: b.reg("l_active_q", .bool), lKind: b.reg("l_kind_q", kindT), lRow: b.reg("l_row_q", .uint(c.rowBits)),
            lGroup: b.reg("l_group_q", .uint(c.groupBits)), lLeft: b.reg("l_left_q", .uint(c.countBits)),
            lLayer: b.reg("l_layer_q", .uint(c.layerBits)), lNeg: b.reg("l_neg_q", .bool), lMult: b.reg("l_mult_q", multT),
            lAll: b.reg("l_all_q", .bool), lLoad: b.reg("l_load_q", .bool),
            mValid: b.reg("m_valid_q", .bool), mKind: b.reg("m_kind_q", kindT), mGroup: b.reg("m_group_q", .uint(c.groupBits)),
            mNeg: b.reg("m_neg_q", .bool), mMult: b.reg("m_mult_q", multT), mTheta: b.reg("m_theta_q", .uint(c.thresholdBits)),
            mMode: b.reg("m_mode_q", .uint(2)),
            pValid: b.reg("p_valid_q", .bool), pGroup: b.reg("p_group_q", .uint(c.groupBits)),
            xValid: b.reg("x_valid_q", .bool), xGroup: b.reg("x_group_q", .uint(c.groupBits)),
            hValid: b.reg("h_valid_q", .bool), hGroup: b.reg("h_group_q", .uint(c.groupBits)), sValid: b.reg("s_valid_q", .bool), sNeg: b.reg("s_neg_q", .bool),
            respPending: b.reg("resp_pending_q", .bool), respMem: b.reg("resp_mem_q", .uint(PacketLayout.ReadRequest.memory.width)),
            respTag: b.reg("resp_tag_q", .uint(PacketLayout.ReadRequest.tag.width)), respAddrQ: respAddrQ, respAddr: respAddr,
            aTake: b.wire("a_take", .bool), spFifoValid: b.wire("sp_head_valid", .bool)
        )
    }

    mutating func memories() {
        for m in c.srams where m != .state {
            let (w, d) = c.geometry(m)
            mem[m] = b.memory("mem_\(m.rtlName)", width: w, depth: d, initParameter: m.initParameter)
        }
        let (w, d) = c.geometry(.state), p = PEMemory.state.initParameter
        stateBank = (b.memory("mem_state_v", width: c.lanes * c.vBits, depth: d, initParameter: p, initSlice: .init(lo: c.stateVLo(0), imageWidth: w)),
                     b.memory("mem_state_z", width: c.lanes * c.zBits, depth: d, initParameter: p, initSlice: .init(lo: c.stateZLo(0), imageWidth: w)))
    }

    /// Reads the state banks whose enables hold; the word as `PEConfig.stateVLo`/`stateZLo` lay it out.
    func stateRead(v: Expr, z: Expr, address: Expr) -> Expr {
        let banks = stateBank!
        let qv = b.syncRead(banks.v, when: ~rst & v, address: address, into: "s_q_v")
        let qz = b.syncRead(banks.z, when: ~rst & z, address: address, into: "s_q_z")
        return b.node("s_q", .concat([qz, qv]))
    }

    /// Writes the state banks whose enables hold, each its part of `data`.
    func stateWrite(v: Expr, z: Expr, address: Expr, data: Expr) {
        let banks = stateBank!, vw = c.lanes * c.vBits, zLo = c.stateZLo(0)
        b.write(banks.v, when: ~rst & v, address: address, data: data.bits(vw - 1, 0))
        b.write(banks.z, when: ~rst & z, address: address, data: data.bits(zLo + c.lanes * c.zBits - 1, zLo))
    }

    // No SRAM is read or written while reset is high, so a reset mid-operation leaves them alone.
    func write(_ m: PEMemory, when en: Expr, address: Expr, data: Expr) { b.write(mem[m]!, when: ~rst & en, address: address, data: data) }
    func syncRead(_ m: PEMemory, when en: Expr, address: Expr, into name: String) -> Expr {
        b.syncRead(mem[m]!, when: ~rst & en, address: address, into: name)
    }

    /// The fields of a word, by the widths its `PEConfig` layout gives (LSB first).
    func fields(_ e: Expr, _ widths: [Int]) -> [Expr] {
        var lo = 0
        return widths.map { w in
            defer { lo += w }
            return e.bits(lo + w - 1, lo)
        }
    }
}

extension PEGenerator {
    /// The PE core: stages in pipeline order (see `PECoreBuilder`).
    public static func core(_ c: PEConfig, inFIFO: Module, spikeFIFO: Module, outFIFO: Module) -> Module {
        var k = PECoreBuilder(c)
        k.memories()
        let r = k.registers()
        let d = k.dispatch(r, inFIFO: inFIFO)
        let l = k.load(r, d)
        let p = k.product(r, l)
        let a = k.add(r, l, p)
        let x = k.compute(r, d, l, a)
        let s = k.store(r, d, x, spikeFIFO: spikeFIFO)
        k.readback(r, d, l, s, outFIFO: outFIFO)
        return k.b.build()
    }
}
