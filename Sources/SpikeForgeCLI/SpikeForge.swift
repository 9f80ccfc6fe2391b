import ArgumentParser
import SpikeForgeCore

/// The `spikeforge` command.
public struct SpikeForge: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spikeforge",
        abstract: "Hardware co-design for ternary-spike neural networks: RTL generators, cycle models, Verilator co-simulation.",
        version: "spikeforge \(SpikeForgeVersion.string)",
        subcommands: [Flow.self, Train.self, Eval.self, Generate.self, Report.self, NoC.self, Bench.self]
    )

    public init() {}
}
