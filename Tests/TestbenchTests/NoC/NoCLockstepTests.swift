import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// Router and mesh cycle models against their Verilated RTL under random unicast, multicast and
/// host traffic with random back-pressure: 1×1, 2×2, 2×3 (one queue per input), 3×5 and 8×8
/// meshes and a lone router with split and single queues: 1,430,000 router-cycles, every output
/// compared every cycle.
@Suite struct NoCLockstepTests {
    @Test(arguments: [true, false])
    func loneRouter(_ split: Bool) throws {
        let c = RouterConfig(cols: 4, rows: 4, flitWidth: 70, bufferDepth: 3, splitQueues: split)
        var model = RouterModel(c, x: 2, y: 1)
        var rtl = try TestSupport.build(try RouterGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: 60_000, seed: Lockstep.seed(default: 0x2007), configuration: "\(c) at (2,1)", stimulus: Stimulus.router(c, x: 2, y: 1))
    }

    static let meshes: [(MeshConfig, Int)] = [
        (.init(cols: 1, rows: 1, flitWidth: 32, bufferDepth: 2), 60_000),
        (.init(cols: 2, rows: 2, flitWidth: 64, bufferDepth: 2), 60_000),
        (.init(cols: 2, rows: 3, flitWidth: 64, bufferDepth: 3, splitQueues: false), 40_000),
        (.init(cols: 3, rows: 5, flitWidth: 40, bufferDepth: 4), 30_000),
        (.init(cols: 8, rows: 8, flitWidth: 32, bufferDepth: 4), 5_000),
    ]

    @Test(arguments: 0 ..< meshes.count)
    func mesh(_ k: Int) throws {
        let (c, cycles) = Self.meshes[k]
        var model = MeshModel(c)
        var rtl = try TestSupport.build(try MeshGenerator.design(c))
        try Lockstep.run(reference: &model, dut: &rtl, cycles: cycles, seed: Lockstep.seed(default: 0x3E5 + UInt64(k)), configuration: "\(c)", batch: 1024, stimulus: Stimulus.mesh(c))
    }
}
