import Foundation
import SpikeForgeCore
import Testbench
import Testing
import Trainer

/// The real `spikeforge` binary, killed (SIGKILL) at random moments of `export` and `train` into
/// a directory that holds a complete output: afterwards the directory is the complete old or the
/// complete new output, never a mix, with no staging debris inside. Ctrl-C keeps the last epoch,
/// and `--resume` ends with the model an uninterrupted run writes. `SPIKEFORGE_SEED` fixes the
/// kill moments (the seed is printed).
@Suite(.serialized) struct AtomicOutputCLITests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-atomic-cli-\(UUID().uuidString)")
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SPIKEFORGE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0 ... 0xFFFF_FFFF)
    static let tiny = ["--arch", "784-16-10", "--generated-train", "512", "--generated-test", "64", "--quiet"]

    /// The `spikeforge` built next to the test bundle (or `$SPIKEFORGE_BIN`).
    static var binary: URL? {
        if let b = ProcessInfo.processInfo.environment["SPIKEFORGE_BIN"] { return URL(fileURLWithPath: b) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        for _ in 0 ..< 4 {
            let exe = dir.appendingPathComponent("spikeforge")
            if FileManager.default.isExecutableFile(atPath: exe.path) { return exe }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    static func start(_ args: [String], output: FileHandle? = nil) throws -> Process {
        guard let exe = binary else { throw CLIFailure(message: "no spikeforge binary next to \(CommandLine.arguments[0]); build it or set SPIKEFORGE_BIN") }
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        p.standardOutput = output ?? FileHandle.nullDevice
        p.standardError = output ?? FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Runs to the end; returns the exit status and everything printed.
    @discardableResult
    static func run(_ args: [String]) throws -> (status: Int32, text: String) {
        let log = root.appendingPathComponent("log-\(UUID().uuidString).txt")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        let p = try start(args, output: h)
        p.waitUntilExit()
        try h.close()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    static func mustRun(_ args: [String]) throws -> TimeInterval {
        let t0 = Date()
        let r = try run(args)
        guard r.status == 0 else { throw CLIFailure(message: "spikeforge \(args.joined(separator: " ")) failed (\(r.status)):\n\(r.text)") }
        return Date().timeIntervalSince(t0)
    }

    struct CLIFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    /// Every entry under `dir` whose name starts with a dot (staging debris would).
    static func hiddenEntries(_ dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { out.append(rel) }
        }
        return out
    }

    /// Kills a run of `args` after a random delay in [0, 1.5·`typical`) (`typical`: a whole run's
    /// time, so some runs finish and most die somewhere inside).
    static func killAtRandom(_ args: [String], typical: TimeInterval, rng: inout SplitMix64) throws -> TimeInterval {
        let delay = Double(rng.next() % 1_000_000) / 1_000_000 * 1.5 * typical
        let p = try start(args)
        usleep(useconds_t(delay * 1_000_000))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return delay
    }

    @Test func killedExportLeavesTheOldOrTheNewDesign() throws {
        let dir = Self.root.appendingPathComponent("export-kill")
        let (a, b) = (dir.appendingPathComponent("modelA"), dir.appendingPathComponent("modelB"))
        _ = try Self.mustRun(["train", "--epochs", "1", "--seed", "1", "--out", a.path] + Self.tiny)
        _ = try Self.mustRun(["train", "--epochs", "1", "--seed", "2", "--out", b.path] + Self.tiny)
        // The two complete designs (different meshes, so different image files).
        let refs = [(a, "3x3"), (b, "2x2")].map { dir.appendingPathComponent("ref-\($0.1)") }
        var typical = 0.0
        for ((m, mesh), ref) in zip([(a, "3x3"), (b, "2x2")], refs) {
            typical = max(typical, try Self.mustRun(["export", "--model", m.path, "--mesh", mesh, "--out", ref.path]))
        }
        let trees = try refs.map { try FileTree.read($0) }
        #expect(trees[0] != trees[1])
        let design = dir.appendingPathComponent("design")
        _ = try Self.mustRun(["export", "--model", a.path, "--mesh", "3x3", "--out", design.path])
        var rng = SplitMix64(seed: Self.seed)
        var seen = [0, 0], mixed = 0
        let kills = 12
        for i in 0 ..< kills {
            let (m, mesh) = i % 2 == 0 ? (b, "2x2") : (a, "3x3")
            let delay = try Self.killAtRandom(["export", "--model", m.path, "--mesh", mesh, "--out", design.path], typical: typical, rng: &rng)
            let tree = try FileTree.read(design)
            if let k = trees.firstIndex(of: tree) { seen[k] += 1 } else { mixed += 1 }
            #expect(trees.contains(tree), "kill \(i) after \(delay) s (seed \(Self.seed)): the design is neither the old nor the new one")
            #expect(Self.hiddenEntries(design).isEmpty, "kill \(i): debris inside the design: \(Self.hiddenEntries(design))")
            #expect(throws: Never.self, "kill \(i) (seed \(Self.seed))") { _ = try DesignDir.open(design) }
        }
        print("export kill test, seed \(Self.seed): \(kills) kills, \(seen[0]) left design A (3x3), \(seen[1]) design B (2x2), \(mixed) mixed")
        // The next complete export removes what the killed ones left next to the design.
        _ = try Self.mustRun(["export", "--model", b.path, "--mesh", "2x2", "--out", design.path])
        #expect(try FileTree.read(design) == trees[1])
        #expect(AtomicOutput.leftovers(of: design).isEmpty, "\(AtomicOutput.leftovers(of: design))")
    }

    /// The tensors of a model directory (the manifest's timings differ from run to run).
    static func tensors(_ dir: URL) throws -> [String: Data] { try FileTree.read(dir).filter { $0.key.hasSuffix(".npy") } }

    @Test func killedTrainLeavesTheOldOrTheNewModel() throws {
        let dir = Self.root.appendingPathComponent("train-kill")
        let args = { (seed: Int, out: URL) in ["train", "--epochs", "2", "--seed", "\(seed)", "--out", out.path] + Self.tiny }
        let refs = [1, 2].map { dir.appendingPathComponent("ref\($0)") }
        var typical = 0.0
        for (s, ref) in zip([1, 2], refs) { typical = max(typical, try Self.mustRun(args(s, ref))) }
        let want = try refs.map { try Self.tensors($0) }
        let out = dir.appendingPathComponent("model")
        _ = try Self.mustRun(args(1, out))
        var rng = SplitMix64(seed: Self.seed ^ 0x7EA1)
        var seen = [0, 0], mixed = 0
        let kills = 10
        for i in 0 ..< kills {
            let delay = try Self.killAtRandom(args(i % 2 == 0 ? 2 : 1, out), typical: typical, rng: &rng)
            let got = try Self.tensors(out)
            if let k = want.firstIndex(of: got) { seen[k] += 1 } else { mixed += 1 }
            #expect(want.contains(got), "kill \(i) after \(delay) s (seed \(Self.seed)): the model is neither the old nor the new one")
            #expect(Self.hiddenEntries(out).isEmpty, "kill \(i): debris inside the model: \(Self.hiddenEntries(out))")
            #expect(throws: Never.self, "kill \(i)") { _ = try ModelFile.load(out) }
            let checkpoint = Checkpoint.directory(for: out)
            if FileManager.default.fileExists(atPath: checkpoint.path) {
                #expect(throws: Never.self, "kill \(i): the checkpoint is not whole") { _ = try Checkpoint.load(checkpoint) }
            }
        }
        print("train kill test, seed \(Self.seed): \(kills) kills, \(seen[0]) left model 1, \(seen[1]) model 2, \(mixed) mixed")
    }

    @Test func ctrlCKeepsTheLastEpochAndResumeEqualsAnUninterruptedRun() throws {
        let dir = Self.root.appendingPathComponent("resume")
        let args = ["train", "--arch", "784-32-10", "--generated-train", "2048", "--generated-test", "128", "--epochs", "12", "--quiet"]
        let straight = dir.appendingPathComponent("straight"), resumed = dir.appendingPathComponent("resumed")
        _ = try Self.mustRun(args + ["--out", straight.path])
        let checkpoint = Checkpoint.directory(for: resumed)
        let log = dir.appendingPathComponent("interrupted.txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        let p = try Self.start(args + ["--out", resumed.path], output: h)
        while !FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("checkpoint.json").path), p.isRunning { usleep(2000) }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        try h.close()
        let text = try String(contentsOf: log, encoding: .utf8)
        try #require(p.terminationStatus == 130, "status \(p.terminationStatus) (finished before the signal?):\n\(text)")
        #expect(text.contains("interrupted (SIGINT) in epoch "), "\(text)")
        #expect(text.contains("kept in \(checkpoint.path)"), "\(text)")
        #expect(text.contains("continue with: spikeforge train "), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: resumed.path), "the model directory is written only when training completes")
        _ = try ModelFile.load(checkpoint.appendingPathComponent("model"))

        // Resuming with other options is refused, naming each difference.
        let other = try Self.run(args + ["--seed", "9", "--out", resumed.path, "--resume", checkpoint.path])
        #expect(other.status != 0 && other.text.contains("config.seed is 1 in the checkpoint, but 9 in this run"), "\(other.text)")
        let done = try Self.run(args + ["--out", resumed.path, "--resume", checkpoint.path])
        #expect(done.status == 0, "\(done.text)")
        #expect(done.text.contains("resuming from \(checkpoint.path): "))
        #expect(try Self.tensors(resumed) == Self.tensors(straight))
        let (_, a) = try ModelFile.load(straight), (_, b) = try ModelFile.load(resumed)
        #expect(a.layers == b.layers && a.training == b.training && a.accuracy == b.accuracy && a.ranges == b.ranges)
        #expect(a.history?.map(\.loss) == b.history?.map(\.loss))
        #expect(!FileManager.default.fileExists(atPath: checkpoint.path), "the checkpoint goes once the model is written")
    }

    @Test func exportFailuresAndSmallerMeshesLeaveNoMix() throws {
        let dir = Self.root.appendingPathComponent("export-fail")
        let model = dir.appendingPathComponent("model"), design = dir.appendingPathComponent("design")
        _ = try Self.mustRun(["train", "--epochs", "1", "--out", model.path] + Self.tiny)
        _ = try Self.mustRun(["export", "--model", model.path, "--mesh", "3x3", "--out", design.path])
        _ = try Self.mustRun(["generate", "system", "--config", design.appendingPathComponent("system.json").path, "--out", design.appendingPathComponent("rtl").path])
        let before = try FileTree.read(design)
        // A mesh the model does not fit fails after the model is read: the design stays whole.
        let r = try Self.run(["export", "--model", model.path, "--mesh", "1x1", "--set", "neurons=4", "--out", design.path])
        #expect(r.status != 0)
        #expect(try FileTree.read(design) == before)
        // A smaller mesh replaces the design wholly: no stale image, no stale rtl/.
        let fresh = dir.appendingPathComponent("fresh")
        _ = try Self.mustRun(["export", "--model", model.path, "--mesh", "2x2", "--out", fresh.path])
        let again = try Self.run(["export", "--model", model.path, "--mesh", "2x2", "--out", design.path])
        #expect(again.text.contains("note: the previous design's rtl/ went with it"), "\(again.text)")
        #expect(try FileTree.read(design) == FileTree.read(fresh))
        _ = try DesignDir.open(design)
    }

    @Test func outputErrorsSayWhatIsWrong() throws {
        let dir = Self.root.appendingPathComponent("messages")
        let model = dir.appendingPathComponent("model"), file = dir.appendingPathComponent("a-file")
        _ = try Self.mustRun(["train", "--epochs", "1", "--out", model.path] + Self.tiny)
        try Data("x".utf8).write(to: file)
        let onFile = runCLI(["export", "--model", model.path, "--mesh", "2x2", "--out", file.path])
        #expect(onFile == "'\(file.path)' exists and is a file, expected a directory or nothing")
        let home = dir.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: home.appendingPathComponent("notes.txt"))
        let foreign = runCLI(["train", "--epochs", "1", "--out", home.path] + Self.tiny)
        #expect(foreign?.hasPrefix("refusing to replace '\(home.path)': it is a non-empty directory without manifest.json") == true, "\(foreign ?? "accepted")")
        #if os(Linux)
        let proc = runCLI(["export", "--model", model.path, "--mesh", "2x2", "--out", "/proc/x"])
        #expect(proc?.hasPrefix("cannot create '/proc/x': the parent '/proc' ") == true, "\(proc ?? "accepted")")
        #expect(proc?.contains("doesn't exist") == false)
        #endif
    }
}
