import ArgumentParser
import Foundation
import Testbench

/// `spikeforge merge`: the report of a sharded run (`simulate --shard K/N --result FILE`, or the
/// tasks of `simulate --slurm`), the same report `simulate` prints for the whole run.
public struct Merge: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Merge the shard results of simulate --shard (or --slurm) and print the run's report.",
        discussion: """
            The files must be shards of one run (same design, model, images, load method, input spikes and shard count) that, per engine, \
            hold every image exactly once; a file may hold both engines (simulate --shard --engine both), or each engine's shards may be \
            separate files. The report is the one simulate prints for the whole run, but for the speed line: engine-seconds summed over the shards.
            """
    )

    @Argument(help: "Shard result files (simulate --shard K/N --result FILE).") var files: [String] = []
    @Option(help: "Write every image's results as CSV, as simulate --results does.") var results: String?
    @Option(parsing: .unconditional, help: "Clock (MHz) of the ms-per-image figures, as simulate --clock.") var clock: Double = SimulationRun.tileClockMHz

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if files.isEmpty { p.append("FILE: got none, expected the shard result files (simulate --shard K/N --result FILE)") }
        if let e = Simulate.clockProblem(clock) { p.append(e) }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let m = try ShardMerge.load(files.map { URL(fileURLWithPath: $0) })
        Simulate.describe(m.plan, images: m.identity.images.source, count: m.identity.images.count, load: m.identity.load, multicast: m.identity.multicast)
        for r in m.runs { for line in r.report(clockMHz: clock) { print(line) } }
        try Simulate.finish(m.runs, results: results)
    }
}
