import SpikeForgeCore
import VerilatorBridge

extension Stimulus {
    /// Random host traffic for a whole system (`SystemModel` / `SpikeSystem_*` ports): input
    /// spikes to the first layer's axons (multicast and unicast, any multiplicity), configuration
    /// writes, read requests, resets, flushes and junk, to random tiles, with the host sometimes
    /// not taking what the system offers, in bursts of load, and rare synchronous resets.
    public static func system(_ c: SystemConfig, axons: Int) -> StimulusFunction {
        var load = LoadPhases(period: 512, inputs: [0.02, 0.15, 0.4, 0.9], outputs: [1.0, 0.8, 0.4, 0.1], pIn: 0.3, pOut: 0.9)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.00002))
            f.set(1, rng.chance(pIn))
            let x = Int(rng.next() % UInt64(c.cols)), y = Int(rng.next() % UInt64(c.rows))
            var flit: UInt64
            if rng.chance(0.85) {
                let m = rng.chance(0.6) ? 1 + Int(rng.next() % 15) : 1
                flit = rng.chance(0.5)
                    ? PEPacket.spike(x0: 0, x1: c.cols - 1, y0: 0, y1: c.rows - 1, axon: Int(rng.next() % UInt64(axons)), negative: rng.chance(0.2), multiplicity: m)
                    : PEPacket.spike(x: x, y: y, axon: Int(rng.next() % UInt64(axons)), negative: rng.chance(0.2), multiplicity: m)
            } else {
                flit = peFlit(&rng, c.pe, x: x, y: y)
            }
            f[2] = flit & Bits.mask(c.pe.flitWidth)
            f.set(3, rng.chance(pOut))
        }
    }
}
