import SpikeForgeCore
import VerilatorBridge

extension Stimulus {
    /// A PE tile at (`x`, `y`): every mesh input offers packets, most of them for this tile —
    /// spikes (unicast or multicast rectangles that cover it, random sign and multiplicity, a few
    /// axon ids beyond the axon map), and now and then a configuration write, a read-back, a
    /// reset, a layer flush or an unknown packet — among flits passing through. Outputs get
    /// random back-pressure, in phases from none to heavy.
    public static func peTile(_ c: PEConfig, x: Int, y: Int) -> StimulusFunction {
        var load = LoadPhases(period: 512, inputs: [0.02, 0.15, 0.4, 0.8], outputs: [1.0, 0.8, 0.4, 0.1], pIn: 0.3, pOut: 0.9)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.00005))
            f[1] = UInt64(x)
            f[2] = UInt64(y)
            for p in 0 ..< 4 {
                f.set(3 + 3 * p, rng.chance(pIn))
                f[4 + 3 * p] = peFlit(&rng, c, x: x, y: y) & Bits.mask(c.flitWidth)
                f.set(5 + 3 * p, rng.chance(pOut))
            }
        }
    }

    static func peFlit(_ rng: inout SplitMix64, _ c: PEConfig, x: Int, y: Int) -> UInt64 {
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        let roll = r(1000)
        let axon = rng.chance(0.02) ? r(65536) : r(c.axons)
        let mult = rng.chance(0.7) ? 1 : r(16)
        switch roll {
        case 0 ..< 700:
            if rng.chance(0.7) { return PEPacket.spike(x: x, y: y, axon: axon, negative: rng.chance(0.3), multiplicity: mult) }
            return PEPacket.spike(x0: r(x + 1), x1: x + r(c.cols - x), y0: r(y + 1), y1: y + r(c.rows - y), axon: axon, negative: rng.chance(0.3), multiplicity: mult)
        case 700 ..< 712:
            // Mostly real memories and parts, sometimes out of range.
            let m = rng.chance(0.9) ? c.memories[r(c.memories.count)] : PEMemory(rawValue: r(8))!
            let d = c.geometry(m).depth
            let part = r(c.parts(m))
            let address = rng.chance(0.9) ? c.packetAddress(m, word: r(d), part: part) : r(65536)
            // Targets stay clear of this tile's column (see `PEImages.random`).
            let data = m == .targets ? PEImages.randomTarget(&rng, c, avoidingColumn: x).encode() >> UInt64(part * c.partBits) : rng.next()
            return PEPacket.configWrite(c, x: x, y: y, memory: m == .targets ? m.rawValue : rng.chance(0.98) ? m.rawValue : r(16), address: address, data: data)
        case 712 ..< 730:
            let m = PEMemory(rawValue: r(8))!
            let d = c.geometry(m).depth
            let address = rng.chance(0.9) ? c.packetAddress(m, word: r(d), part: r(c.parts(m))) : r(65536)
            return PEPacket.readRequest(x: x, y: y, memory: rng.chance(0.98) ? m.rawValue : r(16), address: address, tag: r(256))
        case 730 ..< 733:
            return PEPacket.control(x0: x, x1: x, y0: y, y1: y, opcode: 0)
        case 733 ..< 740:
            return PEPacket.control(x0: x, x1: x, y0: y, y1: y, opcode: rng.chance(0.9) ? 1 : r(16), layer: rng.chance(0.95) ? r(c.layers) : r(256))
        case 740 ..< 745:
            // Types the PE ignores: read responses and the unused codes 5-7.
            return Flit.unicast(x: x, y: y, type: .readResponse, payload: rng.next()).encode(width: 64)[0]
                | PacketLayout.Header.type.place(rng.chance(0.5) ? 0 : 4 + r(4))
        default:
            return randomFlit(&rng, cols: c.cols, rows: c.rows, width: 64)[0]
        }
    }
}
