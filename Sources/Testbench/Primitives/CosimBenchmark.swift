import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import VerilatorBridge

/// A Verilated FIFO driven from Swift through the shim in batches, against the same model driven
/// by a pure C++ loop, the two interleaved so machine noise hits both alike; plus cold and cached
/// build times, measured in a fresh cache, and the Swift cycle model on the same stimulus for
/// scale. The figures of `spikeforge bench cosim`.
public struct CosimBenchmark {
    public var width: Int
    public var depth: Int
    /// Cycles per measurement (rounded down to whole batches).
    public var cycles: Int
    /// Cycles per batched shim call.
    public var batch: Int
    /// Measurements per engine; the best is kept.
    public var repeats: Int

    public init(width: Int, depth: Int, cycles: Int, batch: Int, repeats: Int) {
        self.width = width
        self.depth = depth
        self.cycles = cycles
        self.batch = batch
        self.repeats = repeats
    }

    public struct Result: Sendable {
        public var top: String
        /// Cycles per run.
        public var cycles: Int
        public var coldSeconds: Double
        public var coldModelOnlySeconds: Double
        public var cachedSeconds: Double
        /// Cycles per second of the C++ loop, of Swift through the shim and of the Swift cycle model.
        public var native: Double
        public var swift: Double
        public var model: Double
        public var checksum: UInt64
        public var ratio: Double { swift / native }
    }

    public func run() throws -> Result {
        let c = FIFOConfig(width: width, depth: depth)
        let design = try FIFOGenerator.design(c)
        let twin = try FIFOGenerator.design(.init(width: width, depth: depth + 1))
        // Builds, measured in a fresh cache so the cold figures are honest.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-bench-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let vb = try VerilatorBuild(root: root)
        let cold = try vb.build(design)
        let coldModelOnly = try vb.build(twin)
        let cached = try vb.build(design)

        let m = try VerilatedModel(cached)
        let inStride = m.inputLayout.stride, outStride = m.outputLayout.stride
        var rng = SplitMix64(seed: 0xBE7C)
        let stimulus = (0 ..< batch * inStride).map { _ in rng.next() }
        var responses = [UInt64](repeating: 0, count: batch * outStride)
        let rounds = cycles / batch
        let n = rounds * batch

        func seconds(_ body: () -> Void) -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        var bestNative = Double.infinity, bestSwift = Double.infinity
        var checksum: UInt64 = 0
        // Interleave the two engines so machine noise hits both alike.
        for _ in 0 ..< repeats {
            bestNative = min(bestNative, seconds { checksum &+= m.benchNative(rounds: rounds, batch: batch, stimulus: stimulus) })
            bestSwift = min(bestSwift, seconds {
                stimulus.withUnsafeBufferPointer { i in
                    responses.withUnsafeMutableBufferPointer { o in
                        for _ in 0 ..< rounds { m.run(cycles: batch, inputs: i, outputs: o) }
                    }
                }
            })
        }
        // The Swift cycle model on the same stimulus, for scale.
        var model = FIFOModel(c)
        let modelCycles = min(n, 200_000)
        let modelTime = seconds {
            stimulus.withUnsafeBufferPointer { i in
                responses.withUnsafeMutableBufferPointer { o in
                    for _ in 0 ..< modelCycles / batch { model.run(cycles: batch, inputs: i, outputs: o) }
                }
            }
        }
        return Result(top: design.top, cycles: n, coldSeconds: cold.seconds, coldModelOnlySeconds: coldModelOnly.seconds, cachedSeconds: cached.seconds,
                      native: Double(n) / bestNative, swift: Double(n) / bestSwift, model: Double(modelCycles / batch * batch) / modelTime, checksum: checksum)
    }
}
