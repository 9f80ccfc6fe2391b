import Foundation
import SpikeForgeCore
import Testbench
import Testing

/// The figures behind `spikeforge report neuron` are consistent: every mode keeps its promise,
/// the flush adds at most one spike per neuron, and the cell counts order as the hardware does.
@Suite struct NeuronMeasurementTests {
    @Test func figuresAreConsistent() throws {
        let (inputs, source) = try NeuronMeasurement.inputs(data: nil, images: 4, seed: 3)
        #expect(source.contains("synthetic") && inputs.count == 4 && inputs[0].count == 784)
        let r = try NeuronMeasurement.measure(inputs: inputs, neurons: 16, seed: 3, synth: true)
        #expect(r.theta > 0)
        let byLabel = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.label, $0) })
        for label in ["linear", "linear + flush", "relu", "relu + flush", "reluFloor"] {
            let row = try #require(byLabel[label])
            #expect(row.samples == 64)
            #expect(row.exact == row.samples, "\(label): every neuron meets its promise")
            #expect(row.redundant >= 0 && row.spikes >= row.redundant)
            #expect(row.saturated == 0)
            #expect((row.cells ?? 0) > 100)
        }
        // The flush adds at most one spike per neuron; reluFloor has no flush comparator.
        #expect(byLabel["relu + flush"]!.spikes - byLabel["relu"]!.spikes <= 64)
        #expect(byLabel["reluFloor"]!.cells! < byLabel["relu"]!.cells!)
        #expect(byLabel["runtime mode (all three)"]!.cells! >= byLabel["relu"]!.cells!)
    }

    @Test func mnistInputsReadTheData() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../shared/data/mnist").standardizedFileURL.path
        let (inputs, source) = try NeuronMeasurement.inputs(data: dir, images: 2, seed: 1)
        #expect(inputs.count == 2 && source.hasPrefix("MNIST t10k"))
    }
}
