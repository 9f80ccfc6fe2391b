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

    static let adders: [SatAdderConfig] = [
        .init(aWidth: 2, bWidth: 2, outWidth: 2), .init(aWidth: 8, bWidth: 4, outWidth: 6), .init(aWidth: 16, bWidth: 8, outWidth: 16),
        .init(aWidth: 12, bWidth: 12, outWidth: 20), .init(aWidth: 64, bWidth: 64, outWidth: 64), .init(aWidth: 33, bWidth: 7, outWidth: 32),
    ]

    @Test(arguments: adders)
    func satAdder(_ c: SatAdderConfig) throws {
        var model = SatAdderModel(c)
        var rtl = try TestSupport.build(try SatAdderGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0xADD), configuration: "\(c)") { rng, _, f in
            f[0] = TestSupport.signedCorner(&rng, width: c.aWidth)
            f[1] = TestSupport.signedCorner(&rng, width: c.bWidth)
        }
    }

    static let accumulators: [AccumulatorConfig] = [
        .init(inWidth: 2, accWidth: 2), .init(inWidth: 8, accWidth: 12), .init(inWidth: 16, accWidth: 8),
        .init(inWidth: 32, accWidth: 32), .init(inWidth: 64, accWidth: 64),
    ]

    @Test(arguments: accumulators)
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

    static let fifos: [FIFOConfig] = [
        .init(width: 1, depth: 1), .init(width: 8, depth: 2), .init(width: 8, depth: 3), .init(width: 32, depth: 16),
        .init(width: 72, depth: 5), .init(width: 130, depth: 4),
    ]

    @Test(arguments: fifos)
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

    static let srams: [SRAMConfig] = [
        .init(width: 1, depth: 2, kind: .singlePort), .init(width: 8, depth: 16, kind: .singlePort), .init(width: 70, depth: 33, kind: .singlePort),
        .init(width: 8, depth: 2, kind: .simpleDualPort), .init(width: 16, depth: 100, kind: .simpleDualPort), .init(width: 64, depth: 256, kind: .simpleDualPort),
        .init(width: 100, depth: 8, kind: .simpleDualPort),
    ]

    @Test(arguments: srams)
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

    static let arbiters: [ArbiterConfig] = [.init(requesters: 2), .init(requesters: 3), .init(requesters: 5), .init(requesters: 8), .init(requesters: 64)]

    @Test(arguments: arbiters)
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
