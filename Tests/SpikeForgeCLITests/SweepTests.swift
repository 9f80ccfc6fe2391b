import EDATools
import Foundation
import SpikeForgeCLI
import Testing

/// `spikeforge sweep` from the command line: every flag problem at once, a point run alone,
/// the collection refusing missing points, and a plain sweep equal to its points run one by one.
@Suite(.serialized) struct SweepTests {
    @Test func everyBadFlagIsListedTogether() {
        let e = runCLI(["sweep", "--model", "m", "--set", "outputFifoDepth=16,64", "--set", "lanes=2,2", "--mesh", "4x4,4by4", "--policy", "fill,best",
                        "--engine", "fpga", "--jobs", "0", "--limit", "0", "--point", "0", "--collect"]) ?? ""
        for want in ["--engine: got 'fpga'", "--jobs: got 0", "--limit: got 0", "--point and --collect: give one", "--point: got 0, expected at least 1",
                     "--set outputFifoDepth: not a PE field (did you mean outFIFODepth?)", "--set lanes: '2' is listed more than once",
                     "--mesh: got '4by4'", "--policy: got 'best'"] {
            #expect(e.contains(want), "\(want) in \(e)")
        }
        let k = runCLI(["sweep", "--model", "m", "--set", "lanes=2,4", "--mesh", "2x2", "--point", "3"]) ?? ""
        #expect(k.contains("--point: got 3, expected 1...2 (the sweep has 2 points)"), "\(k)")
    }

    /// A 64-12-4 model on 8 x 8 images: 2 lanes x 2 meshes, 3 images.
    @Test func pointsRunAloneThenCollectedEqualThePlainSweep() throws {
        let data = try NPYDataTests.dataset(train: 64, test: 8)
        defer { try? FileManager.default.removeItem(at: data) }
        let model = data.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", data.path, "--arch", "64-12-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
        let (alone, plain) = (data.appendingPathComponent("alone"), data.appendingPathComponent("plain"))
        let sweep = ["sweep", "--model", model, "--images", data.path, "--limit", "3", "--set", "neurons=8", "--set", "weightRows=256",
                     "--set", "lanes=2,4", "--mesh", "2x2,3x2"]

        #expect(runCLI(sweep + ["--point", "2", "--out", alone.path]) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: alone.appendingPathComponent("points").path) == ["point-2.json"])
        let missing = runCLI(sweep + ["--collect", "--out", alone.path]) ?? ""
        #expect(missing.contains("(3 problems)") && missing.contains("point-1.json: missing") && missing.contains("run it with --point 4"), "\(missing)")
        // Another sweep's flags: point 2 is foreign.
        let foreign = runCLI(sweep.dropLast() + ["2x2,3x3", "--collect", "--out", alone.path]) ?? ""
        #expect(foreign.contains("point-2.json: sweep: got") && foreign.contains("the point is from another sweep"), "\(foreign)")

        for k in [4, 1, 3] { #expect(runCLI(sweep + ["--point", "\(k)", "--out", alone.path]) == nil) }
        #expect(runCLI(sweep + ["--collect", "--out", alone.path]) == nil)
        #expect(runCLI(sweep + ["--jobs", "2", "--out", plain.path]) == nil)
        for f in ["sweep.csv", "sweep.svg"] {
            let (a, p) = (try Data(contentsOf: alone.appendingPathComponent(f)), try Data(contentsOf: plain.appendingPathComponent(f)))
            #expect(!a.isEmpty && a == p, "\(f)")
        }
        let csv = try String(contentsOf: plain.appendingPathComponent("sweep.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5 && csv.hasPrefix("point,neurons,weightRows,lanes,mesh,policy,tiles,activeTiles,sramBits,cyclesMean"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: plain.path).sorted() == ["points", "sweep.csv", "sweep.svg"])
    }

    /// `sweep --slurm`: the array script runs one point per task and the script after it
    /// collects; run here by bash with each `SLURM_ARRAY_TASK_ID` (the real cluster is
    /// SimulateSlurmTests'), they give the plain sweep's CSV and SVG. `--submit` without sbatch
    /// is refused before anything is written.
    @Test func slurmScriptsRunThePointsThenCollect() throws {
        let exe = try #require(AtomicOutputCLITests.binary, "no spikeforge binary next to the tests; build it or set SPIKEFORGE_BIN")
        let data = try NPYDataTests.dataset(train: 64, test: 8)
        defer { try? FileManager.default.removeItem(at: data) }
        let model = data.appendingPathComponent("model").path
        #expect(runCLI(["train", "--data", data.path, "--arch", "64-12-4", "--epochs", "1", "--out", model, "--quiet"]) == nil)
        let (viaSlurm, plain, scripts) = (data.appendingPathComponent("slurm-out"), data.appendingPathComponent("plain"), data.appendingPathComponent("scripts"))
        let sweep = ["sweep", "--model", model, "--images", data.path, "--limit", "2", "--set", "neurons=8", "--set", "weightRows=256", "--set", "lanes=2,4"]
        let r = try AtomicOutputCLITests.run(sweep + ["--slurm", "--slurm-dir", scripts.path, "--slurm-option=--time=10:00", "--out", viaSlurm.path])
        try #require(r.status == 0, "\(r.text)")
        #expect(r.text.contains("2 tasks; task K runs --point K") && r.text.contains("submit them with:"), "\(r.text)")
        let array = try String(contentsOf: scripts.appendingPathComponent("array.sbatch"), encoding: .utf8)
        #expect(array.contains("#SBATCH --array=1-2\n") && array.contains("#SBATCH --time=10:00\n") && array.contains("'--point' \"${SLURM_ARRAY_TASK_ID}\""), "\(array)")
        #expect(array.contains("'\(exe.standardizedFileURL.resolvingSymlinksInPath().path)' 'sweep'") || array.contains("'\(exe.path)' 'sweep'"), "\(array)")
        let bash = Tool(name: "bash", path: "/bin/bash")
        for (k, script) in [("1", "array.sbatch"), ("2", "array.sbatch"), ("", "merge.sbatch")] {
            let (status, out) = try bash.run([scripts.appendingPathComponent(script).path],
                                             environment: ProcessInfo.processInfo.environment.merging(["SLURM_ARRAY_TASK_ID": k]) { $1 })
            #expect(status == 0, "\(script) task '\(k)': \(out)")
        }
        #expect(runCLI(sweep + ["--out", plain.path]) == nil)
        for f in ["sweep.csv", "sweep.svg"] {
            let (a, b) = (try Data(contentsOf: viaSlurm.appendingPathComponent(f)), try Data(contentsOf: plain.appendingPathComponent(f)))
            #expect(!a.isEmpty && a == b, "\(f)")
        }
        // Bad combinations are listed together; no sbatch with --submit is refused before anything runs.
        let e = runCLI(sweep + ["--slurm", "--point", "1", "--jobs", "2", "--slurm-option", "partition"]) ?? ""
        for want in ["--slurm: not with --point or --collect", "--jobs: got 2 with --slurm", "--slurm-option: got 'partition'"] { #expect(e.contains(want), "\(want) in \(e)") }
        #expect((runCLI(sweep + ["--submit"]) ?? "").contains("--submit: needs --slurm"))
        setenv("SBATCH", "/nonexistent/sbatch", 1)
        defer { unsetenv("SBATCH") }
        let none = data.appendingPathComponent("slurm-none")
        let n = runCLI(sweep + ["--slurm", "--submit", "--slurm-dir", none.path, "--out", data.appendingPathComponent("none-out").path]) ?? ""
        #expect(n.contains("--submit needs Slurm's sbatch: sbatch not found"), "\(n)")
        #expect(!FileManager.default.fileExists(atPath: none.path))
    }
}
