import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// The PE tile's cycle model against its Verilated RTL: random SRAM contents loaded through the
/// `$readmemh` backdoor on both sides, then random spike, configuration, read-back, reset and
/// flush packets on all four mesh ports with random back-pressure. Lanes 1, 2, 4 and 8, FIFOs of
/// 2 to 4 entries, flits of 56 and 64 bits: 1,000,000 tile-cycles; and kernel windows up to 3 and
/// 5 (`maxKernel`: random windows of 0 ... maxKernel, random strides): 300,000 more. Every output
/// every cycle.
@Suite struct PELockstepTests {
    static let configs: [(PEConfig, Int)] = [
        (PEConfig(neurons: 32, lanes: 1, layers: 3, axons: 64, weightRows: 256), 200_000),
        (PEConfig(neurons: 64, lanes: 2, layers: 4, axons: 128, weightRows: 512, weightWordBits: 24, accumulatedWeights: false, flitWidth: 56), 200_000),
        (PEConfig(neurons: 128, lanes: 4, axons: 256, weightRows: 1024, spikeFIFODepth: 2, outFIFODepth: 2, routerBufferDepth: 2), 200_000),
        (PEConfig(neurons: 64, lanes: 8, vBits: 18, zBits: 6, layers: 2, axons: 64, weightRows: 256), 200_000),
        (PEConfig.defaultConfig, 200_000),
        (PEConfig(neurons: 32, lanes: 4, layers: 2, axons: 64, weightRows: 256, spikeFIFODepth: 2, maxKernel: 3), 150_000),
        (PEConfig(neurons: 32, lanes: 1, vBits: 18, zBits: 6, layers: 3, axons: 128, weightRows: 512, flitWidth: 56, maxKernel: 5), 150_000),
    ]

    @Test(arguments: 0 ..< configs.count)
    func tile(_ k: Int) throws {
        let (c, cycles) = Self.configs[k]
        let (x, y) = (1, 2)
        let images = PEImages.random(c, seed: 0x5EED + UInt64(k), x: x)
        // A fixed path, so the Verilated build (keyed by its -G parameters) is reused.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-pe-lockstep-\(k)")
        let params = try images.writeHex(to: dir)
        var rtl = try TestSupport.build(try PEGenerator.design(c), options: .init(parameters: params))
        var model = PETileModel(c, x: x, y: y)
        images.load(into: &model.core)
        try Lockstep.run(reference: &model, dut: &rtl, cycles: cycles, seed: Lockstep.seed(default: 0x9E00 + UInt64(k)),
                         configuration: "\(c) at (\(x), \(y))", stimulus: Stimulus.peTile(c, x: x, y: y))
        // The run must have exercised the pipeline, not only the router.
        let n = model.core.counters
        #expect(n.synapticOps > 10_000, "synaptic operations: \(n.synapticOps)")
        #expect(n.spikesSent > 500, "spikes sent: \(n.spikesSent)")
        let configWrites = n.sramWrites.enumerated().filter { $0.offset != PEMemory.state.rawValue }.map(\.element).reduce(0, +)
        #expect(configWrites >= 5, "configuration writes: \(n.sramWrites)")
        #expect(n.rowOps > 1000, "row operations: \(n.rowOps)")
    }
}
