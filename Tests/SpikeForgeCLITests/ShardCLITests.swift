import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Testing
import Trainer

/// `simulate --shard`, `spikeforge merge` and the Slurm options from the command line: the merged
/// report equals the whole run's but for the speed line; every bad flag is listed at once.
@Suite(.serialized) struct ShardCLITests {
    /// A 16-8-4 design on a 2x2 mesh and 22 4x4 test images (`x_test.npy`, `y_test.npy`), made once.
    struct Fixture {
        let root: URL
        var design: String { root.appendingPathComponent("design").path }
        var images: String { root.appendingPathComponent("data").path }
        var run: [String] { ["simulate", "--design", design, "--images", images, "--engine", "model"] }
    }

    static let fixture = Result { () throws -> Fixture in
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-shards-cli-\(UUID().uuidString)")
        var rng = SplitMix64(seed: 21)
        func weights(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(Int64(rng.next() % 255) - 127) } }
        let layers = [
            IntegerLayer(name: "fc1", inputs: 16, outputs: 8, weights: weights(128), bias: (0 ..< 8).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 300,
                         mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc2", inputs: 8, outputs: 4, weights: weights(32), bias: (0 ..< 4).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 300,
                         mode: .linear, flush: false, isOutput: true),
        ]
        try ModelFile.save(IntegerModel(layers: layers, wBits: 8, inputBits: 4), to: root.appendingPathComponent("model"))
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let n = 22
        try NPY.encode(NPYArray(shape: [n, 4, 4], dtype: .uint8, integers: (0 ..< n * 16).map { _ in rng.chance(0.4) ? 0 : Int64(rng.next() % 256) }))
            .write(to: data.appendingPathComponent("x_test.npy"))
        try NPY.encode(NPYArray(shape: [n], dtype: .uint8, integers: (0 ..< n).map { _ in Int64(rng.next() % 4) })).write(to: data.appendingPathComponent("y_test.npy"))
        let f = Fixture(root: root)
        cleanupPath = root.path
        atexit { if let p = ShardCLITests.cleanupPath { try? FileManager.default.removeItem(atPath: p) } }
        if let e = runCLI(["export", "--model", root.appendingPathComponent("model").path, "--mesh", "2x2", "--out", f.design]) { throw AtomicOutputCLITests.CLIFailure(message: e) }
        return f
    }

    /// The whole run's output (its CSV in `whole.csv`), run once for this suite and the Slurm test.
    static let whole = Result { () throws -> String in
        let f = try fixture.get()
        return try output(f.run + ["--results", f.root.appendingPathComponent("whole.csv").path])
    }

    /// The fixture's directory, removed when the test process exits.
    nonisolated(unsafe) static var cleanupPath: String?

    /// Runs the real binary; its output, or a failure with it.
    static func output(_ args: [String]) throws -> String {
        let r = try AtomicOutputCLITests.run(args)
        guard r.status == 0 else { throw AtomicOutputCLITests.CLIFailure(message: "spikeforge \(args.joined(separator: " ")) failed (\(r.status)):\n\(r.text)") }
        return r.text
    }

    /// The report's lines but the simulation speed.
    static func comparable(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("simulation: ") } }

    @Test func fourShardsMergedPrintTheWholeRunsReport() throws {
        let f = try Self.fixture.get()
        let whole = try Self.whole.get(), wholeCSV = f.root.appendingPathComponent("whole.csv").path
        let files = (1 ... 4).map { f.root.appendingPathComponent("shard-\($0).json").path }
        for (k, file) in files.enumerated() {
            let out = try Self.output(f.run + ["--shard", "\(k + 1)/4", "--result", file])
            #expect(out.contains("shard \(k + 1)/4: images ["), "\(out)")
        }
        let csv = f.root.appendingPathComponent("merged.csv").path
        let merged = try Self.output(["merge"] + files.reversed() + ["--results", csv])
        #expect(Self.comparable(merged) == Self.comparable(whole), "merged:\n\(merged)\nwhole:\n\(whole)")
        #expect(merged.contains("engine-seconds summed over 4 shards for 22 images"), "\(merged)")
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == String(contentsOfFile: wholeCSV, encoding: .utf8))
        // A missing shard is named by its images.
        let r = try AtomicOutputCLITests.run(["merge", files[0], files[1], files[3]])
        #expect(r.status != 0 && r.text.contains("images [11, 16) on the model engine: missing"), "\(r.text)")
    }

    /// Every ms-per-image figure is at the PE tile's measured clock unless `--clock` says otherwise,
    /// and is the cycles divided by it, in `simulate` and in `merge`; a Slurm run's merge job gets
    /// the same clock.
    @Test func msPerImageIsAtTheTilesClock() throws {
        let f = try Self.fixture.get()
        // (inference cycles, total cycles, inference ms, total ms) from a report.
        func figures(_ text: String, clock: String) throws -> [Double] {
            let lines = text.split(separator: "\n").map(String.init)
            let cyc = try #require(lines.first { $0.hasPrefix("cycles per image: inference mean ") }, "\(text)")
            let msLine = try #require(lines.first { $0.hasPrefix("at \(clock) MHz (") }, "\(text)")
            func number(after key: String, in line: String) throws -> Double {
                let r = try #require(line.range(of: key), "\(key) in \(line)")
                return try #require(Double(line[r.upperBound...].prefix { $0.isNumber || $0 == "." }), "\(line)")
            }
            return [try number(after: "inference mean ", in: cyc), try number(after: "total mean ", in: cyc),
                    try number(after: "): ", in: msLine), try number(after: "(inference), ", in: msLine)]
        }
        func expectAt(_ mhz: Double, _ v: [Double]) {
            for (cycles, ms) in [(v[0], v[2]), (v[1], v[3])] {
                let want = cycles / (mhz * 1000)
                // The report prints ms to 4 decimals and cycles to 1: off by at most half of each.
                #expect(abs(ms - want) <= 0.5e-4 + 0.05 / (mhz * 1000) + 1e-9, "\(ms) ms for \(cycles) cycles at \(mhz) MHz")
            }
        }
        let whole = try Self.whole.get()
        let tile = String(format: "%.1f", SimulationRun.tileClockMHz)
        #expect(whole.contains("at \(tile) MHz (the PE tile's ECP5-85F clock): "), "\(whole)")
        let atTile = try figures(whole, clock: tile)
        expectAt(SimulationRun.tileClockMHz, atTile)
        let slow = try Self.output(f.run + ["--clock", "2"])
        #expect(slow.contains("at 2.0 MHz (--clock): "), "\(slow)")
        let at2 = try figures(slow, clock: "2.0")
        #expect(at2[0] == atTile[0] && at2[1] == atTile[1], "the same run: \(at2) against \(atTile)")
        expectAt(2, at2)
        // merge prints the whole run's report at its --clock.
        let shard = f.root.appendingPathComponent("clock-shard.json").path
        _ = try Self.output(f.run + ["--shard", "1/1", "--result", shard])
        let merged = try Self.output(["merge", shard, "--clock", "2"])
        #expect(try figures(merged, clock: "2.0") == at2, "\(merged)")
        let dir = f.root.appendingPathComponent("slurm-clock")
        _ = try Self.output(f.run + ["--slurm", "2", "--slurm-dir", dir.path, "--clock", "80"])
        let merge = try String(contentsOf: dir.appendingPathComponent("merge.sbatch"), encoding: .utf8)
        #expect(merge.contains("'--clock' '80.0'"), "\(merge)")
        let bad = runCLI(["simulate", "--clock", "0", "--jobs", "0"]) ?? ""
        #expect(bad.contains("--clock: got 0.0, expected 1...10000 (MHz)") && bad.contains("--jobs: got 0"), "\(bad)")
        let badMerge = runCLI(["merge", "--clock", "-5"]) ?? ""
        #expect(badMerge.contains("--clock: got -5.0") && badMerge.contains("FILE: got none"), "\(badMerge)")
    }

    @Test func badShardAndSlurmFlagsAreAllListed() {
        let a = runCLI(["simulate", "--shard", "0/4", "--jobs", "2", "--slurm", "0", "--submit"]) ?? ""
        for s in ["--shard: got '0/4': K = 0, expected 1...4", "--shard: needs --result FILE", "--shard: got --jobs 2, expected --jobs 1",
                  "--slurm: got 0, expected 1...100000", "--shard: not with --slurm"] {
            #expect(a.contains(s), "\(s) in \(a)")
        }
        for (shard, s) in [("5/4", "K = 5, expected 1...4"), ("a/b", "got 'a/b', expected K/N"), ("1/0", "N = 0, expected 1...100000")] {
            let e = runCLI(["simulate", "--shard", shard, "--result", "r.json"]) ?? ""
            #expect(e.contains("--shard: got '\(shard)'") && e.contains(s), "\(e)")
        }
        let b = runCLI(["simulate", "--submit", "--result", "r.json", "--slurm-dir", "d", "--slurm-option", "partition=x"]) ?? ""
        for s in ["--submit: needs --slurm", "--result: needs --shard K/N", "--slurm-dir: needs --slurm", "--slurm-option: needs --slurm",
                  "--slurm-option: got 'partition=x', expected one sbatch option"] {
            #expect(b.contains(s), "\(s) in \(b)")
        }
        #expect(runCLI(["simulate", "--slurm", "2", "--jobs", "3", "--trace", "t.fst", "--engine", "both"])?.contains("--jobs: got 3 with --slurm, expected 1") == true)
        #expect(runCLI(["merge"])?.contains("FILE: got none") == true)
    }

    /// Without `--submit`: the array and merge scripts (absolute paths, `${SLURM_ARRAY_TASK_ID}`,
    /// the extra `#SBATCH` lines), and how to submit them; `--submit` without sbatch is refused.
    @Test func slurmScriptsAreWritten() throws {
        let f = try Self.fixture.get()
        let dir = f.root.appendingPathComponent("slurm-scripts")
        let out = try Self.output(f.run + ["--slurm", "3", "--slurm-dir", dir.path, "--slurm-option=--partition=debug", "--results", "all.csv"])
        #expect(out.contains("submit them with:") && out.contains("sbatch --dependency=afterok:"), "\(out)")
        let array = try String(contentsOf: dir.appendingPathComponent("array.sbatch"), encoding: .utf8)
        #expect(array.contains("#SBATCH --array=1-3\n") && array.contains("#SBATCH --partition=debug\n"), "\(array)")
        #expect(array.contains("'--shard' \"${SLURM_ARRAY_TASK_ID}\"'/3' '--result' '\(dir.path)/shard-'\"${SLURM_ARRAY_TASK_ID}\"'.json'"), "\(array)")
        #expect(array.contains("'--design' '\(f.design)'") && array.contains("'--images' '\(f.images)'"), "\(array)")
        let merge = try String(contentsOf: dir.appendingPathComponent("merge.sbatch"), encoding: .utf8)
        #expect(merge.contains("'merge' '\(dir.path)/shard-1.json' '\(dir.path)/shard-2.json' '\(dir.path)/shard-3.json' '--results' '"), "\(merge)")
        // No sbatch (here: $SBATCH names none): refused before anything is written.
        setenv("SBATCH", "/nonexistent/sbatch", 1)
        defer { unsetenv("SBATCH") }
        let none = f.root.appendingPathComponent("slurm-none")
        let e = runCLI(f.run + ["--slurm", "2", "--submit", "--slurm-dir", none.path]) ?? ""
        #expect(e.contains("--submit needs Slurm's sbatch: sbatch not found"), "\(e)")
        #expect(!FileManager.default.fileExists(atPath: none.path))
    }
}
