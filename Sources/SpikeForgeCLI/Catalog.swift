import CycleModels
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import Testbench
import VerilatorBridge

/// A CLI-level failure that is not a configuration or tool error.
public enum CLIError: Error, Equatable, CustomStringConvertible {
    case unknownBlock(name: String, known: [String])
    case failed(what: String, details: [String])

    public var description: String {
        switch self {
        case let .unknownBlock(name, known):
            return "unknown block '\(name)'; known blocks: \(known.joined(separator: ", "))"
        case let .failed(what, details):
            return "\(what):\n" + details.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// One generatable block as the CLI sees it: configuration resolution, generation, and (for
/// blocks with a cycle model) a lockstep co-simulation run.
public struct BlockEntry: Sendable {
    public let name: String
    public let summary: String
    /// Every configuration field with its type, default and allowed values (`spikeforge blocks`).
    public let fields: [ConfigFieldListing]
    /// Resolves the configuration (default, file, `--set`), then returns the design and the
    /// resolved configuration as canonical JSON.
    public let generate: @Sendable (_ file: String?, _ overrides: [String]) throws -> (design: Design, config: String)
    /// Runs `cycles` lockstep cycles of the default configuration's model against `rtl`.
    public let lockstep: @Sendable (_ file: String?, _ overrides: [String], _ builder: VerilatorBuild, _ cycles: Int, _ seed: UInt64) throws -> (LockstepReport, BuiltModel)
}

public enum Catalog {
    // The closures below are @Sendable and name `G` and `M`, so their metatypes must be Sendable too.
    static func entry<G: BlockGenerator & SendableMetatype, M: CycleModel & SendableMetatype>(
        _: G.Type, summary: String, model: @escaping @Sendable (G.Config) -> M, stimulus: @escaping @Sendable (G.Config) -> StimulusFunction
    ) -> BlockEntry {
        BlockEntry(
            name: G.Config.blockName, summary: summary, fields: ConfigFieldListing.of(G.Config.self),
            generate: { file, overrides in
                let c = try ConfigResolver.resolve(G.Config.self, file: file, overrides: overrides)
                return (try G.design(c), try CanonicalJSON.encode(c, pretty: true))
            },
            lockstep: { file, overrides, builder, cycles, seed in
                let c = try ConfigResolver.resolve(G.Config.self, file: file, overrides: overrides)
                let built = try builder.build(try G.design(c))
                var rtl = try VerilatedModel(built)
                var m = model(c)
                let r = try Lockstep.run(reference: &m, dut: &rtl, cycles: cycles, seed: seed, configuration: try CanonicalJSON.encode(c), stimulus: stimulus(c))
                return (r, built)
            }
        )
    }

    /// Every block `spikeforge generate` knows, in display order.
    public static let blocks: [BlockEntry] = [
        entry(SatAdderGenerator.self, summary: "signed saturating adder (combinational)", model: SatAdderModel.init, stimulus: Stimulus.satAdder),
        entry(AccumulatorGenerator.self, summary: "signed saturating accumulator", model: AccumulatorModel.init, stimulus: Stimulus.accumulator),
        entry(FIFOGenerator.self, summary: "synchronous valid/ready FIFO", model: FIFOModel.init, stimulus: Stimulus.fifo),
        entry(SRAMGenerator.self, summary: "single-port or simple dual-port SRAM", model: { SRAMModel($0) }, stimulus: Stimulus.sram),
        entry(ArbiterGenerator.self, summary: "round-robin arbiter", model: ArbiterModel.init, stimulus: Stimulus.arbiter),
        entry(NeuronGenerator.self, summary: "ternary-spike integrate-and-fire neuron array", model: NeuronArrayModel.init, stimulus: Stimulus.neuron),
        entry(RouterGenerator.self, summary: "5-port X-Y mesh router with multicast", model: { RouterModel($0, x: 1, y: 1) }, stimulus: { Stimulus.router($0, x: 1, y: 1) }),
        entry(MeshGenerator.self, summary: "cols x rows X-Y mesh network-on-chip with a host port", model: MeshModel.init, stimulus: Stimulus.mesh),
        entry(PEGenerator.self, summary: "processing element tile: YOSO-style PE core on an X-Y router", model: { PETileModel($0, x: 1, y: 1) }, stimulus: { Stimulus.peTile($0, x: 1, y: 1) }),
    ]

    public static func block(named name: String) throws(CLIError) -> BlockEntry {
        guard let b = blocks.first(where: { $0.name == name }) else { throw .unknownBlock(name: name, known: blocks.map(\.name)) }
        return b
    }
}
