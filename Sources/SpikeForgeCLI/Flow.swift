import ArgumentParser
import Compiler
import EDATools
import Foundation
import Generators
import SpikeForgeCore
import Testbench
import Trainer

/// `spikeforge flow`: the main job. Train → export → generate → simulate: a SpikeGrad model, its
/// compilation onto the PE mesh with SRAM images, the system's RTL (linted), and the images run
/// on the cycle model and on the Verilated RTL, each checked against the integer model.
public struct Flow: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train, compile onto the PE mesh, generate the system RTL, and simulate it on the cycle model and Verilator.",
        discussion: """
        Without --data it runs on SpikeForge's generated digits (784-128-10 on a 3x3 mesh) in a few minutes.
        With --data DIR (MNIST) it defaults to the reference: 784-800-10 on the 6x7 system.
        """
    )

    @OptionGroup var source: DataOptions
    @Option(help: "Layer sizes (default 784-128-10, or 784-800-10 with --data).") var arch: String?
    @Option(parsing: .unconditional, help: "Training epochs (default 5, or 30 with --data).") var epochs: Int?
    @Option(help: "Mesh COLSxROWS (default 3x3, or 6x7 with --data).") var mesh: String?
    @Option(help: "Placement: fill or spread.") var policy: String = "spread"
    @Option(parsing: .unconditional, help: "Simulate the first N test images on each engine.") var limit: Int = 300
    @Option(help: "SRAM loading in simulation: packets or backdoor.") var load = Choice(LoadMethod.packets)
    @Option(help: "Output directory: OUT/model, OUT/design (system.json, images/, rtl/).") var out: String = "spikeforge-out"
    @Option(parsing: .unconditional, help: "Seed.") var seed: UInt64 = 1

    public init() {}

    var mnist: Bool { source.data != nil }

    public func validate() throws {
        var p = source.problems()
        if let e = epochs, !(1 ... 10_000).contains(e) { p.append("--epochs: got \(e), expected 1...10000") }
        if limit < 1 { p.append("--limit: got \(limit), expected at least 1") }
        if let e = load.problem("load") { p.append(e) }
        if PlacementPolicy(rawValue: policy) == nil { p.append("--policy: got '\(policy)', expected fill or spread") }
        do { _ = try Architecture.parse(arch ?? "784-10") } catch { p.append(error.description) }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let root = URL(fileURLWithPath: out)
        let modelDir = root.appendingPathComponent("model"), designDir = root.appendingPathComponent("design")
        let t0 = Date()
        print("SpikeForge \(SpikeForgeVersion.string) flow: train -> export -> generate -> simulate\n")

        // 1. Train.
        var train = try Train.parse([])
        train.source = source
        // With --data the default comes from the images (784-800-10 on MNIST).
        train.arch = arch ?? (mnist ? nil : "784-128-10")
        train.epochs = epochs ?? (mnist ? 30 : 5)
        train.seed = seed
        train.out = modelDir.path
        train.quiet = true
        print("== 1. train ==")
        try train.run()

        // 2. Export.
        print("\n== 2. export ==")
        var sys = try SystemOptions.parse([])
        sys.mesh = mesh ?? (mnist ? "6x7" : "3x3")
        sys.policy = policy
        // Placed from the activity of the first 1,000 training images (the test images stay unseen).
        let profile = try DataOptions.trainImages(source.data, generated: source.generatedTrain, limit: 1000)
        let plan = try DesignDir.export(modelDir: modelDir, options: try sys.options(), profile: profile, out: designDir)
        Export.describe(plan)

        // 3. Generate and lint.
        print("\n== 3. generate ==")
        let design = try SystemGenerator.design(plan.system)
        let rtl = designDir.appendingPathComponent("rtl")
        let modules = try RTLDirectory.write(design, config: try CanonicalJSON.encode(plan.system, pretty: true), to: rtl)
        try Gates.lint(files: modules, top: design.top)
        print("\(design.top): \(modules.count) modules written to \(rtl.path); verilator --lint-only -Wall clean")

        // 4. Simulate on both engines.
        print("\n== 4. simulate ==")
        var sim = try Simulate.parse([])
        sim.design = designDir.path
        sim.testImages.images = source.data
        sim.testImages.generatedTest = source.generatedTest
        sim.testImages.limit = limit
        sim.engine = Choice(.both)
        sim.load = load
        try sim.run()
        print(String(format: "flow finished in %.1f s. Outputs: %@ (model), %@ (system.json, images/, rtl/)", Date().timeIntervalSince(t0), modelDir.path, designDir.path))
    }
}
