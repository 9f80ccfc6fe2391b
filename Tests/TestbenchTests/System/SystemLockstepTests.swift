import Compiler
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// `SystemModel` against the Verilated system, every output every cycle: a compiled 16-12-4
/// network in both placements loaded through the backdoor on both sides, driven by random host
/// traffic (input spikes, configuration writes, reads, resets, flushes, junk) with random
/// back-pressure from the host.
@Suite struct SystemLockstepTests {
    @Test(arguments: [PlacementPolicy.fill, .spread])
    func systemModelMatchesRTL(_ policy: PlacementPolicy) throws {
        let seed = Lockstep.seed(default: policy == .fill ? 0x5A5A : 0xA5A5)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, policy)
        let images = SystemImages(plan: plan, model: m)
        // A fixed path per network, so the build (keyed by the -G image paths) is cached.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-system-lockstep-\(policy)-\(plan.model.digest.prefix(16))")
        try images.write(to: dir, model: plan.model)
        var model = SystemModel(plan.system)
        model.load(images)
        var rtl = try TestSupport.build(try SystemGenerator.design(plan.system),
                                        options: BuildOptions(parameters: SystemEngines.backdoorParameters(plan.system, imagesDir: dir)))
        let r = try Lockstep.run(reference: &model, dut: &rtl, cycles: 60_000, seed: seed, configuration: try CanonicalJSON.encode(plan.system),
                                 stimulus: Stimulus.system(plan.system, axons: 16))
        #expect(r.cycles == 60_000)
        #expect(model.counters.synapticOps > 10_000, "the cores must have worked: \(model.counters.synapticOps) synaptic ops")
        #expect(model.mesh.flitHops > 1_000)
    }
}
