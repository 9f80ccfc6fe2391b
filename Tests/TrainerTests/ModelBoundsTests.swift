import Foundation
import SpikeForgeCore
import Testing
@testable import Trainer

/// Model bounds (docs/TRAINING.md): parameters near `Int64.max` are refused where a model is
/// read, with the layer and the limit, instead of overflowing in the range analysis, the
/// integer model or the compiler, or looping forever.
@Suite struct ModelBoundsTests {
    static func saved(_ edit: (inout IntegerModel) -> Void) throws -> Result<IntegerModel, TrainerError> {
        var m = ModelFileTests.model()
        edit(&m)
        let dir = ModelFileTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(m, to: dir)
        do { return .success(try ModelFile.load(dir).0) } catch { return .failure(error) }
    }

    static func problems(_ edit: (inout IntegerModel) -> Void) throws -> [String] {
        if case let .failure(.model(_, problems)) = try saved(edit) { return problems }
        return []
    }

    @Test func aBiasOfTwoToTheSixtySecondIsRefused() throws {
        let p = try Self.problems { $0.layers[0].bias[0] = 1 << 62 }
        #expect(p == ["layer fc1 bias holds 4611686018427387904, outside -2^40...2^40"], "\(p)")
    }

    @Test func aThresholdNearInt64MaxIsRefused() throws {
        let p = try Self.problems { $0.layers[0].threshold = .max }
        #expect(p.contains { $0.contains("threshold is 9223372036854775807, expected 1...1099511627776") }, "\(p)")
    }

    /// Bounds that are each in range but whose |V| would leave 2^62: refused by the checked
    /// range analysis, naming the layer, not wrapped.
    @Test func aRangeBeyondTwoToTheSixtySecondIsRefused() {
        let big = IntegerLayer(name: "fc1", inputs: 4, outputs: 1, weights: [127, 127, 127, 127], bias: [1 << 40], threshold: 1,
                               mode: .linear, flush: true, isOutput: false)
        let wide = IntegerLayer(name: "fc2", inputs: 1, outputs: 1, weights: [127], bias: [0], threshold: 1, mode: .linear, flush: true, isOutput: false)
        let out = IntegerLayer(name: "fc3", inputs: 1, outputs: 1, weights: [127], bias: [0], threshold: 1, mode: .linear, flush: true, isOutput: true)
        let m = IntegerModel(layers: [big, wide, out], wBits: 8, inputBits: 8)
        #expect(m.boundProblems() == ["layer fc1: |z| can reach 1099511757316 spikes, expected at most 16777216 = 2^24 (docs/TRAINING.md, model bounds)"])
        #expect(throws: RangeAnalysis.Overflow.self) { try RangeAnalysis.analyze(m) }
    }

    @Test func everyModelTheTrainerWritesIsInBounds() throws {
        #expect(ModelFileTests.model().boundProblems().isEmpty)
        guard case .success = try Self.saved({ _ in }) else { Issue.record("a valid model was refused"); return }
    }
}

/// Model bounds of conv and pool layers: their structure (`structureProblems`) and the range
/// analysis over each neuron's fan-in.
@Suite struct ConvModelBoundsTests {
    @Test func convAndPoolStructureProblemsAreListed() {
        var m = ConvModelFileTests.model()
        #expect(m.boundProblems() == [])
        m.layers[0].kind = .conv(kernel: 7)
        m.layers[1].bias[3] = 5
        m.layers[2].inputShape = FeatureShape(channels: 3, height: 1, width: 4)
        #expect(m.boundProblems() == [
            "layer c1: kernel 7x7 is larger than its 6x6 input map",
            "layer p2: pooling bias 5, expected 0 (pooling has no bias)",
            "layer fc3: input map 3x1x4, expected 3x2x2 (the output of p2)",
        ])
        var n = ConvModelFileTests.model()
        n.layers[0].weights.removeLast()
        n.layers[1].kind = .pool(size: 0)
        n.layers[2].kind = .conv(kernel: 1)
        #expect(n.boundProblems() == [
            "layer c1: 53 weights and 48 biases, expected 3 x 2 x 3 x 3 and 48",
            "layer p2: pooling 0x0, expected 1...16",
            "layer fc3: output map 4, expected 4x2x2 (4C1 of 3x2x2)",
            "layer fc3: the output layer is 4C1, expected a dense layer (the classes)",
        ])
        // Dimensions whose counts would overflow are refused before anything counts them.
        var huge = ConvModelFileTests.model()
        huge.layers[1].inputShape = FeatureShape(channels: Int.max / 2, height: 4, width: 4)
        #expect(huge.boundProblems() == ["layer p2: input map 4611686018427387903x4x4 and output map 3x2x2, expected every dimension in 1...1048576"])
        #expect(throws: TrainerError.self) { try ModelFile.files(huge) }
        // The range analysis never walks a layer that does not fit its shapes.
        #expect(throws: RangeAnalysis.Overflow(layer: "c1", what: "53 weights and 48 biases, expected 3 x 2 x 3 x 3 and 48", limit: "")) {
            try RangeAnalysis.analyze(n)
        }
    }

    /// Over a conv or pool neuron's fan-in the bounds are those of the dense unrolling (the
    /// weights outside the window are 0), on random conv networks of every mode.
    @Test func boundsEqualTheDenseUnrolling() throws {
        for trial in 0 ..< 40 {
            var rng = SplitMix64(seed: 0xB0 ^ UInt64(trial))
            let mode = NeuronMode.allCases[trial % 3]
            let m = IntegerModelTests.randomConvModel(mode: mode, flush: trial % 2 == 0, rng: &rng)
            let (a, b) = (try RangeAnalysis.analyze(m), try RangeAnalysis.analyze(IntegerModelTests.unrolled(m)))
            #expect(a.map(\.vBound) == b.map(\.vBound) && a.map(\.zBound) == b.map(\.zBound), "seed \(0xB0 ^ UInt64(trial)) \(m.architecture)")
        }
    }

    /// A pool neuron's bound is its window's: `k·k` times the input bound (and the threshold).
    @Test func poolBoundsAreTheWindowSum() throws {
        let i = FeatureShape(channels: 2, height: 4, width: 4), o = FeatureShape(channels: 2, height: 2, width: 2)
        let m = IntegerModel(layers: [
            IntegerLayer(name: "p1", kind: .pool(size: 2), input: i, output: o, weights: [], bias: [Int64](repeating: 0, count: 8), threshold: 3,
                         mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc2", kind: .dense, input: o, output: .vector(2), weights: [Int32](repeating: 1, count: 16), bias: [0, 0], threshold: 1,
                         mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 4)
        let b = try RangeAnalysis.analyze(m)
        // 4 inputs of 0…15: V ≤ 60 + θ, z ≤ ⌈60/3⌉; then 8 counts of at most 20.
        #expect(b[0] == RangeAnalysis.Bounds(vBound: 63, zBound: 20, events: 60))
        #expect(b[1] == RangeAnalysis.Bounds(vBound: 160, zBound: 0, events: 160))
    }

    /// Order-dependent conv layers count the events each neuron's window replays.
    @Test func orderDependentConvLayersAreBoundedByTheirEvents() {
        let i = FeatureShape(channels: 1, height: 1024, width: 1024), o = FeatureShape(channels: 1, height: 1023, width: 1023)
        let m = IntegerModel(layers: [
            IntegerLayer(name: "c1", kind: .conv(kernel: 2), input: i, output: o, weights: [1, 1, 1, 1], bias: [Int64](repeating: 0, count: o.count), threshold: 1,
                         mode: .relu, flush: false, isOutput: false),
            IntegerLayer(name: "fc2", kind: .dense, input: o, output: .vector(1), weights: [Int32](repeating: 1, count: o.count), bias: [0], threshold: 1,
                         mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 8)
        // 1023 × 1023 neurons, each replaying up to 4 × 255 input spikes.
        #expect(m.boundProblems() == ["layer c1: 1067459580 input events over its 1046529 neurons in the order-dependent mode relu without flush, expected at most 268435456 = 2^28 events per image (docs/TRAINING.md, model bounds)"])
    }
}
