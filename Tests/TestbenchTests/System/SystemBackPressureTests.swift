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

/// The host protocol under back-pressure (docs/SYSTEM.md, "Why the order holds"): every phase
/// that depends on the one before waits for quiescence (`busy` low in a cycle that offers
/// nothing) or for every read response, so random stalls change the cycle counts and nothing
/// else. The host's output (`host_out_ready`) stalls at random on the model and the Verilated
/// system, which must stay cycle-identical; on the model every tile's ejection and injection
/// links stall at random as well. Every image must equal the integer model.
@Suite struct SystemBackPressureTests {
    /// Stall probabilities: a run of up to 8 stalled cycles starts with this probability.
    static let hostStall = 0.3, linkStall = 0.3

    @Test(arguments: [PlacementPolicy.fill, .spread])
    func modelUnderRandomStallsEverywhere(_ policy: PlacementPolicy) throws {
        let seed = Lockstep.seed(default: policy == .fill ? 0xBAC0 : 0xBAC1)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, policy)
        let images = SystemImages(plan: plan, model: m)
        let inputs = SystemDriverTests.inputs(seed: seed, count: 12)
        var free = SystemDriverTests.modelDriver(plan, backdoor: images)
        let want = try SystemDriverTests.run(&free, m, inputs, seed: seed)

        var model = SystemModel(plan.system)
        model.stallLinks(probability: Self.linkStall, seed: seed &+ 1)
        var d = SystemDriver(model, plan: plan)
        d.hostStall = RandomStall(probability: Self.hostStall, seed: seed &+ 2)
        d.powerOnReset()
        try d.load(images)  // configuration packets under the same stalls
        let got = try SystemDriverTests.run(&d, m, inputs, seed: seed)
        for k in inputs.indices {
            #expect(got[k].logits == want[k].logits && got[k].spikesPerLayer == want[k].spikesPerLayer,
                    "image \(k): stalled \(got[k].logits), unstalled \(want[k].logits) (seed \(seed), cycle \(d.cycle))")
        }
        let slow = got.map(\.totalCycles).reduce(0, +), fast = want.map(\.totalCycles).reduce(0, +)
        #expect(slow > fast + fast / 4, "the stalls must slow the run down: \(slow) against \(fast) cycles (seed \(seed))")
    }

    /// The Verilated system with the host's output stalled at random: the same inferences, cycle
    /// for cycle, as the model under the same stalls, and the integer model's logits.
    @Test func verilatorUnderRandomHostStalls() throws {
        let seed = Lockstep.seed(default: 0xBAC2)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, .spread)
        let images = SystemImages(plan: plan, model: m)
        let inputs = SystemDriverTests.inputs(seed: seed, count: 6)
        func stalled<D: HostPortDevice>(_ device: D) throws -> ([Inference], Int) {
            var d = SystemDriver(device, plan: plan)
            d.hostStall = RandomStall(probability: Self.hostStall, seed: seed &+ 2)
            d.powerOnReset()
            try d.load(images)
            return (try SystemDriverTests.run(&d, m, inputs, seed: seed), d.cycle)
        }
        let (want, cycles) = try stalled(SystemModel(plan.system))
        let (got, _) = try stalled(try TestSupport.build(try SystemGenerator.design(plan.system)))
        #expect(got == want, "Verilator and the model differ under the same host stalls (seed \(seed), \(cycles) cycles)")
    }
}
