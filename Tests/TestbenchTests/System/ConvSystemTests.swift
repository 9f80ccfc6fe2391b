import Compiler
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import Trainer
import VerilatorBridge

/// End to end on small convolutional networks: compile `8x8x2-6C3-P2-12-4` (kernels stored once,
/// maps cut into channel blocks and row bands, pooling on the PEs), load by packets and by the
/// backdoor, run on the cycle model and the Verilated system, and compare every output
/// potential with the integer model.
@Suite struct ConvSystemTests {
    /// A random conv net: `8x8x2` input, `6C3` (hidden `mode`), `P2` (θ `poolTheta`), dense 12, output 4.
    static func model(seed: UInt64, mode: NeuronMode = .reluFloor, poolTheta: Int64 = 1) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int64 { Int64(rng.next() % UInt64(n)) }
        let input = FeatureShape(channels: 2, height: 8, width: 8)
        let convOut = FeatureShape(channels: 6, height: 6, width: 6), poolOut = FeatureShape(channels: 6, height: 3, width: 3)
        let flush = mode != .reluFloor
        let conv = IntegerLayer(name: "conv1", kind: .conv(kernel: 3), input: input, output: convOut,
                                weights: (0 ..< 6 * 2 * 9).map { _ in Int32(r(255) - 127) },
                                bias: (0 ..< convOut.count).map { _ in r(201) - 100 }, threshold: 60 + r(100), mode: mode, flush: flush, isOutput: false)
        let pool = IntegerLayer(name: "pool2", kind: .pool(size: 2), input: convOut, output: poolOut, weights: [],
                                bias: [Int64](repeating: 0, count: poolOut.count), threshold: poolTheta, mode: mode, flush: flush, isOutput: false)
        let fc = IntegerLayer(name: "fc3", inputs: poolOut.count, outputs: 12, weights: (0 ..< poolOut.count * 12).map { _ in Int32(r(255) - 127) },
                              bias: (0 ..< 12).map { _ in r(301) - 150 }, threshold: 100 + r(200), mode: mode, flush: flush, isOutput: false)
        let out = IntegerLayer(name: "fc4", inputs: 12, outputs: 4, weights: (0 ..< 48).map { _ in Int32(r(255) - 127) },
                               bias: (0 ..< 4).map { _ in r(2001) - 1000 }, threshold: 1000, mode: .linear, flush: false, isOutput: true)
        return IntegerModel(layers: [conv, pool, fc, out], wBits: 8, inputBits: 4)
    }

    static func inputs(seed: UInt64, count: Int) -> [[Int32]] {
        var rng = SplitMix64(seed: seed ^ 0xC0)
        return (0 ..< count).map { _ in (0 ..< 128).map { _ in rng.chance(0.5) ? 0 : Int32(rng.next() % 16) } }
    }

    static let pe = PEConfig(neurons: 128, lanes: 4, weightRows: 256, inFIFODepth: 2, spikeFIFODepth: 2, outFIFODepth: 2, routerBufferDepth: 2)

    static func compile(_ m: IntegerModel, _ policy: PlacementPolicy, mesh: (Int, Int) = (3, 3)) throws -> SystemPlan {
        try Compiler.compile(m, CompileOptions(cols: mesh.0, rows: mesh.1, policy: policy, pe: pe))
    }

    static func run<D: HostPortDevice>(_ d: inout SystemDriver<D>, _ m: IntegerModel, _ inputs: [[Int32]], seed: UInt64) throws -> [Inference] {
        let engine = IntegerEngine(m)
        var out: [Inference] = []
        for (k, levels) in inputs.enumerated() {
            let got = try d.infer(levels: levels)
            let want = engine.trace(levels: levels)
            #expect(got.logits == want.logits, "image \(k): logits \(got.logits), integer model \(want.logits) (seed \(seed), cycle \(d.cycle))")
            out.append(got)
        }
        return out
    }

    @Test(arguments: zip([PlacementPolicy.fill, .spread], [NeuronMode.relu, .reluFloor]))
    func modelBackdoorAndPackets(_ policy: PlacementPolicy, _ mode: NeuronMode) throws {
        let seed = Lockstep.seed(default: 0xC0B5)
        let m = Self.model(seed: seed, mode: mode, poolTheta: mode == .relu ? 3 : 1)
        let plan = try Self.compile(m, policy)
        #expect(plan.system.pe.maxKernel == 3)
        let images = SystemImages(plan: plan, model: m)
        let inputs = Self.inputs(seed: seed, count: 5)
        var back = SystemDriverTests.modelDriver(plan, backdoor: images)
        let a = try Self.run(&back, m, inputs, seed: seed)
        var pk = SystemDriverTests.modelDriver(plan, backdoor: nil)
        _ = try pk.load(images)
        let b = try Self.run(&pk, m, inputs, seed: seed)
        #expect(a == b, "packets and backdoor loading must give identical results and timing (seed \(seed))")
        #expect(a.map { $0.spikesPerLayer[0] }.reduce(0, +) > 0, "the conv layer must spike")
    }

    /// The Verilated conv system, loaded by packets and by the backdoor, gives exactly the
    /// model's inferences: logits, spike counts and every phase's cycle count.
    @Test func verilatorMatchesModel() throws {
        let seed = Lockstep.seed(default: 0xC0DE)
        let m = Self.model(seed: seed)
        let plan = try Self.compile(m, .spread)
        let images = SystemImages(plan: plan, model: m)
        let inputs = Self.inputs(seed: seed, count: 3)
        var md = SystemDriverTests.modelDriver(plan, backdoor: images)
        let want = try Self.run(&md, m, inputs, seed: seed)

        let (a, b) = try SystemDriverTests.verilatorRuns(plan, images, name: "conv-system-test") { try Self.run(&$0, m, inputs, seed: seed) }
        #expect(a == want, "Verilator (backdoor) and the cycle model differ (seed \(seed))")
        #expect(b == want, "Verilator (packets) and the cycle model differ (seed \(seed))")
    }
}
