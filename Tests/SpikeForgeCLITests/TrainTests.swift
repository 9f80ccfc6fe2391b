import Foundation
import Testing

/// `spikeforge train` and `eval` on the generated digits, and their bad-input messages.
@Suite struct TrainTests {
    static func tempDir() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("sf-cli-train-\(UUID().uuidString)") }

    @Test func trainsAndEvaluatesOnGeneratedDigits() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--arch", "784-32-10", "--epochs", "3", "--generated-train", "2048", "--generated-test", "200",
                        "--gradient", "spike", "--out", model, "--quiet"]) == nil)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model).appendingPathComponent("manifest.json"))) as! [String: Any]
        #expect(manifest["architecture"] as? String == "784-32-10")
        let acc = (manifest["accuracy"] as? [String: Any])?["integerModel"] as? Double ?? 0
        #expect(acc > 0.5, "integer accuracy \(acc)")
        #expect(runCLI(["eval", "--model", model, "--generated-test", "200"]) == nil)
    }

    /// A convolutional network through the CLI: trained, saved with its conv and pool layers,
    /// and `eval` (IntegerEngine) gives the accuracy training reported (the trainer's forward).
    @Test func trainsAConvolutionalNetwork() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--arch", "28x28-6C5-P2-10", "--epochs", "2", "--generated-train", "2048", "--generated-test", "200", "--lr", "1",
                        "--activation-levels", "8", "--out", model, "--quiet"]) == nil)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model).appendingPathComponent("manifest.json"))) as! [String: Any]
        #expect(manifest["architecture"] as? String == "28x28-6C5-P2-10")
        let layers = manifest["layers"] as? [[String: Any]] ?? []
        #expect(layers.map { $0["name"] as? String ?? "" } == ["conv1", "pool2", "fc3"])
        #expect(layers.map { $0["kind"] as? String ?? "" } == ["conv", "pool", "dense"])
        let acc = (manifest["accuracy"] as? [String: Any])?["integerModel"] as? Double ?? 0
        let history = manifest["history"] as? [[String: Any]] ?? []
        #expect(acc > 0.5, "integer accuracy \(acc)")
        #expect(history.last?["testAccuracy"] as? Double == acc)
        #expect(runCLI(["eval", "--model", model, "--generated-test", "200"]) == nil)
    }

    @Test func badFlagsListEveryProblem() {
        let m = runCLI(["train", "--arch", "784-abc-10", "--gradient", "exact", "--mode", "sigmoid", "--w-bits", "1", "--epochs", "0"]) ?? ""
        #expect(m.contains("part 2 'abc': expected a dense size (800), a convolution (<n>C<k>, as 15C5) or pooling (P<k>, as P2)"))
        #expect(m.contains("--gradient: got 'exact', expected one of float, spike"))
        #expect(m.contains("--mode: got 'sigmoid', expected one of linear, relu, reluFloor"))
        #expect(m.contains("--w-bits: got 1, expected 2...16"))
        #expect(m.contains("--epochs: got 0, expected 1...10000"))
    }

    /// Sizes that cannot fit are refused before anything is allocated, all in one message that
    /// says what fits; negative numbers reach validation instead of "Missing value".
    @Test func hugeAndNegativeValuesSayWhatFits() {
        let m = runCLI(["train", "--arch", "784-3000000000-10", "--generated-train", "2000000000", "--epochs", "-1"]) ?? ""
        #expect(m.contains("part 2 '3000000000': a dense layer of 3000000000, expected 1...1048576 neurons"), "\(m)")
        #expect(m.contains("--generated-train: got 2000000000, expected 1...1000000"), "\(m)")
        #expect(m.contains("--epochs: got -1, expected 1...10000"), "\(m)")
        let deep = "784-" + String(repeating: "16000-", count: 21) + "10"
        let d = runCLI(["train", "--arch", deep]) ?? ""
        #expect(d.contains("(training state) needs about") && d.contains("but this machine has"), "\(d)")
        let e = runCLI(["eval", "--model", "/nonexistent", "--generated-test", "-5"]) ?? ""
        #expect(e.contains("--generated-test: got -5, expected 1...1000000"), "\(e)")
    }

    @Test func imageSizeMustMatchTheArchitecture() {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = runCLI(["train", "--arch", "100-10", "--epochs", "1", "--generated-train", "128", "--out", dir.path, "--quiet"]) ?? ""
        #expect(m.contains("have 784 pixels, but --arch 100-10 expects 100 inputs"))
        #expect(!FileManager.default.fileExists(atPath: dir.path), "no partial model is left behind")
    }

    @Test func evalRefusesABrokenModel() throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["train", "--arch", "784-16-10", "--epochs", "1", "--generated-train", "256", "--generated-test", "64", "--out", dir.path, "--quiet"]) == nil)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fc2.weight.npy"))
        let m = runCLI(["eval", "--model", dir.path, "--generated-test", "64"]) ?? ""
        #expect(m.contains("is not usable (1 problem)") && m.contains("layer fc2 weights file fc2.weight.npy: missing"))
        let missing = runCLI(["eval", "--model", dir.appendingPathComponent("nope").path]) ?? ""
        #expect(missing.contains("manifest.json: missing"))
    }

    @Test func missingDataDirectoryIsNamed() {
        let m = runCLI(["eval", "--model", "/nonexistent-model", "--data", "/nonexistent-data"]) ?? ""
        #expect(m.contains("manifest.json: missing"))
        let t = runCLI(["train", "--data", "/nonexistent-data", "--epochs", "1", "--out", "/tmp/sf-never"]) ?? ""
        #expect(t.contains("/nonexistent-data/train-images-idx3-ubyte[.gz]") && t.contains("not found"))
    }
}
