import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// One PE holding two dense layers over the same 32 inputs: a spiking layer of 24 neurons
/// (`reluFloor`, or `relu` with the residual flush) and an output layer of 8 neurons (θ = 0,
/// never fires). Everything goes through packets on the tile's west port: the SRAMs are written
/// by configuration packets and checked by read-back, the state is reset by a control packet,
/// the inputs arrive as spike packets (multiplicity events and runs of single spikes, in random
/// order), the flush is a control packet, and the final `V` and `z` come back as read responses.
/// They must equal the integer ANN of SPEC §1 exactly, on the cycle model and on the RTL.
@Suite struct PEFunctionalTests {
    static let config = PEConfig(neurons: 32, lanes: 4, vBits: 20, zBits: 10, thresholdBits: 14, layers: 2, axons: 64, weightRows: 512)
    static let inputs = 32, hidden = 24, outputs = 8

    struct Layer {
        var w: [[Int64]]  // [neuron][input]
        var b: [Int64]
    }

    static func images(theta: Int, mode: NeuronMode, hiddenLayer h: Layer, outputLayer o: Layer) -> PEImages {
        let c = config, L = c.lanes
        var img = PEImages(c)
        let hg = hidden / L, og = outputs / L
        img.setLayer(0, LayerParams(theta: theta, mode: mode, firstGroup: 0, groupCount: hg))
        img.setLayer(1, LayerParams(theta: 0, mode: .linear, firstGroup: hg, groupCount: og))
        for j in 0 ..< inputs {
            img.setAxon(j, AxonEntry(row: j * hg, group: 0, count: hg, layer: 0))
            img.setAxon(32 + j, AxonEntry(row: inputs * hg + j * og, group: hg, count: og, layer: 1))
            for g in 0 ..< hg { for k in 0 ..< L { img.setWeight(row: j * hg + g, lane: k, h.w[g * L + k][j]) } }
            for g in 0 ..< og { for k in 0 ..< L { img.setWeight(row: inputs * hg + j * og + g, lane: k, o.w[g * L + k][j]) } }
        }
        for i in 0 ..< hidden {
            img.setBias(neuron: i, h.b[i])
            img.setTarget(neuron: i, TargetEntry(axon: i, x0: 0, x1: 0, y0: 0, y1: 0, host: true))
        }
        for i in 0 ..< outputs { img.setBias(neuron: hidden + i, o.b[i]) }
        return img
    }

    @Test(arguments: [NeuronMode.reluFloor, .relu], ["model", "verilator"])
    func denseLayer(_ mode: NeuronMode, _ engine: String) throws {
        let c = Self.config
        if engine == "model" {
            try run(PETileDriver(PETileModel(c, x: 0, y: 0), x: 0, y: 0), mode: mode)
        } else {
            try run(PETileDriver(try TestSupport.build(try PEGenerator.design(c)), x: 0, y: 0), mode: mode)
        }
    }

    func run<D: ClockedDevice>(_ driver: PETileDriver<D>, mode: NeuronMode) throws {
        var d = driver
        let c = Self.config
        let seed = Lockstep.seed(default: mode == .relu ? 0xF00D : 0xBEEF)
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int64 { Int64(rng.next() % UInt64(n)) }
        let theta = Int64(60 + r(200))
        let h = Layer(w: (0 ..< Self.hidden).map { _ in (0 ..< Self.inputs).map { _ in r(255) - 127 } }, b: (0 ..< Self.hidden).map { _ in r(401) - 200 })
        let o = Layer(w: (0 ..< Self.outputs).map { _ in (0 ..< Self.inputs).map { _ in r(255) - 127 } }, b: (0 ..< Self.outputs).map { _ in r(2001) - 1000 })
        let a0: [Int64] = (0 ..< Self.inputs).map { _ in rng.chance(0.3) ? 0 : r(16) }
        let img = Self.images(theta: Int(theta), mode: mode, hiddenLayer: h, outputLayer: o)

        for _ in 0 ..< 3 { d.tick(reset: true) }
        let memories: [PEMemory] = [.weights, .bias, .axonMap, .targets, .params]
        d.send(img.configurationPackets(x: 0, y: 0, memories: memories))
        let configured = d.drain()
        #expect(configured, "configuration did not finish (seed \(seed))")
        // Read back a sample of every configured memory.
        for m in memories {
            for a in [0, 1, c.geometry(m).depth / 2, Int(r(c.geometry(m).depth))] {
                let got = d.readWord(c, m, word: a)
                #expect(got == img.words[m]![a], "read-back of \(m)[\(a)] (seed \(seed), cycle \(d.cycle))")
            }
        }
        _ = d.takeReceived()
        // Reset: V <- bias, z <- 0, and a fire check (a bias alone may spike).
        d.send([PEPacket.control(x0: 0, x1: 0, y0: 0, y1: 0, opcode: PEControl.reset.rawValue)])
        let wasReset = d.drain()
        #expect(wasReset)
        // Inputs: one event of multiplicity m, or m single spikes, to both layers' axons.
        var packets: [UInt64] = []
        for j in 0 ..< Self.inputs where a0[j] > 0 {
            for axon in [j, 32 + j] {
                if rng.chance(0.5) {
                    packets.append(PEPacket.spike(x: 0, y: 0, axon: axon, multiplicity: Int(a0[j])))
                } else {
                    packets += Array(repeating: PEPacket.spike(x: 0, y: 0, axon: axon), count: Int(a0[j]))
                }
            }
        }
        for i in stride(from: packets.count - 1, to: 0, by: -1) { packets.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        d.send(packets)
        let quiet = d.drain()
        #expect(quiet)
        if mode == .relu {
            d.send([PEPacket.control(x0: 0, x1: 0, y0: 0, y1: 0, opcode: PEControl.flush.rawValue, layer: 0)])
            let flushed = d.drain()
            #expect(flushed)
        }
        // Net spikes per hidden neuron, as they left for the host.
        var sent = [Int64](repeating: 0, count: Self.hidden)
        for (_, f) in d.takeReceived() {
            guard let s = PEPacket.spikeFields(f) else { continue }
            sent[s.axon] += s.negative ? -1 : 1
        }
        var mismatches: [String] = []
        for g in 0 ..< (Self.hidden + Self.outputs) / c.lanes {
            guard let word = d.readWord(c, .state, word: g) else {
                Issue.record("no read response for state[\(g)] (seed \(seed))")
                return
            }
            for k in 0 ..< c.lanes {
                let i = g * c.lanes + k
                let v = Bits.signExtend(Bits.field(word[...], lo: c.stateVLo(k), width: c.vBits), width: c.vBits)
                let z = Bits.signExtend(Bits.field(word[...], lo: c.stateZLo(k), width: c.zBits), width: c.zBits)
                if i < Self.hidden {
                    let x = (0 ..< Self.inputs).reduce(h.b[i]) { $0 + h.w[i][$1] * a0[$1] }
                    let want = IntegerActivation.exact(x, theta: theta, mode: mode, flush: mode == .relu)!
                    if z != want { mismatches.append("hidden \(i): z = \(z), integer ANN \(want) (x = \(x), θ = \(theta))") }
                    if sent[i] != z { mismatches.append("hidden \(i): \(sent[i]) net spikes sent, z = \(z)") }
                } else {
                    let n = i - Self.hidden
                    let x = (0 ..< Self.inputs).reduce(o.b[n]) { $0 + o.w[n][$1] * a0[$1] }
                    if v != x || z != 0 { mismatches.append("output \(n): V = \(v), z = \(z); integer ANN logit \(x)") }
                }
            }
        }
        #expect(mismatches.isEmpty, "seed \(seed), \(mode): \(mismatches.joined(separator: "; "))")
        #expect(sent.contains { $0 != 0 }, "the hidden layer never fired")
    }

    // MARK: Convolution and pooling

    /// One PE with maxKernel 3 holding two layers, each fed by the host: `8C3` over a 3 × 8 × 8
    /// input (output channels 1 ..< 8 on this tile: 6 × 6 positions × 2 channel groups, the
    /// second group with one empty lane) and `P2` sum pooling over an 8 × 6 × 6 map (channels
    /// 2 ..< 8 here: inputs of channels 0 and 1 have empty entries). Words from
    /// `ConvTileMapping` / `PoolTileMapping`, all written by configuration packets.
    static let convConfig = PEConfig(neurons: 512, lanes: 4, vBits: 20, zBits: 12, thresholdBits: 14, layers: 2, axons: 512, weightRows: 256,
                                     maxKernel: 3)
    static let conv = ConvTileMapping(inChannels: 3, inHeight: 8, inWidth: 8, kernel: 3, outChannels: 1 ..< 8, lanes: 4, firstGroup: 0, firstRow: 0)
    static let pool = PoolTileMapping(inHeight: 6, inWidth: 6, size: 2, channels: 2 ..< 8, lanes: 4, firstGroup: conv.groupCount, firstRow: 64)
    /// Axon ids: the conv layer's inputs from 0, the pool layer's from `poolAxonBase`.
    static let poolAxonBase = 3 * 8 * 8

    @Test(arguments: ["model", "verilator"])
    func convolutionAndPooling(_ engine: String) throws {
        let c = Self.convConfig
        #expect(Self.conv.problems(c).isEmpty && Self.pool.problems(c).isEmpty, "\(Self.conv.problems(c) + Self.pool.problems(c))")
        if engine == "model" {
            try runConvolution(PETileDriver(PETileModel(c, x: 0, y: 0), x: 0, y: 0))
        } else {
            try runConvolution(PETileDriver(try TestSupport.build(try PEGenerator.design(c)), x: 0, y: 0))
        }
    }

    func runConvolution<D: ClockedDevice>(_ driver: PETileDriver<D>) throws {
        var d = driver
        let c = Self.convConfig, cv = Self.conv, pl = Self.pool
        let seed = Lockstep.seed(default: 0xC0417)
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int64 { Int64(rng.next() % UInt64(n)) }
        let outChannels = 8
        // w[o][c][ky][kx], biases, levels of both layers' inputs, thresholds.
        let w = (0 ..< outChannels).map { _ in (0 ..< 3).map { _ in (0 ..< 3).map { _ in (0 ..< 3).map { _ in r(255) - 127 } } } }
        let bias = (0 ..< outChannels).map { _ in r(401) - 200 }
        let convIn = (0 ..< 3).map { _ in (0 ..< 8).map { _ in (0 ..< 8).map { _ in rng.chance(0.3) ? 0 : r(16) } } }
        let poolIn = (0 ..< 8).map { _ in (0 ..< 6).map { _ in (0 ..< 6).map { _ in rng.chance(0.3) ? 0 : r(16) } } }
        let convTheta = 60 + r(200), poolTheta = 1 + r(6)

        var img = PEImages(c)
        img.setLayer(0, cv.layerParams(theta: Int(convTheta), mode: .reluFloor))
        img.setLayer(1, pl.layerParams(theta: Int(poolTheta), mode: .reluFloor))
        for (row, lanes) in cv.weightRows({ o, ch, ky, kx in w[o][ch][ky][kx] }) {
            for (k, v) in lanes.enumerated() { img.setWeight(row: row, lane: k, v) }
        }
        for (row, lanes) in pl.weightRows { for (k, v) in lanes.enumerated() { img.setWeight(row: row, lane: k, v) } }
        for ch in 0 ..< 3 {
            for y in 0 ..< 8 { for x in 0 ..< 8 { img.setAxon((ch * 8 + y) * 8 + x, cv.axonEntry(channel: ch, y: y, x: x, layer: 0)) } }
        }
        for ch in 0 ..< 8 {
            for y in 0 ..< 6 { for x in 0 ..< 6 { img.setAxon(Self.poolAxonBase + (ch * 6 + y) * 6 + x, pl.axonEntry(channel: ch, y: y, x: x, layer: 1)) } }
        }
        // Every neuron sends its spikes to the host, tagged with its own index.
        for o in cv.outChannels {
            for y in 0 ..< 6 {
                for x in 0 ..< 6 {
                    let n = cv.neuron(of: o, y: y, x: x)
                    img.setBias(neuron: n, bias[o])
                    img.setTarget(neuron: n, TargetEntry(axon: n, x0: 0, x1: 0, y0: 0, y1: 0, host: true))
                }
            }
        }
        for ch in pl.channels {
            for y in 0 ..< 3 { for x in 0 ..< 3 { img.setTarget(neuron: pl.neuron(of: ch, y: y, x: x), TargetEntry(axon: pl.neuron(of: ch, y: y, x: x), x0: 0, x1: 0, y0: 0, y1: 0, host: true)) } }
        }

        for _ in 0 ..< 3 { d.tick(reset: true) }
        let memories: [PEMemory] = [.weights, .bias, .axonMap, .targets, .params]
        d.send(img.configurationPackets(x: 0, y: 0, memories: memories))
        let configured = d.drain()
        #expect(configured, "configuration did not finish (seed \(seed))")
        for (m, a) in [(PEMemory.axonMap, 100), (.axonMap, Self.poolAxonBase + 100), (.params, 0), (.params, 1), (.weights, 13)] {
            #expect(d.readWord(c, m, word: a) == img.words[m]![a], "read-back of \(m)[\(a)] (seed \(seed), cycle \(d.cycle))")
        }
        _ = d.takeReceived()
        d.send([PEPacket.control(x0: 0, x1: 0, y0: 0, y1: 0, opcode: PEControl.reset.rawValue)])
        let wasReset = d.drain()
        #expect(wasReset)
        // Each input level as one event of multiplicity m or m single spikes, in random order.
        var packets: [UInt64] = []
        func drive(_ axon: Int, _ m: Int64) {
            guard m > 0 else { return }
            if rng.chance(0.5) {
                packets.append(PEPacket.spike(x: 0, y: 0, axon: axon, multiplicity: Int(m)))
            } else {
                packets += Array(repeating: PEPacket.spike(x: 0, y: 0, axon: axon), count: Int(m))
            }
        }
        for ch in 0 ..< 3 { for y in 0 ..< 8 { for x in 0 ..< 8 { drive((ch * 8 + y) * 8 + x, convIn[ch][y][x]) } } }
        for ch in 0 ..< 8 { for y in 0 ..< 6 { for x in 0 ..< 6 { drive(Self.poolAxonBase + (ch * 6 + y) * 6 + x, poolIn[ch][y][x]) } } }
        for i in stride(from: packets.count - 1, to: 0, by: -1) { packets.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        d.send(packets)
        let quiet = d.drain()
        #expect(quiet)
        var sent = [Int64](repeating: 0, count: c.targetDepth)
        for (_, f) in d.takeReceived() {
            guard let s = PEPacket.spikeFields(f) else { continue }
            sent[s.axon] += s.negative ? -1 : 1
        }

        // The direct integer computation of every neuron on the tile, by neuron index.
        var want: [Int: (x: Int64, z: Int64, what: String)] = [:]
        for o in cv.outChannels {
            for oy in 0 ..< 6 {
                for ox in 0 ..< 6 {
                    var x = bias[o]
                    for ch in 0 ..< 3 { for ky in 0 ..< 3 { for kx in 0 ..< 3 { x += w[o][ch][ky][kx] * convIn[ch][oy + ky][ox + kx] } } }
                    want[cv.neuron(of: o, y: oy, x: ox)] = (x, IntegerActivation.exact(x, theta: convTheta, mode: .reluFloor, flush: false)!, "conv (\(o), \(oy), \(ox))")
                }
            }
        }
        for ch in pl.channels {
            for oy in 0 ..< 3 {
                for ox in 0 ..< 3 {
                    var x: Int64 = 0
                    for dy in 0 ..< 2 { for dx in 0 ..< 2 { x += poolIn[ch][2 * oy + dy][2 * ox + dx] } }
                    want[pl.neuron(of: ch, y: oy, x: ox)] = (x, IntegerActivation.exact(x, theta: poolTheta, mode: .reluFloor, flush: false)!, "pool (\(ch), \(oy), \(ox))")
                }
            }
        }
        var mismatches: [String] = []
        var fired = 0
        for g in 0 ..< cv.groupCount + pl.groupCount {
            guard let word = d.readWord(c, .state, word: g) else {
                Issue.record("no read response for state[\(g)] (seed \(seed), cycle \(d.cycle))")
                return
            }
            for k in 0 ..< c.lanes {
                let i = g * c.lanes + k
                let z = Bits.signExtend(Bits.field(word[...], lo: c.stateZLo(k), width: c.zBits), width: c.zBits)
                guard let ref = want[i] else {
                    if z != 0 || sent[i] != 0 { mismatches.append("neuron \(i) (an empty lane): z = \(z), \(sent[i]) spikes sent") }
                    continue
                }
                if z != ref.z { mismatches.append("\(ref.what): z = \(z), integer computation \(ref.z) (x = \(ref.x))") }
                if sent[i] != z { mismatches.append("\(ref.what): \(sent[i]) net spikes sent, z = \(z)") }
                if z != 0 { fired += 1 }
            }
        }
        #expect(want.count == 7 * 36 + 6 * 9)
        #expect(mismatches.isEmpty, "seed \(seed): \(mismatches.prefix(20).joined(separator: "; "))")
        #expect(fired > 50, "only \(fired) neurons fired (seed \(seed))")
    }
}
