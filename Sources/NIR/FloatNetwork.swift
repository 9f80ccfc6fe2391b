import Datasets
import SpikeForgeCore
import Trainer

/// A NIR graph read in SpikeForge's event-count semantics, before quantization (docs/NIR.md):
/// each hidden layer's count is `a = floor(max(0, W·a_prev + B) / θ)` with `B` the bias summed
/// over the time steps, the output layer's logits are `W·a_prev + B`, and the input is the
/// pixel presented for `T` steps, `T·p/255`.
public struct FloatLayer: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    public var input: FeatureShape
    public var output: FeatureShape
    /// Dense `[out, in]`, conv `[out, in, k, k]`, pool empty (weights 1).
    public var weights: [Double]
    /// Per output neuron, over the whole presentation (per-step bias × T).
    public var bias: [Double]
    /// One threshold for the layer (per-neuron thresholds are folded into the rows). Pooling:
    /// in units of its input counts (an average pool's 1/k² is folded in).
    public var threshold: Double
    public var isOutput: Bool
    public var mode: NeuronMode = .reluFloor
    public var flush = false

    /// A dense or conv layer's weight for output `i` from input `j`, through the layer's own
    /// fan-in walk (the same as the integer layer's).
    func forEachSource(of i: Int, _ body: (Int, Double) -> Void) {
        switch kind {
        case .dense:
            let base = i * input.count
            for j in 0 ..< input.count { body(j, weights[base + j]) }
        case let .conv(k):
            let o = i / (output.height * output.width), oy = (i / output.width) % output.height, ox = i % output.width
            for c in 0 ..< input.channels {
                let wBase = (o * input.channels + c) * k * k
                for ky in 0 ..< k { for kx in 0 ..< k { body(input.index(c, oy + ky, ox + kx), weights[wBase + ky * k + kx]) } }
            }
        case let .pool(k):
            let c = i / (output.height * output.width), oy = (i / output.width) % output.height, ox = i % output.width
            for dy in 0 ..< k { for dx in 0 ..< k { body(input.index(c, oy * k + dy, ox * k + dx), 1) } }
        }
    }
}

public struct FloatNetwork: Sendable, Equatable {
    public var layers: [FloatLayer]
    /// Time steps the input is presented for (the bias is summed over them).
    public var timesteps: Int

    /// The logits of one image (`p` 0…255 per pixel, channel-major).
    public func logits(_ image: ArraySlice<UInt8>) -> [Double] {
        var a = image.map { Double(timesteps) * Double($0) / 255 }
        for l in layers {
            var x = [Double](repeating: 0, count: l.output.count)
            for i in 0 ..< l.output.count {
                var s = l.bias[i]
                l.forEachSource(of: i) { j, w in s += w * a[j] }
                // relu with the flush rounds half away from zero; the other modes floor (SPEC §1).
                x[i] = l.isOutput ? s : (max(0, s) / l.threshold).rounded(l.mode == .relu && l.flush ? .toNearestOrAwayFromZero : .down)
            }
            a = x
        }
        return a
    }

    public func accuracy(_ set: ImageSet) -> Double {
        guard set.count > 0 else { return 0 }
        var correct = 0
        for n in 0 ..< set.count {
            let z = logits(set.image(n))
            var best = 0
            for (i, v) in z.enumerated() where v > z[best] { best = i }
            if best == Int(set.labels[n]) { correct += 1 }
        }
        return Double(correct) / Double(set.count)
    }
}
