import Foundation
import Testing

/// `spikeforge bench train` through the real binary, on a tiny IDX data set with stand-in
/// reference scripts: the BLAS line, the ratio, the PyTorch hook for convolutional networks
/// (with and without torch), and the OpenBLAS re-execution (arguments intact, the reference
/// started with the user's environment, no loop).
@Suite(.serialized) struct BenchTrainTests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-bench-train-\(UUID().uuidString)")

    /// A data directory named with a space and a non-ASCII letter: `n` training and 32 test images
    /// of `side`×`side` pixels, raw IDX.
    static func data(side: Int = 8, train n: Int = 128) throws -> URL {
        let dir = root.appendingPathComponent("data dir ü-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func idx(_ dims: [Int], _ body: [UInt8]) -> Data {
            var b: [UInt8] = [0, 0, 8, UInt8(dims.count)]
            for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
            return Data(b + body)
        }
        for (split, count) in [("train", n), ("t10k", 32)] {
            // Label c lights row c of the image (the classes are learnable).
            var px = [UInt8](repeating: 0, count: count * side * side)
            for i in 0 ..< count { for x in 0 ..< side { px[i * side * side + (i % 10 % side) * side + x] = 200 } }
            try idx([count, side, side], px).write(to: dir.appendingPathComponent("\(split)-images-idx3-ubyte"))
            try idx([count], (0 ..< count).map { UInt8($0 % 10) }).write(to: dir.appendingPathComponent("\(split)-labels-idx1-ubyte"))
        }
        return dir
    }

    /// A stand-in reference: a result line whose `blas` field says what OPENBLAS_CORETYPE, the
    /// re-execution marker and OPENBLAS_NUM_THREADS held, and the arguments it got.
    static func fakeReference() throws -> URL {
        let url = root.appendingPathComponent("fake_reference_\(UUID().uuidString).py")
        try """
        import json, os, sys
        env = lambda k: os.environ.get(k, "unset")
        print(json.dumps({"images": 128, "seconds": 1.0, "images_per_second": 128.0, "loss": 1.0, "test_accuracy": 0.5,
                          "blas": "coretype=" + env("OPENBLAS_CORETYPE") + " marker=" + env("SPIKEFORGE_OPENBLAS_REEXEC")
                                  + " threads=" + env("OPENBLAS_NUM_THREADS") + " args=" + " ".join(sys.argv[1:]),
                          "numpy": "fake", "torch": "fake"}))
        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A stand-in interpreter: `-c CODE` exits with `importStatus` (does `import torch` work?),
    /// anything else runs under python3.
    static func fakePython(importStatus: Int) throws -> URL {
        let url = root.appendingPathComponent("fakepython-\(UUID().uuidString)")
        try "#!/bin/sh\nif [ \"$1\" = -c ]; then exit \(importStatus); fi\nexec python3 \"$@\"\n".write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    /// Runs the binary with `env` added to (and `unset` removed from) this process's environment.
    static func run(_ args: [String], env: [String: String] = [:], unset: [String] = []) throws -> (status: Int32, text: String) {
        guard let exe = AtomicOutputCLITests.binary else { throw AtomicOutputCLITests.CLIFailure(message: "no spikeforge binary next to the tests") }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let log = root.appendingPathComponent("log-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for k in unset + ["SPIKEFORGE_OPENBLAS_REEXEC", "SPIKEFORGE_OPENBLAS_PRETEND_CORE", "OPENBLAS_CORETYPE", "PYTHON"] { e[k] = nil }
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try h.close()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    @Test func badFlagsListEveryProblem() {
        let m = runCLI(["bench", "train", "--data", "/nonexistent", "--rounds", "0", "--batch-size", "0", "--threads", "-1",
                        "--arch", "28x28-15C30", "--reference", "/nonexistent/ref.py", "--limit", "-3"]) ?? ""
        #expect(m.contains("--rounds: got 0, expected 1...100"), "\(m)")
        #expect(m.contains("--batch-size: got 0, expected 1...65536"), "\(m)")
        #expect(m.contains("--threads: got -1, expected 0...1024"), "\(m)")
        #expect(m.contains("invalid --arch '28x28-15C30'"), "\(m)")
        #expect(m.contains("--reference: '/nonexistent/ref.py' does not exist"), "\(m)")
        #expect(m.contains("--limit: got -3, expected 0 (all) or at least the batch size"), "\(m)")
        let missing = runCLI(["bench", "train"]) ?? ""
        #expect(missing.contains("--data"), "\(missing)")
    }

    @Test func denseRunPrintsTheKernelsAndTheRatio() throws {
        let dir = try Self.data()
        let ref = try Self.fakeReference()
        let r = try Self.run(["bench", "train", "--data", dir.path, "--arch", "64-16-10", "--rounds", "1", "--threads", "2", "--reference", ref.path])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("BLAS: OpenBLAS core "), "\(r.text)")
        #expect(r.text.contains("NumPy reference"), "\(r.text)")
        #expect(r.text.contains("float gradient: ") && r.text.contains("ratio ") && r.text.contains("(goal ≥ 1.50)"), "\(r.text)")
        // --threads reaches the reference; without a re-execution nothing else is set for it.
        #expect(r.text.contains("coretype=unset marker=unset threads=2"), "\(r.text)")
    }

    @Test func convolutionsWithoutTorchGiveSpikeForgesFigureOnly() throws {
        let dir = try Self.data()
        let ref = try Self.fakeReference()
        let py = try Self.fakePython(importStatus: 1)
        let r = try Self.run(["bench", "train", "--data", dir.path, "--arch", "8x8-2C3-P2-10", "--rounds", "1", "--reference", ref.path, "--python", py.path])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("PyTorch is not installed"), "\(r.text)")
        #expect(r.text.contains("images/s (no reference)") && !r.text.contains("ratio"), "\(r.text)")
    }

    @Test func convolutionsWithTorchRunThePyTorchReference() throws {
        let dir = try Self.data()
        let ref = try Self.fakeReference()
        let py = try Self.fakePython(importStatus: 0)
        let r = try Self.run(["bench", "train", "--data", dir.path, "--arch", "8x8-2C3-P2-10", "--rounds", "1", "--reference", ref.path, "--python", py.path])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("PyTorch reference") && r.text.contains("ratio "), "\(r.text)")
        #expect(r.text.contains("--arch 8x8-2C3-P2-10 --batch 64 --threads 0"), "\(r.text)")
    }

    /// On a machine whose CPU OpenBLAS knows, the re-execution is exercised by pretending that
    /// OpenBLAS chose Prescott: the process runs again with OPENBLAS_CORETYPE set to the CPU's
    /// best core, its arguments intact (a path with a space and a non-ASCII letter), once.
    @Test func aWorseCoreIsReplacedByReexecution() throws {
        let dir = try Self.data()
        let ref = try Self.fakeReference()
        let r = try Self.run(["bench", "train", "--data", dir.path, "--arch", "64-16-10", "--rounds", "1", "--reference", ref.path],
                             env: ["SPIKEFORGE_OPENBLAS_PRETEND_CORE": "Prescott"])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("(OpenBLAS chose Prescott; re-executed with OPENBLAS_CORETYPE="), "\(r.text)")
        #expect(!r.text.contains("did not take"), "\(r.text)")
        // The BLAS line is printed once: one re-execution, no loop.
        #expect(r.text.components(separatedBy: "BLAS: ").count == 2, "\(r.text)")
        // The reference gets the user's environment back.
        #expect(r.text.contains("coretype=unset marker=unset"), "\(r.text)")
        // An error after the re-execution still names the argument as given.
        let bad = try Self.run(["bench", "train", "--data", dir.path + "/missing ü"], env: ["SPIKEFORGE_OPENBLAS_PRETEND_CORE": "Prescott"])
        #expect(bad.status != 0 && bad.text.contains("missing ü/train-images-idx3-ubyte"), "\(bad.text)")
    }

    @Test func theUsersCoreTypeIsKept() throws {
        let dir = try Self.data()
        let ref = try Self.fakeReference()
        let r = try Self.run(["bench", "train", "--data", dir.path, "--arch", "64-16-10", "--rounds", "1", "--reference", ref.path],
                             env: ["OPENBLAS_CORETYPE": "Prescott", "SPIKEFORGE_OPENBLAS_PRETEND_CORE": "Prescott"])
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("OpenBLAS core Prescott (OPENBLAS_CORETYPE=Prescott from the environment, kept"), "\(r.text)")
        #expect(r.text.contains("coretype=Prescott marker=unset"), "\(r.text)")
    }
}
