import SpikeForgeCore

/// Read-back and output (`PECoreReadback.swift`): status counters, the read response, and the
/// output FIFO's input (a pending response goes before a spike packet).
extension PECoreModel {
    @inline(__always) mutating func evaluateReadback(_ e: inout PECycle) {
        if respPending && e.outRoom {
            e.outPush = responseFlit()
        } else if e.pushSpike {
            // The spike packet of the target word, built once per target word (it depends on
            // nothing else but the sign).
            if spikeTarget != tQ {
                spikeFlits = Self.spikeFlits(target: tQ, flitWidth: config.flitWidth)
                spikeTarget = tQ
            }
            e.outPush = sNeg ? spikeFlits.neg : spikeFlits.pos
        }
    }

    @inline(__always) mutating func updateReadback(_ e: inout PECycle) {
        func bump(_ s: PEStatus, _ on: Bool) { if on { status[s.rawValue] = (status[s.rawValue] + 1) & Bits.mask(PEConfig.statusCounterBits) } }
        bump(.badAccess, e.badAccess)
        bump(.ignored, e.ignored)
        bump(.spikesIn, e.axonLoad)
        bump(.spikesOut, e.pushSpike)
        if e.readGo {
            respMem = e.memId
            respAddr = e.addr
            respTag = PacketLayout.ReadRequest.tag.get(e.head)
            respOK = e.anyWritable || e.statusOK
        }
        respPending = e.readGo || (respPending && !e.outRoom)
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
            case .params: word = [memories.banks[PEMemory.params.rawValue].field(respAddr & Int(Bits.mask(config.layerBits)), lo: 0, width: w)]
            case .accumulated: word = accQ
            case .status: word = [status[respAddr & (PEStatus.allCases.count - 1)]]
            }
            data = slice(word[...], part: p, width: w)
        }
        return Packet.readResponse(.toHost, memory: respMem, tag: Int(respTag), data: data).encode(flitWidth: config.flitWidth)
    }
}
