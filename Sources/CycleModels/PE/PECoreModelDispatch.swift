import SpikeForgeCore

/// Dispatch (`PECoreDispatch.swift`): decodes the input FIFO's head through `PacketLayout`.
extension PECoreModel {
    /// Only what the head can start is decoded: nothing with an empty FIFO, the axon of a
    /// spike, and the configuration, read and control fields when a control packet goes
    /// (every other signal keeps `PECycle`'s idle value, as the full decode would give it).
    @inline(__always) mutating func evaluateDispatch(_ e: inout PECycle) {
        typealias L = PacketLayout
        guard !inF.empty else { return }
        let head = inF.head
        let hType = typeF.int(head)
        e.head = head
        if hType == FlitType.spike.rawValue {
            e.spikeGo = !respPending && (!aValid || e.aTake)
            e.axon = spikeAxonF.int(head)
            let axonOK = e.axon >> axonBits == 0
            e.axonLoad = e.spikeGo && axonOK
            e.ignored = e.spikeGo && !axonOK
            return
        }
        let drained = !aValid && !lActive && !mValid && !pValid && !xValid && !hValid && spF.empty && !sValid
        e.ctrlGo = drained && !respPending
        guard e.ctrlGo else { return }
        e.memId = L.ConfigWrite.memory.int(head)
        e.addr = L.ConfigWrite.address.int(head)
        e.data = dataField.get(head)

        // Configuration and read decode.
        e.cfgGo = hType == FlitType.configWrite.rawValue
        e.readGo = hType == FlitType.readRequest.rawValue
        if let m = PEMemory(rawValue: e.memId), memories.present[m.rawValue] {
            let (w, p) = decode(m, addr: e.addr)
            if p < config.parts(m) {
                e.okMem = m
                e.okPart = p
                e.okWord = w
            }
        }
        e.statusOK = e.memId == PEMemory.status.rawValue && e.addr >> Bits.addressWidth(PEStatus.allCases.count) < config.parts(.status)
        e.badAccess = (e.cfgGo && !e.anyWritable) || (e.readGo && !(e.anyWritable || e.statusOK))
        let isCtrl = hType == FlitType.control.rawValue
        let opcode = L.Control.opcode.int(head)
        e.layerField = L.Control.layer.int(head)
        e.startReset = isCtrl && opcode == PEControl.reset.rawValue
        e.startFlush = isCtrl && opcode == PEControl.flush.rawValue && e.layerField >> layerBits == 0
        let knownType = e.cfgGo || e.readGo || isCtrl
        e.ignored = (isCtrl && !e.startReset && !e.startFlush) || !knownType
        if e.cfgGo, let m = e.okMem, e.okPart == config.parts(m) - 1 { e.cfgWe = m }
        if e.readGo { e.hostRe = e.okMem }
    }

    @inline(__always) mutating func updateDispatch(_ e: inout PECycle) {
        aValid = e.axonLoad || (aValid && !e.aTake)
        if e.spikeGo {
            aNeg = spikeNegF.flag(e.head)
            aMult = spikeMultF.get(e.head)
        }
    }

    /// SRAM reads and writes of every stage (every read sees the old contents: read-first), and
    /// the configuration staging registers.
    @inline(__always) mutating func updateMemories(_ e: inout PECycle) {
        func count(_ m: PEMemory, read: Bool = false, write: Bool = false) {
            if read { counters.sramReads[m.rawValue] += 1 }
            if write { counters.sramWrites[m.rawValue] += 1 }
        }
        let hostRe = e.hostRe, okWord = e.okWord
        if e.axonLoad || hostRe == .axonMap {
            axonQ = memories.banks[PEMemory.axonMap.rawValue].field(hostRe == .axonMap ? okWord : e.axon & axonMask, lo: 0, width: 64)
            count(.axonMap, read: true)
        }
        if (e.issue && lKind == .add) || hostRe == .weights {
            memories.banks[PEMemory.weights.rawValue].read(hostRe == .weights ? okWord : lRow, into: &wQ)
            count(.weights, read: true)
        }
        if (e.mConsume && mKind != .reset) || hostRe == .state {
            // Both banks into `sQ`; the z bank counts only when read (the RTL's `s_q_v`/`s_q_z`:
            // a row of a θ = 0 layer leaves `s_q_z` stale, and the add stage takes its z as 0).
            memories.banks[PEMemory.state.rawValue].read(hostRe == .state ? okWord : mGroup, into: &sQ)
            count(.state, read: true)
            if hostRe == .state || mTheta != 0 { counters.stateZReads += 1 }
        }
        if (e.mConsume && mKind == .reset) || hostRe == .bias {
            memories.banks[PEMemory.bias.rawValue].read(hostRe == .bias ? okWord : mGroup, into: &bQ)
            count(.bias, read: true)
        }
        if e.sTake || hostRe == .targets {
            tQ = memories.banks[PEMemory.targets.rawValue].field(hostRe == .targets ? okWord : Int(spF.head & Bits.mask(neuronBits)), lo: 0, width: 64)
            count(.targets, read: true)
        }
        if hostRe == .accumulated {
            memories.banks[PEMemory.accumulated.rawValue].read(okWord, into: &accQ)
            count(.accumulated, read: true)
        }
        // Writes: configuration (the last part commits the staged word) and state write-back.
        // Every state write is also remembered for forwarding: the bypass register is the word.
        if let m = e.cfgWe {
            let word = committed(m, data: e.data)
            memories.banks[m.rawValue].write(okWord, word)
            count(m, write: true)
            if m == .state {
                counters.stateZWrites += 1
                bypValid = true
                bypAddr = okWord
                bypData = word
            }
        } else if e.cDone {
            // The bypass register takes every write-back; each bank is written only when its
            // part may have changed (`PECoreModelCompute`).
            let vF = vField, zF = zField, vBits = vBits, zBase = zBase, zBits = zBits, lanes = L, resV = resV, resZ = resZ
            bypData.withUnsafeMutableBufferPointer { b in
                for k in 0 ..< lanes {
                    vF.write(b, at: k * vBits, resV[k])
                    zF.write(b, at: zBase + k * zBits, resZ[k])
                }
            }
            if e.writeZ {
                memories.banks[PEMemory.state.rawValue].write(e.group, bypData)
                counters.stateZWrites += 1
            } else {
                // The V bank alone: its lanes' fields (the z bank keeps its word).
                for k in 0 ..< lanes { memories.banks[PEMemory.state.rawValue].setField(e.group, lo: k * vBits, width: vBits, UInt64(bitPattern: resV[k])) }
            }
            count(.state, write: true)
            bypValid = true
            bypAddr = e.group
        }
        if e.cfgGo, let m = e.okMem, e.okPart < config.parts(m) - 1 { stage[e.okPart] = e.data }
    }

    /// The FIFOs: the spike FIFO between compute and store, the output FIFO, the input FIFO.
    @inline(__always) mutating func updateFIFOs(_ e: inout PECycle, inValid: Bool, inFlit: UInt64, outReady: Bool) {
        var spPush: UInt64? = nil
        if e.emit {
            let neuron = (L == 1 << lw || L == 1) ? (e.group << (L == 1 ? 0 : lw)) | e.sel : e.group * L + e.sel
            spPush = UInt64(neuron) | (e.selNeg ? 1 << UInt64(neuronBits) : 0)
        }
        spF.step(push: spPush, pop: e.sTake)
        outF.step(push: e.outPush, pop: !outF.empty && outReady)
        inF.step(push: inValid && !inF.full ? inFlit & flitMask : nil, pop: e.spikeGo || e.ctrlGo)
    }
}
