import SpikeForgeCore

/// Static range analysis (SPEC §1 "Range analysis"): bounds on `|V|` and `|z|` of every layer
/// over every input in range and every order of spike arrival.
///
/// Input `j` of a layer takes values in `[lo_j, hi_j]` (pixel levels `0…2^inputBits − 1` for the
/// first layer, the previous layer's spike-count bounds after that), and it gets there through
/// any sequence of partial values, so `V − θ·z` is always a partial sum `b + Σ_{j∈S} w_ij·x_j`.
/// With `P⁺ = max(b,0) + Σ max(0, w·lo, w·hi)` and `P⁻ = min(b,0) + Σ min(0, w·lo, w·hi)`:
/// `|V| ≤ max(P⁺, −P⁻) + θ` (a fire check leaves `V` within θ of a partial sum; the output
/// layer never fires and needs no θ), `z ∈ [−⌈−P⁻/θ⌉, ⌈P⁺/θ⌉]`, and `z ≥ 0` for ReLU modes.
///
/// Every sum and product is checked: a model whose bounds leave `IntegerModel.maxV` or
/// `IntegerModel.maxZ` gets `Overflow` naming the layer, never a wrapped bound.
public enum RangeAnalysis {
    public struct Bounds: Sendable, Equatable {
        public var vBound: Int64
        public var zBound: Int64
        /// Spike events a neuron of this layer can receive in one inference (`Σ_j max(|lo_j|, |hi_j|)`
        /// over its fan-in; the largest over the neurons).
        public var events: Int64
    }

    /// A bound beyond the documented limits (docs/TRAINING.md, "Model bounds").
    public struct Overflow: Error, Equatable, Sendable, CustomStringConvertible {
        public var layer: String
        public var what: String
        public var limit: String
        public var description: String {
            limit.isEmpty ? "layer \(layer): \(what)" : "layer \(layer): \(what), expected at most \(limit) (docs/TRAINING.md, model bounds)"
        }
    }

    public static func analyze(_ model: IntegerModel) throws(Overflow) -> [Bounds] {
        guard let first = model.layers.first else { return [] }
        var lo = [Int64](repeating: 0, count: first.inputs)
        var hi = [Int64](repeating: (1 << Int64(model.inputBits)) - 1, count: first.inputs)
        var out: [Bounds] = []
        for l in model.layers {
            // The analysis walks each neuron's fan-in: only a layer whose parameters match its
            // kind and shapes has one (ModelFile.load and boundProblems refuse the others).
            if let bad = l.structureProblems().first ?? (l.inputs != lo.count ? "\(l.inputs) inputs, expected \(lo.count)" : nil) {
                throw Overflow(layer: l.name, what: bad, limit: "")
            }
            let b = try layerBounds(l, lo: lo, hi: hi)
            out.append(b.bounds)
            lo = b.zLo
            hi = b.zHi
        }
        return out
    }

    /// One layer, neuron by neuron over its fan-in (`forEachSource`): a dense layer's every
    /// input, a conv layer's `in × k × k` window (so the bound is the kernel's, at the positions
    /// the neuron sees), a pooling neuron's `k × k` window with weights 1.
    static func layerBounds(_ l: IntegerLayer, lo: [Int64], hi: [Int64]) throws(Overflow) -> (bounds: Bounds, zLo: [Int64], zHi: [Int64]) {
        let vLimit = IntegerModel.maxV, zLimit = IntegerModel.maxZ
        var vB: Int64 = 0, zB: Int64 = 0
        var zLo = [Int64](repeating: 0, count: l.outputs), zHi = zLo
        // Events a neuron can receive: the largest over the neurons, and their total (what the
        // event-level reference replays in an order-dependent layer), saturated at Int64.max.
        var events: Int64 = 0, totalEvents: Int64 = 0
        for i in 0 ..< l.outputs {
            // |w| < 2^15 and |lo|, |hi| ≤ maxZ = 2^24, so each product fits; the sums are checked
            // after every addition (and stop there), so they cannot wrap either.
            var pPlus = max(l.bias[i], 0), pMinus = min(l.bias[i], 0), received: Int64 = 0
            var over = false
            l.forEachSource(of: i) { j, w32 in
                if over { return }
                let w = Int64(w32)
                let a = w * lo[j], b = w * hi[j]
                pPlus += max(0, a, b)
                pMinus += min(0, a, b)
                received += max(-lo[j], hi[j])
                if pPlus > vLimit || pMinus < -vLimit || received > vLimit { over = true }
            }
            if over { throw Overflow(layer: l.name, what: "|V| can exceed \(vLimit)", limit: "\(vLimit) = 2^62") }
            events = max(events, received)
            totalEvents = CheckedArithmetic.sum(totalEvents, received) ?? .max
            let mag = max(pPlus, -pMinus)
            if l.isOutput {
                vB = max(vB, mag)
                continue
            }
            let t = l.threshold
            guard mag + t <= vLimit else { throw Overflow(layer: l.name, what: "|V| can reach \(mag) + θ \(t)", limit: "\(vLimit) = 2^62") }
            vB = max(vB, mag + t)
            zHi[i] = (pPlus + t - 1) / t
            zLo[i] = l.mode == .linear ? -((-pMinus + t - 1) / t) : 0
            zB = max(zB, zHi[i], -zLo[i])
            if zB > zLimit { throw Overflow(layer: l.name, what: "|z| can reach \(zB) spikes", limit: "\(zLimit) = 2^24") }
        }
        if !l.isExact, totalEvents > IntegerModel.maxOrderedEvents {
            let what = l.kind == .dense
                ? "\(events) input events x \(l.outputs) neurons in the order-dependent mode \(l.mode.rawValue) without flush"
                : "\(totalEvents) input events over its \(l.outputs) neurons in the order-dependent mode \(l.mode.rawValue) without flush"
            throw Overflow(layer: l.name, what: what, limit: "\(IntegerModel.maxOrderedEvents) = 2^28 events per image")
        }
        return (Bounds(vBound: vB, zBound: zB, events: events), zLo, zHi)
    }

    /// Bits of a signed field holding `−bound…bound`.
    public static func signedBits(_ bound: Int64) -> Int { 65 - max(bound, 0).leadingZeroBitCount }
    /// Bits of an unsigned field holding `0…value`.
    public static func unsignedBits(_ value: Int64) -> Int { max(1, 64 - max(value, 0).leadingZeroBitCount) }
}

extension IntegerModel {
    /// Model bounds (docs/TRAINING.md): what a model file may hold, checked where it is read, so
    /// that every `|V|` and `|z|` fits 64 bits and no loop runs on an unchecked value.
    public static let maxLayers = 64
    public static let maxLayerSize = 1 << 20
    public static let maxSynapses = 1 << 28
    public static let maxBias: Int64 = 1 << 40
    public static let maxThreshold: Int64 = 1 << 40
    public static let maxV: Int64 = 1 << 62
    public static let maxZ: Int64 = 1 << 24
    /// Spike events the event-level reference may replay per image in an order-dependent layer.
    public static let maxOrderedEvents: Int64 = 1 << 28

    /// What is wrong with the model's structure: the layer count, each layer's own structure
    /// (`IntegerLayer.structureProblems`), layers that do not chain (counts, and maps for conv and
    /// pooling; a dense layer may read its input flattened), and an output layer that is not
    /// dense. Empty for a model that `architecture`, the engines and `ModelFile` can walk.
    public func structureProblems() -> [String] {
        var p: [String] = []
        if !(1 ... Self.maxLayers).contains(layers.count) { p.append("\(layers.count) layers, expected 1...\(Self.maxLayers)") }
        for k in layers.indices { p += layerStructureProblems(k) }
        return p
    }

    func layerStructureProblems(_ k: Int) -> [String] {
        let l = layers[k], at = "layer \(l.name)"
        var p = l.structureProblems().map { "\(at): \($0)" }
        // Counts and specs only of layers whose dimensions are in bounds (so that they fit).
        guard l.dimensionsInBounds else { return p }
        if k > 0, layers[k - 1].dimensionsInBounds {
            let prev = layers[k - 1]
            if l.inputs != prev.outputs {
                p.append("\(at): \(l.inputs) inputs, expected \(prev.outputs)")
            } else if l.inputShape != prev.outputShape, !(l.kind == .dense && l.inputShape.isVector) {
                p.append("\(at): input map \(l.inputShape), expected \(prev.outputShape) (the output of \(prev.name))")
            }
        }
        if k == layers.count - 1, l.kind != .dense { p.append("\(at): the output layer is \(l.spec), expected a dense layer (the classes)") }
        return p
    }

    /// Every bound the model breaks, each naming the layer, what it holds and the limit.
    public func boundProblems() -> [String] {
        var p: [String] = []
        if !(1 ... Self.maxLayers).contains(layers.count) { p.append("\(layers.count) layers, expected 1...\(Self.maxLayers)") }
        if !(1 ... 8).contains(inputBits) { p.append("inputBits \(inputBits), expected 1...8") }
        if !(2 ... 16).contains(wBits) { p.append("wBits \(wBits), expected 2...16") }
        let wLimit = Int64(1) << (max(2, min(16, wBits)) - 1)
        for (k, l) in layers.enumerated() {
            let at = "layer \(l.name)"
            p += layerStructureProblems(k)
            if !(1 ... Self.maxThreshold).contains(l.threshold) { p.append("\(at): threshold \(l.threshold), expected 1...\(Self.maxThreshold) (2^40)") }
            if let b = l.bias.first(where: { !(-Self.maxBias ... Self.maxBias).contains($0) }) { p.append("\(at): bias \(b), expected -2^40...2^40") }
            if let w = l.weights.first(where: { Int64($0) < -wLimit || Int64($0) >= wLimit }) { p.append("\(at): weight \(w), outside the \(wBits)-bit range \(-wLimit)...\(wLimit - 1)") }
        }
        if !p.isEmpty { return p }
        do { _ = try RangeAnalysis.analyze(self) } catch { return [error.description] }
        return []
    }
}

extension IntegerLayer {
    /// The layer as the notation writes it (`800`, `15C5`, `P2`).
    public var spec: LayerSpec { Self.spec(kind, outputShape) }

    static func spec(_ kind: LayerKind, _ output: FeatureShape) -> LayerSpec {
        switch kind {
        case .dense: return .dense(output.count)
        case let .conv(k): return .conv(channels: output.channels, kernel: k)
        case let .pool(k): return .pool(k)
        }
    }

    /// The shape of the stored weights: dense `[outputs, inputs]`, conv `[out, in, kh, kw]`,
    /// pool `[]` (none: the weights are fixed at 1).
    public var weightShape: [Int] { Self.weightShape(kind, inputShape, outputShape) }

    static func weightShape(_ kind: LayerKind, _ input: FeatureShape, _ output: FeatureShape) -> [Int] {
        switch kind {
        case .dense: return [output.count, input.count]
        case let .conv(k): return [output.channels, input.channels, k, k]
        case .pool: return []
        }
    }

    /// What is wrong with a layer of this kind between these maps: dimensions and sizes out of
    /// bounds, a kind the notation does not allow here (kernel and pooling sizes, a kernel larger
    /// than its map, pooling that does not divide it, an output map that is not the one the kind
    /// gives) and more than `maxSynapses` synapses. Nothing here traps, whatever the values.
    public static func geometryProblems(_ kind: LayerKind, _ input: FeatureShape, _ output: FeatureShape) -> [String] {
        let limit = IntegerModel.maxLayerSize
        guard dimensionsInBounds(input, output) else {
            return ["input map \(input.channels)x\(input.height)x\(input.width) and output map \(output.channels)x\(output.height)x\(output.width), expected every dimension in 1...\(limit)"]
        }
        // Each dimension is at most 2^20, so the counts below fit.
        if !(1 ... limit).contains(input.count) || !(1 ... limit).contains(output.count) {
            return ["\(input.count) inputs and \(output.count) outputs, expected each in 1...\(limit)"]
        }
        var p: [String] = []
        switch kind {
        case .dense: break
        case let .conv(k):
            if !LayerSpec.kernelSizes.contains(k) { p.append("kernel \(k)x\(k), expected 1...\(LayerSpec.kernelSizes.upperBound)") }
            if !LayerSpec.kernelCounts.contains(output.channels) { p.append("\(output.channels) kernels, expected 1...\(LayerSpec.kernelCounts.upperBound)") }
        case let .pool(k):
            if !LayerSpec.poolSizes.contains(k) { p.append("pooling \(k)x\(k), expected 1...\(LayerSpec.poolSizes.upperBound)") }
        }
        if !p.isEmpty { return p }
        let spec = Self.spec(kind, output)
        switch spec.output(from: input) {
        case let .problem(why): return [why]
        case let .shape(o):
            if o != output { return ["output map \(output), expected \(o) (\(spec) of \(input))"] }
        }
        let synapses = Architecture.synapses(spec, input, output)
        if synapses > IntegerModel.maxSynapses { p.append("\(synapses) synapses, expected at most \(IntegerModel.maxSynapses) (2^28)") }
        return p
    }

    /// True when every dimension of both maps is in 1...maxLayerSize (so every count fits).
    var dimensionsInBounds: Bool { Self.dimensionsInBounds(inputShape, outputShape) }

    static func dimensionsInBounds(_ input: FeatureShape, _ output: FeatureShape) -> Bool {
        [input.channels, input.height, input.width, output.channels, output.height, output.width].allSatisfy { (1 ... IntegerModel.maxLayerSize).contains($0) }
    }

    /// What is wrong with this layer on its own: its geometry (`geometryProblems`), weight and
    /// bias counts that are not its shapes', and a pooling bias other than 0.
    public func structureProblems() -> [String] {
        var p = Self.geometryProblems(kind, inputShape, outputShape)
        if !p.isEmpty { return p }
        if weights.count != Self.weightCount(kind, inputShape, outputShape) || bias.count != outputs {
            let shape = weightShape.isEmpty ? "0" : weightShape.map(String.init).joined(separator: " x ")
            p.append("\(weights.count) weights and \(bias.count) biases, expected \(shape) and \(outputs)")
        }
        if kind.isPool, let b = bias.first(where: { $0 != 0 }) { p.append("pooling bias \(b), expected 0 (pooling has no bias)") }
        return p
    }
}
