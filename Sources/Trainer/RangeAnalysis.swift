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
        /// Spike events a neuron of this layer can receive in one inference (`Σ_j max(|lo_j|, |hi_j|)`).
        public var events: Int64
    }

    /// A bound beyond the documented limits (docs/TRAINING.md, "Model bounds").
    public struct Overflow: Error, Equatable, Sendable, CustomStringConvertible {
        public var layer: String
        public var what: String
        public var limit: String
        public var description: String { "layer \(layer): \(what), expected at most \(limit) (docs/TRAINING.md, model bounds)" }
    }

    public static func analyze(_ model: IntegerModel) throws(Overflow) -> [Bounds] {
        guard let first = model.layers.first else { return [] }
        var lo = [Int64](repeating: 0, count: first.inputs)
        var hi = [Int64](repeating: (1 << Int64(model.inputBits)) - 1, count: first.inputs)
        var out: [Bounds] = []
        for l in model.layers {
            let b = try layerBounds(l, lo: lo, hi: hi)
            out.append(b.bounds)
            lo = b.zLo
            hi = b.zHi
        }
        return out
    }

    static func layerBounds(_ l: IntegerLayer, lo: [Int64], hi: [Int64]) throws(Overflow) -> (bounds: Bounds, zLo: [Int64], zHi: [Int64]) {
        let vLimit = IntegerModel.maxV, zLimit = IntegerModel.maxZ
        var vB: Int64 = 0, zB: Int64 = 0
        var zLo = [Int64](repeating: 0, count: l.outputs), zHi = zLo
        var events: Int64 = 0
        for j in 0 ..< min(l.inputs, lo.count) { events += max(-lo[j], hi[j]) }
        let dense = l.denseWeights()
        for i in 0 ..< l.outputs {
            // |w| < 2^15 and |lo|, |hi| ≤ maxZ = 2^24, so each product fits; the sums are checked.
            var pPlus = max(l.bias[i], 0), pMinus = min(l.bias[i], 0)
            let base = i * l.inputs
            for j in 0 ..< min(l.inputs, lo.count) {
                let w = Int64(dense[base + j])
                let a = w * lo[j], b = w * hi[j]
                pPlus += max(0, a, b)
                pMinus += min(0, a, b)
                if pPlus > vLimit || pMinus < -vLimit { throw Overflow(layer: l.name, what: "|V| can exceed \(vLimit)", limit: "\(vLimit) = 2^62") }
            }
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
        if !l.isExact, CheckedArithmetic.product(events, Int64(l.outputs)).map({ $0 > IntegerModel.maxOrderedEvents }) ?? true {
            throw Overflow(layer: l.name, what: "\(events) input events x \(l.outputs) neurons in the order-dependent mode \(l.mode.rawValue) without flush",
                           limit: "\(IntegerModel.maxOrderedEvents) = 2^28 events per image")
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

    /// Every bound the model breaks, each naming the layer, what it holds and the limit.
    public func boundProblems() -> [String] {
        var p: [String] = []
        if !(1 ... Self.maxLayers).contains(layers.count) { p.append("\(layers.count) layers, expected 1...\(Self.maxLayers)") }
        if !(1 ... 8).contains(inputBits) { p.append("inputBits \(inputBits), expected 1...8") }
        if !(2 ... 16).contains(wBits) { p.append("wBits \(wBits), expected 2...16") }
        let wLimit = Int64(1) << (max(2, min(16, wBits)) - 1)
        for (k, l) in layers.enumerated() {
            let at = "layer \(l.name)"
            if k > 0, l.inputs != layers[k - 1].outputs { p.append("\(at): \(l.inputs) inputs, expected \(layers[k - 1].outputs)") }
            if !(1 ... Self.maxLayerSize).contains(l.inputs) || !(1 ... Self.maxLayerSize).contains(l.outputs) {
                p.append("\(at): \(l.inputs) inputs and \(l.outputs) outputs, expected each in 1...\(Self.maxLayerSize)")
            }
            if l.weights.count != IntegerLayer.weightCount(l.kind, l.inputShape, l.outputShape) || l.bias.count != l.outputs { p.append("\(at): \(l.weights.count) weights and \(l.bias.count) biases, expected \(l.outputs) x \(l.inputs) and \(l.outputs)") }
            if !(1 ... Self.maxThreshold).contains(l.threshold) { p.append("\(at): threshold \(l.threshold), expected 1...\(Self.maxThreshold) (2^40)") }
            if let b = l.bias.first(where: { !(-Self.maxBias ... Self.maxBias).contains($0) }) { p.append("\(at): bias \(b), expected -2^40...2^40") }
            if let w = l.weights.first(where: { Int64($0) < -wLimit || Int64($0) >= wLimit }) { p.append("\(at): weight \(w), outside the \(wBits)-bit range \(-wLimit)...\(wLimit - 1)") }
        }
        if !p.isEmpty { return p }
        do { _ = try RangeAnalysis.analyze(self) } catch { return [error.description] }
        return []
    }
}
