import ArgumentParser
import Compiler
import Datasets
import Foundation
import SpikeForgeCore
import Testbench

/// `spikeforge simulate`: runs a design on the cycle model or the Verilated RTL (or both, to
/// compare them and their speed), checks every image against the trainer's integer model, and
/// reports accuracy, cycles, spikes, NoC and SRAM activity and an energy estimate.
public struct Simulate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Run a design's images on the cycle model or the Verilated system and compare with the integer model.",
        discussion: "The design directory comes from spikeforge export (system.json, model/, images/, and rtl/ from generate system)."
    )

    @Option(help: "Design directory (from spikeforge export).") var design: String = "spikeforge-design"
    @OptionGroup var testImages: TestImageOptions
    @Option(help: "Engine: model, verilator, or both (same images on each, compared image by image, speeds side by side).") var engine = Choice(EngineSelection.model)
    @Option(help: "SRAM loading: packets (configuration packets through the host port) or backdoor ($readmemh / direct).") var load = Choice(LoadMethod.packets)
    @Flag(help: "Send input spikes as one unicast per first-layer tile instead of one multicast.") var unicast = false
    @Option(help: "Write an FST waveform of the Verilated run (use with a small --limit).") var trace: String?
    @Option(parsing: .unconditional, help: "Cycles a phase may take before the run is declared stuck.") var timeout: Int = 5_000_000
    @Option(parsing: .unconditional, help: "Parallel engines, each on a contiguous share of the images (each loads its own SRAMs).") var jobs: Int = 1
    @Option(parsing: .unconditional, help: "Threads of each Verilated engine (Verilator's --threads; a separate cached build per count).") var threads: Int = 1
    @Option(help: "Write every image's results as CSV (engine, image, label, prediction, cycles per phase, input events, spikes per layer, logits).")
    var results: String?
    @Option(help: "Run only shard K of N (1-based): images [count*(K-1)/N, count*K/N); needs --result. Merge the shards with spikeforge merge.")
    var shard: String?
    @Option(help: "With --shard: write the shard's results (JSON) to this file.") var result: String?
    @Option(parsing: .unconditional, help: "Clock (MHz) of the ms-per-image figures. Default: the PE tile's ECP5-85F maximum (report fpga --block pe).")
    var clock: Double = SimulationRun.tileClockMHz
    @Flag(help: "Print every active tile's row operations, spikes sent and busy cycles per image (cycle model).") var tiles = false
    @OptionGroup var slurm: SlurmOptions

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if let e = engine.problem("engine") { p.append(e) }
        if let e = load.problem("load") { p.append(e) }
        p += testImages.problems
        if trace != nil && engine.value == .model { p.append("--trace: needs --engine verilator or both (the waveform is the RTL's)") }
        if let e = Self.clockProblem(clock) { p.append(e) }
        if timeout < 100 { p.append("--timeout: got \(timeout), expected at least 100") }
        if jobs < 1 || jobs > 64 { p.append("--jobs: got \(jobs), expected 1...64") }
        if threads < 1 || threads > 64 { p.append("--threads: got \(threads), expected 1...64") }
        if threads > 1 && engine.value == .model { p.append("--threads: needs --engine verilator or both (the model runs on one thread)") }
        if trace != nil && jobs > 1 { p.append("--trace: needs --jobs 1 (one waveform)") }
        if let shard {
            if case let .failure(e) = ShardSpec.parse(shard) { p.append("--shard: \(e.text)") }
            if result == nil { p.append("--shard: needs --result FILE (where the shard's results go)") }
            if jobs > 1 { p.append("--shard: got --jobs \(jobs), expected --jobs 1 (a shard is one engine's share; run more shards instead)") }
            if results != nil { p.append("--results: not with --shard (spikeforge merge writes the CSV of the whole run)") }
            if slurm.slurm != nil { p.append("--shard: not with --slurm (the Slurm tasks pass --shard themselves)") }
        } else if result != nil {
            p.append("--result: needs --shard K/N (without it the run is whole; --results writes its CSV)")
        }
        p += slurm.problems(trace: trace != nil, jobs: jobs)
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    /// What is wrong with a `--clock` value (simulate's and merge's), if anything.
    static func clockProblem(_ clock: Double) -> String? {
        clock >= 1 && clock <= 10_000 ? nil : "--clock: got \(clock), expected 1...10000 (MHz)"
    }

    public func run() throws {
        // validate() has checked both choices.
        guard let selection = engine.value, let loadMethod = load.value else { throw ValidationError("--engine or --load: not a known value") }
        let d = try DesignDir.open(URL(fileURLWithPath: design))
        let set = try testImages.load()
        try d.model.architecture.check(set)
        Self.describe(d.plan, images: set.source, count: set.count, load: loadMethod.rawValue, multicast: !unicast)
        var runner = SimulationRunner(design: d, load: loadMethod, multicast: !unicast, trace: trace, timeout: timeout, jobs: jobs,
                                      log: { Swift.print($0) }, progress: { FileHandle.standardError.write(Data($0.utf8)) })
        runner.threads = threads
        if let n = slurm.slurm { return try slurm.run(shards: n, simulate: slurmArguments(), results: results, clock: clock, design: d, set: set) }
        if let shard, let result, case let .success(spec) = ShardSpec.parse(shard) {
            let r = try runner.shard(spec, engines: selection.engines, on: set)
            try r.write(to: URL(fileURLWithPath: result))
            let bad = r.runs.map { run in run.images.filter { $0.integerLogits != nil }.count }.reduce(0, +)
            print("shard \(spec): images [\(r.first), \(r.end)) of \(set.count) on \(r.runs.map(\.engine).joined(separator: " and ")); \(bad) differing from the integer model; written to \(result)")
            return
        }
        var runs: [SimulationRun] = []
        for e in selection.engines {
            let r = try runner.run(e, on: set)
            for line in r.report(clockMHz: clock) { print(line) }
            if tiles {
                print(r.tileTable().map { "per tile, per image:\n" + $0 + "\n" } ?? "--tiles: the \(e.rawValue) engine counts no per-tile events (the cycle model does, cycle-exact with the RTL)")
            }
            runs.append(r)
        }
        try Self.finish(runs, results: results)
    }

    /// After the reports: the results CSV, the model-vs-Verilator comparison when both engines
    /// ran, and a failure when any image differs from the integer model (`simulate` and `merge`).
    static func finish(_ list: [SimulationRun], results: String?) throws {
        let runs = Dictionary(list.map { ($0.engine, $0) }, uniquingKeysWith: { a, _ in a })
        if let results { try AtomicOutput.write(Data(SimulationRun.resultsCSV(list).utf8), to: URL(fileURLWithPath: results)) }
        if let m = runs[.model], let v = runs[.verilator] {
            let diffs = m.differences(from: v)
            print("model vs Verilator: \(diffs.isEmpty ? "identical" : "\(diffs.count) images differ (first: \(diffs.prefix(10)))") in logits, spikes and every phase's cycles on all \(m.inferences.count) images")
            print(String(format: "simulation speed: model %.1f images/s, Verilator %.1f images/s: model/Verilator = %.2fx (same images, same run)",
                         m.imagesPerSecond, v.imagesPerSecond, m.imagesPerSecond / v.imagesPerSecond))
            if !diffs.isEmpty { throw CLIError.failed(what: "the cycle model and the RTL differ", details: diffs.prefix(10).map { "image \($0)" }) }
        }
        let bad = list.flatMap(\.mismatches)
        if !bad.isEmpty { throw CLIError.failed(what: "\(bad.count) image(s) differ from the trainer's integer model", details: Array(bad.prefix(20))) }
    }

    /// The header both `simulate` and `merge` print before the reports.
    static func describe(_ plan: SystemPlan, images: String, count: Int, load: String, multicast: Bool) {
        Export.describe(plan)
        print("images: \(images), \(count); load: \(load); input spikes: \(multicast ? "multicast" : "unicast")\n")
    }
}
