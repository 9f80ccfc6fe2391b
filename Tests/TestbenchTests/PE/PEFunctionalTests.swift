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
                let v = Bits.signExtend(Bits.field(word[...], lo: k * c.stateLaneBits, width: c.vBits), width: c.vBits)
                let z = Bits.signExtend(Bits.field(word[...], lo: k * c.stateLaneBits + c.vBits, width: c.zBits), width: c.zBits)
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
}
