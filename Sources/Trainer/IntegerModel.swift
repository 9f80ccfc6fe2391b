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
        public var prediction: Int {
            var best = 0
            for (i, v) in logits.enumerated() where v > logits[best] { best = i }
            return best
        }
    }

    /// The activation of a hidden layer. Exact modes use SPEC §1's closed form; `relu` and
    /// `linear` without the flush depend on spike order and use the event-level reference with
    /// inputs in ascending index, one spike at a time (`FunctionalNeuron`).
    static func activate(_ layer: IntegerLayer, x: [Int64], inputs: [Int64]) -> [Int64] {
        if layer.isExact {
            return x.map { IntegerActivation.exact($0, theta: layer.threshold, mode: layer.mode, flush: layer.flush)! }
        }
        let dense = layer.denseWeights()
        return (0 ..< layer.outputs).map { i in
            var n = FunctionalNeuron(bias: layer.bias[i], theta: layer.threshold, mode: layer.mode, vBits: 63, zBits: 63)
            for (j, a) in inputs.enumerated() where a != 0 {
                let w = Int64(dense[i * layer.inputs + j])
                for _ in 0 ..< abs(a) { n.input(sign: a > 0 ? 1 : -1, weight: w) }
            }
            if layer.flush { n.flush() }
            return n.z
        }
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

/// What one evaluation saw in a layer, for the compiler's range analysis.
public struct LayerRange: Sendable, Equatable, Codable {
    public var name: String
    /// Largest `|x|` at the end of the layer's integration (for the output layer, the final `|V|`).
    public var maxAbsFinalV: Int64
    /// Largest order-independent bound on `|V|` while events arrive in any order:
    /// `max(Σ⁺ + b⁺, Σ⁻ + b⁻) + θ`, where Σ⁺ and Σ⁻ sum the positive and negative contributions.
    public var maxAbsTransientV: Int64
    /// Largest `|z|` (0 for the output layer, which never fires).
    public var maxAbsZ: Int64
    /// Mean spikes per neuron per image (0 for the output layer).
    public var meanSpikes: Double

    mutating func merge(_ o: LayerRange) {
        maxAbsFinalV = max(maxAbsFinalV, o.maxAbsFinalV)
        maxAbsTransientV = max(maxAbsTransientV, o.maxAbsTransientV)
        maxAbsZ = max(maxAbsZ, o.maxAbsZ)
        meanSpikes += o.meanSpikes
    }
}

/// The result of evaluating an integer model on a labelled set.
public struct Evaluation: Sendable, Equatable {
    public var count: Int
    public var correct: Int
    public var predictions: [Int]
    public var ranges: [LayerRange]
    /// Input spikes (sum of levels) per image, averaged.
    public var meanInputSpikes: Double
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
}

/// Fast exact integer inference: event-driven over the nonzero inputs (as the hardware is),
/// with weights transposed so that one input adds one contiguous row, both cores used.
public struct IntegerEngine: Sendable {
    public let model: IntegerModel
    /// Per layer: `inputs × outputs` (transposed), split into the positive and negative parts.
    let positive: [[Int32]]
    let negative: [[Int32]]
    /// Per layer and input: the largest `|w|` in that input's row (for the overflow guard).
    let rowMax: [[Int64]]

    public init(_ model: IntegerModel) {
        self.model = model
        var pos: [[Int32]] = [], neg: [[Int32]] = [], rm: [[Int64]] = []
        for l in model.layers {
            var p = [Int32](repeating: 0, count: l.inputs * l.outputs)
            var n = p
            var m = [Int64](repeating: 0, count: l.inputs)
            let dense = l.denseWeights()
            for i in 0 ..< l.outputs {
                for j in 0 ..< l.inputs {
                    let w = dense[i * l.inputs + j]
                    if w > 0 { p[j * l.outputs + i] = w } else { n[j * l.outputs + i] = -w }
                    m[j] = max(m[j], Int64(abs(w)))
                }
            }
            pos.append(p)
            neg.append(n)
            rm.append(m)
        }
        positive = pos
        negative = neg
        rowMax = rm
    }

    struct Scratch {
        var ranges: [LayerRange]
        var inputSpikes: Int64 = 0
    }

    /// One inference; also folds this image's ranges into `scratch`.
    func run(levels: [Int64], scratch: inout Scratch) -> IntegerModel.Trace {
        var a = levels
        var pre: [[Int64]] = [], counts: [[Int64]] = []
        for (k, l) in model.layers.enumerated() {
            var bound: Int64 = 0
            for j in 0 ..< l.inputs where a[j] != 0 { bound += abs(a[j]) * rowMax[k][j] }
            var sp = [Int64](repeating: 0, count: l.outputs), sn = sp
            if bound < Int64(Int32.max) {
                var ap = [Int32](repeating: 0, count: l.outputs), an = ap
                positive[k].withUnsafeBufferPointer { P in
                    negative[k].withUnsafeBufferPointer { N in
                        ap.withUnsafeMutableBufferPointer { AP in
                            an.withUnsafeMutableBufferPointer { AN in
                                let o = l.outputs
                                for j in 0 ..< l.inputs where a[j] != 0 {
                                    let m = Int32(a[j])
                                    let pr = P.baseAddress! + j * o, nr = N.baseAddress! + j * o
                                    if m > 0 {
                                        for i in 0 ..< o { AP[i] &+= m &* pr[i]; AN[i] &+= m &* nr[i] }
                                    } else {
                                        for i in 0 ..< o { AP[i] &-= m &* nr[i]; AN[i] &-= m &* pr[i] }
                                    }
                                }
                            }
                        }
                    }
                }
                for i in 0 ..< l.outputs { sp[i] = Int64(ap[i]); sn[i] = Int64(an[i]) }
            } else {
                for j in 0 ..< l.inputs where a[j] != 0 {
                    for i in 0 ..< l.outputs {
                        let (p, n) = (Int64(positive[k][j * l.outputs + i]), Int64(negative[k][j * l.outputs + i]))
                        if a[j] > 0 { sp[i] += a[j] * p; sn[i] += a[j] * n } else { sp[i] -= a[j] * n; sn[i] -= a[j] * p }
                    }
                }
            }
            var x = l.bias
            var r = LayerRange(name: l.name, maxAbsFinalV: 0, maxAbsTransientV: 0, maxAbsZ: 0, meanSpikes: 0)
            for i in 0 ..< l.outputs {
                x[i] += sp[i] - sn[i]
                r.maxAbsFinalV = max(r.maxAbsFinalV, abs(x[i]))
                r.maxAbsTransientV = max(r.maxAbsTransientV, max(sp[i] + max(l.bias[i], 0), sn[i] + max(-l.bias[i], 0)) + (l.isOutput ? 0 : l.threshold))
            }
            pre.append(x)
            if !l.isOutput {
                let z = IntegerModel.activate(l, x: x, inputs: a)
                var spikes: Int64 = 0
                for v in z { r.maxAbsZ = max(r.maxAbsZ, abs(v)); spikes += abs(v) }
                r.meanSpikes = Double(spikes) / Double(l.outputs)
                counts.append(z)
                a = z
            }
            scratch.ranges[k].merge(r)
        }
        return IntegerModel.Trace(preActivations: pre, counts: counts)
    }

    public func trace(levels: [Int32]) -> IntegerModel.Trace {
        var s = Scratch(ranges: model.layers.map { LayerRange(name: $0.name, maxAbsFinalV: 0, maxAbsTransientV: 0, maxAbsZ: 0, meanSpikes: 0) })
        return run(levels: levels.map(Int64.init), scratch: &s)
    }

    /// Evaluates every image of `set` (deterministic: fixed chunks, merged in order).
    /// `onTrace` sees each image's trace, from several threads.
    public func evaluate(_ set: ImageSet, onTrace: (@Sendable (Int, IntegerModel.Trace) -> Void)? = nil) -> Evaluation {
        let chunks = max(1, min(64, set.count / 64))
        let per = (set.count + chunks - 1) / chunks
        let empty = model.layers.map { LayerRange(name: $0.name, maxAbsFinalV: 0, maxAbsTransientV: 0, maxAbsZ: 0, meanSpikes: 0) }
        let slots = UnsafeMutableBufferPointer<(Scratch, [Int])>.allocate(capacity: chunks)
        slots.initialize(repeating: (Scratch(ranges: empty), []))
        defer { slots.deinitialize(); slots.deallocate() }
        nonisolated(unsafe) let out = slots
        let inputBits = model.inputBits
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var s = Scratch(ranges: empty)
            var preds: [Int] = []
            for i in c * per ..< min(set.count, (c + 1) * per) {
                let lv = set.image(i).map { Int64(IntegerModel.level($0, inputBits: inputBits)) }
                s.inputSpikes += lv.reduce(0, +)
                let t = run(levels: lv, scratch: &s)
                onTrace?(i, t)
                preds.append(t.prediction)
            }
            out[c] = (s, preds)
        }
        var ranges = empty
        var preds: [Int] = []
        var inputSpikes: Int64 = 0
        for (s, p) in slots {
            for k in ranges.indices { ranges[k].merge(s.ranges[k]) }
            preds += p
            inputSpikes += s.inputSpikes
        }
        for k in ranges.indices { ranges[k].meanSpikes /= Double(max(1, set.count)) }
        let correct = zip(preds, set.labels).filter { $0 == Int($1) }.count
        return Evaluation(count: set.count, correct: correct, predictions: preds, ranges: ranges,
                          meanInputSpikes: Double(inputSpikes) / Double(max(1, set.count)))
    }
}
