import Datasets
import Foundation
import SpikeForgeCore
import Testing
@testable import Trainer

@Suite struct ModelFileTests {
    static func tempDir() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("sf-model-\(UUID().uuidString)") }

    static func model() -> IntegerModel {
        var rng = SplitMix64(seed: 5)
        return IntegerModelTests.randomModel([6, 5, 3], mode: .relu, flush: true, rng: &rng)
    }

    @Test func roundTripsAndReadsInNumPyTerms() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = Self.model()
        try ModelFile.save(m, to: dir)
        let (back, manifest) = try ModelFile.load(dir)
        #expect(back == m)
        #expect(manifest.architecture == "6-5-3" && manifest.layers[0].weights?.dtype == "|i1" && manifest.layers[0].weights?.shape == [5, 6])
        let w = try NPY.read(dir.appendingPathComponent("fc1.weight.npy").path)
        #expect(w.integers == m.layers[0].weights.map(Int64.init))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["fc1.bias.npy", "fc1.weight.npy", "fc2.bias.npy", "fc2.weight.npy", "manifest.json"])
    }

    @Test func missingAndMismatchedTensorsAreAllListed() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(Self.model(), to: dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fc1.bias.npy"))
        // A tensor of the wrong shape, written where fc2's weights belong.
        try NPY.encode(NPYArray(shape: [5, 3], dtype: .int8, integers: [Int64](repeating: 1, count: 15)))
            .write(to: dir.appendingPathComponent("fc2.weight.npy"))
        #expect {
            try ModelFile.load(dir)
        } throws: { e in
            guard case let .model(d, problems)? = e as? TrainerError else { return false }
            return d == dir.path && problems.count == 3
                && problems[0] == "layer fc1 bias file fc1.bias.npy: missing"
                && problems[1].hasPrefix("layer fc2 weights file fc2.weight.npy has SHA-256")
                && problems[2] == "layer fc2 weights fc2.weight.npy has shape [5, 3], expected [3, 5]"
        }
    }

    /// Tensor names are plain file names in the model directory: a path out of it, an absolute
    /// path or a symbolic link out of it is refused before anything is read.
    @Test func tensorPathsCannotLeaveTheDirectory() throws {
        let dir = Self.tempDir(), outside = Self.tempDir()
        defer { for d in [dir, outside] { try? FileManager.default.removeItem(at: d) } }
        try ModelFile.save(Self.model(), to: dir)
        try ModelFile.save(Self.model(), to: outside)
        let mURL = dir.appendingPathComponent("manifest.json")
        let text = try String(contentsOf: mURL, encoding: .utf8)
            .replacingOccurrences(of: "\"fc1.weight.npy\"", with: "\"../\(outside.lastPathComponent)/fc1.weight.npy\"")
            .replacingOccurrences(of: "\"fc2.bias.npy\"", with: "\"\(outside.path)/fc2.bias.npy\"")
        try text.write(to: mURL, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fc1.bias.npy"))
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("fc1.bias.npy"), withDestinationURL: outside.appendingPathComponent("fc1.bias.npy"))
        #expect {
            try ModelFile.load(dir)
        } throws: { e in
            guard case let .model(_, problems)? = e as? TrainerError else { return false }
            return problems.count == 3 && problems.allSatisfy { $0.contains("not a plain file name") || $0.contains("symbolic link out of the directory") }
        }
    }

    @Test func missingManifestAndBadWidths() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: TrainerError.model(directory: dir.path, problems: ["manifest.json: missing"])) { try ModelFile.load(dir) }
        try ModelFile.save(Self.model(), to: dir)
        let mURL = dir.appendingPathComponent("manifest.json")
        let text = try String(contentsOf: mURL, encoding: .utf8).replacingOccurrences(of: "\"wBits\" : 8", with: "\"wBits\" : 4")
        try text.write(to: mURL, atomically: true, encoding: .utf8)
        #expect {
            try ModelFile.load(dir)
        } throws: { e in
            guard case let .model(_, problems)? = e as? TrainerError else { return false }
            return problems.contains { $0.contains("outside the 4-bit range -8...7") }
        }
    }
}

/// Conv and pool layers in a model directory (docs/TRAINING.md, "Model directory").
@Suite struct ConvModelFileTests {
    /// 6x6x2-3C3-P2-4: conv c1 (bias per channel, or per neuron), pool p2, dense output fc3.
    static func model(perChannelBias: Bool = true) -> IntegerModel {
        var rng = SplitMix64(seed: 66)
        func w(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(Int64(rng.next() % 255) - 127) } }
        let i = FeatureShape(channels: 2, height: 6, width: 6), c = FeatureShape(channels: 3, height: 4, width: 4), p = FeatureShape(channels: 3, height: 2, width: 2)
        let bias = perChannelBias ? [-40, 7, 90].flatMap { [Int64](repeating: $0, count: 16) } : (0 ..< 48).map { _ in Int64(rng.next() % 201) - 100 }
        return IntegerModel(layers: [
            IntegerLayer(name: "c1", kind: .conv(kernel: 3), input: i, output: c, weights: w(3 * 2 * 9), bias: bias, threshold: 150,
                         mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "p2", kind: .pool(size: 2), input: c, output: p, weights: [], bias: [Int64](repeating: 0, count: 12), threshold: 2,
                         mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc3", kind: .dense, input: p, output: .vector(4), weights: w(12 * 4), bias: [5, -5, 0, 1], threshold: 1,
                         mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 4)
    }

    static func saved(_ m: IntegerModel = model()) throws -> URL {
        let dir = ModelFileTests.tempDir()
        try ModelFile.save(m, to: dir)
        return dir
    }

    /// Edits `manifest.json` as JSON (its layers as an array of objects).
    static func edit(_ dir: URL, _ body: (inout [String: Any], inout [[String: Any]]) -> Void) throws {
        let url = dir.appendingPathComponent("manifest.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var layers = json["layers"] as! [[String: Any]]
        body(&json, &layers)
        json["layers"] = layers
        try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: url)
    }

    static func problems(_ dir: URL) -> [String] {
        do { _ = try ModelFile.load(dir) } catch {
            if case let .model(_, p) = error { return p }
            return ["unexpected \(error)"]
        }
        return []
    }

    @Test(arguments: [true, false]) func roundTripIsByteIdentical(_ perChannel: Bool) throws {
        let m = Self.model(perChannelBias: perChannel)
        let dir = try Self.saved(m), again = ModelFileTests.tempDir()
        defer { for d in [dir, again] { try? FileManager.default.removeItem(at: d) } }
        let (back, manifest) = try ModelFile.load(dir)
        #expect(back == m)
        #expect(manifest.architecture == "6x6x2-3C3-P2-4")
        let c1 = manifest.layers[0], p2 = manifest.layers[1], fc3 = manifest.layers[2]
        #expect(c1.kind == "conv" && c1.kernel == 3 && c1.inputShape == [2, 6, 6] && c1.outputShape == [3, 4, 4])
        #expect(c1.weights?.shape == [3, 2, 3, 3] && c1.bias?.shape == (perChannel ? [3] : [3, 4, 4]))
        #expect(p2.kind == "pool" && p2.kernel == 2 && p2.weights == nil && p2.bias == nil && p2.inputShape == [3, 4, 4] && p2.outputShape == [3, 2, 2])
        #expect(fc3.kind == "dense" && fc3.kernel == nil && fc3.inputShape == [3, 2, 2] && fc3.outputShape == nil && fc3.weights?.shape == [4, 12])
        // NumPy's view: the kernels (out, in, kh, kw) as stored, the bias per channel or per neuron.
        #expect(try NPY.read(dir.appendingPathComponent("c1.weight.npy").path).integers == m.layers[0].weights.map(Int64.init))
        let bias = try NPY.read(dir.appendingPathComponent("c1.bias.npy").path).integers
        #expect(bias == (perChannel ? [-40, 7, 90] : m.layers[0].bias))
        // Saved again from what was loaded: the same bytes, file for file.
        try ModelFile.save(back, to: again)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["c1.bias.npy", "c1.weight.npy", "fc3.bias.npy", "fc3.weight.npy", "manifest.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: again.path).sorted() == names)
        for n in names {
            #expect(try Data(contentsOf: dir.appendingPathComponent(n)) == Data(contentsOf: again.appendingPathComponent(n)), "\(n) differs")
        }
        // The engine reads the loaded model as it computed the original.
        let levels = (0 ..< 72).map { Int32($0 * 7 % 16) }
        #expect(IntegerEngine(back).trace(levels: levels) == m.trace(levels: levels))
    }

    /// Dense model directories are written as before: no kernel, no maps (so their manifests,
    /// and the fuzz corpus made from one, are unchanged), and they load as before.
    @Test func denseManifestsHaveNoNewFields() throws {
        let dir = ModelFileTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(ModelFileTests.model(), to: dir)
        let text = try String(contentsOf: dir.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(!text.contains("kernel") && !text.contains("inputShape") && !text.contains("outputShape") && !text.contains("notation"))
        #expect(try ModelFile.load(dir).0 == ModelFileTests.model())
    }

    @Test func tensorsThatDoNotMatchTheArchitectureAreAllListed() throws {
        let dir = try Self.saved()
        defer { try? FileManager.default.removeItem(at: dir) }
        try NPY.encode(NPYArray(shape: [3, 2, 2, 2], dtype: .int8, integers: [Int64](repeating: 1, count: 24))).write(to: dir.appendingPathComponent("c1.weight.npy"))
        try NPY.encode(NPYArray(shape: [4], dtype: .int32, integers: [1, 2, 3, 4])).write(to: dir.appendingPathComponent("c1.bias.npy"))
        try NPY.encode(NPYArray(shape: [12, 4], dtype: .int8, integers: [Int64](repeating: 1, count: 48))).write(to: dir.appendingPathComponent("fc3.weight.npy"))
        let p = Self.problems(dir)
        #expect(p.count == 6, "\(p)")
        #expect(p.contains("layer c1 weights c1.weight.npy has shape [3, 2, 2, 2], expected [3, 2, 3, 3]"), "\(p)")
        #expect(p.contains("layer c1 bias c1.bias.npy has shape [4], expected [3] or [3, 4, 4]"), "\(p)")
        #expect(p.contains("layer fc3 weights fc3.weight.npy has shape [12, 4], expected [4, 12]"), "\(p)")
        #expect(p.filter { $0.contains("has SHA-256") }.count == 3, "\(p)")
    }

    @Test func kernelsLargerThanTheMapAndPoolingThatDoesNotDivideAreListed() throws {
        let dir = try Self.saved()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.edit(dir) { _, layers in
            layers[0]["kernel"] = 7
            layers[1]["kernel"] = 3
        }
        #expect(Self.problems(dir) == [
            "layer c1: kernel 7x7 is larger than its 6x6 input map",
            "layer c1 is conv 7x7 2x6x6 -> 3x4x4, but the architecture '6x6x2-3C3-P2-4' has 3C3 (2x6x6 -> 3x4x4) there",
            "layer p2: pooling 3x3 does not divide its 4x4 input map (stride 3, no padding)",
            "layer p2 is pool 3x3 3x4x4 -> 3x2x2, but the architecture '6x6x2-3C3-P2-4' has P2 (3x4x4 -> 3x2x2) there",
        ])
    }

    @Test func inconsistentMapsBetweenLayersAreListed() throws {
        let dir = try Self.saved()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.edit(dir) { _, layers in
            layers[0]["outputShape"] = [3, 4, 5]
            layers[1]["inputShape"] = [3, 2, 8]
            layers[2]["inputShape"] = [3, 4, 1]
        }
        #expect(Self.problems(dir) == [
            "layer c1 outputShape [3, 4, 5] holds 60 values, expected 48 (its outputs)",
            "layer p2: output map 3x2x2, expected 3x1x4 (P2 of 3x2x8)",
            "layer p2 is pool 2x2 3x2x8 -> 3x2x2, but the architecture '6x6x2-3C3-P2-4' has P2 (3x4x4 -> 3x2x2) there",
            "layer fc3 inputShape is 3x4x1, expected 3x2x2 (the output of p2)",
            "layer fc3 is dense 3x4x1 -> 4, but the architecture '6x6x2-3C3-P2-4' has 4 (3x2x2 -> 4) there",
        ])
    }

    @Test func kindsTheirKernelsAndTensorsAreChecked() throws {
        let dir = try Self.saved()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.edit(dir) { json, layers in
            layers[1]["weights"] = layers[0]["weights"]
            layers[1]["bias"] = layers[0]["bias"]
            layers[0]["kernel"] = nil
            layers[2]["kernel"] = 2
            layers[0]["bias"] = nil
            json["architecture"] = "6x6x2-3C3-4"
        }
        #expect(Self.problems(dir) == [
            "architecture '6x6x2-3C3-4' has 2 layers, but the manifest lists 3",
            "layer c1 has no kernel, expected the kernel size k of a conv layer (k x k)",
            "layer p2 has a weights tensor, expected none (pooling's weights are fixed at 1)",
            "layer p2 has a bias tensor, expected none (pooling has no bias)",
            "layer fc3 has kernel 2, expected none for a dense layer",
        ])
        try Self.edit(dir) { json, layers in
            layers[0]["kernel"] = 3
            layers[1]["inputShape"] = nil
            layers[1]["kind"] = "maxpool"
            json["architecture"] = "6x6x2-3C3-P5-4"
        }
        #expect(Self.problems(dir) == ["manifest.json: layers[1].kind: got 'maxpool', expected one of dense, conv, pool"])
        try Self.edit(dir) { _, layers in layers[1]["kind"] = "pool" }
        #expect(Self.problems(dir) == [
            "architecture '6x6x2-3C3-P5-4': part 3 'P5': pooling 5x5 does not divide its 4x4 input map (stride 5, no padding)",
            "layer c1 has no bias tensor, expected one of shape [3] or [3, 4, 4]",
            "layer p2 has a weights tensor, expected none (pooling's weights are fixed at 1)",
            "layer p2 has a bias tensor, expected none (pooling has no bias)",
            "layer p2 has no inputShape, expected [channels, height, width] for a pool layer",
            "layer fc3 has kernel 2, expected none for a dense layer",
        ])
    }

    /// Saving a model whose layers do not fit together is refused with the problems (it would
    /// not load back), never a trap.
    @Test func aBrokenModelIsNotWritten() throws {
        var m = Self.model()
        m.layers[1].kind = .pool(size: 3)
        m.layers[2].inputShape = FeatureShape(channels: 12, height: 1, width: 2)
        #expect(throws: TrainerError.model(directory: "(being written)", problems: [
            "layer p2: pooling 3x3 does not divide its 4x4 input map (stride 3, no padding)",
            "layer fc3: 48 weights and 4 biases, expected 4 x 24 and 4",
            "layer fc3: 24 inputs, expected 12",
        ])) { try ModelFile.files(m) }
    }
}
