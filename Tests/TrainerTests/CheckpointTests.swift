import Datasets
import Foundation
import SpikeForgeCore
import Testing
@testable import Trainer

/// Checkpoints: a resumed run equals an uninterrupted one bit for bit (Adam and SGD, float and
/// spike gradients), and a damaged checkpoint, or one of another run, is refused with every
/// problem listed.
@Suite struct CheckpointTests {
    static let train = GeneratedDigits.make(count: 512, seed: 5)

    static func config(_ opt: Optimizer, _ g: GradientMode, arch: String = "784-24-10") -> TrainingConfig {
        var c = TrainingConfig(architecture: (try? Architecture.parse(arch)) ?? Architecture([784, 24, 10]))
        c.epochs = 3
        c.optimizer = opt
        c.gradient = g
        c.seed = 7
        c.threads = 2
        return c
    }

    static func tempDir() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("sf-ckpt-\(UUID().uuidString)") }

    /// Every float of every layer's state, and the integer model.
    static func state(_ t: Trainer) -> [[Float]] {
        t.layers.flatMap { l in l.checkpointTensors.map(\.values) + ((l as? any QuantizedLayer).map { [$0.wq, $0.bq] } ?? []) }
    }

    @Test(arguments: [(Optimizer.adam, GradientMode.float), (.sgd, .spike)])
    func resumedEqualsUninterrupted(_ opt: Optimizer, _ g: GradientMode) throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = Self.config(opt, g), data = DataIdentity(Self.train)
        let straight = try Trainer(config: c, train: Self.train)
        for _ in 0 ..< 3 { straight.trainEpoch() }

        let first = try Trainer(config: c, train: Self.train)
        first.trainEpoch()
        // Stopped in the middle of epoch 2: the checkpoint of epoch 1 is what counts.
        var batches = 0
        try first.writeCheckpoint(to: dir, data: data)
        #expect(first.trainEpoch(shouldStop: { batches += 1; return batches > 3 }) == nil)
        #expect(first.history.count == 1)

        let resumed = try Trainer(resuming: try Checkpoint.load(dir, config: c, data: data), train: Self.train)
        #expect(resumed.history.map(\.loss) == straight.history.prefix(1).map(\.loss))
        for _ in 0 ..< 2 { resumed.trainEpoch() }
        #expect(Self.state(resumed) == Self.state(straight))
        #expect(resumed.integerModel() == straight.integerModel())
        #expect(resumed.stepCount == straight.stepCount)
        // The checkpoint's model/ is the integer model after epoch 1.
        let (m, _) = try ModelFile.load(dir.appendingPathComponent("model"))
        #expect(m.layers.map(\.weights) != straight.integerModel().layers.map(\.weights))
    }

    /// With a validation split, the kept epoch and its model are in the checkpoint (`best/`):
    /// a resumed run keeps the same epoch and ends with the same model as an uninterrupted one.
    @Test func resumedKeepsTheSameEpoch() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = Self.config(.adam, .float)
        c.epochs = 4
        c.learningRate = 20 // noisy enough that the best epoch is not always the last
        let validation = GeneratedDigits.make(count: 128, seed: 9)
        let data = DataIdentity(Self.train)
        let straight = try Trainer(config: c, train: Self.train, validation: validation)
        for _ in 0 ..< 4 { straight.trainEpoch() }
        let accs = straight.history.map { $0.validationAccuracy ?? -1 }
        #expect(straight.kept?.epoch == accs.firstIndex(of: accs.max() ?? -1).map { $0 + 1 }, "\(accs)")
        #expect(straight.finalModel() != straight.integerModel() || straight.kept?.epoch == 4)

        let first = try Trainer(config: c, train: Self.train, validation: validation)
        for _ in 0 ..< 2 { first.trainEpoch() }
        try first.writeCheckpoint(to: dir, data: data)
        let ckpt = try Checkpoint.load(dir, config: c, data: data)
        #expect(ckpt.manifest.kept == first.kept && ckpt.keptModel == first.finalModel())
        let resumed = try Trainer(resuming: ckpt, train: Self.train, validation: validation)
        for _ in 0 ..< 2 { resumed.trainEpoch() }
        #expect(resumed.kept == straight.kept)
        #expect(resumed.finalModel() == straight.finalModel())
        #expect(resumed.history.map(\.validationAccuracy) == straight.history.map(\.validationAccuracy))
        // A resume without the split (or with one the checkpoint lacks) is refused.
        #expect(throws: TrainerError.self) { try Trainer(resuming: ckpt, train: Self.train) }
    }

    /// A conv network resumes bit-identically too (conv kernels, per-channel biases, pooling
    /// without parameters, every θ), and the checkpoint's `model/` is its integer model.
    @Test(arguments: [(Optimizer.adam, GradientMode.spike), (.sgd, .float)])
    func convNetworkResumesBitIdentically(_ opt: Optimizer, _ g: GradientMode) throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = Self.config(opt, g, arch: "28x28-4C5-P2-6C3-P2-10"), data = DataIdentity(Self.train)
        #expect(c.architecture.description == "28x28-4C5-P2-6C3-P2-10")
        let straight = try Trainer(config: c, train: Self.train)
        for _ in 0 ..< 3 { straight.trainEpoch() }
        let first = try Trainer(config: c, train: Self.train)
        first.trainEpoch()
        try first.writeCheckpoint(to: dir, data: data)
        let (model, _) = try ModelFile.load(dir.appendingPathComponent("model"))
        #expect(model == first.integerModel())
        let loaded = try Checkpoint.load(dir, config: c, data: data)
        #expect(loaded.manifest.tensors.map(\.file) == Checkpoint.expectedTensors(c.architecture).map(\.file))
        #expect(loaded.manifest.thresholds.count == 4)
        let resumed = try Trainer(resuming: loaded, train: Self.train)
        #expect(resumed.thresholds == straight.thresholds)
        for _ in 0 ..< 2 { resumed.trainEpoch() }
        #expect(Self.state(resumed) == Self.state(straight))
        #expect(resumed.integerModel() == straight.integerModel())
        // A conv tensor of the wrong shape is named with what was expected.
        let d = try NPY.encode(NPYArray(shape: [6, 4, 9], dtype: .float32, floats: [Double](repeating: 0, count: 216)))
        try d.write(to: dir.appendingPathComponent("conv3.w.npy"))
        let json = dir.appendingPathComponent("checkpoint.json")
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        var tensors = try #require(obj["tensors"] as? [[String: Any]])
        for i in tensors.indices where tensors[i]["file"] as? String == "conv3.w.npy" { tensors[i]["sha256"] = Checksum.sha256(d) }
        obj["tensors"] = tensors
        try JSONSerialization.data(withJSONObject: obj).write(to: json)
        #expect(Self.problems(dir) == ["conv3.w.npy has shape [6, 4, 9], expected [6, 4, 3, 3]"])
    }

    /// A conv network's tensors are named by layer, shaped as the trainer holds them (kernels
    /// `(out, in, kh, kw)`, a bias per channel), and pooling has none.
    @Test func convTensorsFollowTheArchitecture() throws {
        let a = try Architecture.parse("28x28-4C5-P2-6C3-P2-10")
        let t = Checkpoint.expectedTensors(a)
        #expect(t.map(\.file) == ["conv1", "conv3", "fc5"].flatMap { n in Checkpoint.tensorKinds.map { "\(n).\($0).npy" } })
        #expect(t.filter { $0.file.hasPrefix("conv3.") }.map(\.shape) == [[6, 4, 3, 3], [6], [6, 4, 3, 3], [6, 4, 3, 3], [6], [6]])
        #expect(t.filter { $0.file.hasPrefix("fc5.") }.map(\.shape).first == [150, 10])
        // A dense network keeps the names and shapes of earlier checkpoints.
        #expect(Checkpoint.expectedTensors(Architecture([784, 24, 10])).map(\.file).prefix(2) == ["fc1.w.npy", "fc1.b.npy"])
    }

    /// A checkpoint written after epoch 1 of `c`, in a fresh directory.
    static func written(_ c: TrainingConfig) throws -> URL {
        let dir = tempDir()
        let t = try Trainer(config: c, train: train)
        t.trainEpoch()
        try t.writeCheckpoint(to: dir, data: DataIdentity(train))
        return dir
    }

    @Test func otherDataAndOtherOptionsAreRefused() throws {
        let c = Self.config(.adam, .float)
        let dir = try Self.written(c)
        defer { try? FileManager.default.removeItem(at: dir) }
        var other = c
        other.learningRate = 0.25
        other.seed = 8
        let otherData = DataIdentity(GeneratedDigits.make(count: 256, seed: 5))
        let problems = Self.problems(dir, config: other, data: otherData)
        #expect(problems.contains("config.learningRate is 0.5 in the checkpoint, but 0.25 in this run (resume with the same options)"), "\(problems)")
        #expect(problems.contains("config.seed is 7 in the checkpoint, but 8 in this run (resume with the same options)"), "\(problems)")
        #expect(problems.contains("data.count is 512 images in the checkpoint, but 256 in this run"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("data.source is ") }, "\(problems)")
        #expect(problems.count == 5, "\(problems)")
        #expect(Self.problems(dir, config: c, data: DataIdentity(Self.train)).isEmpty)
    }

    @Test func damagedCheckpointListsEveryProblem() throws {
        let dir = try Self.written(Self.config(.adam, .float))
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("checkpoint.json")
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        obj["epochsDone"] = 99
        obj["thresholds"] = [0]
        obj["outputScale"] = -1
        obj["formatVersion"] = 2
        try JSONSerialization.data(withJSONObject: obj).write(to: json)
        let problems = Self.problems(dir)
        #expect(problems.contains("formatVersion is 2, expected 1"))
        #expect(problems.contains("epochsDone is 99, expected 1...3"))
        #expect(problems.contains("thresholds are [0], expected 1 integers in 1...1099511627776 (2^40)"))
        #expect(problems.contains("outputScale is -1.0, expected a number in 1...16777216.0"))
        #expect(problems.contains { $0.hasPrefix("steps is 8, expected 792") })
        #expect(problems.contains { $0.hasPrefix("history lists epochs [1], expected 1...99") })
    }

    /// Values that pass as numbers but would trap once they become integers (found in review):
    /// a threshold near Int64.max, an output scale of 1e30, an architecture of huge sizes.
    @Test func valuesThatWouldTrapAreRefused() throws {
        let dir = try Self.written(Self.config(.adam, .float))
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("checkpoint.json")
        var obj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        obj["thresholds"] = [Int64.max]
        obj["outputScale"] = 1e10
        try JSONSerialization.data(withJSONObject: obj).write(to: json)
        let p = Self.problems(dir)
        #expect(p.contains { $0.hasPrefix("thresholds are [9223372036854775807]") } && p.contains { $0.hasPrefix("outputScale is 1e+10") }, "\(p)")
        var config = try #require(obj["config"] as? [String: Any])
        config["architecture"] = ["sizes": [784, 1 << 40, 10]]
        obj["config"] = config
        try JSONSerialization.data(withJSONObject: obj).write(to: json)
        let q = Self.problems(dir)
        #expect(q.contains("checkpoint.json: config.architecture.sizes: got [784, 1099511627776, 10], expected at least 2 sizes in 1...1048576"), "\(q)")
    }

    @Test func corruptedTensorsAreNamed() throws {
        let dir = try Self.written(Self.config(.adam, .float))
        defer { try? FileManager.default.removeItem(at: dir) }
        // A changed byte, a missing file, a huge file: each named, none read beyond its shape.
        let w = dir.appendingPathComponent("fc1.w.npy")
        var d = try Data(contentsOf: w)
        d[d.count - 1] ^= 0xFF
        try d.write(to: w)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fc2.m1w.npy"))
        try Data(count: 1 << 20).write(to: dir.appendingPathComponent("fc2.b.npy"))
        let problems = Self.problems(dir)
        #expect(problems.contains { $0.hasPrefix("fc1.w.npy has SHA-256 ") }, "\(problems)")
        #expect(problems.contains("fc2.m1w.npy is missing"), "\(problems)")
        #expect(problems.contains("fc2.b.npy is 1048576 bytes, expected at most 65576 for shape [10]"), "\(problems)")
        #expect(problems.count == 3, "\(problems)")
        #expect(Self.problems(dir.appendingPathComponent("nope")) == ["checkpoint.json is missing"])
        let garbage = dir.appendingPathComponent("checkpoint.json")
        try Data("{".utf8).write(to: garbage)
        #expect(Self.problems(dir).first?.hasPrefix("checkpoint.json: not valid JSON") == true, "\(Self.problems(dir))")
    }

    static func problems(_ dir: URL, config: TrainingConfig? = nil, data: DataIdentity? = nil) -> [String] {
        do {
            _ = try Checkpoint.load(dir, config: config, data: data)
            return []
        } catch let TrainerError.checkpoint(_, problems) {
            return problems
        } catch {
            return ["\(error)"]
        }
    }
}
