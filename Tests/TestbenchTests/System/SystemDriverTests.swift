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

/// End to end on a small network: compile 16-12-4 onto a 2 x 2 mesh (both policies), build the
/// SRAM images, load them (packets or backdoor), run every test input on the cycle model and
/// the Verilated system, and compare every output potential with the trainer's integer model.
@Suite struct SystemDriverTests {
    /// A random 16-12-4 integer network: hidden `mode` (with the flush for `relu`), output layer.
    static func model(seed: UInt64, mode: NeuronMode = .reluFloor, hidden: Int = 12) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int64 { Int64(rng.next() % UInt64(n)) }
        let h = IntegerLayer(name: "fc1", inputs: 16, outputs: hidden, weights: (0 ..< 16 * hidden).map { _ in Int32(r(255) - 127) },
                             bias: (0 ..< hidden).map { _ in r(301) - 150 }, threshold: 100 + r(200), mode: mode, flush: mode == .relu, isOutput: false)
        let o = IntegerLayer(name: "fc2", inputs: hidden, outputs: 4, weights: (0 ..< hidden * 4).map { _ in Int32(r(255) - 127) },
                             bias: (0 ..< 4).map { _ in r(2001) - 1000 }, threshold: 1000, mode: .linear, flush: false, isOutput: true)
        return IntegerModel(layers: [h, o], wBits: 8, inputBits: 4)
    }

    static func inputs(seed: UInt64, count: Int) -> [[Int32]] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< count).map { _ in (0 ..< 16).map { _ in rng.chance(0.3) ? 0 : Int32(rng.next() % 16) } }
    }

    static let small = PEConfig(neurons: 32, lanes: 4, weightRows: 128, inFIFODepth: 2, spikeFIFODepth: 2, outFIFODepth: 2, routerBufferDepth: 2)

    static func compile(_ m: IntegerModel, _ policy: PlacementPolicy) throws -> SystemPlan {
        try Compiler.compile(m, CompileOptions(cols: 2, rows: 2, policy: policy, pe: small))
    }

    /// A powered-on driver over the cycle model, its SRAMs set by the backdoor when `images` are
    /// given (otherwise empty, for loading by packets).
    static func modelDriver(_ plan: SystemPlan, backdoor images: SystemImages?) -> SystemDriver<SystemModel> {
        var model = SystemModel(plan.system)
        if let images { model.load(images) }
        var d = SystemDriver(model, plan: plan)
        d.powerOnReset()
        return d
    }

    /// Runs every input, checks each against the integer model, returns the inferences.
    static func run<D: HostPortDevice>(_ d: inout SystemDriver<D>, _ m: IntegerModel, _ inputs: [[Int32]], seed: UInt64) throws -> [Inference] {
        let engine = IntegerEngine(m)
        var out: [Inference] = []
        for (k, levels) in inputs.enumerated() {
            let got = try d.infer(levels: levels)
            let want = engine.trace(levels: levels)
            #expect(got.logits == want.logits, "image \(k): logits \(got.logits), integer model \(want.logits) (seed \(seed), cycle \(d.cycle))")
            #expect(got.spikesPerLayer[1] == 0)
            out.append(got)
        }
        return out
    }

    @Test(arguments: [PlacementPolicy.fill, .spread], [NeuronMode.reluFloor, .relu])
    func modelBackdoorAndPackets(_ policy: PlacementPolicy, _ mode: NeuronMode) throws {
        let seed = Lockstep.seed(default: 0x5157)
        let m = Self.model(seed: seed, mode: mode)
        let plan = try Self.compile(m, policy)
        let images = SystemImages(plan: plan, model: m)
        let inputs = Self.inputs(seed: seed, count: 40)
        var back = Self.modelDriver(plan, backdoor: images)
        let a = try Self.run(&back, m, inputs, seed: seed)
        var pk = Self.modelDriver(plan, backdoor: nil)
        let loadCycles = try pk.load(images)
        #expect(loadCycles > 100)
        let b = try Self.run(&pk, m, inputs, seed: seed)
        #expect(a == b, "packets and backdoor loading must give identical results and timing (seed \(seed))")
        #expect(a.map(\.spikesPerLayer[0]).reduce(0, +) > 0, "the hidden layer must spike")
    }

    /// The Verilated system, loaded by packets and by the `$readmemh` backdoor, gives exactly
    /// the model's inferences: logits, spike counts and every phase's cycle count.
    @Test(arguments: [PlacementPolicy.fill, .spread])
    func verilatorMatchesModel(_ policy: PlacementPolicy) throws {
        let seed = Lockstep.seed(default: 0x7E57)
        let m = Self.model(seed: seed, mode: policy == .fill ? .relu : .reluFloor)
        let plan = try Self.compile(m, policy)
        let images = SystemImages(plan: plan, model: m)
        let inputs = Self.inputs(seed: seed, count: 25)
        var md = Self.modelDriver(plan, backdoor: images)
        let want = try Self.run(&md, m, inputs, seed: seed)

        let (a, b) = try Self.verilatorRuns(plan, images, name: "system-test-\(policy)") { try Self.run(&$0, m, inputs, seed: seed) }
        #expect(a == want, "Verilator (backdoor) and the cycle model differ (seed \(seed))")
        #expect(b == want, "Verilator (packets) and the cycle model differ (seed \(seed))")
    }

    /// More reads than tags: every part of every weight word of every tile (1,024 reads, 256
    /// tags). Each answer is the word the images hold, and the tags slide: the whole read takes
    /// about one round trip more than its requests, where batches of 256 would add one per batch.
    @Test func readsSlideTheirTagWindow() throws {
        let seed = Lockstep.seed(default: 0x7A65)
        let m = Self.model(seed: seed)
        let plan = try Self.compile(m, .spread)
        let images = SystemImages(plan: plan, model: m)
        let c = plan.system.pe, cols = plan.system.cols
        var reqs: [HostProgram.ReadRequest] = []
        // Tile after tile in turn: one tile answers a read every other cycle, the host port one per cycle.
        for w in 0 ..< c.weightRows {
            for p in 0 ..< c.parts(.weights) {
                for t in images.tiles.indices { reqs.append((x: t % cols, y: t / cols, memory: .weights, word: w, part: p)) }
            }
        }
        #expect(reqs.count > 3 * 256)
        var d = Self.modelDriver(plan, backdoor: images)
        let start = d.cycle
        _ = try d.read([reqs[reqs.count - 1]])
        let one = d.cycle - start
        let data = try d.read(reqs)
        let all = d.cycle - start - one
        let bad = reqs.indices.filter { i in
            let r = reqs[i], word = images.tiles[r.y * cols + r.x].words[.weights]![r.word]
            return data[i] != Bits.field(word[...], lo: r.part * c.partBits, width: c.partBits)
        }
        #expect(bad.isEmpty, "seed \(seed): \(bad.count) of \(reqs.count) reads differ from the images, first \(bad.prefix(5))")
        #expect(all <= reqs.count + 2 * one, "\(reqs.count) reads took \(all) cycles; one read takes \(one)")
    }

    /// Runs `run` on the Verilated system loaded by the `$readmemh` backdoor (the images as
    /// exported, at a fixed path named by `name` and the model digest, so the build is cached)
    /// and by configuration packets.
    static func verilatorRuns(_ plan: SystemPlan, _ images: SystemImages, name: String,
                              run: (inout SystemDriver<VerilatedModel>) throws -> [Inference]) throws -> (backdoor: [Inference], packets: [Inference]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-\(name)-\(plan.model.digest.prefix(16))")
        try images.write(to: dir, model: plan.model)
        let loaded = try SystemImages.load(from: dir, expected: plan.system, modelDigest: plan.model.digest)
        #expect(loaded == images)
        let design = try SystemGenerator.design(plan.system)
        var back = SystemDriver(try TestSupport.build(design, options: BuildOptions(parameters: SystemEngines.backdoorParameters(plan.system, imagesDir: dir))), plan: plan)
        back.powerOnReset()
        let a = try run(&back)
        var pk = SystemDriver(try TestSupport.build(design), plan: plan)
        pk.powerOnReset()
        try pk.load(images)
        return (a, try run(&pk))
    }
}
