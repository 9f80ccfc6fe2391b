import SpikeForgeCore

/// Store (`PECoreStore.swift`): the spike FIFO's head reads its target; a valid target gets a
/// spike packet.
extension PECoreModel {
    @inline(__always) mutating func evaluateStore(_ e: inout PECycle) {
        let tValid = targetValidF.flag(tQ)
        e.outRoom = !outF.full
        e.sConsume = sValid && (!tValid || e.outRoom)
        e.sTake = !spF.empty && (!sValid || e.sConsume)
        e.pushSpike = sValid && tValid && e.outRoom
    }

    @inline(__always) mutating func updateStore(_ e: inout PECycle) {
        if e.pushSpike { counters.spikesSent += 1 }
        sValid = e.sTake || (sValid && !e.sConsume)
        if e.sTake { sNeg = spF.head >> UInt64(neuronBits) & 1 == 1 }
    }
}
