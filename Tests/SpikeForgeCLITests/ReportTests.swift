import Foundation
import SpikeForgeCLI
import SpikeForgeCore
import Testing

/// `spikeforge report neuron` runs end to end and fails on unreadable data (its figures are
/// tested in TestbenchTests/Neuron/NeuronMeasurementTests).
@Suite struct ReportTests {
    @Test func neuronReportRuns() {
        #expect(runCLI(["report", "neuron", "--images", "2", "--neurons", "4", "--no-synth"]) == nil)
    }

    @Test func neuronReportFailsOnMissingData() throws {
        var cmd = try SpikeForge.parseAsRoot(["report", "neuron", "--data", "/nonexistent"])
        #expect(throws: Error.self) { try cmd.run() }
    }
}
