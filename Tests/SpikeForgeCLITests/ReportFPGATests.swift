import ArgumentParser
import EDATools
import Foundation
import SpikeForgeCLI
import Testbench
import Testing

/// `spikeforge report fpga` on the smallest clocked block, through the real YoWASP Yosys and
/// nextpnr-ecp5 that `tools/setup` installs: the figures agree with each other and repeat.
@Suite(.serialized) struct ReportFPGATests {
    @Test func theNeuronPlacesAndRoutesOnECP5() throws {
        let target = ECP5Target(device: "85k", targetMHz: 100, seed: 1)
        let m = try FPGAMeasurement.measure(.neuron, target: target)
        let r = m.ecp5
        #expect(r.part == "LFE5U-85F")
        #expect(r.top.hasPrefix("NeuronArray_n4"))
        // The neuron array has registers and multiplies s·m·w: both must be placed.
        #expect(r.flipFlops > 0 && r.flipFlops == r.cellTypes["TRELLIS_FF"], "\(r.flipFlops) FFs placed, \(r.cellTypes["TRELLIS_FF"] ?? -1) synthesized")
        #expect(r.dsps == (r.cellTypes["MULT18X18D"] ?? 0))
        #expect(r.blockRAMs == 0, "no memory in the neuron array")
        #expect(r.logicCells >= r.cellTypes["LUT4"] ?? 0, "every LUT4 is a placed logic cell")
        #expect(r.utilisation["TRELLIS_COMB"]?.available == 83640, "an LFE5U-85F has 83,640 LUT4s")
        let fmax = try #require(r.fmaxMHz)
        #expect(fmax > 10 && fmax < 500, "Fmax \(fmax) MHz")
        let path = try #require(r.criticalPath)
        // nextpnr's Fmax is the inverse of its slowest path.
        #expect(abs(1000 / path.totalNs - fmax) / fmax < 0.02, "critical path \(path.totalNs) ns against Fmax \(fmax) MHz")
        #expect(path.logicLevels > 0 && path.routingNs > 0)
        #expect(m.genericCells > 0)

        // The placer seed fixes every figure: a second run repeats the first.
        let again = try FPGAMeasurement.measure(.neuron, target: target)
        #expect(again.ecp5 == r)

        let text = FPGAReportCommand.render([m])
        #expect(text.contains("neuron") && text.contains(String(format: "%.1f", fmax)) && text.contains("critical path"))
    }

    @Test func badFlagsAreListedTogether() {
        do {
            _ = try SpikeForge.parseAsRoot(["report", "fpga", "--block", "cpu", "--device", "12k", "--freq", "0", "--seed", "0", "--package", "x y"])
            Issue.record("accepted bad flags")
        } catch {
            let text = SpikeForge.fullMessage(for: error)
            for part in ["--block: got 'cpu'", "--device: got '12k'", "--freq: got 0.0", "--seed: got 0", "--package: got 'x y'"] {
                #expect(text.contains(part), "\(text)")
            }
        }
    }
}
