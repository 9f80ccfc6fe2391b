import Datasets
import Dispatch
import SpikeForgeCore

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
/// both cores used. What one input event adds is stored once per layer, split into its positive
/// and negative parts, so that `Σ⁺` and `Σ⁻` (the transient range) come out of the same pass:
/// - dense: the transposed matrix, one contiguous row over the outputs per input;
/// - conv: the kernel once, one row over the output channels per (input channel, ky, kx); an
///   input at `(c, y, x)` adds row `(c, ky, kx)` at every output position `(y − ky, x − kx)` it
///   reaches, accumulated position-major (HWC, so that the row is contiguous; with kx stored
///   reversed, the rows of one ky are one contiguous run too), then read back channel-major;
/// - pool: nothing (an input adds its count to its window's one output).
/// Sums are accumulated in 32 bits when `Σ_j |a_j| · max|w|` over the nonzero inputs (`max|w|`
/// of input `j`'s row, or of its channel's kernel rows) fits, in 64 bits otherwise.
public struct IntegerEngine: Sendable {
    public let model: IntegerModel
    /// Per layer: dense `inputs × outputs` (transposed); conv `(in, kh, kw reversed) × out`; pool empty.
    let positive: [[Int32]]
    let negative: [[Int32]]
    /// Per layer: the largest `|w|` an event of each input (dense) or input channel (conv) adds,
    /// for the overflow guard; empty for pooling.
    let rowMax: [[Int64]]

    public init(_ model: IntegerModel) {
        self.model = model
        var pos: [[Int32]] = [], neg: [[Int32]] = [], rm: [[Int64]] = []
        for l in model.layers {
            var p: [Int32] = [], n: [Int32] = [], m: [Int64] = []
            func put(_ w: Int32, at: Int, row: Int) {
                if w > 0 { p[at] = w } else { n[at] = 0 &- w }
                m[row] = max(m[row], abs(Int64(w)))
            }
            switch l.kind {
            case .dense:
                p = [Int32](repeating: 0, count: l.inputs * l.outputs)
                n = p
                m = [Int64](repeating: 0, count: l.inputs)
                for i in 0 ..< l.outputs {
                    for j in 0 ..< l.inputs { put(l.weights[i * l.inputs + j], at: j * l.outputs + i, row: j) }
                }
            case let .conv(k):
                let (cin, cout) = (l.inputShape.channels, l.outputShape.channels)
                p = [Int32](repeating: 0, count: cin * k * k * cout)
                n = p
                m = [Int64](repeating: 0, count: cin)
                for o in 0 ..< cout {
                    for c in 0 ..< cin {
                        for ky in 0 ..< k {
                            for kx in 0 ..< k { put(l.weights[((o * cin + c) * k + ky) * k + kx], at: ((c * k + ky) * k + k - 1 - kx) * cout + o, row: c) }
                        }
                    }
                }
            case .pool:
                break
            }
            pos.append(p)
            neg.append(n)
            rm.append(m)
        }
        positive = pos
        negative = neg
        rowMax = rm
    }

    /// `Σ⁺` and `Σ⁻` of every neuron of layer `k` (the positive and negative contributions of
    /// the inputs `a`, without the bias), in the layer's channel-major output order.
    func sums(_ k: Int, _ a: [Int64]) -> (positive: [Int64], negative: [Int64]) {
        let l = model.layers[k]
        switch l.kind {
        case let .pool(size):
            var sp = [Int64](repeating: 0, count: l.outputs), sn = sp
            let (I, O) = (l.inputShape, l.outputShape)
            let plane = I.height * I.width
            for j in 0 ..< l.inputs where a[j] != 0 {
                let c = j / plane, iy = (j % plane) / I.width, ix = j % I.width
                let t = O.index(c, iy / size, ix / size)
                if a[j] > 0 { sp[t] += a[j] } else { sn[t] -= a[j] }
            }
            return (sp, sn)
        case .dense, .conv:
            var bound: Int64 = 0
            let plane = l.kind == .dense ? 1 : l.inputShape.height * l.inputShape.width
            rowMax[k].withUnsafeBufferPointer { M in
                for j in 0 ..< l.inputs where a[j] != 0 { bound += abs(a[j]) * M[j / plane] }
            }
            return bound < Int64(Int32.max)
                ? Self.accumulate(Int32.self, l, a, positive[k], negative[k])
                : Self.accumulate(Int64.self, l, a, positive[k], negative[k])
        }
    }

    /// `ap[i] += m · p[i]`, `an[i] += m · n[i]` for `i < count` (wrapping: the guard has ruled
    /// overflow out); plain additions for the most common multiplicity, 1.
    @inline(__always)
    static func addRows<T: FixedWidthInteger & SignedInteger>(_ m: T, _ p: UnsafePointer<Int32>, _ n: UnsafePointer<Int32>,
                                                             _ ap: UnsafeMutablePointer<T>, _ an: UnsafeMutablePointer<T>, _ count: Int) {
        // One stream per loop, so that each vectorizes.
        if m == 1 {
            for i in 0 ..< count { ap[i] &+= T(truncatingIfNeeded: p[i]) }
            for i in 0 ..< count { an[i] &+= T(truncatingIfNeeded: n[i]) }
        } else {
            for i in 0 ..< count { ap[i] &+= m &* T(truncatingIfNeeded: p[i]) }
            for i in 0 ..< count { an[i] &+= m &* T(truncatingIfNeeded: n[i]) }
        }
    }

    /// The event-driven accumulation of a dense or conv layer in `T` (`Int32` when the guard
    /// allows, `Int64` otherwise).
    @inline(__always)
    static func accumulate<T: FixedWidthInteger & SignedInteger>(_: T.Type, _ l: IntegerLayer, _ a: [Int64],
                                                                _ positive: [Int32], _ negative: [Int32]) -> ([Int64], [Int64]) {
        var ap = [T](repeating: 0, count: l.outputs), an = ap
        positive.withUnsafeBufferPointer { P in
            negative.withUnsafeBufferPointer { N in
                ap.withUnsafeMutableBufferPointer { AP in
                    an.withUnsafeMutableBufferPointer { AN in
                        switch l.kind {
                        case let .conv(k):
                            let (I, O) = (l.inputShape, l.outputShape)
                            let (cout, plane) = (O.channels, I.height * I.width)
                            for j in 0 ..< l.inputs where a[j] != 0 {
                                // A negative input adds the negative parts to Σ⁺ and the positive ones to Σ⁻.
                                let (pr, nr) = a[j] > 0 ? (P.baseAddress!, N.baseAddress!) : (N.baseAddress!, P.baseAddress!)
                                let m = T(truncatingIfNeeded: abs(a[j]))
                                let c = j / plane, iy = (j % plane) / I.width, ix = j % I.width
                                // The kernel rows are stored with kx reversed, so that for one ky the
                                // rows of every kx the input reaches are one contiguous run that lands
                                // on one contiguous run of output positions (ox = ix − kx ascending).
                                let (kxLo, kxHi) = (max(0, ix - O.width + 1), min(k - 1, ix))
                                let length = (kxHi - kxLo + 1) * cout
                                for ky in max(0, iy - O.height + 1) ... min(k - 1, iy) {
                                    let row = ((c * k + ky) * k + k - 1 - kxHi) * cout, out = ((iy - ky) * O.width + ix - kxHi) * cout
                                    Self.addRows(m, pr + row, nr + row, AP.baseAddress! + out, AN.baseAddress! + out, length)
                                }
                            }
                        default:
                            let o = l.outputs
                            for j in 0 ..< l.inputs where a[j] != 0 {
                                let (pr, nr) = a[j] > 0 ? (P.baseAddress! + j * o, N.baseAddress! + j * o) : (N.baseAddress! + j * o, P.baseAddress! + j * o)
                                Self.addRows(T(truncatingIfNeeded: abs(a[j])), pr, nr, AP.baseAddress!, AN.baseAddress!, o)
                            }
                        }
                    }
                }
            }
        }
        var sp = [Int64](repeating: 0, count: l.outputs), sn = sp
        if case .conv = l.kind {
            // Position-major (HWC) back to channel-major (CHW).
            let cout = l.outputShape.channels, positions = l.outputShape.height * l.outputShape.width
            for p in 0 ..< positions {
                for o in 0 ..< cout {
                    sp[o * positions + p] = Int64(ap[p * cout + o])
                    sn[o * positions + p] = Int64(an[p * cout + o])
                }
            }
        } else {
            for i in 0 ..< l.outputs { sp[i] = Int64(ap[i]); sn[i] = Int64(an[i]) }
        }
        return (sp, sn)
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
            let (sp, sn) = sums(k, a)
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
