import ArgumentParser
import Testbench
import Datasets
import Foundation
import Trainer

/// `spikeforge host-program`: writes what the standalone C++ testbench (`sim/system_tb.cpp`)
/// needs to run a design without Swift: `host.txt` and the input events of an image set.
public struct HostProgramCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "host-program",
        abstract: "Write host.txt and events.txt for the C++ testbench in sim/ (runs the RTL without Swift).",
        discussion: "The design directory comes from spikeforge export. See sim/README.md for the formats and the build."
    )

    @Option(help: "Design directory (from spikeforge export).") var design: String = "spikeforge-design"
    @Option(help: "MNIST directory (the t10k split is used) or .npy dataset directory (x_test.npy, y_test.npy). Without it, the built-in generated test digits.") var images: String?
    @Option(name: .customLong("generated-test"), parsing: .unconditional, help: "Generated test images (without --images).") var generatedTest: Int = 2000
    @Option(parsing: .unconditional, help: "Only the first N images.") var limit: Int?
    @Option(help: "Output directory for host.txt and events.txt.") var out: String

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if let l = limit, l < 1 { p.append("--limit: got \(l), expected at least 1") }
        if let e = DataOptions.generatedProblem(generatedTest, flag: "--generated-test") { p.append(e) }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let d = try DesignDir.open(URL(fileURLWithPath: design))
        let set = try DataOptions.testImages(images, generated: generatedTest, limit: limit)
        try d.model.architecture.check(set)
        let engine = IntegerEngine(d.model)
        let list = (0 ..< set.count).map { i in
            let levels = d.model.levels(set.image(i))
            return HostProgram.Image(label: Int(set.labels[i]), levels: levels, expected: engine.trace(levels: levels).logits)
        }
        let dir = URL(fileURLWithPath: out)
        try HostProgram.write(plan: d.plan, images: list, source: "\(set.source), \(set.count) images", to: dir)
        print("wrote \(dir.appendingPathComponent("host.txt").path) (\(d.plan.system.moduleName)) and \(dir.appendingPathComponent("events.txt").path) (\(set.count) images of \(set.source))")
        print("build and run (from the repository root): make -f sim/Makefile DESIGN=\(design) HOST=\(dir.path) run (sim/README.md)")
    }
}
