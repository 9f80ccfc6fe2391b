import ArgumentParser
import SpikeForgeCore

/// The `spikeforge` command.
public struct SpikeForge: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "spikeforge",
        abstract: "Hardware co-design for ternary-spike neural networks: train, compile to a PE mesh, generate RTL, simulate bit-exactly.",
        version: "spikeforge \(SpikeForgeVersion.string)",
        subcommands: [
            Flow.self, Train.self, Eval.self, Export.self, Generate.self, Blocks.self, Simulate.self, Merge.self, SweepCommand.self, HostProgramCommand.self, Check.self,
            Report.self, NoC.self,
            NIRCommand.self, Bench.self, ReferenceRTLCommand.self,
        ]
    )

    public init() {}
}
