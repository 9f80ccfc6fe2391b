import ArgumentParser
import Datasets
import Foundation
import NIR
import SpikeForgeCore
import Trainer

/// `spikeforge nir`: NIR graphs (HDF5) in and out (docs/NIR.md).
public struct NIRCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "nir",
        abstract: "Import a NIR graph (snnTorch, Norse, Sinabs, Rockpool, Lava-dl...) as a SpikeForge model, or export a model as NIR.",
        subcommands: [NIRImportCommand.self, NIRExportCommand.self]
    )
    public init() {}
}

struct NIRImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Map a NIR graph to SpikeForge's integer model, quantize it, and write a model directory."
    )

    @Argument(help: "The NIR file (HDF5, as nir.write makes it).") var file: String
    @Option(help: "Output model directory (replaced as a whole).") var out: String
    @Option(help: "Dataset directory (MNIST IDX or .npy files): the training split calibrates the weight clipping, the test split measures accuracy. Without it, each layer is scaled by its largest weight and no accuracy is measured.")
    var calibrate: String?
    @Option(name: .customLong("calibration-images"), parsing: .unconditional, help: "Training images used for calibration.") var calibrationImages: Int = 500
    @Option(name: .customLong("test-limit"), parsing: .unconditional, help: "Use only the first N test images for the accuracy report.") var testLimit: Int?
    @Option(name: .customLong("w-bits"), parsing: .unconditional, help: "Signed weight width.") var wBits: Int?
    @Option(name: .customLong("input-bits"), parsing: .unconditional, help: "Input levels: pixel >> (8 - input-bits).") var inputBits: Int?
    @Option(parsing: .unconditional, help: "Time steps the graph sees each input for (default: the file's spikeforge_timesteps, else 2^input-bits - 1).")
    var timesteps: Int?
    @Option(help: "Leaky neurons (LIF/CubaLIF with a finite τ): refuse, or ignore the leak and map them to IF.") var leak: String = "refuse"

    init() {}

    func validate() throws {
        var p: [String] = []
        if let w = wBits, !(2 ... 16).contains(w) { p.append("--w-bits: got \(w), expected 2...16") }
        if let b = inputBits, !(1 ... 8).contains(b) { p.append("--input-bits: got \(b), expected 1...8") }
        if let t = timesteps, !(1 ... 1_000_000).contains(t) { p.append("--timesteps: got \(t), expected 1...1000000") }
        if !(1 ... 60000).contains(calibrationImages) { p.append("--calibration-images: got \(calibrationImages), expected 1...60000") }
        if let n = testLimit, n < 1 { p.append("--test-limit: got \(n), expected at least 1") }
        if NIRImportOptions.Leak(rawValue: leak) == nil { p.append("--leak: got '\(leak)', expected refuse or ignore") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    func run() throws {
        var options = NIRImportOptions()
        let graph = try NIRGraph.read(file)
        // Widths recorded by `nir export`, checked like the flags.
        func meta(_ k: String, _ range: ClosedRange<Int>) throws -> Int? { try graph.metadataInteger(k, in: range)?.get() }
        options.wBits = try wBits ?? meta("spikeforge_w_bits", 2 ... 16) ?? 8
        options.inputBits = try inputBits ?? meta("spikeforge_input_bits", 1 ... 8) ?? 4
        options.timesteps = timesteps
        options.leak = NIRImportOptions.Leak(rawValue: leak)!
        let (train, test) = try calibrate.map { dir throws in
            (try ImageSet.load(directory: dir, split: "train", limit: calibrationImages), try ImageSet.load(directory: dir, split: "t10k", limit: testLimit))
        } ?? (nil, nil)
        let imported = try NIRImport.map(graph, path: file, options: options, calibration: train)
        print("NIR \(graph.version) graph \(file): \(graph.nodes.count) nodes, \(graph.edges.count) edges → \(imported.model.architecture), wBits \(options.wBits), inputBits \(options.inputBits)")
        print("semantics: event counts (docs/NIR.md); the input is presented for T = \(imported.timesteps) steps, each bias counts T times")
        let width = imported.reports.map(\.node.count).max() ?? 4
        for r in imported.reports {
            print("  \(r.node.padding(toLength: width, withPad: " ", startingAt: 0))  \(r.type.padding(toLength: 9, withPad: " ", startingAt: 0))  \(r.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))  \(r.note)")
        }
        let counts = Dictionary(grouping: imported.reports, by: \.status).mapValues(\.count)
        print("nodes: \(counts[.exact] ?? 0) exact, \(counts[.approximated] ?? 0) approximated, \(counts[.unsupported] ?? 0) unsupported")
        for s in imported.scales { print("  quantization \(s.layer): scale \(String(format: "%.6g", s.scale)) (\(s.how))") }
        var accuracy: ModelManifest.Accuracy?
        var ranges: [LayerRange]?
        if let test {
            try imported.model.architecture.check(test)
            let e = IntegerEngine(imported.model).evaluate(test)
            let f = imported.float.accuracy(test)
            print(String(format: "accuracy on %@ (%d images): float graph %.2f%%, integer model %.2f%%", test.source, test.count, 100 * f, 100 * e.accuracy))
            accuracy = ModelManifest.Accuracy(dataset: test.source, images: test.count, integerModel: e.accuracy)
            ranges = e.ranges
        } else {
            print("no --calibrate data: weights scaled by each layer's largest |w|; accuracy not measured")
        }
        try ModelFile.save(imported.model, to: URL(fileURLWithPath: out), accuracy: accuracy, ranges: ranges)
        print("wrote \(out)")
    }
}

struct NIRExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a SpikeForge model as a NIR graph (readable by nir.read; `nir import` gives the same integer model back)."
    )

    @Option(help: "Model directory.") var model: String
    @Option(help: "Output NIR file (written beside and renamed).") var out: String

    init() {}

    func run() throws {
        let (m, _) = try ModelFile.load(URL(fileURLWithPath: model))
        let g = try NIRExport.graph(m)
        try NIRExport.write(g, to: out)
        print("wrote \(out): NIR \(g.version), \(g.nodes.count) nodes (\(m.architecture)), T = \((1 << m.inputBits) - 1) steps per input level")
    }
}
