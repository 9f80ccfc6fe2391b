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

/// The batched host loop (`HostPortDevice.runHost`: `SystemModel.hostCycle` on the model,
/// `sf_host_run` inside the Verilated library) against the generic one, a port frame per cycle
/// through `run(cycles: 1, …)` as the host ran before: the same load cycles, the same
/// `Inference` (every field) for every image, the same cycle count at the end.
@Suite struct SystemHostLoopTests {
    /// Hides an engine's own host loop: only `ClockedDevice.run` and the generic `runHost`.
    struct PerCycle<D: ClockedDevice>: HostPortDevice {
        var device: D
        var inputLayout: PortLayout { device.inputLayout }
        var outputLayout: PortLayout { device.outputLayout }
        mutating func run(cycles: Int, inputs: UnsafeBufferPointer<UInt64>, outputs: UnsafeMutableBufferPointer<UInt64>) {
            device.run(cycles: cycles, inputs: inputs, outputs: outputs)
        }
    }

    static func run<D: HostPortDevice>(_ device: D, _ plan: SystemPlan, _ m: IntegerModel, _ images: SystemImages, _ inputs: [[Int32]], seed: UInt64)
        throws -> (load: Int, inferences: [Inference], cycle: Int) {
        var d = SystemDriver(device, plan: plan)
        d.powerOnReset()
        let load = try d.load(images)
        let got = try SystemDriverTests.run(&d, m, inputs, seed: seed)
        return (load, got, d.cycle)
    }

    @Test(arguments: [PlacementPolicy.fill, .spread])
    func modelBatchedEqualsPerCycle(_ policy: PlacementPolicy) throws {
        let seed = Lockstep.seed(default: 0x4057)
        let m = SystemDriverTests.model(seed: seed, mode: policy == .fill ? .relu : .reluFloor)
        let plan = try SystemDriverTests.compile(m, policy)
        let images = SystemImages(plan: plan, model: m), inputs = SystemDriverTests.inputs(seed: seed, count: 20)
        let batched = try Self.run(SystemModel(plan.system), plan, m, images, inputs, seed: seed)
        let perCycle = try Self.run(PerCycle(device: SystemModel(plan.system)), plan, m, images, inputs, seed: seed)
        #expect(batched.load == perCycle.load && batched.cycle == perCycle.cycle, "seed \(seed)")
        #expect(batched.inferences == perCycle.inferences, "the batched host loop changed an inference on the model (seed \(seed))")
    }

    @Test func verilatorBatchedEqualsPerCycle() throws {
        let seed = Lockstep.seed(default: 0x4058)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, .spread)
        let images = SystemImages(plan: plan, model: m), inputs = SystemDriverTests.inputs(seed: seed, count: 12)
        let design = try SystemGenerator.design(plan.system)
        let batched = try Self.run(try TestSupport.build(design), plan, m, images, inputs, seed: seed)
        let perCycle = try Self.run(PerCycle(device: try TestSupport.build(design)), plan, m, images, inputs, seed: seed)
        let model = try Self.run(SystemModel(plan.system), plan, m, images, inputs, seed: seed)
        #expect(batched.load == perCycle.load && batched.cycle == perCycle.cycle, "seed \(seed)")
        #expect(batched.inferences == perCycle.inferences, "the shim's host loop changed an inference (seed \(seed))")
        #expect(batched.inferences == model.inferences && batched.cycle == model.cycle, "Verilator and the model differ (seed \(seed))")
    }

    /// The shim returns early when its receive buffer is full; the Swift side must go on exactly
    /// where it stopped (read-back with more responses than the buffer holds).
    @Test func verilatorSmallReceiveBuffer() throws {
        let seed = Lockstep.seed(default: 0x4059)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, .spread)
        let images = SystemImages(plan: plan, model: m), inputs = SystemDriverTests.inputs(seed: seed, count: 4)
        let design = try SystemGenerator.design(plan.system)
        let small = try TestSupport.build(design)
        small.hostBufferFlits = 1
        let a = try Self.run(small, plan, m, images, inputs, seed: seed)
        let b = try Self.run(PerCycle(device: try TestSupport.build(design)), plan, m, images, inputs, seed: seed)
        #expect(a.load == b.load && a.inferences == b.inferences && a.cycle == b.cycle, "seed \(seed)")
    }
}
