import ArgumentParser
import Compiler
import Datasets
import Foundation
import SpikeForgeCore
import Testbench

/// Options that say which hardware a model is compiled for.
struct SystemOptions: ParsableArguments {
    @Option(help: "Mesh size, COLSxROWS (the reference system is 6x7). Without it, the smallest mesh the model fits on.") var mesh: String?
    @Option(help: "Placement: fill (fewest tiles) or spread (most parallelism).") var policy: String = "spread"
    @Option(name: .customLong("set"), help: "Fix one PE field, as key=value (neurons, lanes, weightRows, vBits, zBits, ...). Repeatable.")
    var sets: [String] = []

    func options() throws -> CompileOptions {
        do { return try CompileOptions.fromFlags(mesh: mesh, policy: policy, sets: sets) } catch { throw ValidationError(error.problems.joined(separator: "\n")) }
    }
}

/// `spikeforge export`: compiles a trained model onto a mesh and writes the design directory:
/// `system.json` (the resolved system), `model/` (a copy of the model) and `images/` (every
/// tile's SRAM images with their manifest).
public struct Export: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Compile a trained model onto the PE mesh and export the system and its SRAM images.",
        discussion: "Writes OUT/system.json, OUT/model/ and OUT/images/ (per tile and memory: $readmemh hex, raw little-endian binary; manifest.json with SHA-256). The new design replaces OUT as a whole, atomically (an old OUT/rtl/ included); a failure or a kill leaves the old design complete."
    )

    @Option(help: "Model directory (from spikeforge train).") var model: String
    @OptionGroup var system: SystemOptions
    @Option(help: "Output design directory.") var out: String = "spikeforge-design"
    @Option(help: ArgumentHelp("Place from profiled activity: renumber the last hidden layer's neurons so the tiles' work is even on these images (spread placement; exact, the logits do not change).",
                               discussion: "An MNIST or .npy directory (its train split), or 'generated' for SpikeForge's generated training digits."))
    var profile: String?
    @Option(name: .customLong("profile-limit"), parsing: .unconditional, help: "Profile on the first N images (default 1000).") var profileLimit: Int?

    public init() {}

    public func validate() throws {
        var p: [String] = []
        do { _ = try system.options() } catch { p.append("\(error)") }
        if let n = profileLimit {
            if !(1 ... 60000).contains(n) { p.append("--profile-limit: got \(n), expected 1...60000") }
            if profile == nil { p.append("--profile-limit: needs --profile DIR|generated (the images to profile)") }
        }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    /// The profiling images of `--profile` (the train split: the test images stay unseen).
    static func profileSet(_ profile: String?, limit: Int) throws(DatasetError) -> ImageSet? {
        guard let profile else { return nil }
        return try DataOptions.trainImages(profile == "generated" ? nil : profile, generated: limit, limit: limit)
    }

    public func run() throws {
        let dir = URL(fileURLWithPath: out)
        let hadRTL = FileManager.default.fileExists(atPath: dir.appendingPathComponent("rtl").path)
        let plan = try DesignDir.export(modelDir: URL(fileURLWithPath: model), options: try system.options(),
                                        profile: try Self.profileSet(profile, limit: profileLimit ?? 1000), out: dir)
        Self.describe(plan, picked: system.mesh == nil)
        print("wrote \(out)/system.json, \(out)/model/ and \(out)/images/ (\(plan.system.tiles * plan.system.pe.srams.count) memories)")
        if hadRTL {
            print("note: the previous design's rtl/ went with it; regenerate with: spikeforge generate system --config \(out)/system.json --out \(out)/rtl")
        }
    }

    static func describe(_ plan: SystemPlan, picked: Bool = false) {
        let c = plan.system.pe
        print("system \(plan.system.moduleName)")
        if picked { print("  mesh: \(plan.system.cols)x\(plan.system.rows) is the smallest the model fits on (--mesh not given)") }
        print("  mesh \(plan.system.cols)x\(plan.system.rows), policy \(plan.policy.rawValue): \(plan.activeTiles) active tiles; input multicast to \(plan.input)")
        print("  PE: \(c.neurons) neurons, \(c.lanes) lanes, \(c.weightRows) weight rows, \(c.axons) axons, vBits \(c.vBits), zBits \(c.zBits), thresholdBits \(c.thresholdBits)")
        for (l, layer) in plan.layers.enumerated() {
            let tiles = plan.tiles.filter { $0.slices.contains { $0.layer == l } }
            print("  \(layer.name): \(layer.inputs)->\(layer.outputs) \(layer.isOutput ? "output" : layer.mode.rawValue + (layer.flush ? "+flush" : "")) on \(tiles.count) tiles; |V| <= \(layer.vBound)\(layer.isOutput ? "" : ", |z| <= \(layer.zBound)")")
        }
        let maxRows = plan.tiles.map(\.rowsUsed).max() ?? 0
        print("  weight rows used: at most \(maxRows) of \(c.weightRows) per tile")
        if let b = plan.balance {
            let f = { (v: Double) in String(format: "%.0f", v) }
            print("  placed from profiled activity (\(b.images) images of \(b.source)): \(b.layer)'s neurons renumbered; predicted busiest tile \(f(b.busiestBefore)) -> \(f(b.busiestAfter)) cycles per image (mean tile \(f(b.meanTile)))")
        }
    }
}
