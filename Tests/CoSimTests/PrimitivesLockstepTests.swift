import CoSim
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// Every primitive: its Swift cycle model against its Verilated RTL, on seeded random stimulus,
/// across a sweep of widths and depths. At least 100,000 cycles per primitive, zero mismatches.
@Suite struct PrimitivesLockstepTests {
    static let cyclesPerConfig = 40_000

    @Test(arguments: PrimitiveSweep.adders)
    func satAdder(_ c: SatAdderConfig) throws {
        var model = SatAdderModel(c)
        var rtl = try TestSupport.build(try SatAdderGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xADD), configuration: "\(c)") { rng, _, f in
            f[0] = TestSupport.signedCorner(&rng, width: c.aWidth)
            f[1] = TestSupport.signedCorner(&rng, width: c.bWidth)
        }
    }

    @Test(arguments: PrimitiveSweep.accumulators)
    func accumulator(_ c: AccumulatorConfig) throws {
        var model = AccumulatorModel(c)
        var rtl = try TestSupport.build(try AccumulatorGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xACC), configuration: "\(c)") { rng, cycle, f in
            f.set(0, cycle < 2 || rng.chance(0.002))
            f.set(1, rng.chance(0.03))
            f[2] = TestSupport.signedCorner(&rng, width: c.accWidth)
            f.set(3, rng.chance(0.8))
            // Long runs of one sign drive the accumulator into saturation and back.
            let phase = (cycle / 500) % 3
            let x = TestSupport.signedCorner(&rng, width: c.inWidth)
            let neg = Bits.signExtend(x, width: c.inWidth) < 0
            f[4] = phase == 2 || (phase == 0) != neg ? x : Bits.raw((0 &- Bits.signExtend(x, width: c.inWidth)) / 2, width: c.inWidth)
        }
    }

    @Test(arguments: PrimitiveSweep.fifos)
    func fifo(_ c: FIFOConfig) throws {
        var model = FIFOModel(c)
        var rtl = try TestSupport.build(try FIFOGenerator.design(c))
        var pIn = 0.5, pOut = 0.5
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xF1F0), configuration: "\(c)") { rng, cycle, f in
            // Phases of filling, draining and balance, so full and empty are both hit often.
            if cycle % 256 == 0 {
                let ps = [0.05, 0.5, 0.95]
                pIn = ps[Int(rng.next() % 3)]
                pOut = ps[Int(rng.next() % 3)]
            }
            f.set(0, cycle < 2 || rng.chance(0.001))
            f.set(1, rng.chance(pIn))
            f.setWide(2, (0 ..< 3).map { _ in rng.next() })
            f.set(3, rng.chance(pOut))
        }
    }

    @Test(arguments: PrimitiveSweep.srams)
    func sram(_ c: SRAMConfig) throws {
        var model = SRAMModel(c)
        var rtl = try TestSupport.build(try SRAMGenerator.design(c))
        let hot = (0 ..< 3).map { $0 % c.depth }
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0x5AA), configuration: "\(c)") { rng, _, f in
            // Most accesses go to a few hot addresses, so same-address read/write collisions happen.
            func addr() -> UInt64 { rng.chance(0.6) ? UInt64(hot[Int(rng.next() % 3)]) : rng.next() % UInt64(c.depth) }
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

    @Test(arguments: PrimitiveSweep.arbiters)
    func arbiter(_ c: ArbiterConfig) throws {
        var model = ArbiterModel(c)
        var rtl = try TestSupport.build(try ArbiterGenerator.design(c))
        var density = 0.5
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xA4B), configuration: "\(c)") { rng, cycle, f in
            if cycle % 128 == 0 { density = [0.05, 0.3, 0.9][Int(rng.next() % 3)] }
            f.set(0, cycle < 2 || rng.chance(0.001))
            var req: UInt64 = 0
            for i in 0 ..< c.requesters where rng.chance(density) { req |= 1 << UInt64(i) }
            f[1] = req
            f.set(2, rng.chance(0.7))
        }
    }
}
