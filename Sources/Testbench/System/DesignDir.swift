import Compiler
import Datasets
import Foundation
import Generators
import SpikeForgeCore
import Trainer
import VerilogEmitter

/// A design directory: the plan, its model (checked against the plan's digest), its verified
/// images, and (when present) RTL that must match the plan.
public struct DesignDir: Sendable {
    public var url: URL
    public var plan: SystemPlan
    public var model: IntegerModel
    public var images: SystemImages
    public var imagesDir: URL { url.appendingPathComponent("images") }

    /// Opens `url`: loads and cross-checks `system.json`, `model/` and `images/`, and, when
    /// `rtl/` exists, checks that every `.v` file equals what `system.json` generates.
    public static func open(_ url: URL) throws -> DesignDir {
        let plan = try SystemPlan.load(url.appendingPathComponent("system.json"))
        let (model, _) = try ModelFile.load(url.appendingPathComponent("model"))
        let planProblems = plan.problems(against: model)
        if !planProblems.isEmpty { throw CompileError.file(path: url.appendingPathComponent("system.json").path, problems: planProblems) }
        let images = try SystemImages.load(from: url.appendingPathComponent("images"), expected: plan.system, modelDigest: plan.model.digest)
        let imageProblems = images.differences(from: SystemImages(plan: plan, model: model), limit: 20)
        if !imageProblems.isEmpty {
            throw CompileError.file(path: url.appendingPathComponent("images").path, problems: imageProblems.map { "\($0) (what system.json and the model give)" })
        }
        let rtl = url.appendingPathComponent("rtl")
        if FileManager.default.fileExists(atPath: rtl.path) {
            let stale = try staleRTL(rtl, system: plan.system)
            if !stale.isEmpty { throw CompileError.file(path: rtl.path, problems: stale + ["regenerate with: spikeforge generate system --config \(url.path)/system.json --out \(rtl.path)"]) }
        }
        return DesignDir(url: url, plan: plan, model: model, images: images)
    }

    /// The `.v` files of `rtl` that are missing or differ from what `system` generates.
    public static func staleRTL(_ rtl: URL, system: SystemConfig) throws -> [String] {
        let files = try VerilogEmitter.emit(try SystemGenerator.design(system), version: SpikeForgeVersion.string)
        var stale: [String] = []
        for f in files where f.name.hasSuffix(".v") {
            let have = try? String(contentsOf: rtl.appendingPathComponent(f.name), encoding: .utf8)
            if have != f.contents { stale.append("\(f.name) \(have == nil ? "is missing" : "differs from what system.json generates")") }
        }
        return stale
    }

    /// Compiles the model in `modelDir` and writes the design directory `out` as one atomic
    /// replacement (`AtomicOutput.replaceDirectory`, marked by `system.json`): `model/` (the model,
    /// copied file for file), `images/` (every tile's SRAM images and their manifest) and
    /// `system.json`. A failure or a kill leaves the previous design whole; on success the new
    /// design replaces the old one wholly, an old `rtl/` included (it was generated for the old
    /// plan; `generate system` writes it again).
    ///
    /// With `profile` images, the last hidden layer's neurons are renumbered from their activity
    /// on them (`ActivityBalance`); `model/` then holds the renumbered model, written anew with
    /// the given model's training record, and `system.json` says so (`balance`).
    public static func export(modelDir: URL, options: CompileOptions, profile: ImageSet? = nil, out: URL) throws -> SystemPlan {
        let (given, manifest) = try ModelFile.load(modelDir)
        let plan: SystemPlan, m: IntegerModel
        if let profile {
            try given.architecture.check(profile)
            (plan, m) = try Compiler.compile(given, options, profile: ActivityProfile.measure(given, profile))
        } else {
            (plan, m) = (try Compiler.compile(given, options), given)
        }
        let images = SystemImages(plan: plan, model: m)
        var files: [(name: String, contents: Data)] = []
        if plan.balance != nil {
            files += try ModelFile.files(m, training: manifest.training, outputScale: manifest.outputScale.map(Float.init), accuracy: manifest.accuracy,
                                         history: manifest.history, ranges: manifest.ranges, kept: manifest.kept).map { ("model/\($0.name)", $0.contents) }
        } else {
            // The model, copied file for file (its manifest's SHA-256 still hold): the manifest
            // and the tensors it lists, nothing else of the directory.
            let names = ["manifest.json"] + manifest.layers.flatMap { [$0.weights?.file, $0.bias?.file].compactMap { $0 } }
            for name in names {
                let limit = name.hasSuffix(".json") ? JSONDocument.maxBytes : (1 << 20) + 8 * IntegerModel.maxSynapses
                do { files.append(("model/\(name)", try FileRead.bounded(modelDir.appendingPathComponent(name), limit: limit))) } catch {
                    throw TrainerError.model(directory: modelDir.path, problems: [error.reason])
                }
            }
        }
        files += images.files(model: plan.model).map { ("images/\($0.name)", $0.contents) }
        files.append(("system.json", Data(try plan.json().utf8)))
        try AtomicOutput.replaceDirectory(at: out, with: files, kind: .design)
        return plan
    }
}
