import ArgumentParser
import Foundation
import SpikeForgeCLI
import SpikeForgeCore
import Testing

/// `spikeforge generate`: outputs, reproducibility, and the exact error messages users see.
@Suite struct GenerateTests {
    func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("sf-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    @Test func writesModulesFileListAndConfig() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fifo")
        #expect(runCLI(["generate", "fifo", "--set", "width=12", "--set", "depth=5", "--out", out.path]) == nil)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["SyncFIFO_w12_d5.v", "config.json", "files.f"])
        #expect(try String(contentsOf: out.appendingPathComponent("files.f"), encoding: .utf8) == "SyncFIFO_w12_d5.v\n")
        #expect(try String(contentsOf: out.appendingPathComponent("config.json"), encoding: .utf8) == "{\n  \"depth\" : 5,\n  \"width\" : 12\n}\n")
    }

    @Test func outputIsByteIdentical() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = dir.appendingPathComponent("arb.json")
        try #"{"requesters": 7}"#.write(to: cfg, atomically: true, encoding: .utf8)
        for k in ["a", "b"] { #expect(runCLI(["generate", "arbiter", "--config", cfg.path, "--out", dir.appendingPathComponent(k).path]) == nil) }
        for f in ["RRArbiter_n7.v", "files.f", "config.json"] {
            let a = try Data(contentsOf: dir.appendingPathComponent("a/\(f)"))
            let b = try Data(contentsOf: dir.appendingPathComponent("b/\(f)"))
            #expect(a == b, "\(f) differs between two runs")
        }
    }

    @Test func checkRunsTheGates() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["generate", "sram", "--set", "kind=singlePort", "--set", "depth=64", "--out", dir.path, "--check"]) == nil)
    }

    @Test(arguments: ["linear", "relu", "reluFloor", "runtime"])
    func neuronForEveryMode(_ mode: String) throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["generate", "neuron", "--set", "mode=\(mode)", "--out", dir.path, "--check"]) == nil)
        let files = try String(contentsOf: dir.appendingPathComponent("files.f"), encoding: .utf8).split(separator: "\n")
        #expect(files.count == 2 && files[0].hasPrefix("NeuronUnit_") && files[1].hasPrefix("NeuronArray_n4_"))
    }

    @Test func neuronBadInput() {
        #expect(runCLI(["generate", "neuron", "--set", "vBits=9", "--set", "thresholdBits=8", "--set", "mode=tanh", "--out", "/tmp/unused"]) == """
        invalid NeuronConfig (2 violations):
          - mode: got tanh, expected one of linear, relu, reluFloor, runtime (from --set)
          - vBits: got 9, expected at least 10 = max(wBits 8, thresholdBits 8 + 1) + 1, so V holds a weight plus the threshold
        """)
    }

    @Test func unknownBlockListsKnownOnes() {
        #expect(runCLI(["generate", "crossbar", "--out", "/tmp/unused"]) == "unknown block 'crossbar'; known blocks: satadd, accumulator, fifo, sram, arbiter, neuron, router, mesh, pe")
    }

    @Test func everyViolationIsListed() {
        #expect(runCLI(["generate", "fifo", "--set", "depth=0", "--set", "width=2000", "--set", "bogus=1", "--set", "novalue", "--out", "/tmp/unused"]) == """
        invalid FIFOConfig (4 violations):
          - bogus: got 1, expected one of the fields depth, width (from --set)
          - novalue: got novalue, expected key=value (from --set)
          - width: got 2000, expected 1...1024
          - depth: got 0, expected 1...4096
        """)
    }

    @Test func badConfigFiles() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"kind": "triplePort", "depth": "x", "width": 0}"#.write(to: bad, atomically: true, encoding: .utf8)
        #expect(runCLI(["generate", "sram", "--config", bad.path, "--out", dir.path]) == """
        invalid SRAMConfig (3 violations):
          - depth: got x, expected an integer (from \(bad.path))
          - kind: got triplePort, expected one of singlePort, simpleDualPort (from \(bad.path))
          - width: got 0, expected 1...1024
        """)
        let notJSON = dir.appendingPathComponent("n.json")
        try "depth: 3".write(to: notJSON, atomically: true, encoding: .utf8)
        #expect(runCLI(["generate", "sram", "--config", notJSON.path, "--out", dir.path]) == "cannot use configuration file '\(notJSON.path)': not valid JSON")
        #expect(runCLI(["generate", "sram", "--config", "/nonexistent.json", "--out", dir.path]) == "cannot use configuration file '/nonexistent.json': missing")
    }

    @Test func unwritableOutLeavesNothing() throws {
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("afile")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let msg = runCLI(["generate", "fifo", "--out", file.appendingPathComponent("sub").path])
        #expect(msg == "cannot create '\(file.path)/sub': the parent '\(file.path)' is a file, not a directory")
        #expect(runCLI(["generate", "fifo", "--out", file.path]) == "'\(file.path)' exists and is a file, expected a directory or nothing")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["afile"])
    }

    @Test func versionAndMissingArguments() {
        #expect(runCLI(["--version"]) == "spikeforge \(SpikeForgeVersion.string)")
        #expect(runCLI(["generate", "fifo"]) == "Missing expected argument '--out <out>'")
        #expect(runCLI(["check", "--cycles", "0"]) == "--cycles: got 0, expected at least 1")
        #expect(runCLI(["bench", "cosim", "--cycles", "10", "--repeats", "0"]) == "--cycles: got 10, expected at least 1000\n--batch: got 4096, expected 1...10\n--repeats: got 0, expected at least 1")
    }
}

/// `generate --source-locations`: the same RTL with Chisel-style generator lines.
@Suite struct GenerateSourceLocationTests {
    @Test func annotatesOnlyWhenAsked() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["generate", "fifo", "--out", dir.appendingPathComponent("plain").path]) == nil)
        #expect(runCLI(["generate", "fifo", "--source-locations", "--out", dir.appendingPathComponent("loc").path]) == nil)
        let plain = try String(contentsOf: dir.appendingPathComponent("plain/SyncFIFO_w32_d8.v"), encoding: .utf8)
        let loc = try String(contentsOf: dir.appendingPathComponent("loc/SyncFIFO_w32_d8.v"), encoding: .utf8)
        #expect(!plain.contains("// @["))
        // The path inside Sources/Generators, then the line: `// @[Primitives.swift 42]`.
        let line = loc.split(separator: "\n").first { $0.hasPrefix("    assign push = in_valid & in_ready;  // @[") }
        #expect(line.map { $0.range(of: #"\.swift \d+\]$"#, options: .regularExpression) != nil } == true)
    }
}
