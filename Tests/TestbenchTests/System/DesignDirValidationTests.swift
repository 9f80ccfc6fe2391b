import Compiler
import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Testing
import Trainer

/// A design directory is checked as a whole before anything runs: `system.json` against the
/// plan the compiler makes of the model, and every SRAM image against what the plan and the
/// model give, so a consistent-looking but altered design never reaches a driver.
@Suite struct DesignDirValidationTests {
    /// A 16-12-4 design on a 2 x 2 mesh, exported from a saved model.
    static func design() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-design-\(UUID().uuidString)")
        let modelDir = root.appendingPathComponent("model-src")
        try ModelFile.save(SystemDriverTests.model(seed: 3), to: modelDir)
        _ = try DesignDir.export(modelDir: modelDir, options: CompileOptions(cols: 2, rows: 2, policy: .spread, pe: SystemDriverTests.small),
                                 out: root.appendingPathComponent("design"))
        return root
    }

    static func openProblems(_ dir: URL) -> [String] {
        do { _ = try DesignDir.open(dir); return [] } catch let CompileError.file(_, problems) { return problems } catch { return ["\(error)"] }
    }

    @Test func anExportedDesignOpens() throws {
        let root = try Self.design()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(Self.openProblems(root.appendingPathComponent("design")).isEmpty)
    }

    /// Exported with `--profile` images: `model/` holds the renumbered model, the design opens
    /// (its plan is what the compiler makes of that model), and the cycle model gives every image
    /// the integer logits of the model as given, in the same spike counts per layer.
    @Test func aDesignPlacedFromProfiledActivityOpensAndRunsExactly() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-design-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let modelDir = root.appendingPathComponent("model-src")
        let given = SystemDriverTests.model(seed: 3, hidden: 24)
        try ModelFile.save(given, to: modelDir)
        var rng = SplitMix64(seed: 21)
        let set = ImageSet(width: 4, height: 4, pixels: (0 ..< 12 * 16).map { _ in rng.chance(0.4) ? 0 : UInt8(rng.next() % 256) },
                           labels: (0 ..< 12).map { _ in UInt8(rng.next() % 4) }, source: "test:seed=21")
        let plan = try DesignDir.export(modelDir: modelDir, options: CompileOptions(cols: 2, rows: 2, policy: .spread, pe: SystemDriverTests.small),
                                        profile: set, out: root.appendingPathComponent("design"))
        let b = try #require(plan.balance)
        #expect(b.sourceDigest == given.digest && plan.model.digest != given.digest)
        let d = try DesignDir.open(root.appendingPathComponent("design"))
        #expect(d.model.digest == plan.model.digest)
        let run = try SimulationRunner(design: d, load: .backdoor).run(.model, on: set)
        #expect(run.mismatches.isEmpty, "\(run.mismatches)")
        for (k, i) in run.inferences.enumerated() {
            let want = given.trace(levels: given.levels(set.image(k)))
            #expect(i.logits == want.logits, "image \(k) (seed 21)")
        }
    }

    /// A hidden layer's flush flag flipped: the plan decodes and validates on its own, but is not
    /// what the compiler makes of the model, and is refused naming the field.
    @Test func anAlteredPlanIsRefusedWithTheField() throws {
        let root = try Self.design()
        defer { try? FileManager.default.removeItem(at: root) }
        let d = root.appendingPathComponent("design"), url = d.appendingPathComponent("system.json")
        var plan = try SystemPlan.load(url)
        plan.layers[0].flush.toggle()
        try Data(plan.json().utf8).write(to: url)
        let p = Self.openProblems(d)
        #expect(p.contains { $0.hasPrefix("layers[0].flush: got") && $0.hasSuffix("(what the compiler makes of the model)") }, "\(p)")
    }

    /// An image word changed and its checksums recomputed (so the manifest holds): refused,
    /// naming the tile, memory and word.
    @Test func anAlteredImageWithValidChecksumsIsRefused() throws {
        let root = try Self.design()
        defer { try? FileManager.default.removeItem(at: root) }
        let d = root.appendingPathComponent("design")
        let dir = d.appendingPathComponent("images")
        let plan = try SystemPlan.load(d.appendingPathComponent("system.json"))
        var images = try SystemImages.load(from: dir, expected: plan.system)
        images.tiles[0].words[.bias]?[0][0] ^= 1
        try FileManager.default.removeItem(at: dir)
        try images.write(to: dir, model: plan.model)
        let p = Self.openProblems(d)
        #expect(p == ["tile (0,0) bias: 1 words differ, the first at word 0: got \(Self.word(images, 0)), expected \(Self.word(images, 0, flip: true)) (what system.json and the model give)"], "\(p)")
    }

    static func word(_ images: SystemImages, _ k: Int, flip: Bool = false) -> String {
        var w = images.tiles[k].words[.bias]?[0] ?? []
        if flip { w[0] ^= 1 }
        let digits = w.reversed().map { String(format: "%016llx", $0) }.joined().drop { $0 == "0" }
        return "0x" + (digits.isEmpty ? "0" : String(digits))
    }
}
