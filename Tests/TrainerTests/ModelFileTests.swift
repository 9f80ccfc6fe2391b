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
        #expect(manifest.architecture == "6-5-3" && manifest.layers[0].weights.dtype == "|i1" && manifest.layers[0].weights.shape == [5, 6])
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
