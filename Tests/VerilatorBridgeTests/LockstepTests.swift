import VerilatorBridge
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// The harness itself must catch a difference and say where: a checker that cannot fail is no
/// checker.
@Suite struct LockstepTests {
    /// A FIFO model with one planted bug: from cycle `breakAt` on, it reports a wrong count.
    struct BrokenFIFO: CycleModel {
        var inner: FIFOModel
        var cycle = 0
        let breakAt: Int
        var inputLayout: PortLayout { inner.inputLayout }
        var outputLayout: PortLayout { inner.outputLayout }
        func outputs(_ i: PortValues) -> PortValues {
            var o = inner.outputs(i)
            if cycle >= breakAt && o[3] == 2 { o[3] = 3 }
            return o
        }
        mutating func step(_ i: PortValues) {
            inner.step(i)
            cycle += 1
        }
    }

    @Test func mismatchReportsSeedCycleConfigAndPorts() throws {
        let c = FIFOConfig(width: 8, depth: 4)
        var ref = BrokenFIFO(inner: FIFOModel(c), breakAt: 5_000)
        var rtl = try TestSupport.build(try FIFOGenerator.design(c))
        do {
            try Lockstep.run(reference: &ref, dut: &rtl, cycles: 20_000, seed: 42, configuration: "fifo w8 d4", batch: 1000) { rng, cycle, f in
                f.set(0, cycle < 2)
                f.set(1, rng.chance(0.5))
                f[2] = rng.bits(8)
                f.set(3, rng.chance(0.5))
            }
            Issue.record("the planted bug was not detected")
        } catch let m as LockstepMismatch {
            #expect(m.seed == 42)
            #expect(m.cycle >= 5_000 && m.cycle < 6_000)
            #expect(m.diffs.map(\.port) == ["count"])
            #expect(m.diffs[0].expected == "0x3" && m.diffs[0].got == "0x2")
            #expect(m.description.contains("lockstep mismatch at cycle \(m.cycle) (seed 42; re-run with SPIKEFORGE_SEED=42)"))
            #expect(m.description.contains("configuration: fifo w8 d4"))
        }
    }

    @Test func interfaceMismatchListsEveryProblem() throws {
        var ref = FIFOModel(.init(width: 8, depth: 4))
        var rtl = try TestSupport.build(try FIFOGenerator.design(.init(width: 9, depth: 4)))
        do {
            try Lockstep.run(reference: &ref, dut: &rtl, cycles: 10, seed: 1, configuration: "") { _, _, _ in }
            Issue.record("expected an interface error")
        } catch let e as LockstepInterfaceError {
            #expect(e.problems == ["input in_data: reference in_data[8], device in_data[9]", "output out_data: reference out_data[8], device out_data[9]"])
        }
    }

    @Test func twoModelsInLockstepAgree() throws {
        // The harness is generic: model against model works too (PyMTL3's multi-level tests).
        var a = ArbiterModel(.init(requesters: 4))
        var b = ArbiterModel(.init(requesters: 4))
        let r = try Lockstep.run(reference: &a, dut: &b, cycles: 1000, seed: 3, configuration: "") { rng, _, f in
            f[1] = rng.bits(4)
            f.set(2, rng.chance(0.5))
        }
        #expect(r.cycles == 1000)
    }
}
