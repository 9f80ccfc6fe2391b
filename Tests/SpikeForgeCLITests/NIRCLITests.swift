import Foundation
import SpikeForgeCLI
import Testing

/// `spikeforge nir`: an snnTorch network (Tests/NIRTests/Fixtures, made by `export_to_nir`)
/// through import, export, generate and simulate on both engines, bit-exact with its integer
/// model; export of that model back to NIR and import again gives the same model; bad flags.
@Suite struct NIRCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NIRTests/Fixtures")

    @Test func snnTorchNetworkToVerifiedRTL() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-nircli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (model, design, digits) = (dir.appendingPathComponent("model").path, dir.appendingPathComponent("design").path,
                                       Self.fixtures.appendingPathComponent("digits8").path)
        var err = runCLI(["nir", "import", Self.fixtures.appendingPathComponent("snntorch_dense.nir").path, "--out", model, "--calibrate", digits])
        #expect(err == nil, "\(err ?? "")")
        err = runCLI(["export", "--model", model, "--out", design])
        #expect(err == nil, "\(err ?? "")")
        err = runCLI(["generate", "system", "--config", design + "/system.json", "--out", design + "/rtl"])
        #expect(err == nil, "\(err ?? "")")
        // simulate fails when an engine differs from the integer model or from the other engine.
        err = runCLI(["simulate", "--design", design, "--images", digits, "--engine", "both", "--limit", "24"])
        #expect(err == nil, "\(err ?? "")")
        // The model back to NIR, and in again: the same tensors.
        let nir = dir.appendingPathComponent("back.nir").path
        err = runCLI(["nir", "export", "--model", model, "--out", nir])
        #expect(err == nil, "\(err ?? "")")
        err = runCLI(["nir", "import", nir, "--out", dir.appendingPathComponent("again").path])
        #expect(err == nil, "\(err ?? "")")
        let a = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/manifest.json"))) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("again/manifest.json"))) as! [String: Any]
        func tensors(_ m: [String: Any]) -> [String] {
            (m["layers"] as! [[String: Any]]).flatMap { l in ["weights", "bias"].compactMap { (l[$0] as? [String: Any])?["sha256"] as? String } + ["\(l["threshold"]!)"] }
        }
        #expect(tensors(a) == tensors(b))
    }

    @Test func badFlagsAreListedTogether() {
        let err = runCLI(["nir", "import", "x.nir", "--out", "/tmp/x", "--w-bits", "1", "--input-bits", "9", "--timesteps", "0", "--leak", "maybe"]) ?? ""
        for s in ["--w-bits: got 1, expected 2...16", "--input-bits: got 9, expected 1...8", "--timesteps: got 0, expected 1...1000000",
                  "--leak: got 'maybe', expected refuse or ignore"] {
            #expect(err.contains(s), "\(err)")
        }
        #expect(runCLI(["nir", "import", "/nonexistent.nir", "--out", "/tmp/x"])?.contains("/nonexistent.nir: no such file") == true)
        #expect(runCLI(["nir", "export", "--model", "/nonexistent", "--out", "/tmp/x.nir"]) != nil)
    }
}
