import Foundation
import SpikeForgeCLI
import Testing

/// `spikeforge export`, `generate system` and `simulate` from the command line, and their errors.
@Suite(.serialized) struct ExportTests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-export-\(UUID().uuidString)")

    /// A small trained model (784-16-10 on 600 generated digits), trained once.
    static let model: URL = {
        let dir = root.appendingPathComponent("model")
        let err = runCLI(["train", "--generated-train", "600", "--generated-test", "60", "--arch", "784-16-10", "--epochs", "1", "--quiet", "--out", dir.path])
        precondition(err == nil, "training failed: \(err!)")
        return dir
    }()

    @Test func exportGenerateSimulateOnBothEngines() throws {
        let design = Self.root.appendingPathComponent("design")
        #expect(runCLI(["export", "--model", Self.model.path, "--mesh", "2x2", "--out", design.path]) == nil)
        for f in ["system.json", "model/manifest.json", "images/manifest.json", "images/x1_y1_weights.hex", "images/x1_y1_weights.bin"] {
            #expect(FileManager.default.fileExists(atPath: design.appendingPathComponent(f).path), "\(f)")
        }
        #expect(runCLI(["generate", "system", "--config", design.appendingPathComponent("system.json").path, "--out", design.appendingPathComponent("rtl").path]) == nil)
        let results = Self.root.appendingPathComponent("results").appendingPathComponent("run.csv")
        try FileManager.default.createDirectory(at: results.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(runCLI(["simulate", "--design", design.path, "--generated-test", "12", "--engine", "both", "--results", results.path]) == nil)
        try Self.checkResults(results, images: 12)
        #expect(runCLI(["simulate", "--design", design.path, "--generated-test", "6", "--engine", "model", "--load", "backdoor", "--unicast"]) == nil)

        // A corrupted image is refused by its checksum, and so is stale RTL.
        let hex = design.appendingPathComponent("images/x0_y0_params.hex")
        let good = try Data(contentsOf: hex)
        var bad = Data("00\n".utf8)
        bad.append(good.dropFirst(3))
        try bad.write(to: hex)
        let corrupted = runCLI(["simulate", "--design", design.path, "--generated-test", "2"])
        #expect(corrupted?.contains("x0_y0_params.hex has SHA-256") == true, "\(corrupted ?? "accepted")")
        try good.write(to: hex)
        let v = design.appendingPathComponent("rtl").appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: design.appendingPathComponent("rtl").path).first { $0.hasPrefix("SpikeSystem_") }!)
        try (try String(contentsOf: v, encoding: .utf8) + "// edited\n").write(to: v, atomically: true, encoding: .utf8)
        let stale = runCLI(["simulate", "--design", design.path, "--generated-test", "2"])
        #expect(stale?.contains("differs from what system.json generates") == true, "\(stale ?? "accepted")")
    }

    /// `simulate --results`: the header, then one line per engine (model before verilator) and
    /// image, the two engines equal after the engine name (they are cycle-exact), newline-terminated,
    /// written atomically (nothing else left in the directory).
    static func checkResults(_ url: URL, images: Int) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.first == "engine,image,label,prediction,reset,compute,readout,inputEvents,spikes,logits")
        #expect(lines.count == 1 + 2 * images)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.allSatisfy { $0.count == 10 })
        #expect(rows.map { $0[0] } == Array(repeating: "model", count: images) + Array(repeating: "verilator", count: images))
        #expect(rows.map { $0[1] } == (0 ..< images).map(String.init) + (0 ..< images).map(String.init))
        #expect(rows.prefix(images).map { $0.dropFirst() } == rows.suffix(images).map { $0.dropFirst() })
        for r in rows {
            let logits = r[9].split(separator: " ").compactMap { Int64($0) }
            // Spikes per layer of 784-16-10: the hidden layer's, then the output layer's (it never fires).
            let spikes = r[8].split(separator: " ").compactMap { Int($0) }
            #expect(logits.count == 10 && spikes.count == 2 && spikes[1] == 0, "\(r)")
            #expect(Int(r[3]) == logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }, "\(r)")
            #expect((0 ..< 10).contains(Int(r[2]) ?? -1) && r[4 ... 7].allSatisfy { Int($0) != nil }, "\(r)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path) == ["run.csv"])
    }

    /// `export --profile generated`: the design records the renumbering, keeps the model's
    /// training record in `model/`, and simulates exactly (the command fails on any image whose
    /// potentials differ from the integer model); `simulate --tiles` prints every tile.
    @Test func exportFromProfiledActivity() throws {
        let design = Self.root.appendingPathComponent("balanced")
        #expect(runCLI(["export", "--model", Self.model.path, "--mesh", "2x2", "--profile", "generated", "--profile-limit", "50", "--out", design.path]) == nil)
        let plan = try String(contentsOf: design.appendingPathComponent("system.json"), encoding: .utf8)
        #expect(plan.contains("\"balance\"") && plan.contains("\"images\" : 50") && plan.contains("generated"), "\(plan.prefix(400))")
        let manifest = try String(contentsOf: design.appendingPathComponent("model/manifest.json"), encoding: .utf8)
        let given = try String(contentsOf: Self.model.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest != given && manifest.contains("\"training\"") && manifest.contains("\"accuracy\""), "the renumbered model, with its record")
        #expect(runCLI(["simulate", "--design", design.path, "--generated-test", "8", "--load", "backdoor", "--tiles"]) == nil)
        let files = ["system.json", "model/manifest.json", "images/manifest.json"].map { design.appendingPathComponent($0) }
        let before = try files.map { try Data(contentsOf: $0) }
        let bad = runCLI(["export", "--model", Self.model.path, "--mesh", "2x2", "--profile", Self.root.appendingPathComponent("no-images").path,
                          "--out", design.path]) ?? ""
        #expect(bad.contains("no-images"), "\(bad)")
        #expect(try files.map { try Data(contentsOf: $0) } == before, "the old design stays whole")
        let alone = runCLI(["export", "--model", Self.model.path, "--profile-limit", "20", "--out", design.path]) ?? ""
        #expect(alone.contains("--profile-limit: needs --profile"), "\(alone)")
    }

    @Test func badFlagsAreAllListed() {
        let e = runCLI(["export", "--model", "m", "--mesh", "6by7", "--policy", "best", "--set", "lanes=zero", "--profile-limit", "0"]) ?? ""
        #expect(e.contains("--mesh: got '6by7'") && e.contains("--policy: got 'best'") && e.contains("lanes") && e.contains("--profile-limit: got 0"), "\(e)")
        let s = runCLI(["simulate", "--engine", "fpga", "--load", "jtag", "--limit", "0"]) ?? ""
        #expect(s.contains("--engine: got 'fpga'") && s.contains("--load: got 'jtag'") && s.contains("--limit: got 0"), "\(s)")
    }

    @Test func modelsThatDoNotFitOrOverflowAreRefused() {
        let out = Self.root.appendingPathComponent("refused")
        let fit = runCLI(["export", "--model", Self.model.path, "--mesh", "1x1", "--policy", "fill", "--out", out.path]) ?? ""
        #expect(fit.contains("does not fit the 1x1 system") && fit.contains("tiles: got 2 needed"), "\(fit)")
        let range = runCLI(["export", "--model", Self.model.path, "--mesh", "2x2", "--set", "vBits=12", "--out", out.path]) ?? ""
        #expect(range.contains("range analysis") && range.contains("vBits: got 12, expected at least") && range.contains("|V| can reach"), "\(range)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written on failure")
        let missing = runCLI(["export", "--model", Self.root.appendingPathComponent("nope").path, "--out", out.path]) ?? ""
        #expect(missing.contains("nope"), "\(missing)")
    }
}
