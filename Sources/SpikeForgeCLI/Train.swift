import ArgumentParser
import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Trainer

/// Where images come from: `--data DIR` (MNIST's IDX files or `.npy` arrays), or SpikeForge's
/// generated digits.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "Directory with the four MNIST IDX files (raw or .gz), or x_train.npy, y_train.npy, x_test.npy, y_test.npy. Without it, SpikeForge's generated digits are used.")
    var data: String?

    @Option(name: .long, parsing: .unconditional, help: "Generated training images (when --data is not given).")
    var generatedTrain: Int = 8000

    @Option(name: .long, parsing: .unconditional, help: "Generated test images (when --data is not given).")
    var generatedTest: Int = 2000

    @Option(name: .long, parsing: .unconditional, help: "Use only the first N training images.")
    var trainLimit: Int?

    @Option(name: .long, parsing: .unconditional, help: "Use only the first N test images.")
    var testLimit: Int?

    /// The commands that use these options list these problems with their own, so one error
    /// names every bad flag.
    func problems() -> [String] {
        var problems: [String] = []
        if let p = Self.generatedProblem(generatedTrain, flag: "--generated-train") { problems.append(p) }
        if let p = Self.generatedProblem(generatedTest, flag: "--generated-test") { problems.append(p) }
        if let n = trainLimit, n < 1 { problems.append("--train-limit: got \(n), expected at least 1") }
        if let n = testLimit, n < 1 { problems.append("--test-limit: got \(n), expected at least 1") }
        return problems
    }

    static let generatedSeed: UInt64 = 0x5F0D_6E

    /// At most this many generated images: SpikeForge's digits are for trying the tool out.
    static let maxGenerated = 1_000_000

    /// What is wrong with a count of generated images, if anything (they are 28 x 28 bytes each).
    static func generatedProblem(_ n: Int, flag: String) -> String? {
        guard (1 ... maxGenerated).contains(n) else { return "\(flag): got \(n), expected 1...\(maxGenerated) (use --data DIR for more images)" }
        return MemoryBudget.problem(needs: Double(n) * (28 * 28 + 1) * 2, for: "\(flag) \(n)")
    }

    func trainSet() throws(DatasetError) -> ImageSet { try Self.trainImages(data, generated: generatedTrain, limit: trainLimit) }

    /// The train split of `directory` (MNIST or `.npy`), or `generated` generated training
    /// digits; the first `limit` images (only those are read from a directory).
    static func trainImages(_ directory: String?, generated: Int, limit: Int?) throws(DatasetError) -> ImageSet {
        if let directory { return try ImageSet.load(directory: directory, split: "train", limit: limit) }
        return GeneratedDigits.make(count: generated, seed: generatedSeed, split: "train").prefix(limit)
    }

    func testSet() throws(DatasetError) -> ImageSet { try Self.testImages(data, generated: generatedTest, limit: testLimit) }

    /// The test split of `directory` (MNIST or `.npy`), or `generated` generated test digits;
    /// the first `limit` images.
    static func testImages(_ directory: String?, generated: Int, limit: Int?) throws(DatasetError) -> ImageSet {
        if let directory { return try ImageSet.load(directory: directory, split: "t10k", limit: limit) }
        return GeneratedDigits.make(count: generated, seed: generatedSeed, split: "test").prefix(limit)
    }
}

/// `spikeforge train`: SpikeGrad quantization-aware training, ending with the exact integer
/// model's test accuracy.
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train a ternary-spike network with SpikeGrad (float or spike gradients) and write the integer model."
    )

    @OptionGroup var source: DataOptions
    @Option(help: "Layer sizes, inputs first (e.g. 784-800-10, 8x8-16C3-10). Default: <image values>-800-<classes> from the data (784-800-10 on MNIST).") var arch: String?
    @Option(parsing: .unconditional, help: "Epochs.") var epochs: Int = 10
    @Option(help: "Gradient: float or spike.") var gradient: String = "float"
    @Option(help: "Hidden activation mode: reluFloor, relu or linear.") var mode: String = "reluFloor"
    @Flag(inversion: .prefixedNo, help: "Residual flush of relu/linear hidden layers.") var flush: Bool = true
    @Option(help: "Optimizer: adam or sgd.") var optimizer: String = "adam"
    @Option(parsing: .unconditional, help: "Learning rate, in weight units per step.") var lr: Double = 0.5
    @Option(parsing: .unconditional, help: "SGD momentum.") var momentum: Double = 0.9
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Batch size.") var batchSize: Int = 64
    @Option(name: .customLong("w-bits"), parsing: .unconditional, help: "Signed weight width.") var wBits: Int = 8
    @Option(name: .customLong("input-bits"), parsing: .unconditional, help: "Input levels: pixel >> (8 - input-bits).") var inputBits: Int = 4
    @Option(parsing: .unconditional, help: "Spike-gradient error scale α.") var alpha: Double = 64
    @Option(name: .customLong("theta-bp-scale"), parsing: .unconditional, help: "Hidden error-compartment threshold, in units of the layer's θ.") var thetaBPScale: Double = 1
    @Option(name: .customLong("activation-levels"), parsing: .unconditional, help: "Spikes at the 99th percentile of a hidden pre-activation (sets θ).") var activationLevels: Int = 12
    @Option(name: .customLong("augment-shift"), parsing: .unconditional, help: "Random training shifts of up to N pixels. Default: min(H, W) / 14, rounded down (2 on 28x28, 0 below 14x14 and on (N, D) vectors).") var augmentShift: Int?
    @Option(parsing: .unconditional, help: "Training images held out as a validation split; the best epoch on it is kept (0: none; the last epoch's model is written). Default: 10% of the training images, at most 5000 (none below 100 images).") var validation: Int?
    @Option(parsing: .unconditional, help: "Seed.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Cores (0: all).") var threads: Int = 0
    @Option(help: "Output model directory (replaced as a whole when training completes; the checkpoint goes to OUT.checkpoint/).") var out: String = "spikeforge-model"
    @Option(help: "Continue from a checkpoint (OUT.checkpoint/ of an interrupted run), with that run's options.") var resume: String?
    @Flag(help: "No progress bar.") var quiet: Bool = false

    public init() {}

    /// The configuration of the flags; `data` (the training images, once loaded) fills in the
    /// defaults that depend on them (`--arch`, `--augment-shift`) and the memory check's count.
    func config(data: ImageSet? = nil) throws -> TrainingConfig {
        var problems = source.problems()
        var arch: Architecture?
        let archText = self.arch ?? data.map(Self.defaultArch) ?? "784-800-10"
        do { arch = try Architecture.parse(archText) } catch { problems.append(error.description) }
        let g = GradientMode(rawValue: gradient)
        if g == nil { problems.append("--gradient: got '\(gradient)', expected one of \(GradientMode.allCases.map(\.rawValue).joined(separator: ", "))") }
        let m = NeuronMode(rawValue: mode)
        if m == nil { problems.append("--mode: got '\(mode)', expected one of \(NeuronMode.allCases.map(\.rawValue).joined(separator: ", "))") }
        let o = Optimizer(rawValue: optimizer)
        if o == nil { problems.append("--optimizer: got '\(optimizer)', expected one of \(Optimizer.allCases.map(\.rawValue).joined(separator: ", "))") }
        if let v = validation, v < 0 { problems.append("--validation: got \(v), expected 0 (none) or a number of images") }
        if let v = validation, let data, v > 0, v >= data.count { problems.append("--validation: got \(v), expected fewer than the \(data.count) training images") }
        if let a = augmentShift, a > 0, let data, data.height == 1 {
            problems.append("--augment-shift: got \(a), expected 0 for (N, D) vector data (\(data.source): images of height 1, nothing to shift)")
        }
        var c = TrainingConfig(architecture: arch ?? Architecture([1, 1]))
        c.epochs = epochs
        c.batchSize = batchSize
        c.gradient = g ?? .float
        c.mode = m ?? .reluFloor
        c.flush = flush
        c.optimizer = o ?? .adam
        c.learningRate = lr
        c.momentum = momentum
        c.wBits = wBits
        c.inputBits = inputBits
        c.alpha = alpha
        c.thetaBPScale = thetaBPScale
        c.activationLevels = activationLevels
        c.augmentShift = augmentShift ?? data.map { TrainingConfig.defaultAugmentShift(width: $0.width, height: $0.height) } ?? 0
        c.seed = seed
        c.threads = threads
        do { try c.validate() } catch { problems += error.violations.map { "--\(Self.flag($0.field)): got \($0.value), expected \($0.expected)" } }
        let images = data?.count ?? (source.data == nil ? source.generatedTrain : 0)
        if arch != nil, let p = MemoryBudget.problem(needs: c.estimatedBytes(trainImages: images), for: "--arch \(archText) (training state)") {
            problems.append(p)
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return c
    }

    /// `--arch`'s default: one hidden layer of 800 between the data's image values and classes.
    static func defaultArch(_ data: ImageSet) -> String { "\(data.imageSize)-800-\(max(2, data.classCount))" }

    /// The training images and the validation split held out of them: `--validation` images
    /// (default 10 %, at most 5,000, none below 100 images) picked by the seed, both in the
    /// data's order.
    func split(_ all: ImageSet, seed: UInt64) -> (train: ImageSet, validation: ImageSet?) {
        let n = validation ?? (all.count < 100 ? 0 : min(5_000, all.count / 10))
        guard n > 0, n < all.count else { return (all, nil) }
        var order = Array(0 ..< all.count)
        var rng = SplitMix64(seed: seed ^ 0x7A11_DA7A_0000_0000)
        order.shuffle(using: &rng)
        let held = Array(order.prefix(n)).sorted(), kept = Array(order.dropFirst(n)).sorted()
        return (all.subset(kept, source: "\(all.source) less \(n) validation images"),
                all.subset(held, source: "\(all.source) validation split (\(n) images, seed \(seed))"))
    }

    /// `learningRate` → `learning-rate`, as the flags are spelled.
    static func flag(_ field: String) -> String {
        let names = ["learningRate": "lr", "batchSize": "batch-size", "wBits": "w-bits", "inputBits": "input-bits",
                     "thetaBPScale": "theta-bp-scale", "activationLevels": "activation-levels", "augmentShift": "augment-shift"]
        return names[field] ?? field
    }

    public func validate() throws { _ = try config() }

    public func run() throws {
        let all = try source.trainSet()
        let cfg = try config(data: all)
        try cfg.architecture.check(all)
        let test = try source.testSet()
        try cfg.architecture.check(test)
        let (train, validation) = split(all, seed: cfg.seed)
        let data = DataIdentity(train)
        let outURL = URL(fileURLWithPath: out), checkpoint = Checkpoint.directory(for: outURL)
        try AtomicOutput.checkReplaceable(outURL, kind: .model)
        try AtomicOutput.checkReplaceable(checkpoint, kind: .checkpoint)
        let trainer = try makeTrainer(cfg, train: train, validation: validation, data: data)
        print("SpikeForge \(SpikeForgeVersion.string) train: \(cfg.architecture) \(cfg.mode.rawValue)\(cfg.mode != .reluFloor && cfg.flush ? "+flush" : ""), \(cfg.gradient.rawValue) gradient, \(cfg.optimizer.rawValue), wBits \(cfg.wBits), inputBits \(cfg.inputBits), seed \(cfg.seed)")
        print("data: \(train.source) (\(train.count) \(train.shapeText) images), test \(test.source) (\(test.count) images)")
        print("validation: \(validation.map { "\($0.count) images held out (\(self.validation == nil ? "default: 10 %, at most 5000" : "--validation")); the best epoch on them is kept" } ?? "none (\(self.validation == nil ? "fewer than 100 training images" : "--validation 0")); the last epoch is kept")")
        print("augment shift: \(cfg.augmentShift) pixel\(cfg.augmentShift == 1 ? "" : "s") (\(augmentShift != nil ? "--augment-shift" : "default for \(all.shapeText) images: min(H, W) / 14, rounded down"))\(self.arch == nil ? "; arch \(cfg.architecture) (default: image values-800-classes)" : "")")
        print("thresholds θ: \(trainer.thresholds.map(String.init).joined(separator: ", ")); output softmax scale \(String(format: "%.1f", trainer.outputScale))")
        print("checkpoint after every epoch: \(checkpoint.path)")
        let stop = StopSignal.install()
        defer { stop.uninstall() }
        let bar = ProgressBar(enabled: !quiet)
        while trainer.history.count < cfg.epochs {
            let epoch = trainer.history.count + 1
            guard let s = trainer.trainEpoch(test: test, progress: { p in bar.update(p) }, shouldStop: { stop.requested != nil }) else {
                bar.finish()
                throw interrupted(stop.requested ?? SIGINT, epoch: epoch, kept: trainer.history.count, checkpoint: checkpoint)
            }
            bar.finish()
            let row = Self.row(s)
            print("epoch \(s.epoch)/\(cfg.epochs): loss \(row[1]), train \(row[2]), integer test \(row[3])\(s.validationAccuracy.map { String(format: ", validation %.2f%%", 100 * $0) } ?? ""), backward ops \(row[5]) of dense, \(row[6]) images/s")
            fflush(nil)
            try trainer.writeCheckpoint(to: checkpoint, data: data)
            if let sig = stop.requested, trainer.history.count < cfg.epochs {
                throw interrupted(sig, epoch: epoch + 1, kept: trainer.history.count, checkpoint: checkpoint)
            }
        }
        try finish(trainer, cfg, test: test, out: outURL, checkpoint: checkpoint)
    }

    /// A new trainer, or (`--resume`) one that continues from a checkpoint of this very run.
    func makeTrainer(_ cfg: TrainingConfig, train: ImageSet, validation: ImageSet?, data: DataIdentity) throws -> Trainer {
        guard let resume else { return try Trainer(config: cfg, train: train, validation: validation) }
        let c = try Checkpoint.load(URL(fileURLWithPath: resume), config: cfg, data: data)
        let t = try Trainer(resuming: c, train: train, validation: validation)
        print("resuming from \(resume): \(c.manifest.epochsDone) of \(cfg.epochs) epochs done")
        if let parts = t.columnBlocks, parts != c.manifest.parts {
            print("note: the checkpoint ran on \(c.manifest.parts) column blocks, this run on \(parts) (--threads); the result may differ in the last bits from an uninterrupted run")
        }
        return t
    }

    /// Writes the model of the completed run, removes the checkpoint, and reports.
    func finish(_ trainer: Trainer, _ cfg: TrainingConfig, test: ImageSet, out: URL, checkpoint: URL) throws {
        let model = trainer.finalModel()
        let eval = IntegerEngine(model).evaluate(test)
        try ModelFile.save(model, to: out, training: cfg, outputScale: trainer.outputScale,
                           accuracy: .init(dataset: test.source, images: test.count, integerModel: eval.accuracy),
                           history: trainer.history, ranges: eval.ranges, kept: trainer.kept)
        try? AtomicOutput.removeDirectory(at: checkpoint)
        let header = ["epoch", "loss", "train acc", "integer test acc", "validation acc", "backward ops", "images/s", "time"]
        print("\n" + Table.render([header] + trainer.history.map(Self.row)))
        if let k = trainer.kept {
            print(String(format: "\nkept epoch %d of %d: validation accuracy %.2f%% on %d held-out images (the best; ties keep the earliest)", k.epoch, trainer.history.count, 100 * k.validationAccuracy, k.validationImages))
        }
        print("\nsummary: integer model\(trainer.kept.map { " (epoch \($0.epoch))" } ?? "") test accuracy \(String(format: "%.2f%%", 100 * eval.accuracy)) (\(eval.correct)/\(eval.count)) on \(test.source)")
        print("  " + EvalReport.ranges(eval).joined(separator: "\n  "))
        print(String(format: "peak resident memory %.0f MB", Double(peakResidentBytes()) / 1_048_576))
        print("model written to \(self.out)/ (manifest.json + .npy tensors)")
    }

    static func row(_ s: EpochStats) -> [String] {
        ["\(s.epoch)", String(format: "%.4f", s.loss), String(format: "%.2f%%", 100 * s.trainAccuracy),
         String(format: "%.2f%%", 100 * (s.testAccuracy ?? 0)), s.validationAccuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-",
         String(format: "%.3f", s.relativeBackwardOps),
         String(format: "%.0f", s.imagesPerSecond), String(format: "%.1fs", s.seconds)]
    }

    /// Says what an interrupt kept and how to continue; the error exits with 128 + the signal.
    func interrupted(_ sig: Int32, epoch: Int, kept: Int, checkpoint: URL) -> ExitCode {
        let name = sig == SIGTERM ? "SIGTERM" : "SIGINT"
        var lines = ["interrupted (\(name)) in epoch \(epoch) of \(epochs); \(out) was not changed"]
        if kept == 0 {
            lines.append("no epoch was completed, so nothing was kept")
        } else {
            lines.append("\(kept == 1 ? "epoch 1 is" : "epochs 1–\(kept) are") kept in \(checkpoint.path) (its model/ is the model after epoch \(kept))")
            lines.append("continue with: \(StopSignal.resumeCommand(checkpoint: checkpoint.path, out: out))")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        return ExitCode(128 + sig)
    }
}

/// `spikeforge eval`: the accuracy the hardware will show, from the exact integer model.
public struct Eval: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Evaluate a model's exact integer network (what the hardware computes) and report V and z ranges."
    )

    @Option(help: "Model directory written by `spikeforge train`.") var model: String
    @OptionGroup var source: DataOptions

    public init() {}

    public func validate() throws {
        let p = source.problems()
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let (m, manifest) = try ModelFile.load(URL(fileURLWithPath: model))
        let test = try source.testSet()
        try m.architecture.check(test)
        let t0 = Date()
        let e = IntegerEngine(m).evaluate(test)
        let dt = Date().timeIntervalSince(t0)
        print("model \(model): \(manifest.architecture), \(m.layers.dropLast().map { "\($0.mode.rawValue)\($0.flush ? "+flush" : "") θ=\($0.threshold)" }.joined(separator: ", ")), wBits \(m.wBits), inputBits \(m.inputBits)")
        print("integer model accuracy: \(String(format: "%.2f%%", 100 * e.accuracy)) (\(e.correct)/\(e.count)) on \(test.source), \(String(format: "%.0f", Double(e.count) / dt)) images/s")
        if m.layers.contains(where: { !$0.isExact }) {
            print("note: relu/linear without the flush is order-dependent; counts here use inputs in ascending order (hardware: |z − x/θ| < 1)")
        }
        print("  " + EvalReport.ranges(e).joined(separator: "\n  "))
    }
}

enum EvalReport {
    static func ranges(_ e: Evaluation) -> [String] {
        ["mean input spikes per image: \(String(format: "%.1f", e.meanInputSpikes))"] + e.ranges.map { r in
            "\(r.name): max |V| final \(r.maxAbsFinalV), transient bound \(r.maxAbsTransientV) (needs vBits ≥ \(Bits.widthFor(Int(r.maxAbsTransientV)) + 1)), max |z| \(r.maxAbsZ)\(r.maxAbsZ > 0 ? " (zBits ≥ \(Bits.widthFor(Int(r.maxAbsZ)) + 1))" : ""), mean spikes/neuron \(String(format: "%.2f", r.meanSpikes))"
        }
    }
}

/// A one-line progress bar on standard error: epoch, batch, loss, accuracy, images/s, ETA.
final class ProgressBar {
    let enabled: Bool
    var lastDraw = 0.0
    init(enabled: Bool) { self.enabled = enabled && isatty(2) != 0 }

    func update(_ p: TrainingProgress) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        if now - lastDraw < 0.1 && p.batch != p.batches { return }
        lastDraw = now
        let width = 24
        let filled = Int(Double(width) * Double(p.batch) / Double(p.batches))
        let eta = Int(p.etaSeconds.rounded())
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\repoch \(p.epoch)/\(p.epochs) [\(bar)] \(p.batch)/\(p.batches) "
            + String(format: "loss %.4f acc %.2f%% %.0f img/s ETA %d:%02d ", p.loss, 100 * p.accuracy, p.imagesPerSecond, eta / 60, eta % 60)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
