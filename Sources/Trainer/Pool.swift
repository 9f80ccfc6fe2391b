import CKernels
import Foundation

/// `k × k` sum pooling of stride `k` per channel (SPEC §6): an IF layer with fixed unit weights
/// and no bias, so its output `act(Σ window)` with its own θ is exact like any layer of SPEC §1.
/// No parameters; the backward pass broadcasts each output's gradient to its window.
final class PoolLayer: TrainableLayer {
    let input: FeatureShape
    let output: FeatureShape
    let size: Int
    let inputSize: Int
    let outputSize: Int
    let parts: Int
    /// Unused (no bias); kept so that every layer has one in a checkpoint.
    var biasScale: Float = 1

    init(input: FeatureShape, size k: Int, parts: Int) {
        self.input = input
        output = FeatureShape(channels: input.channels, height: input.height / k, width: input.width / k)
        size = k
        inputSize = input.count
        outputSize = output.count
        self.parts = max(1, parts)
    }

    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let (I, k, inSize, outSize) = (self.input, size, inputSize, outputSize)
        nonisolated(unsafe) let (x, y) = (input, out)
        imageBlocks(batch, parts: parts) { _, lo, hi in
            sf_sum_pool(x + lo * inSize, hi - lo, I.channels, I.height, I.width, k, y + lo * outSize)
        }
    }

    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?) {
        guard let gradIn else { return }
        let (I, k, inSize, outSize) = (self.input, size, inputSize, outputSize)
        nonisolated(unsafe) let (g, gi) = (gradOut, gradIn)
        imageBlocks(batch, parts: parts) { _, lo, hi in
            sf_pool_broadcast(g + lo * outSize, hi - lo, I.channels, I.height, I.width, k, gi + lo * inSize)
        }
    }

    func update(_ opt: OptimizerStep) {}
    var integerWeights: [Int32] { [] }
    var integerBias: [Int64] { [Int64](repeating: 0, count: outputSize) }
    var checkpointTensors: [(kind: String, values: [Float])] { [] }
    func restore(_ tensors: [String: [Float]], biasScale: Float) -> Bool {
        self.biasScale = biasScale
        return tensors.isEmpty
    }
}
