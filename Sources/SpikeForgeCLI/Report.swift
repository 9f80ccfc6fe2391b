import ArgumentParser
import Datasets
import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import Testbench
import VerilogEmitter

/// `spikeforge report ...`: measured co-design trade-offs.
public struct Report: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Measured co-design reports.", subcommands: [NeuronReport.self, PEReport.self])
    public init() {}
}

/// One row of the neuron report.
public struct NeuronReportRow: Sendable {
    public var label: String
    public var mode: NeuronMode
    public var flush: Bool
    public var spikes = 0
    /// Σ |x| / θ over every neuron and image.
    public var work = 0.0
    /// Σ (spikes − |z|).
    public var redundant = 0
    /// Neurons whose final z equals the integer ANN activation (exact modes) or lies within the
    /// |z − a| < 1 bound (relu and linear without flush).
    public var exact = 0
    public var samples = 0
    /// Σ |z − a| with a the real-valued activation (max(0, x/θ) or x/θ).
    public var absError = 0.0
    public var saturated = 0
    public var cells: Int?
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
    @Option(help: "Images to run.") var images: Int = 100
    @Option(help: "Neurons in the random dense layer.") var neurons: Int = 64
    @Option(help: "Seed for weights, biases and synthetic images.") var seed: UInt64 = 1
    @Flag(help: "Skip the Yosys cell counts.") var noSynth = false

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if images < 1 { p.append("--images: got \(images), expected at least 1") }
        if neurons < 1 || neurons > 4096 { p.append("--neurons: got \(neurons), expected 1...4096") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let (inputs, source) = try Self.inputs(data: data, images: images, seed: seed)
        let result = try Self.measure(inputs: inputs, neurons: neurons, seed: seed, synth: !noSynth)
        print("neuron report: random dense layer \(inputs.first?.count ?? 0)-\(neurons), 8-bit weights, θ = \(result.theta); inputs: \(source)")
        print("input encoding: level = pixel >> 4, delivered as that many +1 spikes in raster order\n")
        print(Self.render(result.rows))
        print("\nspikes/(|x|/θ): spikes emitted per unit of |x|/θ; redundant: spikes - |z| per neuron and image;")
        print("exact: z equals the integer ANN activation (or lies within |z - a| < 1 where no exact value is promised);")
        print("cells: Yosys generic synth of one NeuronUnit at the default widths (\(NeuronConfig.defaultConfig.suffixDescription)).")
    }

    /// Inputs as pixel vectors, and a description of where they came from.
    public static func inputs(data: String?, images: Int, seed: UInt64) throws -> ([[UInt8]], String) {
        if let dir = data {
            let m = try ImageSet.mnist(directory: dir, split: "t10k", limit: images)
            return ((0 ..< m.count).map { Array(m.image($0)) }, "MNIST t10k, first \(m.count) images from \(dir)")
        }
        var rng = SplitMix64(seed: seed ^ 0x1D6)
        let imgs = (0 ..< images).map { _ in (0 ..< 784).map { _ in rng.chance(0.2) ? UInt8(1 + rng.next() % 255) : 0 } }
        return (imgs, "\(images) built-in synthetic images (20% of pixels lit, uniform intensity; seed \(seed))")
    }

    public static func measure(inputs: [[UInt8]], neurons: Int, seed: UInt64, synth: Bool) throws -> (theta: Int64, rows: [NeuronReportRow]) {
        let nIn = inputs.first?.count ?? 0
        var rng = SplitMix64(seed: seed)
        let w: [[Int64]] = (0 ..< neurons).map { _ in (0 ..< nIn).map { _ in Int64(rng.next() % 255) - 127 } }
        let levels = inputs.map { $0.map { Int64($0 >> 4) } }
        func x(_ img: Int, _ k: Int) -> Int64 { zip(w[k], levels[img]).reduce(0) { $0 + $1.0 * $1.1 } }
        // θ so that a typical |x| is about 4θ: a few spikes per neuron, as in a trained layer.
        let probe = (0 ..< min(20, inputs.count)).flatMap { i in (0 ..< neurons).map { abs(x(i, $0)) } }
        let theta = max(1, probe.reduce(0, +) / Int64(max(1, probe.count)) / 4)
        let bias = (0 ..< neurons).map { _ in Int64(rng.next() % UInt64(2 * theta + 1)) - theta }
        var rows: [NeuronReportRow] = [
            .init(label: "linear", mode: .linear, flush: false), .init(label: "linear + flush", mode: .linear, flush: true),
            .init(label: "relu", mode: .relu, flush: false), .init(label: "relu + flush", mode: .relu, flush: true),
            .init(label: "reluFloor", mode: .reluFloor, flush: false),
        ]
        for img in 0 ..< inputs.count {
            for k in 0 ..< neurons {
                let xk = bias[k] + x(img, k)
                for r in rows.indices {
                    var n = FunctionalNeuron(bias: bias[k], theta: theta, mode: rows[r].mode, vBits: 32, zBits: 32)
                    for (j, level) in levels[img].enumerated() where level > 0 {
                        for _ in 0 ..< level { n.input(sign: 1, weight: w[k][j]) }
                    }
                    if rows[r].flush { n.flush() }
                    rows[r].spikes += n.spikes.count
                    rows[r].redundant += n.spikes.count - Int(n.z.magnitude)
                    rows[r].work += Double(xk.magnitude) / Double(theta)
                    rows[r].samples += 1
                    if n.saturated { rows[r].saturated += 1 }
                    let real = rows[r].mode == .linear ? Double(xk) / Double(theta) : max(0, Double(xk) / Double(theta))
                    rows[r].absError += abs(Double(n.z) - real)
                    let ok = IntegerActivation.exact(xk, theta: theta, mode: rows[r].mode, flush: rows[r].flush).map { $0 == n.z }
                        ?? IntegerActivation.bounds(xk, theta: theta, mode: rows[r].mode).contains(n.z)
                    if ok { rows[r].exact += 1 }
                }
            }
        }
        if synth {
            for r in rows.indices {
                var c = NeuronConfig.defaultConfig
                c.mode = NeuronConfig.ModeSelect(rawValue: rows[r].mode.rawValue)!
                rows[r].cells = try unitCells(c)
            }
            var rt = NeuronReportRow(label: "runtime mode (all three)", mode: .linear, flush: false)
            rt.cells = try unitCells(NeuronConfig.defaultConfig)
            rows.append(rt)
        }
        return (theta, rows)
    }

    /// Yosys generic cells of one neuron unit.
    static func unitCells(_ c: NeuronConfig) throws -> Int {
        let unit = NeuronGenerator.unit(c)
        let design = Design(top: unit.name, modules: [unit])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string).filter { $0.name.hasSuffix(".v") }
        try AtomicOutput.write(files: files.map { ($0.name, Data($0.contents.utf8)) }, to: dir)
        return try Gates.synth(files: files.map { dir.appendingPathComponent($0.name) }, top: unit.name, expectedMemories: 0).cells
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
