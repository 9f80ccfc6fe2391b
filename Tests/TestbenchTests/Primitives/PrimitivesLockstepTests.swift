import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// Every primitive: its Swift cycle model against its Verilated RTL, on seeded random stimulus
/// (`Stimulus`), across the sweep of widths and depths in `PrimitiveSweep`. Five to seven
/// configurations of 40,000 cycles each: at least 200,000 cycles per primitive, zero mismatches.
@Suite struct PrimitivesLockstepTests {
    static let cyclesPerConfig = 40_000

    @Test(arguments: PrimitiveSweep.adders)
    func satAdder(_ c: SatAdderConfig) throws {
        var model = SatAdderModel(c)
        var rtl = try TestSupport.build(try SatAdderGenerator.design(c))
        let r = try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xADD), configuration: "\(c)", stimulus: Stimulus.satAdder(c))
        #expect(r.cycles == Self.cyclesPerConfig)
    }

    @Test(arguments: PrimitiveSweep.accumulators)
    func accumulator(_ c: AccumulatorConfig) throws {
        var model = AccumulatorModel(c)
        var rtl = try TestSupport.build(try AccumulatorGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xACC), configuration: "\(c)", stimulus: Stimulus.accumulator(c))
    }

    @Test(arguments: PrimitiveSweep.fifos)
    func fifo(_ c: FIFOConfig) throws {
        var model = FIFOModel(c)
        var rtl = try TestSupport.build(try FIFOGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xF1F0), configuration: "\(c)", stimulus: Stimulus.fifo(c))
    }

    @Test(arguments: PrimitiveSweep.srams)
    func sram(_ c: SRAMConfig) throws {
        var model = SRAMModel(c)
        var rtl = try TestSupport.build(try SRAMGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0x5AA), configuration: "\(c)", stimulus: Stimulus.sram(c))
    }

    @Test(arguments: PrimitiveSweep.arbiters)
    func arbiter(_ c: ArbiterConfig) throws {
        var model = ArbiterModel(c)
        var rtl = try TestSupport.build(try ArbiterGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xA4B), configuration: "\(c)", stimulus: Stimulus.arbiter(c))
    }
}
