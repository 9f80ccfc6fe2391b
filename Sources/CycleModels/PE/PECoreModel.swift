import SpikeForgeCore

/// Cycle model of `PEGenerator`'s core, register for register (see the generator for the
/// pipeline). It also counts what the energy model and the benchmarks need.
public struct PECoreModel: Sendable {
    public let config: PEConfig
    // Memories and their synchronous read registers.
    public var memories: [PEMemory: WordMemory] = [:]
    var axonQ: UInt64 = 0, wQ: [UInt64], sQ: [UInt64], bQ: [UInt64], tQ: UInt64 = 0, accQ: [UInt64]
    var inF: RingFIFO, spF: RingFIFO, outF: RingFIFO
    // Dispatch and load.
    var aValid = false, aNeg = false, aMult: UInt64 = 0
    var lActive = false, lKind = 0, lRow = 0, lGroup = 0, lLeft = 0, lLayer = 0, lNeg = false, lMult: UInt64 = 0, lAll = false, lLoad = false
    // Memory stage.
    var mValid = false, mKind = 0, mGroup = 0, mNeg = false, mMult: UInt64 = 0, mTheta: Int64 = 0, mMode: UInt64 = 0
    // Compute hold registers and forwarding.
    var hValid = false, hKind = 0, hGroup = 0, hTheta: Int64 = 0, hMode: UInt64 = 0, hFlushed: UInt64 = 0
    var hV: [Int64], hZ: [Int64]
    var bypValid = false, bypAddr = 0, bypData: [UInt64]
    // Store and responses.
    var sValid = false, sNeg = false
    var respPending = false, respMem = 0, respAddr = 0, respTag: UInt64 = 0, respOK = false
    var stage: [UInt64]
    public private(set) var status: [UInt64] = [0, 0, 0, 0]
    // Scratch, reused every cycle.
    var srcV: [Int64], srcZ: [Int64], fireQ: [Int], resV: [Int64], resZ: [Int64]

    /// Event counts since construction (not reset by `rst`): for energy and throughput figures.
    public struct Counters: Hashable, Sendable {
        public var rowOps = 0, synapticOps = 0, spikesSent = 0, busyCycles = 0, cycles = 0
        public var sramReads: [Int] = Array(repeating: 0, count: 8), sramWrites: [Int] = Array(repeating: 0, count: 8)
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
            return r
        }

        public static func + (a: Counters, b: Counters) -> Counters { combine(a, b, +) }
        public static func - (a: Counters, b: Counters) -> Counters { combine(a, b, -) }
    }

    public private(set) var counters = Counters()

    let L: Int, P: Int, lw: Int

    public init(_ c: PEConfig) {
        config = c
        L = c.lanes
        P = c.partBits
        lw = Bits.addressWidth(c.lanes)
        for m in c.srams {
            let (w, d) = c.geometry(m)
            memories[m] = WordMemory(width: w, depth: d)
        }
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
        srcV = hV
        srcZ = hV
        resV = hV
        resZ = hV
        fireQ = Array(repeating: 0, count: c.lanes)
        let maxParts = c.srams.map { c.parts($0) }.max() ?? 1
        stage = Array(repeating: 0, count: max(0, maxParts - 1))
    }

    // MARK: Ports (all registered)

    public func inReady(rst: Bool = false) -> Bool { !rst && !inF.full }
    public func outValid(rst: Bool = false) -> Bool { !rst && !outF.empty }
    public var outFlit: UInt64 { outF.head }
    public func busy(rst: Bool = false) -> Bool {
        (!rst && (!inF.empty || !spF.empty || !outF.empty)) || aValid || lActive || mValid || hValid || sValid || respPending
    }

    public mutating func reset() {
        inF.reset()
        spF.reset()
        outF.reset()
        aValid = false; aNeg = false; aMult = 0
        lActive = false; lKind = 0; lRow = 0; lGroup = 0; lLeft = 0; lLayer = 0; lNeg = false; lMult = 0; lAll = false; lLoad = false
        mValid = false; mKind = 0; mGroup = 0; mNeg = false; mMult = 0; mTheta = 0; mMode = 0
        hValid = false; hKind = 0; hGroup = 0; hTheta = 0; hMode = 0; hFlushed = 0
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

    func params(_ a: Int) -> (theta: Int64, modeCode: UInt64, first: Int, count: Int) {
        LayerParams.decode(memories[.params]!.field(a, lo: 0, width: config.geometry(.params).width), config)
    }

    /// The address decode of a configuration or read packet for memory `m`.
    func decode(_ m: PEMemory, addr: Int) -> (word: Int, part: Int) {
        let aw = Bits.addressWidth(config.geometry(m).depth)
        return (addr & Int(Bits.mask(aw)), aw < 16 ? addr >> aw : 0)
    }

    /// The part-`p` slice of a `w`-bit word.
    func slice(_ word: ArraySlice<UInt64>, part p: Int, width w: Int) -> UInt64 {
        let lo = p * P, hi = min(lo + P - 1, w - 1)
        return Bits.field(word, lo: lo, width: hi - lo + 1)
    }

    // MARK: Clock edge

    /// One rising edge with these inputs (reset low), after the outputs were sampled.
    public mutating func step(inValid: Bool, inFlit: UInt64, outReady: Bool) {
        let c = config
        counters.cycles += 1
        if busy() { counters.busyCycles += 1 }
        let hv = !inF.empty, head = inF.head
        let hType = Int(head >> 17 & 7)
        let memId = Int(head >> 20 & 15), addr = Int(head >> 24 & 0xFFFF), data = head >> 40 & Bits.mask(P)
        let drained = !aValid && !lActive && !mValid && !hValid && spF.empty && !sValid
        let ctrlGo = hv && hType != 0 && drained && !respPending
        let mConsume = mValid && !hValid
        let issue = lActive && !lLoad && lLeft != 0 && (!mValid || mConsume)
        let ended = lActive && !lLoad && (lLeft == 0 || (lLeft == 1 && issue))
        let cont = ended && lAll && lLayer != c.layers - 1
        let aTake = aValid && (!lActive || (ended && !cont))
        let spikeGo = hv && hType == 0 && !respPending && (!aValid || aTake)
        let axon = Int(head >> 20 & 0xFFFF)
        let axonOK = axon >> c.axonBits == 0
        let axonLoad = spikeGo && axonOK
        // Decoded only when used (before this edge's read replaces the word).
        let ax = aTake ? AxonEntry.decode(axonQ, c) : AxonEntry(row: 0, group: 0, count: 0, layer: 0)

        // Configuration and read decode.
        let cfgGo = ctrlGo && hType == FlitType.configWrite.rawValue
        let readGo = ctrlGo && hType == FlitType.readRequest.rawValue
        var okMem: PEMemory? = nil, okPart = 0, okWord = 0
        if ctrlGo, memId < 7, let m = PEMemory(rawValue: memId), memories[m] != nil {
            let (w, p) = decode(m, addr: addr)
            if p < c.parts(m) {
                okMem = m
                okPart = p
                okWord = w
            }
        }
        let statusOK = memId == PEMemory.status.rawValue && addr >> 2 < c.parts(.status)
        let anyWritable = okMem != nil
        let badAccess = (cfgGo && !anyWritable) || (readGo && !(anyWritable || statusOK))
        let isCtrl = hType == FlitType.control.rawValue
        let layerField = Int(head >> 24 & 0xFF)
        let startReset = ctrlGo && isCtrl && memId == PEControl.reset.rawValue
        let startFlush = ctrlGo && isCtrl && memId == PEControl.flush.rawValue && layerField >> c.layerBits == 0
        let knownType = hType == 1 || hType == 2 || hType == 4
        let ignored = (ctrlGo && isCtrl && !startReset && !startFlush) || (ctrlGo && !knownType) || (spikeGo && !axonOK)
        let cfgWe: PEMemory? = cfgGo && okMem != nil && okPart == c.parts(okMem!) - 1 ? okMem : nil
        let hostRe: PEMemory? = readGo ? okMem : nil

        // Layer parameters (asynchronous read).
        let pAddr = respPending ? respAddr & Int(Bits.mask(c.layerBits)) : lLayer
        let pw = issue || lLoad ? params(pAddr) : (theta: 0, modeCode: 0, first: 0, count: 0)

        // Compute.
        let active = mConsume || hValid
        let kind = hValid ? hKind : mKind
        let theta = hValid ? hTheta : mTheta
        let mode = hValid ? hMode : mMode
        let group = hValid ? hGroup : mGroup
        let isFlush = kind == 2
        var anyFire = false, sel = -1, selNeg = false
        var resFire = false
        var flushedNext: UInt64 = 0
        var emit = false
        if active {
            let useByp = bypValid && bypAddr == mGroup
            for k in 0 ..< L {
                var v: Int64, z: Int64
                if hValid {
                    v = hV[k]
                    z = hZ[k]
                } else {
                    let base = useByp ? bypData[...] : sQ[...]
                    let vOld = Bits.signExtend(Bits.field(base, lo: k * c.stateLaneBits, width: c.vBits), width: c.vBits)
                    let zOld = Bits.signExtend(Bits.field(base, lo: k * c.stateLaneBits + c.vBits, width: c.zBits), width: c.zBits)
                    switch mKind {
                    case 1:
                        v = Bits.signExtend(Bits.field(bQ[...], lo: k * c.vBits, width: c.vBits), width: c.vBits)
                        z = 0
                    case 0:
                        let w = Bits.signExtend(Bits.field(wQ[...], lo: k * c.weightSlot, width: c.wBits), width: c.wBits)
                        let prod = w * Int64(mMult)
                        v = Bits.saturatingAdd(vOld, mNeg ? -prod : prod, width: c.vBits).sum
                        z = zOld
                    default:
                        v = vOld
                        z = zOld
                    }
                }
                srcV[k] = v
                srcZ[k] = z
                let done = hValid && isFlush && hFlushed >> UInt64(k) & 1 == 1
                let q = done ? 0 : fire(v, z, theta: theta, mode: mode, flushing: isFlush)
                fireQ[k] = q
                if q != 0 && sel < 0 {
                    sel = k
                    selNeg = q < 0
                }
            }
            anyFire = sel >= 0
            emit = anyFire && !spF.full
            for k in 0 ..< L {
                var v = srcV[k], z = srcZ[k]
                let here = emit && k == sel
                if here {
                    let q = Int64(fireQ[k])
                    v -= q * theta
                    z = Bits.saturatingAdd(z, q, width: c.zBits).sum
                }
                resV[k] = v
                resZ[k] = z
                let fl = (hValid && hFlushed >> UInt64(k) & 1 == 1) || (here && isFlush)
                if fl { flushedNext |= 1 << UInt64(k) }
                if !(fl && isFlush) && fire(v, z, theta: theta, mode: mode, flushing: isFlush) != 0 { resFire = true }
            }
        }
        let cDone = active && !resFire
        if mConsume { counters.rowOps += 1 }
        if mConsume && mKind == 0 { counters.synapticOps += L }

        // Store.
        let tValid = tQ >> 33 & 1 == 1
        let outRoom = !outF.full
        let sConsume = sValid && (!tValid || outRoom)
        let sTake = !spF.empty && (!sValid || sConsume)
        let pushSpike = sValid && tValid && outRoom
        if pushSpike { counters.spikesSent += 1 }
        var outPush: UInt64? = nil  // set only when the output FIFO takes it
        if respPending && outRoom {
            outPush = responseFlit()
        } else if pushSpike {
            outPush = tQ >> 16 & 0xFFFF | (tQ >> 32 & 1) << 16 | (tQ & 0xFFFF) << 20 | (sNeg ? 1 << 36 : 0) | 1 << 37
        }

        // MARK: Updates (every read uses the old contents: read-first)
        func count(_ m: PEMemory, read: Bool = false, write: Bool = false) {
            if read { counters.sramReads[m.rawValue] += 1 }
            if write { counters.sramWrites[m.rawValue] += 1 }
        }
        if axonLoad || hostRe == .axonMap {
            axonQ = memories[.axonMap]!.field(hostRe == .axonMap ? okWord : axon & Int(Bits.mask(c.axonBits)), lo: 0, width: 64)
            count(.axonMap, read: true)
        }
        if (issue && lKind == 0) || hostRe == .weights {
            memories[.weights]!.read(hostRe == .weights ? okWord : lRow, into: &wQ)
            count(.weights, read: true)
        }
        if (issue && lKind != 1) || hostRe == .state {
            memories[.state]!.read(hostRe == .state ? okWord : lGroup, into: &sQ)
            count(.state, read: true)
        }
        if (issue && lKind == 1) || hostRe == .bias {
            memories[.bias]!.read(hostRe == .bias ? okWord : lGroup, into: &bQ)
            count(.bias, read: true)
        }
        if sTake || hostRe == .targets {
            tQ = memories[.targets]!.field(hostRe == .targets ? okWord : Int(spF.head & Bits.mask(c.neuronBits)), lo: 0, width: 64)
            count(.targets, read: true)
        }
        if hostRe == .accumulated {
            memories[.accumulated]!.read(okWord, into: &accQ)
            count(.accumulated, read: true)
        }
        // Writes: configuration (the last part commits the staged word) and state write-back.
        let cfgState = cfgWe == .state
        // Every state write is also remembered for forwarding: the bypass register is the word.
        if let m = cfgWe {
            let word = committed(m, data: data)
            memories[m]!.write(okWord, word)
            count(m, write: true)
            if cfgState {
                bypValid = true
                bypAddr = okWord
                bypData = word
            }
        } else if cDone {
            for k in 0 ..< L {
                let lo = k * c.stateLaneBits
                Bits.setField(&bypData, lo: lo, width: c.vBits, Bits.raw(resV[k], width: c.vBits))
                Bits.setField(&bypData, lo: lo + c.vBits, width: c.zBits, Bits.raw(resZ[k], width: c.zBits))
            }
            memories[.state]!.write(group, bypData)
            count(.state, write: true)
            bypValid = true
            bypAddr = group
        }
        if cfgGo && okMem != nil && okPart < c.parts(okMem!) - 1 { stage[okPart] = data }

        // Status counters.
        func bump(_ s: PEStatus, _ on: Bool) { if on { status[s.rawValue] = (status[s.rawValue] + 1) & Bits.mask(PEConfig.statusCounterBits) } }
        bump(.badAccess, badAccess)
        bump(.ignored, ignored)
        bump(.spikesIn, axonLoad)
        bump(.spikesOut, pushSpike)

        // Compute registers.
        if active {
            for k in 0 ..< L {
                hV[k] = resV[k]
                hZ[k] = resZ[k]
            }
            hFlushed = flushedNext
        }
        if mConsume {
            hKind = mKind
            hGroup = mGroup
            hTheta = mTheta
            hMode = mMode
        }
        hValid = active && !cDone

        // Memory stage.
        if issue {
            mKind = lKind
            mGroup = lGroup
            mNeg = lNeg
            mMult = lMult
            mTheta = pw.theta
            mMode = pw.modeCode
        }
        mValid = issue || (mValid && !mConsume)

        // Load stage.
        let ctrlStart = startReset || startFlush
        let oldLoad = lLoad
        lActive = aTake || cont || ctrlStart || (lActive && !ended)
        if aTake {
            lKind = 0
        } else if ctrlStart {
            lKind = startReset ? 1 : 2
        }
        if aTake {
            lRow = ax.row
        } else if issue {
            lRow = (lRow + 1) & Int(Bits.mask(c.rowBits))
        }
        if aTake {
            lGroup = ax.group
            lLeft = ax.count
        } else if oldLoad {
            lGroup = pw.first
            lLeft = pw.count
        } else if issue {
            lGroup = (lGroup + 1) & Int(Bits.mask(c.groupBits))
            lLeft -= 1
        }
        if aTake {
            lLayer = ax.layer
        } else if cont {
            lLayer = (lLayer + 1) & Int(Bits.mask(c.layerBits))
        } else if ctrlStart {
            lLayer = startReset ? 0 : layerField & Int(Bits.mask(c.layerBits))
        }
        if aTake {
            lNeg = aNeg
            lMult = aMult
        }
        if aTake || ctrlStart { lAll = startReset }
        lLoad = cont || ctrlStart
        aValid = axonLoad || (aValid && !aTake)
        if spikeGo {
            aNeg = head >> 36 & 1 == 1
            aMult = head >> 37 & 15
        }

        // Store and response registers.
        let spHead = spF.head
        sValid = sTake || (sValid && !sConsume)
        if sTake { sNeg = spHead >> UInt64(c.neuronBits) & 1 == 1 }
        if readGo {
            respMem = memId
            respAddr = addr
            respTag = head >> 40 & 0xFF
            respOK = anyWritable || statusOK
        }
        respPending = readGo || (respPending && !outRoom)

        // FIFOs.
        var spPush: UInt64? = nil
        if emit {
            let neuron = (L == 1 << lw || L == 1) ? (group << (L == 1 ? 0 : lw)) | sel : group * L + sel
            spPush = UInt64(neuron) | (selNeg ? 1 << UInt64(c.neuronBits) : 0)
        }
        spF.step(push: spPush, pop: sTake)
        outF.step(push: outPush, pop: !outF.empty && outReady)
        inF.step(push: inValid && !inF.full ? inFlit & Bits.mask(c.flitWidth) : nil, pop: spikeGo || ctrlGo)
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

    /// The read response now on offer (the RTL's `respFlit`).
    func responseFlit() -> UInt64 {
        var data: UInt64 = 0
        if respOK, let m = PEMemory(rawValue: respMem), config.memories.contains(m) {
            let (w, d) = config.geometry(m)
            let aw = Bits.addressWidth(d)
            let part = respAddr >> aw, parts = config.parts(m)
            let p = parts > 1 && part < parts ? part : 0
            let word: [UInt64]
            switch m {
            case .weights: word = wQ
            case .state: word = sQ
            case .bias: word = bQ
            case .axonMap: word = [axonQ]
            case .targets: word = [tQ]
            case .params: word = [memories[.params]!.field(respAddr & Int(Bits.mask(config.layerBits)), lo: 0, width: w)]
            case .accumulated: word = accQ
            case .status: word = [status[respAddr & 3]]
            }
            data = slice(word[...], part: p, width: w)
        }
        return 1 << 16 | UInt64(FlitType.readResponse.rawValue) << 17 | UInt64(respMem) << 20 | respTag << 24 | data << 32
    }
}
