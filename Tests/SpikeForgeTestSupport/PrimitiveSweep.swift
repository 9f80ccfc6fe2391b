import Generators
import HWIR
import SpikeForgeCore

/// The primitive configurations the tests sweep: the lockstep co-simulation and the RTL gates
/// run on exactly this list. Corners: the smallest legal widths, 64-bit and wider-than-64 ports,
/// depth 1 and non-power-of-two depths.
public enum PrimitiveSweep {
    public static let adders: [SatAdderConfig] = [
        .init(aWidth: 2, bWidth: 2, outWidth: 2), .init(aWidth: 8, bWidth: 4, outWidth: 6), .init(aWidth: 16, bWidth: 8, outWidth: 16),
        .init(aWidth: 12, bWidth: 12, outWidth: 20), .init(aWidth: 64, bWidth: 64, outWidth: 64), .init(aWidth: 33, bWidth: 7, outWidth: 32),
    ]
    public static let accumulators: [AccumulatorConfig] = [
        .init(inWidth: 2, accWidth: 2), .init(inWidth: 8, accWidth: 12), .init(inWidth: 16, accWidth: 8),
        .init(inWidth: 32, accWidth: 32), .init(inWidth: 64, accWidth: 64),
    ]
    public static let fifos: [FIFOConfig] = [
        .init(width: 1, depth: 1), .init(width: 8, depth: 2), .init(width: 8, depth: 3), .init(width: 32, depth: 16),
        .init(width: 72, depth: 5), .init(width: 130, depth: 4),
    ]
    public static let srams: [SRAMConfig] = [
        .init(width: 1, depth: 2, kind: .singlePort), .init(width: 8, depth: 16, kind: .singlePort), .init(width: 70, depth: 33, kind: .singlePort),
        .init(width: 8, depth: 2, kind: .simpleDualPort), .init(width: 16, depth: 100, kind: .simpleDualPort),
        .init(width: 64, depth: 256, kind: .simpleDualPort), .init(width: 100, depth: 8, kind: .simpleDualPort),
    ]
    public static let arbiters: [ArbiterConfig] = [.init(requesters: 2), .init(requesters: 3), .init(requesters: 5), .init(requesters: 8), .init(requesters: 10), .init(requesters: 64)]

    /// Neuron arrays: every mode and the runtime mode, widths from the smallest legal
    /// (w2 v3 z2 t1) to 32 bits, with and without multiplicity.
    public static let neurons: [NeuronConfig] = [
        .init(neurons: 2, wBits: 2, vBits: 3, zBits: 2, thresholdBits: 1, multiplicityBits: 0, mode: .linear),
        .init(neurons: 3, wBits: 4, vBits: 6, zBits: 3, thresholdBits: 3, multiplicityBits: 2, mode: .relu),
        .init(neurons: 4, wBits: 8, vBits: 16, zBits: 8, thresholdBits: 8, multiplicityBits: 4, mode: .reluFloor),
        .init(neurons: 4, wBits: 8, vBits: 16, zBits: 8, thresholdBits: 8, multiplicityBits: 4, mode: .runtime),
        .init(neurons: 8, wBits: 6, vBits: 8, zBits: 4, thresholdBits: 4, multiplicityBits: 1, mode: .relu),
        .init(neurons: 2, wBits: 16, vBits: 24, zBits: 12, thresholdBits: 16, multiplicityBits: 0, mode: .runtime),
        .init(neurons: 1, wBits: 24, vBits: 32, zBits: 16, thresholdBits: 8, multiplicityBits: 2, mode: .linear),
        .init(neurons: 2, wBits: 16, vBits: 32, zBits: 32, thresholdBits: 30, multiplicityBits: 3, mode: .runtime),
    ]

    /// Every configuration above, by module name.
    public static var all: [String: @Sendable () throws -> Design] {
        var d: [String: @Sendable () throws -> Design] = [:]
        for c in adders { d[c.moduleName] = { try SatAdderGenerator.design(c) } }
        for c in accumulators { d[c.moduleName] = { try AccumulatorGenerator.design(c) } }
        for c in fifos { d[c.moduleName] = { try FIFOGenerator.design(c) } }
        for c in srams { d[c.moduleName] = { try SRAMGenerator.design(c) } }
        for c in arbiters { d[c.moduleName] = { try ArbiterGenerator.design(c) } }
        for c in neurons { d[c.moduleName] = { try NeuronGenerator.design(c) } }
        return d
    }
}
