import ArgumentParser
import Datasets
import Foundation
import SpikeForgeCore
import Testbench

/// `--submit`, `--slurm-dir`, `--slurm-option`: how a Slurm job is written and submitted, for
/// `simulate --slurm N` and `sweep --slurm`.
struct SlurmJobOptions: ParsableArguments {
    @Flag(help: "With --slurm: submit the array (sbatch --parsable), then the job after it (--dependency=afterok), and print their job ids.")
    var submit = false
    @Option(name: .customLong("slurm-dir"), help: "With --slurm: directory of the scripts, results and logs (default: slurm-<name>-<time> beside the design or sweep directory; on a file system every node sees).")
    var slurmDir: String?
    @Option(name: .customLong("slurm-option"), help: "With --slurm: an extra #SBATCH option for both jobs, e.g. --slurm-option=--partition=debug --slurm-option=--time=2:00:00 (repeatable).")
    var slurmOption: [String] = []

    init() {}

    /// The problems of these options; `enabled`: whether --slurm was given.
    func problems(enabled: Bool) -> [String] {
        var p: [String] = []
        if !enabled {
            if submit { p.append("--submit: needs --slurm (the job array to submit)") }
            if slurmDir != nil { p.append("--slurm-dir: needs --slurm") }
            if !slurmOption.isEmpty { p.append("--slurm-option: needs --slurm") }
        }
        for o in slurmOption where !o.hasPrefix("-") || o.contains(where: \.isNewline) {
            p.append("--slurm-option: got '\(o)', expected one sbatch option on one line, such as --partition=debug")
        }
        return p
    }

    /// The running `spikeforge` (the tasks run the same binary; it must be on a shared file system).
    static var executable: String {
        if let b = ProcessInfo.processInfo.environment["SPIKEFORGE_BIN"], !b.isEmpty { return URL(fileURLWithPath: b).standardizedFileURL.path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return exe != "/proc/self/exe" ? exe : URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// `--slurm-dir`, or `slurm-<name>-<time>` beside `beside`.
    func directory(beside: URL) -> URL {
        if let slurmDir { return URL(fileURLWithPath: slurmDir).standardizedFileURL }
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        let b = beside.standardizedFileURL
        return b.deletingLastPathComponent().appendingPathComponent("slurm-\(b.lastPathComponent)-\(f.string(from: Date()))")
    }

    /// Fails early when --submit cannot find sbatch (before anything is written or run).
    func checkSubmit() throws { if submit { _ = try SlurmJob.sbatch() } }

    /// Writes the job's scripts, then submits them (--submit) or prints how to.
    func launch(_ job: SlurmJob, what: String) throws {
        try job.write()
        print("slurm: wrote \(job.arrayScript.path) (\(job.tasks) tasks; \(what)) and \(job.afterScript.path) (the report goes to \(job.logs.path)/merge.out)")
        guard submit else {
            print("submit them with:")
            for line in job.submitInstructions { print("  \(line)") }
            return
        }
        let ids = try job.submit()
        print("submitted: array job \(ids.array) (\(job.tasks) tasks), job \(ids.after) after it (once every task succeeded); the report will be in \(job.logs.path)/merge.out")
    }
}

/// `simulate --slurm N [--submit]`: the run as a Slurm job array of N shards and a merge job.
struct SlurmOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Write a Slurm job array of N tasks (task K runs --shard K/N) and a merge job that prints the report; submit them with --submit.")
    var slurm: Int?
    @OptionGroup var job: SlurmJobOptions

    init() {}

    func problems(trace: Bool, jobs: Int) -> [String] {
        var p: [String] = []
        if let n = slurm {
            if n < 1 || n > ShardSpec.maxCount { p.append("--slurm: got \(n), expected 1...\(ShardSpec.maxCount) array tasks") }
            if trace { p.append("--trace: not with --slurm (one waveform needs one run; use --jobs 1 without --slurm)") }
            if jobs > 1 { p.append("--jobs: got \(jobs) with --slurm, expected 1 (each array task is one engine; ask for more tasks instead)") }
        }
        return p + job.problems(enabled: slurm != nil)
    }

    /// Writes (and with `--submit` submits) the array and merge jobs; `simulate`: the task's
    /// arguments before `--shard`, paths absolute.
    func run(shards n: Int, simulate: [String], results: String?, clock: Double, design: DesignDir, set: ImageSet) throws {
        try job.checkSubmit()
        let dir = job.directory(beside: design.url)
        let exe = SlurmJobOptions.executable
        let shardFile = { (k: String) in dir.appendingPathComponent("shard-\(k).json").path }
        var merge = [exe, "merge"] + (1 ... n).map { shardFile("\($0)") }
        if let results { merge += ["--results", URL(fileURLWithPath: results).standardizedFileURL.path] }
        if clock != SimulationRun.tileClockMHz { merge += ["--clock", "\(clock)"] }
        let slurmJob = SlurmJob(name: "spikeforge-\(design.url.lastPathComponent)", directory: dir, tasks: n,
                                task: [exe] + simulate + ["--shard", "\(SlurmJob.taskID)/\(n)", "--result", shardFile(SlurmJob.taskID)], after: merge, options: job.slurmOption)
        try job.launch(slurmJob, what: "task K runs --shard K/\(n) --result \(shardFile("K")); then spikeforge merge")
        if n > set.count { print("note: \(n) shards for \(set.count) images: \(n - set.count) shard(s) hold no image") }
    }
}

extension Simulate {
    /// This run's options as an array task's `simulate` arguments (paths absolute; no --jobs,
    /// --trace, --results or --slurm: the task is one shard).
    func slurmArguments() -> [String] {
        func abs(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
        var a = ["simulate", "--design", abs(design), "--engine", engine.text, "--load", load.text, "--timeout", "\(timeout)"]
        a += testImages.arguments
        if unicast { a.append("--unicast") }
        if threads > 1 { a += ["--threads", "\(threads)"] }
        return a
    }
}
