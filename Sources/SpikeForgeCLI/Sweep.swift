import ArgumentParser
import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Trainer

extension SimulationEngine: ExpressibleByArgument {}

/// `spikeforge sweep`: a design-space sweep over PE fields, meshes and placement policies
/// (docs/SYSTEM.md, "Design-space sweep"). Every point is compiled before anything runs; each
/// point's run writes OUT/points/point-K.json, and the collection writes OUT/sweep.csv and
/// OUT/sweep.svg and prints the table with the Pareto front.
public struct SweepCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Sweep PE fields, meshes and policies: compile and simulate every point, tabulate cycles, SRAM bits and energy, mark the Pareto front.",
        discussion: """
        Points are the cartesian product, numbered from 1 in the order of nested loops: mesh outermost, then policy, then each --set field in the order given, the last varying fastest. \
        Every point is compiled first; if any cannot be built, all of them are listed and nothing runs. \
        A plain sweep runs every point (--jobs at a time), writes OUT/points/point-K.json for each, then collects. \
        --point K runs point K alone (what one array task of a cluster job runs); --collect only collects the point files of the same sweep (same flags, model and images) into OUT/sweep.csv and OUT/sweep.svg.
        """
    )

    @Option(help: "Model directory (from spikeforge train).") var model: String
    @OptionGroup var testImages: TestImageOptions
    @Option(name: .customLong("set"), help: "A swept PE field and its values, FIELD=v1,v2,... (fields as spikeforge blocks pe lists them, e.g. lanes=2,4,8). Repeatable, one per field.")
    var sets: [String] = []
    @Option(help: "Meshes, COLSxROWS,... (repeatable). Without it, each point's smallest mesh the model fits on.") var mesh: [String] = []
    @Option(help: "Placement policies, fill and/or spread (comma-separated, repeatable).") var policy: [String] = []
    @Option(help: "Engine: model (the cycle model, counts events for the energy estimate) or verilator.") var engine = Choice(SimulationEngine.model)
    @Option(help: "SRAM loading: backdoor (direct / $readmemh; the default, fastest) or packets (configuration packets, adds load cycles).") var load = Choice(LoadMethod.backdoor)
    @Option(parsing: .unconditional, help: "Points run in parallel (each single-threaded).") var jobs: Int = 1
    @Option(parsing: .unconditional, help: "Run only point K (1-based) and write OUT/points/point-K.json.") var point: Int?
    @Flag(help: "Only collect OUT/points/ into OUT/sweep.csv and OUT/sweep.svg (every point present, all of this sweep).") var collect = false
    @Option(parsing: .unconditional, help: "Cycles a phase may take before a point's run is declared stuck.") var timeout: Int = 5_000_000
    @Option(help: "Output directory.") var out: String = "spikeforge-sweep"
    @Flag(help: "Write a Slurm job array, one task per point (task K runs --point K), and a job after it that runs --collect; submit them with --submit.")
    var slurm = false
    @OptionGroup var slurmJob: SlurmJobOptions

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if let e = engine.problem("engine") { p.append(e) }
        if let e = load.problem("load") { p.append(e) }
        p += testImages.problems
        if jobs < 1 || jobs > 64 { p.append("--jobs: got \(jobs), expected 1...64") }
        if timeout < 100 { p.append("--timeout: got \(timeout), expected at least 100") }
        if point != nil && collect { p.append("--point and --collect: give one (a point's run, or the collection of every point)") }
        if slurm && (point != nil || collect) { p.append("--slurm: not with --point or --collect (the array tasks run --point K, the job after them --collect)") }
        if slurm && jobs > 1 { p.append("--jobs: got \(jobs) with --slurm, expected 1 (each array task runs one point)") }
        p += slurmJob.problems(enabled: slurm)
        switch Result(catching: { () throws(SweepError) in try spec(model: "", images: "") }) {
        case let .success(spec):
            if let k = point, !(1 ... spec.count).contains(k) { p.append("--point: got \(k), expected 1...\(spec.count) (the sweep has \(spec.count) points)") }
        case let .failure(e):
            p.append(contentsOf: e.problems)
            if let k = point, k < 1 { p.append("--point: got \(k), expected at least 1") }
        }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    func spec(model: String, images: String) throws(SweepError) -> SweepSpec {
        try SweepSpec.parse(sets: sets, meshes: mesh, policies: policy, engine: engine.text, load: load.text, model: model, images: images)
    }

    public func run() throws {
        // validate() has checked both choices.
        guard let engineValue = engine.value, let loadMethod = load.value else { throw ValidationError("--engine or --load: not a known value") }
        if slurm { try slurmJob.checkSubmit() }
        let (m, _) = try ModelFile.load(URL(fileURLWithPath: model))
        let set = try testImages.load()
        try m.architecture.check(set)
        let spec = try spec(model: m.digest, images: set.identity.digest)
        let dir = URL(fileURLWithPath: out)
        if !collect {
            let start = Date()
            let sweep = try Sweep(spec: spec, model: m, images: set, engine: engineValue, load: loadMethod, timeout: timeout, only: point.map { [$0] })
            print(String(format: "sweep: %d points, all compiled (%.1f s); images: %@, %d; engine %@, load %@", spec.count, Date().timeIntervalSince(start),
                         set.source, set.count, engineValue.rawValue, loadMethod.rawValue))
            if slurm {
                let exe = SlurmJobOptions.executable, args = slurmArguments()
                let job = SlurmJob(name: "spikeforge-sweep-\(dir.standardizedFileURL.lastPathComponent)", directory: slurmJob.directory(beside: dir), tasks: spec.count,
                                   task: [exe] + args + ["--point", SlurmJob.taskID], after: [exe] + args + ["--collect"], options: slurmJob.slurmOption)
                try slurmJob.launch(job, what: "task K runs --point K, writing \(dir.standardizedFileURL.path)/points/point-K.json; then sweep --collect")
                return
            }
            if let k = point {
                let r = try sweep.write(point: k, to: dir)
                print(String(format: "point %d (%@): %.1f cycles per image, %.1f s; wrote %@", k, spec.points[k - 1].description, r.summary.inferenceMean,
                             Date().timeIntervalSince(start), SweepPointResult.file(k, in: dir).path))
                return
            }
            try sweep.runAll(jobs: jobs, to: dir, log: { Swift.print($0) })
            print(String(format: "ran %d points in %.1f s (%d job%@)", spec.count, Date().timeIntervalSince(start), jobs, jobs == 1 ? "" : "s"))
        }
        let report = SweepReport(spec: spec, results: try Sweep.collect(spec, from: dir))
        try AtomicOutput.write(files: report.files(), to: dir)
        print(report.table())
        print("* Pareto front: no other point has fewer or equal cycles per image, SRAM bits\(report.results.first?.summary.energyNJ == nil ? "" : " and energy per image"), and fewer of one")
        print("wrote \(out)/sweep.csv and \(out)/sweep.svg")
    }

    /// This sweep's flags for an array task or the collection (paths absolute; no --jobs,
    /// --point, --collect or Slurm options).
    func slurmArguments() -> [String] {
        func abs(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
        var a = ["sweep", "--model", abs(model)] + testImages.arguments
        for s in sets { a += ["--set", s] }
        for m in mesh { a += ["--mesh", m] }
        for p in policy { a += ["--policy", p] }
        return a + ["--engine", engine.text, "--load", load.text, "--timeout", "\(timeout)", "--out", abs(out)]
    }
}
