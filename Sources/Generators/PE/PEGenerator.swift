import HWIR
import SpikeForgeCore

/// The processing element after YOSO (SPEC §3, docs/PE.md): `PECore` (input FIFO, dispatch,
/// load, memory, compute, store, output FIFO and the lane-packed SRAMs) and `PETile` (the core
/// behind the local port of an X-Y router), the block the mesh instantiates.
///
/// Pipeline, one row operation (`lanes` neurons) per cycle:
/// 1. **dispatch** takes the input FIFO's head: a spike reads the axon map (YOSO's spike-address
///    SRAM); other packets wait until the pipeline has drained, then configure, read back or start
///    a reset / flush sweep.
/// 2. **load** turns an axon-map entry (or a sweep over a layer's groups) into row operations and
///    issues the synchronous reads of the weight, state and bias SRAMs.
/// 3. **compute** adds `s·m·w` with a saturating adder per lane, then runs the fire check of
///    SPEC §1 (the neuron unit's `fireConditions`); it sends one spike per cycle and holds the
///    group while more are due, then writes the state back. Read-after-write on the state SRAM is
///    solved by **forwarding**: the last word written is kept with its address and replaces the
///    (older) SRAM read when the addresses match, so the pipeline never stalls for it.
/// 4. **store** looks up the spiking neuron's target and sends a (multicast) spike packet.
public enum PEGenerator: BlockGenerator {
    public static func design(_ c: PEConfig) throws(ConfigError) -> Design {
        try c.validate()
        let flits = FIFOGenerator.module(.init(width: c.flitWidth, depth: c.inFIFODepth))
        let outs = FIFOGenerator.module(.init(width: c.flitWidth, depth: c.outFIFODepth))
        let spikes = FIFOGenerator.module(.init(width: c.neuronBits + 1, depth: c.spikeFIFODepth))
        let core = core(c, inFIFO: flits, spikeFIFO: spikes, outFIFO: outs)
        let rc = c.router
        let fifo = RouterGenerator.fifoModule(rc), arb = RouterGenerator.arbiterModule(rc)
        let router = RouterGenerator.router(rc, fifo: fifo, arbiter: arb)
        var mods: [Module] = []
        for m in [flits, outs, spikes, core, fifo, arb, router] where !mods.contains(where: { $0.name == m.name }) { mods.append(m) }
        mods.append(tile(c, core: core, router: router))
        return Design(top: c.moduleName, modules: mods)
    }

    /// Row-operation kinds.
    enum Kind: Int { case add = 0, reset = 1, flush = 2 }

    public static func core(_ c: PEConfig, inFIFO: Module, spikeFIFO: Module, outFIFO: Module) -> Module {
        let F = c.flitWidth, L = c.lanes, P = c.partBits, vB = c.vBits, zB = c.zBits, SL = c.stateLaneBits
        let b = ModuleBuilder(c.coreModuleName, doc: """
        SpikeForge PE core: \(c.neurons) neurons in \(c.groups) groups of \(L) lanes, \(c.layers) layers, \(c.axons) axons, \(c.weightRows) weight rows.
        Packets in on in_*, out on out_* (the router's local port). Dispatch -> load (axon map, row ops) ->
        memory (sync SRAM reads) -> compute (V <= sat(V + s*m*w) per lane, fire check, one spike per cycle) -> store (targets).
        Read-after-write on the state SRAM: forwarding from the last state write (no stall).
        Configuration writes, read-backs and control packets wait until the pipeline has drained.
        Each INIT_* parameter, when not "", loads that SRAM with $readmemh (the simulation backdoor).
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        for m in c.srams {
            b.parameter(m.initParameter, default: .string(""), doc: "$readmemh image of the \(m) SRAM, \"\" for none")
        }
        let inValid = b.input("in_valid", .bool, doc: "the router offers a packet")
        let inFlit = b.input("in_flit", .uint(F), doc: "")
        let outReady = b.input("out_ready", .bool, doc: "the router takes our packet")

        // No SRAM is read or written while reset is high, so a reset mid-operation leaves them alone.
        func write(_ m: Memory, when en: Expr, address: Expr, data: Expr) { b.write(m, when: ~rst & en, address: address, data: data) }
        func syncRead(_ m: Memory, when en: Expr, address: Expr, into name: String) -> Expr { b.syncRead(m, when: ~rst & en, address: address, into: name) }
        var mem: [PEMemory: Memory] = [:]
        for m in c.srams {
            let (w, d) = c.geometry(m)
            mem[m] = b.memory("mem_\(m.rtlName)", width: w, depth: d, initParameter: m.initParameter)
        }

        // MARK: Input FIFO and dispatch
        let popIn = b.wire("in_pop", .bool)
        let fin = b.instance("u_in_fifo", of: inFIFO, inputs: ["clk": clk, "rst": rst, "in_valid": inValid, "in_data": inFlit, "out_ready": popIn])
        b.output("in_ready", fin["in_ready"]!, doc: "the input FIFO has room")
        b.allowUnused(fin["count"]!, because: "occupancy is not needed; busy uses out_valid")
        let hv = fin["out_valid"]!
        let head = b.node("head", fin["out_data"]!)
        b.allowUnused(head, because: "the routing header (bits 16:0) is the router's")
        let hType = b.node("head_type", head.bits(19, 17))
        let isCfg = hType.eq(FlitType.configWrite.rawValue), isRead = hType.eq(FlitType.readRequest.rawValue)
        let isCtrl = hType.eq(FlitType.control.rawValue)
        let memId = b.node("head_mem", head.bits(23, 20))
        let addr = b.node("head_addr", head.bits(39, 24))
        let data = b.node("head_data", head.bits(F - 1, 40))
        b.allowUnused(data, because: "a word narrower than the data field ignores its upper bits")

        // Pipeline state, declared early: dispatch needs to know whether it has drained.
        let aValid = b.reg("a_valid_q", .bool)
        let aNeg = b.reg("a_neg_q", .bool)
        let aMult = b.reg("a_mult_q", .uint(4))
        let lActive = b.reg("l_active_q", .bool)
        let lKind = b.reg("l_kind_q", .uint(2))
        let lRow = b.reg("l_row_q", .uint(c.rowBits))
        let lGroup = b.reg("l_group_q", .uint(c.groupBits))
        let lLeft = b.reg("l_left_q", .uint(c.countBits))
        let lLayer = b.reg("l_layer_q", .uint(c.layerBits))
        let lNeg = b.reg("l_neg_q", .bool)
        let lMult = b.reg("l_mult_q", .uint(4))
        let lAll = b.reg("l_all_q", .bool)
        let lLoad = b.reg("l_load_q", .bool)
        let mValid = b.reg("m_valid_q", .bool)
        let mKind = b.reg("m_kind_q", .uint(2))
        let mGroup = b.reg("m_group_q", .uint(c.groupBits))
        let mNeg = b.reg("m_neg_q", .bool)
        let mMult = b.reg("m_mult_q", .uint(4))
        let mTheta = b.reg("m_theta_q", .uint(c.thresholdBits))
        let mMode = b.reg("m_mode_q", .uint(2))
        let hValid = b.reg("h_valid_q", .bool)
        let sValid = b.reg("s_valid_q", .bool)
        let sNeg = b.reg("s_neg_q", .bool)
        let respPending = b.reg("resp_pending_q", .bool)
        let respMem = b.reg("resp_mem_q", .uint(4))
        let respAddrQ = b.reg("resp_addr_q", .uint(16))
        let respAddr = b.node("resp_addr", respAddrQ)
        b.allowUnused(respAddr, because: "each memory decodes only its own word and part bits; for some geometries no memory reads a middle bit")
        let respTag = b.reg("resp_tag_q", .uint(8))
        let spFifoValid = b.wire("sp_head_valid", .bool)

        let drained = b.node("drained", ~aValid & ~lActive & ~mValid & ~hValid & ~spFifoValid & ~sValid)
        let ctrlGo = b.node("ctrl_go", hv & hType.ne(FlitType.spike.rawValue) & drained & ~respPending)
        let aTake = b.wire("a_take", .bool)
        let spikeGo = b.node("spike_go", hv & hType.eq(FlitType.spike.rawValue) & ~respPending & (~aValid | aTake))
        b.assign(popIn, spikeGo | ctrlGo)
        let axonOK = c.axonBits >= 16 ? Expr.one : b.node("axon_ok", head.bits(35, 20 + c.axonBits).eq(0))
        let axonLoad = b.node("axon_load", spikeGo & axonOK)

        // Per-memory decode of the address field: word below, part above.
        var okM: [PEMemory: Expr] = [:], lastM: [PEMemory: Expr] = [:], wordM: [PEMemory: Expr] = [:], partM: [PEMemory: Expr] = [:]
        for m in c.srams {
            let (_, d) = c.geometry(m)
            let aw = Bits.addressWidth(d), parts = c.parts(m)
            let word = addr.bits(aw - 1, 0)
            let part: Expr = aw < 16 ? addr.bits(15, aw) : Expr.lit(0, .uint(1))
            wordM[m] = word
            partM[m] = part
            okM[m] = b.node("sel_\(m.rtlName)", memId.eq(m.rawValue) & part.lt(.lit(parts, part.type)))
            lastM[m] = part.eq(parts - 1)
        }
        let statusAW = Bits.addressWidth(PEStatus.allCases.count)
        let statusOK = b.node("sel_status", memId.eq(PEMemory.status.rawValue) & addr.bits(15, statusAW).lt(.lit(c.parts(.status), .uint(16 - statusAW))))
        let anyWritable = c.srams.map { okM[$0]! }.reduce(Expr.zero, |)
        let cfgGo = b.node("cfg_go", ctrlGo & isCfg)
        let readGo = b.node("read_go", ctrlGo & isRead)
        let badAccess = b.node("bad_access", (cfgGo & ~anyWritable) | (readGo & ~(anyWritable | statusOK)))
        let opcode = memId
        let layerField = head.bits(31, 24)
        let layerOK = c.layerBits >= 8 ? Expr.one : layerField.bits(7, c.layerBits).eq(0)
        let startReset = b.node("start_reset", ctrlGo & isCtrl & opcode.eq(PEControl.reset.rawValue))
        let startFlush = b.node("start_flush", ctrlGo & isCtrl & opcode.eq(PEControl.flush.rawValue) & layerOK)
        let ignored = b.node("ignored", (ctrlGo & isCtrl & ~startReset & ~startFlush) | (ctrlGo & ~(isCfg | isRead | isCtrl)) | (spikeGo & ~axonOK))

        // Staging registers for all parts but the last of a multi-part word.
        let maxParts = c.srams.map { c.parts($0) }.max() ?? 1
        var stage: [Expr] = []
        for p in 0 ..< max(0, maxParts - 1) {
            let r = b.reg("stage\(p)_q", .uint(P))
            var en = Expr.zero
            for m in c.srams where c.parts(m) - 1 > p { en = en | (okM[m]! & partM[m]!.eq(p)) }
            b.next(r, data, when: cfgGo & en)
            stage.append(r)
        }
        /// The word a configuration write commits to memory `m` (its last part completes it).
        func committed(_ m: PEMemory) -> Expr {
            let (w, _) = c.geometry(m)
            let parts = c.parts(m)
            let top = w - (parts - 1) * P
            return Expr.concat([top == P ? data : data.bits(top - 1, 0)] + stage.prefix(parts - 1).reversed())
        }
        var cfgWe: [PEMemory: Expr] = [:], hostRe: [PEMemory: Expr] = [:]
        for m in c.srams {
            cfgWe[m] = b.node("cfg_we_\(m.rtlName)", cfgGo & okM[m]! & lastM[m]!)
            if m != .params { hostRe[m] = b.node("host_re_\(m.rtlName)", readGo & okM[m]!) }
        }

        // MARK: Load: axon map entry -> row operations
        let axonQ = syncRead(mem[.axonMap]!, when: axonLoad | hostRe[.axonMap]!,
                               address: wordM[.axonMap]!.when(hostRe[.axonMap]!, else: head.bits(20 + c.axonBits - 1, 20)), into: "axon_q")
        /// The fields of a word, by the widths its `PEConfig` layout gives (LSB first).
        func fields(_ e: Expr, _ widths: [Int]) -> [Expr] {
            var lo = 0
            return widths.map { w in
                defer { lo += w }
                return e.bits(lo + w - 1, lo)
            }
        }
        let ax = fields(axonQ, c.axonFieldWidths)
        let (axRow, axGroup, axCount, axLayer) = (ax[0], ax[1], ax[2], ax[3])
        write(mem[.axonMap]!, when: cfgWe[.axonMap]!, address: wordM[.axonMap]!, data: committed(.axonMap))

        // Layer parameters: a small register file read asynchronously.
        let pAddr = respAddr.bits(c.layerBits - 1, 0).when(respPending, else: lLayer)
        let pWord = b.node("params_word", b.asyncRead(mem[.params]!, address: pAddr))
        let pf = fields(pWord, c.paramFieldWidths)
        let (pTheta, pMode, pFirst, pCount) = (pf[0], pf[1], pf[2], pf[3])
        write(mem[.params]!, when: cfgWe[.params]!, address: wordM[.params]!, data: committed(.params))

        let mConsume = b.node("m_consume", mValid & ~hValid)
        let issue = b.node("issue", lActive & ~lLoad & lLeft.ne(0) & (~mValid | mConsume))
        let ended = b.node("l_ended", lActive & ~lLoad & (lLeft.eq(0) | (lLeft.eq(1) & issue)))
        let cont = b.node("l_continue", ended & lAll & lLayer.ne(c.layers - 1))
        b.assign(aTake, aValid & (~lActive | (ended & ~cont)))
        let ctrlStart = startReset | startFlush
        b.next(aValid, axonLoad | (aValid & ~aTake))
        b.next(aNeg, head.bit(36), when: spikeGo)
        b.next(aMult, head.bits(40, 37), when: spikeGo)
        b.next(lActive, aTake | cont | ctrlStart | (lActive & ~ended))
        b.next(lKind, Expr.lit(Kind.add.rawValue, .uint(2)).when(aTake, else: Expr.lit(Kind.reset.rawValue, .uint(2)).when(startReset, else: .lit(Kind.flush.rawValue, .uint(2)))), when: aTake | ctrlStart)
        b.next(lRow, axRow.when(aTake, else: lRow + 1), when: aTake | issue)
        b.next(lGroup, axGroup.when(aTake, else: pFirst.when(lLoad, else: lGroup + 1)), when: aTake | lLoad | issue)
        b.next(lLeft, axCount.when(aTake, else: pCount.when(lLoad, else: lLeft - 1)), when: aTake | lLoad | issue)
        let layerSel = layerField.bits(c.layerBits - 1, 0)
        b.next(lLayer, axLayer.when(aTake, else: (lLayer + 1).when(cont, else: Expr.lit(0, .uint(c.layerBits)).when(startReset, else: layerSel))), when: aTake | cont | ctrlStart)
        b.next(lNeg, aNeg, when: aTake)
        b.next(lMult, aMult, when: aTake)
        b.next(lAll, startReset, when: aTake | ctrlStart)
        b.next(lLoad, cont | ctrlStart)

        // MARK: Memory stage: synchronous reads, held until compute takes them
        let isAddL = lKind.eq(Kind.add.rawValue), isResetL = lKind.eq(Kind.reset.rawValue)
        let wQ = syncRead(mem[.weights]!, when: (issue & isAddL) | hostRe[.weights]!,
                            address: wordM[.weights]!.when(hostRe[.weights]!, else: lRow), into: "w_q")
        let sQ = syncRead(mem[.state]!, when: (issue & ~isResetL) | hostRe[.state]!,
                            address: wordM[.state]!.when(hostRe[.state]!, else: lGroup), into: "s_q")
        let bQ = syncRead(mem[.bias]!, when: (issue & isResetL) | hostRe[.bias]!,
                            address: wordM[.bias]!.when(hostRe[.bias]!, else: lGroup), into: "b_q")
        write(mem[.weights]!, when: cfgWe[.weights]!, address: wordM[.weights]!, data: committed(.weights))
        write(mem[.bias]!, when: cfgWe[.bias]!, address: wordM[.bias]!, data: committed(.bias))
        b.next(mValid, issue | (mValid & ~mConsume))
        b.next(mKind, lKind, when: issue)
        b.next(mGroup, lGroup, when: issue)
        b.next(mNeg, lNeg, when: issue)
        b.next(mMult, lMult, when: issue)
        b.next(mTheta, pTheta, when: issue)
        b.next(mMode, pMode, when: issue)

        // MARK: Compute
        let hKind = b.reg("h_kind_q", .uint(2))
        let hGroup = b.reg("h_group_q", .uint(c.groupBits))
        let hTheta = b.reg("h_theta_q", .uint(c.thresholdBits))
        let hMode = b.reg("h_mode_q", .uint(2))
        let hFlushed = b.reg("h_flushed_q", .uint(L))
        let byValid = b.reg("byp_valid_q", .bool)
        let byAddr = b.reg("byp_addr_q", .uint(c.groupBits))
        let byData = b.reg("byp_data_q", .uint(L * SL))
        let active = b.node("c_active", mConsume | hValid)
        let kind = b.node("c_kind", hKind.when(hValid, else: mKind))
        let theta = b.node("c_theta", hTheta.when(hValid, else: mTheta))
        let mode = b.node("c_mode", hMode.when(hValid, else: mMode))
        let group = b.node("c_group", hGroup.when(hValid, else: mGroup))
        let isFlush = b.node("c_flush", kind.eq(Kind.flush.rawValue))
        let mIsAdd = mKind.eq(Kind.add.rawValue), mIsReset = mKind.eq(Kind.reset.rawValue)
        let base = b.node("c_base", byData.when(byValid & byAddr.eq(mGroup), else: sQ))
        let pw = c.wBits + 5
        var srcV: [Expr] = [], srcZ: [Expr] = [], fires: [Expr] = [], downs: [Expr] = [], ths: [Expr] = []
        var hV: [Expr] = [], hZ: [Expr] = []
        for k in 0 ..< L {
            let rv = b.reg("h_v\(k)_q", .sint(vB)), rz = b.reg("h_z\(k)_q", .sint(zB))
            hV.append(rv)
            hZ.append(rz)
            let vOld = base.bits(k * SL + vB - 1, k * SL).asSigned
            let zOld = base.bits(k * SL + SL - 1, k * SL + vB).asSigned
            let w = wQ.bits(k * c.weightSlot + c.wBits - 1, k * c.weightSlot).asSigned
            let prod = b.node("l\(k)_mw", w.resized(pw) * mMult.resized(pw).asSigned)
            let delta = b.node("l\(k)_delta", (-prod).when(mNeg, else: prod))
            let (vAdd, _) = Arith.saturatingAdd(b, vOld, delta, outWidth: vB, name: "l\(k)_add")
            let bias = bQ.bits(k * vB + vB - 1, k * vB).asSigned
            let firstV = bias.when(mIsReset, else: vAdd.when(mIsAdd, else: vOld))
            let firstZ = Expr.lit(0, .sint(zB)).when(mIsReset, else: zOld)
            let v = b.node("l\(k)_v", rv.when(hValid, else: firstV))
            let z = b.node("l\(k)_z", rz.when(hValid, else: firstZ))
            let done = hFlushed.bit(k) & hValid & isFlush
            let (up, down, th) = NeuronGenerator.fireConditions(b, prefix: "l\(k)_", v: v, z: z, theta: theta, mode: .runtime, modeCode: mode, flushing: isFlush)
            srcV.append(v)
            srcZ.append(z)
            fires.append(b.node("l\(k)_fire", (up | down) & ~done))
            downs.append(b.node("l\(k)_down", down))
            ths.append(th)
        }
        // The lowest firing lane spikes first.
        var sel: [Expr] = [], seen = Expr.zero
        for k in 0 ..< L {
            sel.append(b.node("l\(k)_sel", fires[k] & ~seen))
            seen = seen | fires[k]
        }
        let anyFire = b.node("c_any_fire", seen)
        let spRoom = b.wire("sp_room", .bool)
        let emit = b.node("c_emit", active & anyFire & spRoom)
        let lw = Bits.addressWidth(L)
        var idxBits: [Expr] = []
        for bit in (0 ..< lw).reversed() {
            idxBits.append((0 ..< L).filter { ($0 >> bit) & 1 == 1 }.map { sel[$0] }.reduce(Expr.zero, |))
        }
        let selIdx: Expr? = L == 1 ? nil : b.node("c_sel_idx", .concat(idxBits))
        let selNeg = (0 ..< L).map { sel[$0] & downs[$0] }.reduce(Expr.zero, |)
        var resWord: [Expr] = [], resFire = Expr.zero, flushedNext: [Expr] = []
        for k in 0 ..< L {
            let spikeHere = b.node("l\(k)_spike", emit & sel[k])
            let vSp = (srcV[k] + ths[k]).when(downs[k], else: srcV[k] - ths[k])
            let (zSp, _) = Arith.saturatingAdd(b, srcZ[k], Expr.lit(-1, .sint(2)).when(downs[k], else: .lit(1, .sint(2))), outWidth: zB, name: "l\(k)_zinc")
            let rv = b.node("r\(k)_v", vSp.when(spikeHere, else: srcV[k]))
            let rz = b.node("r\(k)_z", zSp.when(spikeHere, else: srcZ[k]))
            let fl = b.node("r\(k)_flushed", (hFlushed.bit(k) & hValid) | (spikeHere & isFlush))
            let (up2, down2, _) = NeuronGenerator.fireConditions(b, prefix: "r\(k)_", v: rv, z: rz, theta: theta, mode: .runtime, modeCode: mode, flushing: isFlush)
            resFire = resFire | ((up2 | down2) & ~(fl & isFlush))
            resWord.append(.concat([rz.asUnsigned, rv.asUnsigned]))
            flushedNext.append(fl)
            b.next(hV[k], rv, when: active)
            b.next(hZ[k], rz, when: active)
        }
        let res = b.node("c_result", .concat(resWord.reversed()))
        let cDone = b.node("c_done", active & ~resFire)
        b.next(hValid, active & ~cDone)
        b.next(hKind, mKind, when: mConsume)
        b.next(hGroup, mGroup, when: mConsume)
        b.next(hTheta, mTheta, when: mConsume)
        b.next(hMode, mMode, when: mConsume)
        b.next(hFlushed, .concat(flushedNext.reversed()), when: active)
        // State write-back (or a configuration write), remembered for forwarding.
        let cfgState = cfgWe[.state]!
        let sWe = b.node("state_we", cDone | cfgState)
        let sWAddr = b.node("state_waddr", wordM[.state]!.when(cfgState, else: group))
        let sWData = b.node("state_wdata", committed(.state).when(cfgState, else: res))
        write(mem[.state]!, when: sWe, address: sWAddr, data: sWData)
        b.next(byValid, .one, when: sWe)
        b.next(byAddr, sWAddr, when: sWe)
        b.next(byData, sWData, when: sWe)

        // MARK: Spike FIFO and store
        let neuron: Expr
        if let idx = selIdx {
            neuron = L == 1 << lw ? Expr.concat([group, idx]) : group.resized(c.neuronBits) * .lit(L, .uint(c.neuronBits)) + idx.resized(c.neuronBits)
        } else {
            neuron = group.resized(c.neuronBits)
        }
        let sTake = b.wire("s_take", .bool)
        let fsp = b.instance("u_spike_fifo", of: spikeFIFO, inputs: [
            "clk": clk, "rst": rst, "in_valid": emit, "in_data": .concat([selNeg, neuron]), "out_ready": sTake,
        ])
        b.allowUnused(fsp["count"]!, because: "occupancy is not needed; busy uses out_valid")
        b.assign(spRoom, fsp["in_ready"]!)
        b.assign(spFifoValid, fsp["out_valid"]!)
        let spHead = fsp["out_data"]!
        let tQ = syncRead(mem[.targets]!, when: sTake | hostRe[.targets]!,
                            address: wordM[.targets]!.when(hostRe[.targets]!, else: spHead.bits(c.neuronBits - 1, 0)), into: "t_q")
        write(mem[.targets]!, when: cfgWe[.targets]!, address: wordM[.targets]!, data: committed(.targets))
        let tValid = tQ.bit(33)
        let outRoom = b.wire("out_room", .bool)
        let sConsume = b.node("s_consume", sValid & (~tValid | outRoom))
        b.assign(sTake, spFifoValid & (~sValid | sConsume))
        b.next(sValid, sTake | (sValid & ~sConsume))
        b.next(sNeg, spHead.bit(c.neuronBits), when: sTake)
        let pushSpike = b.node("push_spike", sValid & tValid & outRoom)
        // Spike packet: the target's rectangle and host flag, type 0, axon id, sign, m = 1.
        let spikeFlit = Expr.concat([Expr.lit(0, .uint(F - 41)), Expr.lit(1, .uint(4)), sNeg, tQ.bits(15, 0), Expr.lit(0, .uint(3)), tQ.bit(32),
                                     tQ.bits(31, 28), tQ.bits(27, 24), tQ.bits(23, 20), tQ.bits(19, 16)])

        // MARK: Read-back responses
        var rdata: [PEMemory: Expr] = [.weights: wQ, .state: sQ, .bias: bQ, .axonMap: axonQ, .targets: tQ, .params: pWord]
        if c.accumulatedWeights {
            let accQ = syncRead(mem[.accumulated]!, when: hostRe[.accumulated]!, address: wordM[.accumulated]!, into: "acc_q")
            write(mem[.accumulated]!, when: cfgWe[.accumulated]!, address: wordM[.accumulated]!, data: committed(.accumulated))
            rdata[.accumulated] = accQ
        }
        // Status counters.
        let cw = PEConfig.statusCounterBits
        var counters: [Expr] = []
        for (s, inc) in [(PEStatus.badAccess, badAccess), (.ignored, ignored), (.spikesIn, axonLoad), (.spikesOut, pushSpike)] {
            let r = b.reg("status_\(s)_q", .uint(cw))
            b.next(r, r + 1, when: inc)
            counters.append(r)
        }
        b.next(respPending, readGo | (respPending & ~outRoom))
        b.next(respMem, memId, when: readGo)
        b.next(respAddrQ, addr, when: readGo)
        b.next(respTag, head.bits(47, 40), when: readGo)
        let respOK = b.reg("resp_ok_q", .bool)
        b.next(respOK, anyWritable | statusOK, when: readGo)
        var respData = Expr.lit(0, .uint(P))
        for m in c.memories.reversed() {
            var v: Expr
            do {
                let (w, d) = c.geometry(m)
                let aw = Bits.addressWidth(d), parts = c.parts(m)
                var word: Expr
                if m == .status {
                    word = counters[0]
                    for (i, r) in counters.enumerated().dropFirst() { word = r.when(respAddr.bits(aw - 1, 0).eq(i), else: word) }
                    word = b.node("status_word", word)
                } else {
                    word = rdata[m]!
                }
                func slice(_ p: Int) -> Expr { word.bits(min(p * P + P - 1, w - 1), p * P).resized(P) }
                v = slice(0)
                if parts > 1 {
                    let part = respAddr.bits(15, aw)
                    for p in (1 ..< parts).reversed() { v = slice(p).when(part.eq(p), else: v) }
                    v = b.node("resp_slice_\(m.rtlName)", v)
                }
            }
            respData = v.when(respMem.eq(m.rawValue), else: respData)
        }
        let respFlit = Expr.concat([Expr.lit(0, .uint(F - 32 - P)), respData.when(respOK, else: .lit(0, .uint(P))), respTag, respMem,
                                    Expr.lit(FlitType.readResponse.rawValue, .uint(3)), Expr.one, Expr.lit(0, .uint(16))])

        // MARK: Output FIFO
        let fout = b.instance("u_out_fifo", of: outFIFO, inputs: [
            "clk": clk, "rst": rst, "in_valid": pushSpike | respPending, "in_data": respFlit.when(respPending, else: spikeFlit), "out_ready": outReady,
        ])
        b.allowUnused(fout["count"]!, because: "occupancy is not needed; busy uses out_valid")
        b.assign(outRoom, fout["in_ready"]!)
        b.output("out_valid", fout["out_valid"]!, doc: "a packet for the router")
        b.output("out_flit", fout["out_data"]!, doc: "")
        b.output("busy", hv | aValid | lActive | mValid | hValid | spFifoValid | sValid | respPending | fout["out_valid"]!,
                 doc: "some packet or row operation is in flight")
        return b.build()
    }

    /// The core behind the local port of its router. Ports: the router's four mesh ports, its
    /// coordinates, and `busy` (router or core). The `INIT_*` parameters pass to the core.
    public static func tile(_ c: PEConfig, core: Module, router: Module) -> Module {
        let F = c.flitWidth
        let b = ModuleBuilder(c.moduleName, doc: """
        SpikeForge PE tile: a PE core on the local port of a \(c.cols) x \(c.rows) X-Y mesh router.
        Mesh ports n, e, s, w as the router's; busy = router or core busy. INIT_* pass to the core's SRAMs.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        var coreParams: [String: ParameterValue] = [:]
        for m in c.srams {
            b.parameter(m.initParameter, default: .string(""), doc: "$readmemh image of the core's \(m) SRAM")
            coreParams[m.initParameter] = .parent(m.initParameter)
        }
        let myX = b.input("my_x", .uint(4), doc: "this tile's column")
        let myY = b.input("my_y", .uint(4), doc: "this tile's row")
        var ins: [String: Expr] = ["clk": clk, "rst": rst, "my_x": myX, "my_y": myY]
        let mesh: [RouterPort] = [.north, .east, .south, .west]
        for p in mesh {
            ins["\(p.prefix)_in_valid"] = b.input("\(p.prefix)_in_valid", .bool, doc: "flit offered on \(p)")
            ins["\(p.prefix)_in_flit"] = b.input("\(p.prefix)_in_flit", .uint(F), doc: "")
            ins["\(p.prefix)_out_ready"] = b.input("\(p.prefix)_out_ready", .bool, doc: "\(p) neighbour takes the flit")
        }
        let coreOutValid = b.wire("core_out_valid", .bool), coreOutFlit = b.wire("core_out_flit", .uint(F))
        let coreInReady = b.wire("core_in_ready", .bool)
        ins["l_in_valid"] = coreOutValid
        ins["l_in_flit"] = coreOutFlit
        ins["l_out_ready"] = coreInReady
        let r = b.instance("u_router", of: router, inputs: ins)
        let k = b.instance("u_core", of: core, parameters: coreParams, inputs: [
            "clk": clk, "rst": rst, "in_valid": r["l_out_valid"]!, "in_flit": r["l_out_flit"]!, "out_ready": r["l_in_ready"]!,
        ])
        b.assign(coreOutValid, k["out_valid"]!)
        b.assign(coreOutFlit, k["out_flit"]!)
        b.assign(coreInReady, k["in_ready"]!)
        for p in mesh {
            b.output("\(p.prefix)_out_valid", r["\(p.prefix)_out_valid"]!, doc: "flit offered to \(p)")
            b.output("\(p.prefix)_out_flit", r["\(p.prefix)_out_flit"]!, doc: "")
            b.output("\(p.prefix)_in_ready", r["\(p.prefix)_in_ready"]!, doc: "the \(p) input takes a flit")
        }
        b.output("busy", r["busy"]! | k["busy"]!, doc: "a flit or row operation is in flight in this tile")
        return b.build()
    }
}
