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

    @Test func reluWithoutFlushStaysWithinTheBound() {
        var rng = SplitMix64(seed: 44)
        for _ in 0 ..< 30 {
            let model = Self.randomModel([10, 8, 3], mode: .relu, flush: false, rng: &rng)
            let levels = (0 ..< 10).map { _ in Int32(rng.next() % 16) }
            let t = model.trace(levels: levels)
            for (i, z) in t.counts[0].enumerated() {
                #expect(IntegerActivation.bounds(t.preActivations[0][i], theta: model.layers[0].threshold, mode: .relu).contains(z))
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
