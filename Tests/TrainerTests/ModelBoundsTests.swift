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
