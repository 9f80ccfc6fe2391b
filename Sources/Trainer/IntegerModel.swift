import Datasets
import Dispatch
import SpikeForgeCore

/// One layer of the integer network of SPEC §1 (§6 for convolution and pooling): integer
/// weights, biases and threshold.
public struct IntegerLayer: Sendable, Equatable {
    public var name: String
    public var kind: LayerKind
    /// The input and output maps (`inputs` and `outputs` are their flat counts, channel-major).
    public var inputShape: FeatureShape
    public var outputShape: FeatureShape
    public var inputs: Int { inputShape.count }
    public var outputs: Int { outputShape.count }
    /// Dense: `outputs × inputs`, row-major (`weights[i * inputs + j]` is the synapse from input
    /// `j` to neuron `i`). Conv: the kernels `(out, in, kh, kw)`, each stored once. Pool: empty
    /// (the weights are fixed at 1).
    public var weights: [Int32]
    /// The start value of `V` (`vBits` wide in hardware), one per output neuron (0 for pooling).
    public var bias: [Int64]
    /// `θ > 0`. The output layer never fires; its θ is carried for completeness.
    public var threshold: Int64
    public var mode: NeuronMode
    /// Whether the host runs the residual flush on this layer.
    public var flush: Bool
    public var isOutput: Bool

    /// A dense layer.
    public init(name: String, inputs: Int, outputs: Int, weights: [Int32], bias: [Int64], threshold: Int64,
                mode: NeuronMode, flush: Bool, isOutput: Bool) {
        self.init(name: name, kind: .dense, input: .vector(inputs), output: .vector(outputs), weights: weights, bias: bias,
                  threshold: threshold, mode: mode, flush: flush, isOutput: isOutput)
    }

    /// Any layer; `weights` and `bias` must have the counts `kind` and the shapes give
    /// (`IntegerLayer.weightCount`).
    public init(name: String, kind: LayerKind, input: FeatureShape, output: FeatureShape, weights: [Int32], bias: [Int64], threshold: Int64,
                mode: NeuronMode, flush: Bool, isOutput: Bool) {
        precondition(weights.count == Self.weightCount(kind, input, output) && bias.count == output.count && threshold > 0)
        self.name = name
        self.kind = kind
        self.inputShape = input
        self.outputShape = output
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.mode = mode
        self.flush = flush
        self.isOutput = isOutput
    }

    /// The number of stored weights of a layer of this kind and shapes.
    public static func weightCount(_ kind: LayerKind, _ input: FeatureShape, _ output: FeatureShape) -> Int {
        switch kind {
        case .dense: return input.count * output.count
        case let .conv(k): return output.channels * input.channels * k * k
        case .pool: return 0
        }
    }

    /// Calls `body(i, w)` for every output neuron `i` that input `j` drives, with the weight.
    /// Dense layers visit outputs in ascending order; conv layers by kernel offset, then output
    /// channel; pool layers their one output.
    @inline(__always)
    public func forEachTarget(of j: Int, _ body: (Int, Int32) -> Void) {
        switch kind {
        case .dense:
            for i in 0 ..< outputs { body(i, weights[i * inputs + j]) }
        case let .conv(k):
            let (I, O) = (inputShape, outputShape)
            let c = j / (I.height * I.width), iy = (j / I.width) % I.height, ix = j % I.width
            for ky in max(0, iy - O.height + 1) ... min(k - 1, iy) {
                for kx in max(0, ix - O.width + 1) ... min(k - 1, ix) {
                    for o in 0 ..< O.channels {
                        body(O.index(o, iy - ky, ix - kx), weights[((o * I.channels + c) * k + ky) * k + kx])
                    }
                }
            }
        case let .pool(k):
            let I = inputShape
            let c = j / (I.height * I.width), iy = (j / I.width) % I.height, ix = j % I.width
            body(outputShape.index(c, iy / k, ix / k), 1)
        }
    }

    /// Calls `body(j, w)` for every input `j` that drives output neuron `i` (its fan-in), with
    /// the weight, in ascending `j`: dense layers every input; conv layers the `in × k × k`
    /// window of the output's position (by input channel, then row, then column); pool layers
    /// the `k × k` window of its channel.
    @inline(__always)
    public func forEachSource(of i: Int, _ body: (Int, Int32) -> Void) {
        switch kind {
        case .dense:
            let base = i * inputs
            for j in 0 ..< inputs { body(j, weights[base + j]) }
        case let .conv(k):
            let (I, O) = (inputShape, outputShape)
            let o = i / (O.height * O.width), oy = (i / O.width) % O.height, ox = i % O.width
            for c in 0 ..< I.channels {
                let wBase = (o * I.channels + c) * k * k
                for ky in 0 ..< k {
                    let jBase = I.index(c, oy + ky, ox)
                    for kx in 0 ..< k { body(jBase + kx, weights[wBase + ky * k + kx]) }
                }
            }
        case let .pool(k):
            let (I, O) = (inputShape, outputShape)
            let c = i / (O.height * O.width), oy = (i / O.width) % O.height, ox = i % O.width
            for dy in 0 ..< k {
                let jBase = I.index(c, oy * k + dy, ox * k)
                for dx in 0 ..< k { body(jBase + dx, 1) }
            }
        }
    }

    /// The layer as a dense `outputs × inputs` matrix (for tests and small tools; a conv layer's
    /// unrolled matrix can be large).
    public func denseWeights() -> [Int32] {
        if kind == .dense { return weights }
        var w = [Int32](repeating: 0, count: inputs * outputs)
        for j in 0 ..< inputs { forEachTarget(of: j) { i, v in w[i * inputs + j] = v } }
        return w
    }

    /// True when the final spike count is a function of the pre-activation alone (SPEC §1).
    public var isExact: Bool { isOutput || IntegerActivation.exact(0, theta: threshold, mode: mode, flush: flush) != nil }
}

/// The integer ANN that the hardware computes: `a_l = act_l(W_l · a_{l−1} + b_l)`, logits
/// `W_L · a_{L−1} + b_L`, class `argmax` with ties to the lowest index.
public struct IntegerModel: Sendable, Equatable {
    public var layers: [IntegerLayer]
    public var wBits: Int
    public var inputBits: Int

    public init(layers: [IntegerLayer], wBits: Int, inputBits: Int) {
        self.layers = layers
        self.wBits = wBits
        self.inputBits = inputBits
    }

    /// The architecture the layers form (a conv or pool layer's spec from its kind and shapes).
    public var architecture: Architecture {
        Architecture(unchecked: layers[0].inputShape, layers.map { l in
            switch l.kind {
            case .dense: return .dense(l.outputs)
            case let .conv(k): return .conv(channels: l.outputShape.channels, kernel: k)
            case let .pool(k): return .pool(k)
            }
        })
    }

    /// SPEC §1 input encoding: pixel `p` becomes level `p >> (8 − inputBits)`.
    public static func level(_ p: UInt8, inputBits: Int) -> Int32 { Int32(p >> UInt8(8 - inputBits)) }

    public func levels(_ image: ArraySlice<UInt8>) -> [Int32] { image.map { Self.level($0, inputBits: inputBits) } }

    /// Everything one inference computes: each layer's pre-activation `x` (for the output layer,
    /// the final `V`) and its spike count `z`.
    public struct Trace: Sendable, Equatable {
        public var preActivations: [[Int64]]
        /// Final `z` of each hidden layer.
        public var counts: [[Int64]]
        public var logits: [Int64] { preActivations[preActivations.count - 1] }
        /// `argmax V`, ties to the lowest index.
        public var prediction: Int { IntegerModel.argmax(logits) }
    }

    /// The class of output potentials: the index of the largest, ties to the lowest (0 when empty).
    public static func argmax(_ logits: [Int64]) -> Int {
        var best = 0
        for (i, v) in logits.enumerated() where v > logits[best] { best = i }
        return best
    }

    /// The activation of a hidden layer. Exact modes use SPEC §1's closed form; `relu` and
    /// `linear` without the flush depend on spike order and use the event-level semantics of
    /// `FunctionalNeuron` with inputs in ascending index, one spike at a time: its fire and
    /// flush conditions, with `V` and `z` in 64 bits (the model bounds keep `|V| ≤ 2^62`, so
    /// nothing saturates) and no spike list. Each neuron replays its own fan-in
    /// (`forEachSource`), so a conv layer is never unrolled into a dense matrix; inputs outside
    /// the fan-in would only add weight 0, which changes nothing.
    static func activate(_ layer: IntegerLayer, x: [Int64], inputs: [Int64]) -> [Int64] {
        if layer.isExact {
            return x.map { IntegerActivation.exact($0, theta: layer.threshold, mode: layer.mode, flush: layer.flush)! }
        }
        let (theta, mode) = (layer.threshold, layer.mode)
        return inputs.withUnsafeBufferPointer { inputs in (0 ..< layer.outputs).map { i in
            var v = layer.bias[i], z: Int64 = 0
            @inline(__always) func fire() {
                while true {
                    let q = Int64(FunctionalNeuron.fireCondition(v: v, z: z, theta: theta, mode: mode))
                    if q == 0 { return }
                    v -= q * theta
                    z += q
                }
            }
            fire()
            layer.forEachSource(of: i) { j, w in
                let a = inputs[j]
                if a == 0 { return }
                // `|a|` events of the same contribution `s`, each followed by the fire check, end
                // where one `|a|·s` followed by the fire check ends: from a quiet state, steps of
                // one sign only ever fire spikes of that sign (relu: −1 only while z > 0), and V
                // stays in the same residue class in the same half-open interval of width θ.
                v += a * Int64(w)
                fire()
            }
            if layer.flush { z += Int64(FunctionalNeuron.flushCondition(v: v, z: z, theta: theta, mode: mode)) }
            return z
        } }
    }

    /// One inference, straightforwardly (the readable reference; `IntegerEngine` is the fast one).
    public func trace(levels: [Int32]) -> Trace {
        var a = levels.map(Int64.init)
        var pre: [[Int64]] = []
        var counts: [[Int64]] = []
        for l in layers {
            var x = l.bias
            for j in 0 ..< l.inputs where a[j] != 0 {
                let aj = a[j]
                l.forEachTarget(of: j) { i, w in x[i] += Int64(w) * aj }
            }
            pre.append(x)
            if l.isOutput { break }
            let z = Self.activate(l, x: x, inputs: a)
            counts.append(z)
            a = z
        }
        return Trace(preActivations: pre, counts: counts)
    }
}
