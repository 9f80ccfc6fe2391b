import SpikeForgeCore
import VerilatorBridge

extension Stimulus {
    /// Neuron array: random commands (mostly adds), thresholds in phases from 0 and 1 up to the
    /// port's maximum, runtime modes in phases, weights and biases with saturation corners,
    /// multiplicities including 0, back-pressure phases on `spike_ready`, rare resets.
    public static func neuron(_ c: NeuronConfig) -> StimulusFunction {
        var theta: UInt64 = 1, mode: UInt64 = 0, pReady = 1.0, corner = 0.1
        let tMax = Bits.mask(c.thresholdBits)
        let iMode = c.mode == .runtime ? 2 : nil as Int?
        let iValid = iMode == nil ? 2 : 3
        let iMult = c.multiplicityBits > 0 ? iValid + 3 : nil as Int?
        let iWeights = iValid + 3 + (iMult == nil ? 0 : 1)
        return { rng, cycle, f in
            if cycle % 512 == 0 {
                switch rng.next() % 8 {
                case 0: theta = 1
                case 1: theta = 2
                case 2: theta = 1 + rng.next() % min(7, tMax)
                case 3: theta = tMax
                case 4: theta = rng.chance(0.3) ? 0 : 1 + rng.next() % tMax
                default: theta = 1 + rng.next() % min(64, tMax)
                }
                mode = rng.next() % 4
                pReady = [1.0, 0.7, 0.2][Int(rng.next() % 3)]
                corner = [0.02, 0.2][Int(rng.next() % 2)]
            }
            // Keep ordinary values near theta so events cross it a few times; corners saturate.
            func value(_ width: Int) -> UInt64 {
                if rng.chance(corner) { return signedCorner(&rng, width: width) }
                let span = Int64(max(theta, 1)) * 3
                return Bits.raw(Bits.saturate(Int64(rng.next() % UInt64(2 * span + 1)) - span, width: width), width: width)
            }
            f.set(0, cycle < 2 || rng.chance(0.0005))
            f[1] = theta
            if let i = iMode { f[i] = mode }
            f.set(iValid, rng.chance(0.7))
            let r = rng.next() % 100
            f[iValid + 1] = r < 75 ? NeuronOp.add.rawValue : r < 87 ? NeuronOp.load.rawValue : r < 97 ? NeuronOp.flush.rawValue : NeuronOp.nop.rawValue
            f.set(iValid + 2, rng.chance(0.5))
            if let i = iMult { f[i] = rng.chance(0.1) ? 0 : 1 + rng.next() % Bits.mask(c.multiplicityBits) }
            var ws = [UInt64](), bs = [UInt64]()
            for _ in 0 ..< c.neurons {
                ws.append(value(c.wBits))
                bs.append(value(c.vBits))
            }
            f.setWide(iWeights, Bits.packFields(ws, width: c.wBits))
            f.setWide(iWeights + 1, Bits.packFields(bs, width: c.vBits))
            f.set(iWeights + 2, rng.chance(pReady))
        }
    }
}
