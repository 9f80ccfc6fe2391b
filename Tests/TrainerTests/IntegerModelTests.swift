import Datasets
import SpikeForgeCore
import Testing
@testable import Trainer

/// The trainer's integer inference against the neuron's event-level functional model (SPEC §1).
@Suite struct IntegerModelTests {
    static func randomModel(_ sizes: [Int], mode: NeuronMode, flush: Bool, rng: inout SplitMix64) -> IntegerModel {
        var layers: [IntegerLayer] = []
        for k in 0 ..< sizes.count - 1 {
            let isOut = k == sizes.count - 2
            let (n, m) = (sizes[k], sizes[k + 1])
            layers.append(IntegerLayer(
                name: "fc\(k + 1)", inputs: n, outputs: m,
                weights: (0 ..< n * m).map { _ in Int32(Int64(rng.next() % 255) - 127) },
                bias: (0 ..< m).map { _ in Int64(rng.next() % 401) - 200 },
                threshold: Int64(rng.next() % 180) + 20, mode: isOut ? .linear : mode, flush: !isOut && flush, isOutput: isOut))
        }
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    /// A random small convolutional network (seeded): an `HxWxC` input, one or two convolutions,
    /// each followed by a pooling when one divides the map, an optional dense hidden layer and a
    /// dense output. Conv biases are per neuron or (half the time) per channel; pooling has its
    /// own θ and the hidden mode.
    static func randomConvModel(mode: NeuronMode, flush: Bool, rng: inout SplitMix64) -> IntegerModel {
        func r(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        let input = FeatureShape(channels: r(1 ... 2), height: r(4 ... 8), width: r(4 ... 8))
        var shape = input
        var specs: [LayerSpec] = []
        for _ in 0 ..< r(1 ... 2) where shape.height > 1 || shape.width > 1 {
            let conv = LayerSpec.conv(channels: r(1 ... 3), kernel: r(1 ... min(3, shape.height, shape.width)))
            guard case let .shape(o) = conv.output(from: shape) else { break }
            specs.append(conv)
            shape = o
            let k = r(2 ... 3)
            if shape.height % k == 0, shape.width % k == 0, case let .shape(p) = LayerSpec.pool(k).output(from: shape) {
                specs.append(.pool(k))
                shape = p
            }
        }
        if rng.chance(0.5) { specs.append(.dense(r(2 ... 6))) }
        specs.append(.dense(r(2 ... 4)))
        let arch = Architecture(unchecked: input, specs)
        var layers: [IntegerLayer] = []
        for (k, spec) in specs.enumerated() {
            let (i, o) = (arch.shapes[k], arch.shapes[k + 1])
            let isOut = k == specs.count - 1
            let count = IntegerLayer.weightCount(spec.kind, i, o)
            let weights = (0 ..< count).map { _ in Int32(Int64(rng.next() % 255) - 127) }
            var bias = (0 ..< o.count).map { _ in Int64(rng.next() % 401) - 200 }
            var theta = Int64(rng.next() % 300) + 100
            let name: String
            switch spec {
            case .dense: name = "fc\(k + 1)"
            case .conv:
                name = "c\(k + 1)"
                if rng.chance(0.5) {
                    let positions = o.height * o.width
                    bias = (0 ..< o.channels).flatMap { c in [Int64](repeating: bias[c * positions], count: positions) }
                }
            case .pool:
                name = "p\(k + 1)"
                bias = [Int64](repeating: 0, count: o.count)
                theta = Int64(rng.next() % 3) + 1
            }
            layers.append(IntegerLayer(name: name, kind: spec.kind, input: i, output: o, weights: spec.kind.isPool ? [] : weights, bias: bias,
                                       threshold: theta, mode: isOut ? .linear : mode, flush: !isOut && flush, isOutput: isOut))
        }
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    /// The same network with every layer unrolled into a dense `outputs × inputs` matrix
    /// (`denseWeights`): the reference the conv and pool paths must equal.
    static func unrolled(_ m: IntegerModel) -> IntegerModel {
        IntegerModel(layers: m.layers.map { l in
            IntegerLayer(name: l.name, inputs: l.inputs, outputs: l.outputs, weights: l.denseWeights(), bias: l.bias, threshold: l.threshold,
                         mode: l.mode, flush: l.flush, isOutput: l.isOutput)
        }, wBits: m.wBits, inputBits: m.inputBits)
    }

    /// The counts of `FunctionalNeuron` driving every neuron of a dense model with its inputs in
    /// ascending index, one spike at a time (the reference order of the order-dependent modes).
    static func ascendingReplay(_ model: IntegerModel, levels: [Int32]) -> [[Int64]] {
        var a = levels.map(Int64.init)
        var counts: [[Int64]] = []
        for l in model.layers where !l.isOutput {
            let z = (0 ..< l.outputs).map { i in
                var n = FunctionalNeuron(bias: l.bias[i], theta: l.threshold, mode: l.mode, vBits: 63, zBits: 63)
                for (j, aj) in a.enumerated() where aj != 0 {
                    for _ in 0 ..< abs(aj) { n.input(sign: aj > 0 ? 1 : -1, weight: Int64(l.weights[i * l.inputs + j])) }
                }
                if l.flush { n.flush() }
                return n.z
            }
            counts.append(z)
            a = z
        }
        return counts
    }

    /// Drives every neuron of every layer with `FunctionalNeuron`, delivering the previous layer's
    /// spikes one event at a time in a random order, then the flush; returns counts and logits.
    static func eventLevel(_ model: IntegerModel, levels: [Int32], rng: inout SplitMix64) -> (counts: [[Int64]], logits: [Int64]) {
        var events: [(Int, Spike)] = []
        for (j, a) in levels.enumerated() { for _ in 0 ..< a { events.append((j, 1)) } }
        var counts: [[Int64]] = []
        for l in model.layers {
            events.shuffle(using: &rng)
            if l.isOutput {
                let v = (0 ..< l.outputs).map { i in
                    events.reduce(l.bias[i]) { $0 + Int64($1.1) * Int64(l.weights[i * l.inputs + $1.0]) }
                }
                return (counts, v)
            }
            var next: [(Int, Spike)] = []
            var z: [Int64] = []
            for i in 0 ..< l.outputs {
                var n = FunctionalNeuron(bias: l.bias[i], theta: l.threshold, mode: l.mode, vBits: 40, zBits: 24)
                for (j, s) in events { n.input(sign: s, weight: Int64(l.weights[i * l.inputs + j])) }
                if l.flush { n.flush() }
                #expect(!n.saturated)
                next += n.spikes.map { (i, $0) }
                z.append(n.z)
            }
            counts.append(z)
            events = next
        }
        fatalError("model without an output layer")
    }

    @Test(arguments: [(NeuronMode.reluFloor, false), (.relu, true), (.linear, true)])
    func integerInferenceEqualsTheFunctionalNeuron(_ mode: NeuronMode, _ flush: Bool) {
        var rng = SplitMix64(seed: 0x1D7 ^ mode.code)
        var checked = 0
        for trial in 0 ..< 40 {
            let model = Self.randomModel([12, 9, 7, 4], mode: mode, flush: flush, rng: &rng)
            let engine = IntegerEngine(model)
            for _ in 0 ..< 5 {
                let levels = (0 ..< 12).map { _ in Int32(rng.next() % 16) }
                let t = model.trace(levels: levels)
                let ev = Self.eventLevel(model, levels: levels, rng: &rng)
                #expect(t.counts == ev.counts, "trial \(trial) mode \(mode): counts differ")
                #expect(t.logits == ev.logits, "trial \(trial) mode \(mode): logits differ")
                #expect(engine.trace(levels: levels) == t, "trial \(trial): fast engine differs from the reference")
                checked += 1
            }
        }
        #expect(checked == 200)
    }

    /// Conv and pool layers: `IntegerEngine` == `IntegerModel.trace` == the dense unrolling
    /// (trace and engine) on many images, with the engine's ranges equal too; in the exact modes
    /// also == `FunctionalNeuron` driven one spike at a time in random order (so pooling, a
    /// window sum into an IF neuron, is exact like the other layers). Each trial has its own
    /// seed, printed on a mismatch.
    @Test(arguments: [(NeuronMode.reluFloor, false), (.relu, true), (.linear, true), (.relu, false)])
    func convAndPoolEqualTheirDenseUnrolling(_ mode: NeuronMode, _ flush: Bool) {
        var checked = 0, pooled = 0
        for trial in 0 ..< 24 {
            let seed = 0xC0_0000 ^ UInt64(trial) << 8 ^ mode.code << 4 ^ (flush ? 1 : 0)
            var rng = SplitMix64(seed: seed)
            let model = Self.randomConvModel(mode: mode, flush: flush, rng: &rng)
            let dense = Self.unrolled(model)
            let engine = IntegerEngine(model), denseEngine = IntegerEngine(dense)
            let at = "seed \(seed) (trial \(trial), \(model.architecture), \(mode)\(flush ? "+flush" : ""))"
            if model.layers.contains(where: { $0.kind.isPool }) { pooled += 1 }
            #expect(model.boundProblems() == [], "\(at)")
            let n = model.layers[0].inputs
            for image in 0 ..< 8 {
                let levels = (0 ..< n).map { _ in rng.chance(0.4) ? 0 : Int32(rng.next() % 16) }
                let t = model.trace(levels: levels)
                #expect(dense.trace(levels: levels) == t, "\(at) image \(image): the dense unrolling differs from the trace")
                #expect(engine.trace(levels: levels) == t, "\(at) image \(image): IntegerEngine differs from the trace")
                #expect(denseEngine.trace(levels: levels) == t, "\(at) image \(image): IntegerEngine on the unrolling differs")
                if model.layers.allSatisfy(\.isExact) {
                    let ev = Self.eventLevel(dense, levels: levels, rng: &rng)
                    #expect(t.counts == ev.counts && t.logits == ev.logits, "\(at) image \(image): FunctionalNeuron in random order differs")
                } else {
                    #expect(Self.ascendingReplay(dense, levels: levels) == t.counts, "\(at) image \(image): FunctionalNeuron in ascending order differs")
                    for (k, l) in model.layers.enumerated() where !l.isOutput {
                        for (i, z) in t.counts[k].enumerated() {
                            #expect(IntegerActivation.bounds(t.preActivations[k][i], theta: l.threshold, mode: l.mode).contains(z), "\(at) layer \(l.name)")
                        }
                    }
                }
                checked += 1
            }
            // Every fourth trial: the ranges and predictions of a whole evaluation (two chunks, both cores).
            if trial % 4 != 0 { continue }
            let images = 130
            let pixels = (0 ..< images * n).map { _ in rng.chance(0.4) ? UInt8(0) : UInt8(rng.next() % 256) }
            let set = ImageSet(width: n, height: 1, pixels: pixels, labels: [UInt8](repeating: 0, count: images), source: "t")
            let (e, d) = (engine.evaluate(set), denseEngine.evaluate(set))
            #expect(e == d, "\(at): the engine's evaluation differs from its dense unrolling's")
        }
        #expect(checked == 24 * 8 && pooled > 4)
    }

    /// Sums beyond 32 bits (counts near 2^22 into a conv layer, and into a dense layer) take the
    /// 64-bit path and stay equal to the trace.
    @Test func sumsBeyondThirtyTwoBitsTakeTheWidePath() {
        var rng = SplitMix64(seed: 64)
        func w(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(Int64(rng.next() % 128) + 0) } }
        let i = FeatureShape(channels: 1, height: 4, width: 4), c1 = FeatureShape(channels: 2, height: 4, width: 4)
        let c2 = FeatureShape(channels: 2, height: 2, width: 2), p = FeatureShape(channels: 2, height: 1, width: 1)
        let conv = IntegerModel(layers: [
            IntegerLayer(name: "c1", kind: .conv(kernel: 1), input: i, output: c1, weights: [1, 1], bias: [Int64](repeating: 1 << 22, count: 32),
                         threshold: 1, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "c2", kind: .conv(kernel: 3), input: c1, output: c2, weights: w(2 * 2 * 9), bias: [Int64](repeating: 0, count: 8),
                         threshold: 1 << 4, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "p3", kind: .pool(size: 2), input: c2, output: p, weights: [], bias: [0, 0],
                         threshold: 1, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc4", kind: .dense, input: p, output: .vector(3), weights: w(6), bias: [0, 0, 0],
                         threshold: 1, mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 4)
        let engine = IntegerEngine(conv), dense = IntegerEngine(Self.unrolled(conv))
        for _ in 0 ..< 5 {
            let levels = (0 ..< 16).map { _ in Int32(rng.next() % 16) }
            let t = conv.trace(levels: levels)
            #expect(t.preActivations[1].contains { $0 > Int64(Int32.max) } && t.logits.contains { $0 > Int64(Int32.max) })
            #expect(engine.trace(levels: levels) == t)
            #expect(dense.trace(levels: levels) == t)
        }
    }

    /// Without the flush: the counts are `FunctionalNeuron`'s with inputs in ascending order, and
    /// within one spike of `x/θ`.
    @Test(arguments: [NeuronMode.relu, .linear]) func withoutFlushTheCountsAreTheAscendingReplay(_ mode: NeuronMode) {
        var rng = SplitMix64(seed: 44)
        for _ in 0 ..< 30 {
            let model = Self.randomModel([10, 8, 6, 3], mode: mode, flush: false, rng: &rng)
            let levels = (0 ..< 10).map { _ in Int32(rng.next() % 16) }
            let t = model.trace(levels: levels)
            #expect(Self.ascendingReplay(model, levels: levels) == t.counts)
            #expect(IntegerEngine(model).trace(levels: levels) == t)
            for (i, z) in t.counts[0].enumerated() {
                #expect(IntegerActivation.bounds(t.preActivations[0][i], theta: model.layers[0].threshold, mode: mode).contains(z))
            }
        }
    }

    @Test func evaluationCountsRangesAndTies() {
        // One input, two outputs with equal logits: the tie goes to index 0.
        let l1 = IntegerLayer(name: "fc1", inputs: 2, outputs: 2, weights: [10, 0, 0, 10], bias: [0, 0], threshold: 5, mode: .reluFloor, flush: false, isOutput: false)
        let l2 = IntegerLayer(name: "fc2", inputs: 2, outputs: 2, weights: [3, 0, 3, 0], bias: [0, 0], threshold: 1, mode: .linear, flush: false, isOutput: true)
        let m = IntegerModel(layers: [l1, l2], wBits: 8, inputBits: 4)
        let set = ImageSet(width: 2, height: 1, pixels: [0xF0, 0x30, 0x10, 0x00], labels: [0, 1], source: "t")
        let e = IntegerEngine(m).evaluate(set)
        #expect(e.predictions == [0, 0] && e.correct == 1)
        // Image 0: levels [15, 3] → x = [150, 30] → z = [30, 6] → logits [90, 90].
        #expect(e.ranges[0].maxAbsFinalV == 150 && e.ranges[0].maxAbsZ == 30 && e.ranges[1].maxAbsFinalV == 90)
        #expect(e.ranges[0].maxAbsTransientV == 155)
        #expect(e.meanInputSpikes == 9.5)
    }
}
