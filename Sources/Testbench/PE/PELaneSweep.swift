import Generators
import SpikeForgeCore

extension PEMeasurement {
    /// One lane count's figures in `spikeforge report pe`.
    public struct LaneFigures: Sendable {
        public var lanes: Int
        public var throughput: Throughput
        /// Cycles from a spike packet's arrival to the first spike packet it causes.
        public var latency: Int
        /// Bits of every SRAM of the tile.
        public var sramBits: Int
        /// Yosys generic cells of the tile (router included), SRAMs kept as memories; nil
        /// without synthesis.
        public var cells: Int?
    }

    /// The lane counts `spikeforge report pe` compares.
    public static let reportLanes = [1, 2, 4, 8]

    /// The default PE at each of `reportLanes`: throughput on `packets` random input spikes at
    /// threshold `theta`, latency and SRAM bits from the cycle model and the configuration, and
    /// with `synth` the Yosys cells of the tile.
    public static func laneSweep(packets: Int, theta: Int, seed: UInt64, synth: Bool) throws -> [LaneFigures] {
        try reportLanes.map { lanes in
            let c = PEConfig(lanes: lanes)
            let bits = c.srams.reduce(0) { $0 + c.geometry($1).width * c.geometry($1).depth }
            var f = LaneFigures(lanes: lanes, throughput: throughput(c, packets: packets, theta: theta, seed: seed), latency: latency(c), sramBits: bits)
            if synth {
                let design = try PEGenerator.design(c)
                f.cells = try Synthesis.cells(design)
            }
            return f
        }
    }
}
