import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testbench
import Testing
import VerilatorBridge

/// The neuron array's cycle model against its Verilated RTL over every mode and widths from the
/// smallest legal to 32 bits: 8 configurations x 130,000 cycles = 1,040,000 cycles, with
/// saturation corners, θ = 0 and θ = max, multiplicity 0, and back-pressure on the spikes.
@Suite struct NeuronLockstepTests {
    static let cyclesPerConfig = 130_000

    @Test(arguments: PrimitiveSweep.neurons)
    func neuronArray(_ c: NeuronConfig) throws {
        var model = NeuronArrayModel(c)
        var rtl = try TestSupport.build(try NeuronGenerator.design(c))
        let r = try Lockstep.run(reference: &model, dut: &rtl, cycles: Self.cyclesPerConfig, seed: Lockstep.seed(default: 0x5EED), configuration: "\(c)", stimulus: Stimulus.neuron(c))
        #expect(r.cycles == Self.cyclesPerConfig)
    }
}
