import ArgumentParser
import Foundation
import SpikeForgeCore
import Testbench

/// `spikeforge report ...`: measured co-design trade-offs.
public struct Report: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Measured co-design reports.", subcommands: [NeuronReport.self, PEReport.self, FPGAReportCommand.self])
    public init() {}
}

/// `spikeforge report neuron`: spikes, redundant spikes and accuracy of each neuron mode on a
/// random dense layer driven by realistic inputs, and the Yosys cell count of each mode's unit.
public struct NeuronReport: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "neuron",
        abstract: "Spikes per unit of |x|/θ, redundant spikes and Yosys cells for each neuron mode."
    )

    @Option(help: "MNIST directory (the four IDX files, raw or .gz). Without it, built-in synthetic images are used.")
    var data: String?
    @Option(parsing: .unconditional, help: "Images to run.") var images: Int = 100
    @Option(parsing: .unconditional, help: "Neurons in the random dense layer.") var neurons: Int = 64
    @Option(parsing: .unconditional, help: "Seed for weights, biases and synthetic images.") var seed: UInt64 = 1
    @Flag(help: "Skip the Yosys cell counts.") var noSynth = false

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if images < 1 { p.append("--images: got \(images), expected at least 1") }
        if neurons < 1 || neurons > 4096 { p.append("--neurons: got \(neurons), expected 1...4096") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let (inputs, source) = try NeuronMeasurement.inputs(data: data, images: images, seed: seed)
        let result = try NeuronMeasurement.measure(inputs: inputs, neurons: neurons, seed: seed, synth: !noSynth)
        print("neuron report: random dense layer \(inputs.first?.count ?? 0)-\(neurons), 8-bit weights, θ = \(result.theta); inputs: \(source)")
        print("input encoding: level = pixel >> 4, delivered as that many +1 spikes in raster order\n")
        print(Self.render(result.rows))
        print("\nspikes/(|x|/θ): spikes emitted per unit of |x|/θ; redundant: spikes - |z| per neuron and image;")
        print("exact: z equals the integer ANN activation (or lies within |z - a| < 1 where no exact value is promised);")
        print("cells: Yosys generic synth of one NeuronUnit at the default widths (\(NeuronConfig.defaultConfig.suffixDescription)).")
    }

    static func render(_ rows: [NeuronReportRow]) -> String {
        var t = [["mode", "spikes", "sum |x|/θ", "spikes/(|x|/θ)", "redundant", "exact", "mean |z-a|", "saturated", "cells"]]
        for r in rows {
            if r.samples == 0 {
                t.append([r.label, "", "", "", "", "", "", "", r.cells.map(String.init) ?? "-"])
                continue
            }
            t.append([
                r.label, "\(r.spikes)", String(format: "%.0f", r.work), String(format: "%.3f", Double(r.spikes) / max(r.work, 1e-9)),
                String(format: "%.3f", Double(r.redundant) / Double(r.samples)), String(format: "%.1f%%", 100 * Double(r.exact) / Double(r.samples)),
                String(format: "%.3f", r.absError / Double(r.samples)), "\(r.saturated)", r.cells.map(String.init) ?? "-",
            ])
        }
        return Table.render(t)
    }
}

extension NeuronConfig {
    var suffixDescription: String { "w\(wBits) v\(vBits) z\(zBits) θ\(thresholdBits) m\(multiplicityBits)" }
}
