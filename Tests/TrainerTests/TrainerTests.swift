import Datasets
import Foundation
import SpikeForgeCore
import Testing
@testable import Trainer

@Suite struct TrainerTests {
    static let train = GeneratedDigits.make(count: 2048, seed: 11)
    static let test = GeneratedDigits.make(count: 500, seed: 11, split: "test")

    static func config(_ g: GradientMode, mode: NeuronMode = .reluFloor, seed: UInt64 = 3) -> TrainingConfig {
        var c = TrainingConfig(architecture: Architecture([784, 64, 10]))
        c.epochs = 3
        c.gradient = g
        c.mode = mode
        c.seed = seed
        return c
    }

    @Test(arguments: [GradientMode.float, .spike])
    func learnsAndReducesTheLoss(_ g: GradientMode) throws {
        let t = try Trainer(config: Self.config(g), train: Self.train)
        let first = t.trainEpoch(test: Self.test)
        t.trainEpoch()
        let last = t.trainEpoch(test: Self.test)
        #expect(last.loss < first.loss * 0.8, "\(g): loss \(first.loss) → \(last.loss)")
        #expect((last.testAccuracy ?? 0) > 0.7, "\(g): integer test accuracy \(last.testAccuracy ?? 0), chance is 0.1")
        #expect(last.relativeBackwardOps > 0 && last.relativeBackwardOps < (g == .spike ? 0.8 : 1.0))
        // The trainer's accuracy is the integer model's.
        #expect(IntegerEngine(t.integerModel()).evaluate(Self.test).accuracy == last.testAccuracy)
    }

    @Test func reluWithFlushTrains() throws {
        let t = try Trainer(config: Self.config(.float, mode: .relu), train: Self.train)
        for _ in 0 ..< 2 { t.trainEpoch() }
        let m = t.integerModel()
        #expect(m.layers[0].mode == .relu && m.layers[0].flush)
        #expect(IntegerEngine(m).evaluate(Self.test).accuracy > 0.7)
    }

    @Test func sameSeedGivesByteIdenticalWeights() throws {
        func run(_ seed: UInt64) throws -> Data {
            var c = Self.config(.spike, seed: seed)
            c.epochs = 1
            let t = try Trainer(config: c, train: Self.train.prefix(512))
            t.trainEpoch()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-det-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try ModelFile.save(t.integerModel(), to: dir, training: c)
            return try ["fc1.weight.npy", "fc1.bias.npy", "fc2.weight.npy", "fc2.bias.npy", "manifest.json"]
                .map { try Data(contentsOf: dir.appendingPathComponent($0)) }.reduce(Data(), +)
        }
        let a = try run(9), b = try run(9), c = try run(10)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func badInputIsRefusedWithEveryProblem() throws {
        #expect(throws: TrainerError.badArchitecture(text: "784-x-0", problems: [
            "part 2 'x': expected a dense size (800), a convolution (<n>C<k>, as 15C5) or pooling (P<k>, as P2)",
            "part 3 '0': a dense layer of 0, expected 1...1048576 neurons",
        ])) { try Architecture.parse("784-x-0") }
        #expect(throws: TrainerError.badArchitecture(text: "784", problems: ["got 1 part, expected at least 2 (input-…-outputs)"])) {
            try Architecture.parse("784")
        }
        let small = ImageSet(width: 2, height: 2, pixels: [0, 0, 0, 0], labels: [0], source: "tiny")
        #expect(throws: TrainerError.imageSize(source: "tiny", got: 4, expected: 784, arch: "784-64-10")) {
            try Trainer(config: Self.config(.float), train: small)
        }
        let empty = ImageSet(width: 28, height: 28, pixels: [], labels: [], source: "none")
        #expect(throws: TrainerError.dataset(.empty(path: "none"))) { try Trainer(config: Self.config(.float), train: empty) }
        var c = Self.config(.float)
        c.wBits = 1
        c.learningRate = -1
        c.epochs = 0
        #expect {
            try Trainer(config: c, train: Self.train)
        } throws: { e in
            guard case let .config(ce)? = e as? TrainerError else { return false }
            return Set(ce.violations.map(\.field)) == ["wBits", "learningRate", "epochs"]
        }
    }
}
