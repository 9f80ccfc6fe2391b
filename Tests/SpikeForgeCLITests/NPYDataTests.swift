import Datasets
import Foundation
import Testing

/// `train`, `eval` and their checks on a `.npy` dataset; the validation split and the kept epoch.
@Suite struct NPYDataTests {
    /// 8×8 grey images of 4 classes (class k: a bright 2-pixel-wide bar at column 2k, plus noise).
    static func dataset(train: Int = 256, test: Int = 64) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-cli-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var state: UInt64 = 12345
        func noise() -> Int64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int64(state >> 59) }
        for (name, n) in [("train", train), ("test", test)] {
            var px: [Int64] = [], labels: [Int64] = []
            for i in 0 ..< n {
                let k = i % 4
                labels.append(Int64(k))
                for _ in 0 ..< 8 { for x in 0 ..< 8 { px.append(x / 2 == k ? 200 + noise() : noise()) } }
            }
            try NPY.encode(NPYArray(shape: [n, 8, 8], dtype: .uint8, integers: px)).write(to: dir.appendingPathComponent("x_\(name).npy"))
            try NPY.encode(NPYArray(shape: [n], dtype: .int32, integers: labels)).write(to: dir.appendingPathComponent("y_\(name).npy"))
        }
        return dir
    }

    static func manifest(_ model: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model).appendingPathComponent("manifest.json"))) as? [String: Any] ?? [:]
    }

    @Test func trainsOneEpochOnANPYDataset() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", dir.path, "--arch", "64-32-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
        let m = try Self.manifest(model)
        #expect(m["architecture"] as? String == "64-32-4")
        // The default validation split: 10 % of 256 images; 8×8 images get no shift.
        let kept = m["kept"] as? [String: Any] ?? [:]
        #expect(kept["epoch"] as? Int == 1 && kept["validationImages"] as? Int == 25, "\(kept)")
        let history = m["history"] as? [[String: Any]] ?? []
        #expect(history.first?["validationAccuracy"] as? Double == kept["validationAccuracy"] as? Double)
        #expect((m["training"] as? [String: Any])?["augmentShift"] as? Int == 0)
        #expect(runCLI(["eval", "--model", model, "--data", dir.path]) == nil)
        // eval needs only the test split.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("x_train.npy"))
        #expect(runCLI(["eval", "--model", model, "--data", dir.path]) == nil)
    }

    /// The default architecture comes from the data; a conv network takes the 8×8 map.
    @Test func defaultArchitectureAndConvolutionFitTheData() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", dir.path, "--epochs", "1", "--validation", "0", "--out", model, "--quiet"]) == nil)
        let m = try Self.manifest(model)
        #expect(m["architecture"] as? String == "64-800-4")
        #expect(m["kept"] == nil)
        #expect(runCLI(["train", "--data", dir.path, "--arch", "8x8-4C3-P2-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
    }

    /// `(N, H, W, C)` images train an `HxWxC` convolution; a grey map architecture refuses them.
    @Test func colourImagesTrainAColourConvolution() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        for split in ["train", "test"] {
            let x = try NPY.read(dir.appendingPathComponent("x_\(split).npy").path)
            // Three channels: the grey value, its half, and zero (channels last).
            let rgb: [Int64] = x.integers.flatMap { v -> [Int64] in [v, v / 2, 0] }
            try NPY.encode(NPYArray(shape: x.shape + [3], dtype: .uint8, integers: rgb)).write(to: dir.appendingPathComponent("x_\(split).npy"))
        }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", dir.path, "--arch", "8x8x3-4C3-P2-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
        #expect(runCLI(["eval", "--model", model, "--data", dir.path]) == nil)
        let grey = runCLI(["train", "--data", dir.path, "--arch", "8x24-4C3-4", "--epochs", "1", "--out", model, "--quiet"]) ?? ""
        #expect(grey.contains("are 8x8x3, but --arch 8x24-4C3-4 expects 8x24x1 input maps"), "\(grey)")
    }

    @Test func shapesThatDoNotFitTheArchitectureAreNamed() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("model").path
        let dense = runCLI(["train", "--data", dir.path, "--arch", "784-32-4", "--epochs", "1", "--out", out, "--quiet"]) ?? ""
        #expect(dense.contains("images of npy:\(dir.path)/train have 64 pixels, but --arch 784-32-4 expects 784 inputs"), "\(dense)")
        let map = runCLI(["train", "--data", dir.path, "--arch", "4x16-4C3-4", "--epochs", "1", "--out", out, "--quiet"]) ?? ""
        #expect(map.contains("are 8x8, but --arch 4x16-4C3-4 expects 4x16x1 input maps"), "\(map)")
        let labels = runCLI(["train", "--data", dir.path, "--arch", "64-32-3", "--epochs", "1", "--out", out, "--quiet"]) ?? ""
        #expect(labels.contains("has label 3, but the output layer has only 3 neurons"), "\(labels)")
        let v = runCLI(["train", "--data", dir.path, "--arch", "64-32-4", "--validation", "256", "--out", out, "--quiet"]) ?? ""
        #expect(v.contains("--validation: got 256, expected fewer than the 256 training images"), "\(v)")
        for split in ["train", "test"] {
            let x = try NPY.read(dir.appendingPathComponent("x_\(split).npy").path)
            try NPY.encode(NPYArray(shape: [x.shape[0], 64], dtype: .uint8, integers: x.integers)).write(to: dir.appendingPathComponent("x_\(split).npy"))
        }
        let flat = runCLI(["train", "--data", dir.path, "--arch", "64-32-4", "--augment-shift", "1", "--out", out, "--quiet"]) ?? ""
        #expect(flat.contains("--augment-shift: got 1, expected 0 for (N, D) vector data"), "\(flat)")
        #expect(runCLI(["train", "--data", dir.path, "--arch", "64-32-4", "--epochs", "1", "--out", out, "--quiet"]) == nil)
    }

    /// `simulate --images` reads the same directory (the test split alone), and checks the shape.
    @Test func simulatesANPYTestSplit() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path, design = dir.appendingPathComponent("design").path
        #expect(runCLI(["train", "--data", dir.path, "--arch", "64-16-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
        #expect(runCLI(["export", "--model", model, "--mesh", "2x2", "--out", design]) == nil)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("x_train.npy"))
        #expect(runCLI(["simulate", "--design", design, "--images", dir.path, "--limit", "6", "--engine", "model"]) == nil)
        try NPY.encode(NPYArray(shape: [2, 4, 4], dtype: .uint8, integers: [Int64](repeating: 9, count: 32))).write(to: dir.appendingPathComponent("x_test.npy"))
        try NPY.encode(NPYArray(shape: [2], dtype: .uint8, integers: [0, 1])).write(to: dir.appendingPathComponent("y_test.npy"))
        let m = runCLI(["simulate", "--design", design, "--images", dir.path, "--engine", "model"]) ?? ""
        #expect(m.contains("have 16 pixels, but --arch 64-16-4 expects 64 inputs"), "\(m)")
    }

    /// The model written is the best epoch on the validation split (ties: the earliest).
    @Test func keepsTheBestEpoch() throws {
        let dir = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", dir.path, "--arch", "64-16-4", "--epochs", "4", "--lr", "4", "--validation", "40", "--out", model, "--quiet"]) == nil)
        let m = try Self.manifest(model)
        let accs = (m["history"] as? [[String: Any]] ?? []).map { $0["validationAccuracy"] as? Double ?? -1 }
        let best = accs.firstIndex(of: accs.max() ?? -1).map { $0 + 1 }
        #expect((m["kept"] as? [String: Any])?["epoch"] as? Int == best, "\(accs)")
    }
}
