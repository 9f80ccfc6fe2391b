import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore

/// The blocks `spikeforge report fpga` places and routes on an ECP5, each at the configuration
/// the docs quote, with the Yosys generic cell count of `generate --check` beside the ECP5 figures.
public enum FPGABlock: String, CaseIterable, Sendable {
    /// The default neuron array (4 units): the smallest clocked block, the one CI runs.
    case neuron
    /// The default 5-port X-Y router of a 4 x 4 mesh.
    case router
    /// The default PE tile (256 neurons, 4 lanes, router included): `generate pe`.
    case pe
    /// A 2 x 2 system of the reference system's tiles, with its host port.
    case system

    /// What `report fpga` runs without `--block`: the system's routing alone takes over half an hour.
    public static let defaultSet: [FPGABlock] = [.neuron, .router, .pe]

    /// The system measured: 2 x 2 tiles of the reference system's PE.
    public static let smallSystem = SystemConfig(cols: 2, rows: 2, pe: SystemConfig.defaultConfig.pe)

    public var configuration: String {
        switch self {
        case .neuron: "default (\(NeuronConfig.defaultConfig.neurons) neurons)"
        case .router: RouterConfig.defaultConfig.summary
        case .pe: "default (\(PEConfig.defaultConfig.neurons) neurons, \(PEConfig.defaultConfig.lanes) lanes)"
        case .system: "\(Self.smallSystem.cols)x\(Self.smallSystem.rows) of the \(SystemConfig.defaultConfig.cols)x\(SystemConfig.defaultConfig.rows) reference system's tile"
        }
    }

    public func design() throws(ConfigError) -> Design {
        switch self {
        case .neuron: try NeuronGenerator.design(.defaultConfig)
        case .router: try RouterGenerator.design(.defaultConfig)
        case .pe: try PEGenerator.design(.defaultConfig)
        case .system: try SystemGenerator.design(Self.smallSystem)
        }
    }
}

/// One block's figures: ECP5 after place and route, and Yosys' generic cells.
public struct FPGAMeasurement: Sendable {
    public var block: FPGABlock
    public var ecp5: FPGAReport
    /// Yosys generic cells (`synth -flatten`, large memories kept as `$mem`), as `generate --check` prints.
    public var genericCells: Int

    /// Emits `block` into a scratch directory, runs both flows and removes the directory.
    public static func measure(_ block: FPGABlock, target: ECP5Target) throws -> FPGAMeasurement {
        let design = try block.design()
        return try Synthesis.withEmitted(design) { paths in
            let generic = try Synthesis.gate(design, files: paths)
            let ecp5 = try ECP5Flow.run(files: paths, top: design.top, target: target)
            return FPGAMeasurement(block: block, ecp5: ecp5, genericCells: generic.cells)
        }
    }
}

extension RouterConfig {
    var summary: String { "default (\(cols)x\(rows) mesh, \(flitWidth)-bit flits, \(bufferDepth)-deep buffers)" }
}
