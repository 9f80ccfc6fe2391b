import ArgumentParser
import Compiler
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
        var problems: [String] = []
        var cols = 6, rows = 7
        if let mesh {
            let parts = mesh.lowercased().split(separator: "x").map { Int($0) }
            if parts.count == 2, let c = parts[0], let r = parts[1], (1 ... 16).contains(c), (1 ... 16).contains(r) {
                (cols, rows) = (c, r)
            } else {
                problems.append("--mesh: got '\(mesh)', expected COLSxROWS with each in 1...16 (e.g. 6x7)")
            }
        }
        let p = PlacementPolicy(rawValue: policy)
        if p == nil { problems.append("--policy: got '\(policy)', expected one of \(PlacementPolicy.allCases.map(\.rawValue).joined(separator: ", "))") }
        do {
            // Keys and types are checked here; the cross-field rules once the compiler has picked
            // the fields the user left free (a fixed vBits is judged against the chosen threshold).
            let pe = try ConfigResolver.resolve(PEConfig.self, base: SystemConfig.defaultConfig.pe, overrides: sets, validating: false)
            let keys = Set(sets.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
            for k in keys where k == "cols" || k == "rows" { problems.append("--set \(k): the mesh size comes from --mesh") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
            return CompileOptions(cols: cols, rows: rows, policy: p!, pe: pe, fixed: keys, pickMesh: mesh == nil)
        } catch let e as ConfigError {
            problems += e.violations.map { "--set \($0.field): got \($0.value), expected \($0.expected)" }
        }
        throw ValidationError(problems.joined(separator: "\n"))
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

    public init() {}

    public func validate() throws { _ = try system.options() }

    public func run() throws {
        let dir = URL(fileURLWithPath: out)
        let hadRTL = FileManager.default.fileExists(atPath: dir.appendingPathComponent("rtl").path)
        let plan = try DesignDir.export(modelDir: URL(fileURLWithPath: model), options: try system.options(), out: dir)
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
    }
}
