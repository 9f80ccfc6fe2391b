import SpikeForgeCore
import VerilatorBridge

/// Seeded random stimulus for every block, shared by the tests, `spikeforge check` and the
/// benchmarks; each block's folder extends it (`Neuron/NeuronStimulus.swift`, ...). Each one
/// aims at the block's corners: saturation, full and empty, same-address collisions, dense and
/// sparse requests, and occasional resets. Here: the primitives.
public enum Stimulus {
    /// A value biased towards the corners of a signed `width`-bit range (min, max, 0, ±1).
    public static func signedCorner(_ rng: inout SplitMix64, width: Int) -> UInt64 {
        let r = Bits.signedRange(width)
        switch rng.next() % 8 {
        case 0: return Bits.raw(r.lowerBound, width: width)
        case 1: return Bits.raw(r.upperBound, width: width)
        case 2: return 0
        case 3: return Bits.raw(rng.chance(0.5) ? 1 : -1, width: width)
        case 4: return Bits.raw(r.upperBound - Int64(rng.next() % 4), width: width)
        default: return rng.bits(width)
        }
    }

    public static func satAdder(_ c: SatAdderConfig) -> StimulusFunction {
        { rng, _, f in
            f[0] = signedCorner(&rng, width: c.aWidth)
            f[1] = signedCorner(&rng, width: c.bWidth)
        }
    }

    public static func accumulator(_ c: AccumulatorConfig) -> StimulusFunction {
        { rng, cycle, f in
            f.set(0, cycle < 2 || rng.chance(0.002))
            f.set(1, rng.chance(0.03))
            f[2] = signedCorner(&rng, width: c.accWidth)
            f.set(3, rng.chance(0.8))
            // Phases that favour one sign drive the accumulator into saturation and back out.
            let phase = (cycle / 500) % 3
            let x = signedCorner(&rng, width: c.inWidth)
            let v = Bits.signExtend(x, width: c.inWidth)
            f[4] = phase == 2 || (phase == 0) != (v < 0) ? x : Bits.raw((0 &- v) / 2, width: c.inWidth)
        }
    }

    public static func fifo(_: FIFOConfig) -> StimulusFunction {
        // Phases of filling, draining and balance, so full and empty are both hit often.
        var load = LoadPhases(period: 256, inputs: [0.05, 0.5, 0.95], outputs: [0.05, 0.5, 0.95], pIn: 0.5, pOut: 0.5)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            f.set(0, cycle < 2 || rng.chance(0.001))
            f.set(1, rng.chance(load.pIn))
            f.setWide(2, [rng.next(), rng.next(), rng.next()])
            f.set(3, rng.chance(load.pOut))
        }
    }

    public static func sram(_ c: SRAMConfig) -> StimulusFunction {
        let hot = (0 ..< 3).map { UInt64($0 % c.depth) }
        return { rng, _, f in
            // Most accesses go to a few hot addresses, so same-address read/write collisions happen.
            func addr() -> UInt64 { rng.chance(0.6) ? hot[Int(rng.next() % 3)] : rng.next() % UInt64(c.depth) }
            switch c.kind {
            case .singlePort:
                f.set(0, rng.chance(0.8))
                f.set(1, rng.chance(0.4))
                f[2] = addr()
                f.setWide(3, [rng.next(), rng.next()])
            case .simpleDualPort:
                f.set(0, rng.chance(0.5))
                f[1] = addr()
                f.setWide(2, [rng.next(), rng.next()])
                f.set(3, rng.chance(0.7))
                f[4] = addr()
            }
        }
    }

    public static func arbiter(_ c: ArbiterConfig) -> StimulusFunction {
        var density = 0.5
        return { rng, cycle, f in
            if cycle % 128 == 0 { density = [0.05, 0.3, 0.9][Int(rng.next() % 3)] }
            f.set(0, cycle < 2 || rng.chance(0.001))
            var req: UInt64 = 0
            for i in 0 ..< c.requesters where rng.chance(density) { req |= 1 << UInt64(i) }
            f[1] = req
            f.set(2, rng.chance(0.7))
        }
    }
}
