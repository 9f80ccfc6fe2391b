import SpikeForgeCore

/// Fills the input frame of one cycle from a seeded generator.
public typealias StimulusFunction = (inout SplitMix64, Int, inout PortValues) -> Void

/// Seeded random stimulus for the primitives, shared by the tests, `spikeforge flow` and the
/// benchmarks. Each one aims at the block's corners: saturation, full and empty, same-address
/// collisions, dense and sparse requests, and occasional resets.
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

extension Stimulus {
    /// A random flit for a `cols × rows` mesh: 65% unicast, 25% multicast rectangles (corners may
    /// lie outside the mesh and are clamped), 10% host-bound; random type and payload.
    public static func randomFlit(_ rng: inout SplitMix64, cols: Int, rows: Int, width: Int) -> [UInt64] {
        let r = rng.next() % 100
        var f: Flit
        if r < 65 {
            f = .unicast(x: Int(rng.next() % UInt64(cols)), y: Int(rng.next() % UInt64(rows)))
        } else if r < 90 {
            f = Flit(x0: Int(rng.next() % 16), x1: Int(rng.next() % UInt64(cols)), y0: Int(rng.next() % UInt64(rows)), y1: Int(rng.next() % 16))
        } else {
            f = Flit(x0: Int(rng.next() % 16), x1: 0, y0: 0, y1: 0, host: true)
        }
        f.type = FlitType(rawValue: Int(rng.next() % 5))!
        f.payload = rng.next()
        return f.encode(width: width)
    }

    /// Mesh: every local port and the host inject in phases of light to heavy load; ejection
    /// back-pressure in phases; rare resets.
    public static func mesh(_ c: MeshConfig) -> StimulusFunction {
        var load = LoadPhases(period: 300, inputs: [0.02, 0.1, 0.3, 0.6, 1.0], outputs: [1.0, 0.8, 0.3], pIn: 0.2, pOut: 1.0)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.0003))
            f.set(1, rng.chance(pIn / 2))
            f.setWide(2, randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth))
            f.set(3, rng.chance(pOut))
            var valid: [UInt64] = [], ready: [UInt64] = [], flits: [UInt64] = []
            for _ in 0 ..< c.nodes {
                valid.append(rng.chance(pIn) ? 1 : 0)
                ready.append(rng.chance(pOut) ? 1 : 0)
                let fl = randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth)
                flits.append(fl[0])
            }
            f.setWide(4, Bits.packFields(valid, width: 1))
            f.setWide(6, Bits.packFields(ready, width: 1))
            f.setWide(5, c.flitWidth <= 64 ? Bits.packFields(flits, width: c.flitWidth) : flits.flatMap { [$0, 0] })
        }
    }

    /// A lone router at (`x`, `y`): every input offers random flits (including headers no X-Y
    /// route would produce), every output has random back-pressure.
    public static func router(_ c: RouterConfig, x: Int, y: Int) -> StimulusFunction {
        var load = LoadPhases(period: 256, inputs: [0.1, 0.5, 0.9], outputs: [1.0, 0.6, 0.2], pIn: 0.5, pOut: 0.7)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.0005))
            f[1] = UInt64(x)
            f[2] = UInt64(y)
            for p in 0 ..< 5 {
                f.set(3 + 3 * p, rng.chance(pIn))
                f.setWide(4 + 3 * p, rng.chance(0.1) ? [rng.next(), rng.next()] : randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth))
                f.set(5 + 3 * p, rng.chance(pOut))
            }
        }
    }

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
            return Flit.unicast(x: x, y: y, type: .readResponse, payload: rng.next()).encode(width: 64)[0] | UInt64(rng.chance(0.5) ? 0 : 4 + r(4)) << 17
        default:
            return randomFlit(&rng, cols: c.cols, rows: c.rows, width: 64)[0]
        }
    }
}

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

/// Offered load and back-pressure that jump to random levels every `period` cycles, so queues
/// fill, drain and sit in between: the phases the valid/ready stimuli share.
struct LoadPhases {
    let period: Int
    let inputs: [Double], outputs: [Double]
    /// The probabilities of offering an input and of taking an output this phase.
    var pIn: Double, pOut: Double

    mutating func advance(_ rng: inout SplitMix64, cycle: Int) {
        guard cycle % period == 0 else { return }
        pIn = inputs[Int(rng.next() % UInt64(inputs.count))]
        pOut = outputs[Int(rng.next() % UInt64(outputs.count))]
    }
}
