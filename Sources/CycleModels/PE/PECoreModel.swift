import SpikeForgeCore

/// Cycle model of `PEGenerator`'s core, register for register (see the generator for the
/// pipeline). It also counts what the energy model and the benchmarks need.
public struct PECoreModel: Sendable {
    public let config: PEConfig
    // Memories and their synchronous read registers.
    public var memories: PEMemoryBank
    var axonQ: UInt64 = 0, wQ: [UInt64], sQ: [UInt64], bQ: [UInt64], tQ: UInt64 = 0, accQ: [UInt64]
    var inF: RingFIFO, spF: RingFIFO, outF: RingFIFO
    // Dispatch and load.
    var aValid = false, aNeg = false, aMult: UInt64 = 0
    var lActive = false, lKind = RowKind.add, lRow = 0, lGroup = 0, lLeft = 0, lLayer = 0, lNeg = false, lMult: UInt64 = 0, lAll = false, lLoad = false
    // The load stage's window (`maxKernel > 1`; `PECoreLoad.swift`'s `Window`).
    var lCount = 0, lCols = 0, lColsLeft = 0, lRowsLeft = 0, lRowBase = 0, lGroupBase = 0, lGroupCol = 0
    // Memory stage.
    var mValid = false, mKind = RowKind.add, mGroup = 0, mNeg = false, mMult: UInt64 = 0, mTheta: Int64 = 0, mMode: UInt64 = 0
    // Product stage (`±m·w` per lane) and add stage (the row applied to every lane); `npDelta`,
    // `nxV` and `nxZ` are what they take this cycle (evaluated before the edge, copied at it).
    var pValid = false, pKind = RowKind.add, pGroup = 0, pTheta: Int64 = 0, pMode: UInt64 = 0
    var pDelta: [Int64], npDelta: [Int64]
    var xValid = false, xKind = RowKind.add, xGroup = 0, xTheta: Int64 = 0, xMode: UInt64 = 0
    var xV: [Int64], xZ: [Int64], nxV: [Int64], nxZ: [Int64]
    // Forwarding (read by the add stage, written with the state by compute).
    var bypValid = false, bypAddr = 0, bypData: [UInt64]
    // Compute hold registers.
    var hValid = false, hKind = RowKind.add, hGroup = 0, hTheta: Int64 = 0, hMode: UInt64 = 0, hFlushed: UInt64 = 0
    var hV: [Int64], hZ: [Int64]
    // Store and responses.
    var sValid = false, sNeg = false
    var respPending = false, respMem = 0, respAddr = 0, respTag: UInt64 = 0, respOK = false
    var stage: [UInt64]
    public internal(set) var status: [UInt64] = [0, 0, 0, 0]
    // Compute's result per lane, reused every cycle.
    var resV: [Int64], resZ: [Int64]

    /// Event counts since construction (not reset by `rst`): for energy and throughput figures.
    public struct Counters: Hashable, Codable, Sendable {
        public var rowOps = 0, synapticOps = 0, spikesSent = 0, busyCycles = 0, cycles = 0
        /// Per memory (by `PEMemory.rawValue`); the state's count its `V` bank, `stateZReads` and
        /// `stateZWrites` its `z` bank (the core reads and writes each bank only when needed).
        public var sramReads: [Int] = Array(repeating: 0, count: 8), sramWrites: [Int] = Array(repeating: 0, count: 8)
        public var stateZReads = 0, stateZWrites = 0
        public init() {}

        /// Field by field: `a + b` adds the counts of two cores (cycles become core-cycles), and
        /// `later - earlier` gives the events between two snapshots of the same counters.
        static func combine(_ a: Counters, _ b: Counters, _ op: (Int, Int) -> Int) -> Counters {
            var r = Counters()
            r.rowOps = op(a.rowOps, b.rowOps)
            r.synapticOps = op(a.synapticOps, b.synapticOps)
            r.spikesSent = op(a.spikesSent, b.spikesSent)
            r.busyCycles = op(a.busyCycles, b.busyCycles)
            r.cycles = op(a.cycles, b.cycles)
            r.sramReads = zip(a.sramReads, b.sramReads).map(op)
            r.sramWrites = zip(a.sramWrites, b.sramWrites).map(op)
            r.stateZReads = op(a.stateZReads, b.stateZReads)
            r.stateZWrites = op(a.stateZWrites, b.stateZWrites)
            return r
        }

        public static func + (a: Counters, b: Counters) -> Counters { combine(a, b, +) }
        public static func - (a: Counters, b: Counters) -> Counters { combine(a, b, -) }
    }

    public internal(set) var counters = Counters()

    let L: Int, P: Int, lw: Int
    // The configuration's derived sizes, computed once (`PEConfig` derives them on each use).
    /// The state word: lane `k`'s `V` at `k·vBits`, its `z` at `zBase + k·zBits` (`PEConfig.stateVLo`/`stateZLo`).
    let vBits: Int, zBits: Int, zBase: Int, weightSlot: Int, neuronBits: Int
    let dataField: BitField
    let axonBits: Int, layerBits: Int, axonMask: Int, layerMask: Int, rowMask: Int, groupMask: Int, flitMask: UInt64, paramsMask: UInt64, layers: Int, windowed: Bool
    /// Decoded layer parameters, each with the raw word it was decoded from (re-decoded when
    /// the word in the params memory differs, however it was written; all start as word 0).
    var paramsRaw: [UInt64], paramsDecoded: [LayerParams.Decoded]
    /// The lane fields (V, z, weight) as sign extensions and saturation bounds.
    let vField: SignedWidth, zField: SignedWidth, wField: SignedWidth
    /// The packet and target fields the cycle loop reads (copies: no lazily initialized global per read).
    let typeF: BitField, spikeAxonF: BitField, spikeNegF: BitField, spikeMultF: BitField, targetValidF: BitField
    /// The last spike flits built from a target word (`evaluateReadback`), for each sign (first
    /// those of target word 0).
    var spikeTarget: UInt64 = 0, spikeFlits: (pos: UInt64, neg: UInt64)

    public init(_ c: PEConfig) {
        config = c
        L = c.lanes
        P = c.partBits
        lw = Bits.addressWidth(c.lanes)
        vBits = c.vBits
        zBits = c.zBits
        zBase = c.stateZLo(0)
        weightSlot = c.weightSlot
        neuronBits = c.neuronBits
        axonBits = c.axonBits
        dataField = PacketLayout.ConfigWrite.data(flitWidth: c.flitWidth)
        layerBits = c.layerBits
        rowMask = Int(Bits.mask(c.rowBits))
        groupMask = Int(Bits.mask(c.groupBits))
        axonMask = Int(Bits.mask(c.axonBits))
        layerMask = Int(Bits.mask(c.layerBits))
        flitMask = Bits.mask(c.flitWidth)
        paramsMask = Bits.mask(c.geometry(.params).width)
        layers = c.layers
        windowed = c.windowed
        let paramDepth = c.geometry(.params).depth
        paramsRaw = Array(repeating: 0, count: paramDepth)
        paramsDecoded = Array(repeating: LayerParams.decode(0, c), count: paramDepth)
        memories = PEMemoryBank(c)
        vField = SignedWidth(c.vBits)
        zField = SignedWidth(c.zBits)
        wField = SignedWidth(c.wBits)
        typeF = PacketLayout.Header.type
        spikeAxonF = PacketLayout.Spike.axon
        spikeNegF = PacketLayout.Spike.negative
        spikeMultF = PacketLayout.Spike.multiplicity
        targetValidF = TargetEntry.Field.valid
        spikeFlits = Self.spikeFlits(target: 0, flitWidth: c.flitWidth)
        func words(_ m: PEMemory) -> [UInt64] { Array(repeating: 0, count: (c.geometry(m).width + 63) / 64) }
        wQ = words(.weights)
        sQ = words(.state)
        bQ = words(.bias)
        accQ = words(.accumulated)
        bypData = sQ
        inF = RingFIFO(depth: c.inFIFODepth)
        spF = RingFIFO(depth: c.spikeFIFODepth)
        outF = RingFIFO(depth: c.outFIFODepth)
        hV = Array(repeating: 0, count: c.lanes)
        hZ = hV
        pDelta = hV
        npDelta = hV
        xV = hV
        xZ = hV
        nxV = hV
        nxZ = hV
        resV = hV
        resZ = hV
        let maxParts = c.srams.map { c.parts($0) }.max() ?? 1
        stage = Array(repeating: 0, count: max(0, maxParts - 1))
    }

    // MARK: Ports (all registered)

    public func inReady(rst: Bool = false) -> Bool { !rst && !inF.full }
    public func outValid(rst: Bool = false) -> Bool { !rst && !outF.empty }
    public var outFlit: UInt64 { outF.head }
    public func busy(rst: Bool = false) -> Bool {
        (!rst && (!inF.empty || !spF.empty || !outF.empty)) || aValid || lActive || mValid || pValid || xValid || hValid || sValid || respPending
    }

    /// Nothing queued and nothing in the pipeline: with no input flit offered, a step would
    /// change only `counters.cycles` (`countIdleCycle()` does just that).
    @inline(__always) public var idle: Bool { !busy() }

    /// The one effect of a step on an idle core with no input: a cycle counted.
    @inline(__always) public mutating func countIdleCycle() { counters.cycles += 1 }

    public mutating func reset() {
        inF.reset()
        spF.reset()
        outF.reset()
        aValid = false; aNeg = false; aMult = 0
        lActive = false; lKind = .add; lRow = 0; lGroup = 0; lLeft = 0; lLayer = 0; lNeg = false; lMult = 0; lAll = false; lLoad = false
        lCount = 0; lCols = 0; lColsLeft = 0; lRowsLeft = 0; lRowBase = 0; lGroupBase = 0; lGroupCol = 0
        mValid = false; mKind = .add; mGroup = 0; mNeg = false; mMult = 0; mTheta = 0; mMode = 0
        pValid = false; pKind = .add; pGroup = 0; pTheta = 0; pMode = 0
        for k in 0 ..< L { pDelta[k] = 0 }
        xValid = false; xKind = .add; xGroup = 0; xTheta = 0; xMode = 0
        for k in 0 ..< L { xV[k] = 0; xZ[k] = 0 }
        hValid = false; hKind = .add; hGroup = 0; hTheta = 0; hMode = 0; hFlushed = 0
        for k in 0 ..< L { hV[k] = 0; hZ[k] = 0 }
        bypValid = false; bypAddr = 0
        for k in bypData.indices { bypData[k] = 0 }
        sValid = false; sNeg = false
        respPending = false; respMem = 0; respAddr = 0; respTag = 0; respOK = false
        for k in stage.indices { stage[k] = 0 }
        for k in status.indices { status[k] = 0 }
    }

    // MARK: Decoding helpers

    @inline(__always) func fire(_ v: Int64, _ z: Int64, theta: Int64, mode: UInt64, flushing: Bool) -> Int {
        guard theta != 0 else { return 0 }
        let m = NeuronMode(code: mode)
        return Int(flushing ? FunctionalNeuron.flushCondition(v: v, z: z, theta: theta, mode: m) : FunctionalNeuron.fireCondition(v: v, z: z, theta: theta, mode: m))
    }

    /// The layer-parameter word `a`, decoded (from the cache while the word is unchanged).
    @inline(__always) mutating func params(_ a: Int) -> LayerParams.Decoded {
        let i = PEMemory.params.rawValue
        let raw = memories.banks[i].storage[a * memories.banks[i].wordsPerEntry] & paramsMask
        if paramsRaw[a] == raw { return paramsDecoded[a] }
        let d = LayerParams.decode(raw, config)
        paramsRaw[a] = raw
        paramsDecoded[a] = d
        return d
    }

    /// The spike packets (positive, negative) that target word `t` sends.
    static func spikeFlits(target t: UInt64, flitWidth: Int) -> (pos: UInt64, neg: UInt64) {
        let e = TargetEntry.decode(t)
        return (e.spike(negative: false).encode(flitWidth: flitWidth), e.spike(negative: true).encode(flitWidth: flitWidth))
    }

    /// The address decode of a configuration or read packet for memory `m`.
    func decode(_ m: PEMemory, addr: Int) -> (word: Int, part: Int) {
        let aw = Bits.addressWidth(config.geometry(m).depth)
        return (addr & Int(Bits.mask(aw)), aw < PacketLayout.ConfigWrite.address.width ? addr >> aw : 0)
    }

    /// The part-`p` slice of a `w`-bit word.
    func slice(_ word: ArraySlice<UInt64>, part p: Int, width w: Int) -> UInt64 {
        let lo = p * P, hi = min(lo + P - 1, w - 1)
        return Bits.field(word, lo: lo, width: hi - lo + 1)
    }

    // MARK: Clock edge

    /// One rising edge with these inputs (reset low), after the outputs were sampled. As
    /// BookSim2's routers step: every stage first evaluates its combinational signals from the
    /// registers as they are (`PECycle`), then every stage updates its registers from them, from
    /// the back of the pipeline to the front, so no update sees another's new value.
    public mutating func step(inValid: Bool, inFlit: UInt64, outReady: Bool) {
        counters.cycles += 1
        if busy() { counters.busyCycles += 1 }
        var e = PECycle()
        evaluateLoad(&e)
        evaluateDispatch(&e)
        evaluateProduct(&e)
        evaluateAdd(&e)
        evaluateCompute(&e)
        evaluateStore(&e)
        evaluateReadback(&e)
        updateMemories(&e)  // SRAM reads and writes: read-first, addresses from the old registers
        updateReadback(&e)
        updateCompute(&e)
        updateAdd(&e)
        updateProduct(&e)
        updateLoad(&e)
        updateDispatch(&e)
        updateStore(&e)
        updateFIFOs(&e, inValid: inValid, inFlit: inFlit, outReady: outReady)
    }

    func committed(_ m: PEMemory, data: UInt64) -> [UInt64] {
        let w = config.geometry(m).width, parts = config.parts(m)
        var word = [UInt64](repeating: 0, count: (w + 63) / 64)
        for p in 0 ..< parts {
            let lo = p * P, width = min(P, w - lo)
            Bits.setField(&word, lo: lo, width: width, p == parts - 1 ? data : stage[p])
        }
        return word
    }
}
