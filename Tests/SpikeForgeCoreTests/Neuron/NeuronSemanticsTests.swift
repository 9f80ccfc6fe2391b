import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// SPEC §1's equivalence claims, proved on the functional reference over random weights,
/// thresholds, biases and input orders, including adversarial ones.
@Suite struct NeuronSemanticsTests {
    typealias Order = NeuronTrial.Order

    static func trial(_ rng: inout SplitMix64, order: Order) -> NeuronTrial { NeuronTrial.make(&rng, neurons: 1, order: order) }

    static func run(_ t: NeuronTrial, mode: NeuronMode, flush: Bool) -> FunctionalNeuron { t.functional(0, mode: mode, flush: flush) }

    @Test(arguments: Order.allCases)
    func reluFloorIsExactFloor(_ order: Order) {
        var rng = SplitMix64(seed: 1)
        for _ in 0 ..< 5000 {
            let t = Self.trial(&rng, order: order)
            for flush in [false, true] {
                let n = Self.run(t, mode: .reluFloor, flush: flush)
                #expect(n.z == max(0, t.x(0)) / t.theta, "x=\(t.x(0)) θ=\(t.theta)")
                #expect(n.z * t.theta + n.v == t.x(0), "charge is conserved")
            }
        }
    }

    @Test(arguments: Order.allCases)
    func reluWithFlushRoundsHalfAwayFromZero(_ order: Order) {
        var rng = SplitMix64(seed: 2)
        for _ in 0 ..< 5000 {
            let t = Self.trial(&rng, order: order)
            let n = Self.run(t, mode: .relu, flush: true)
            #expect(n.z == max(0, IntegerActivation.roundHalfAway(t.x(0), t.theta)), "x=\(t.x(0)) θ=\(t.theta)")
            #expect(n.spikes.count - Int(n.z) >= 0)
        }
    }

    @Test(arguments: Order.allCases)
    func linearWithFlushRoundsHalfAwayFromZero(_ order: Order) {
        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 5000 {
            let t = Self.trial(&rng, order: order)
            let n = Self.run(t, mode: .linear, flush: true)
            #expect(n.z == IntegerActivation.roundHalfAway(t.x(0), t.theta), "x=\(t.x(0)) θ=\(t.theta)")
        }
    }

    @Test(arguments: Order.allCases)
    func reluWithoutFlushIsWithinOneSpike(_ order: Order) {
        var rng = SplitMix64(seed: 4)
        for _ in 0 ..< 5000 {
            let t = Self.trial(&rng, order: order)
            let n = Self.run(t, mode: .relu, flush: false)
            // |z − max(0, x/θ)| < 1, in integers: |z·θ − max(0, x)| < θ.
            #expect(abs(n.z * t.theta - max(0, t.x(0))) < t.theta, "x=\(t.x(0)) θ=\(t.theta) z=\(n.z)")
            #expect(IntegerActivation.bounds(t.x(0), theta: t.theta, mode: .relu).contains(n.z))
        }
    }

    /// Pooling (SPEC §6): a pool neuron sums its `k × k` window with weights 1 and no bias, so
    /// it receives every input's ternary spike train, the trains interleaved in any order. Its
    /// final count is the activation of the window's net count: `floor(max(0, Σ z)/θ)` for
    /// reluFloor, `round(Σ z/θ)` (clamped at 0 for relu) with the flush, and within one spike
    /// of `Σ z/θ` (relu: of its positive part) without the flush. Exhaustive over a 2 × 2
    /// window's net counts −2…3, θ 1…4 (trains with extra cancelling +1/−1 pairs, random
    /// interleavings), then random 3 × 3 windows.
    @Test(arguments: [(NeuronMode.reluFloor, false), (.reluFloor, true), (.relu, true), (.linear, true), (.relu, false), (.linear, false)])
    func poolingIsTheActivationOfTheWindowSum(_ mode: NeuronMode, _ flush: Bool) {
        var rng = SplitMix64(seed: 6 ^ mode.code << 1 ^ (flush ? 1 : 0))
        /// One pool neuron over windows of net counts `z`: each input's train is `|z|` spikes of its
        /// sign plus up to `pairs` cancelling pairs; all trains shuffled together.
        func check(_ z: [Int64], theta: Int64, pairs: Int) {
            var spikes: [Spike] = []
            for c in z {
                spikes += [Spike](repeating: c > 0 ? 1 : -1, count: Int(abs(c)))
                for _ in 0 ..< Int(rng.next() % UInt64(pairs + 1)) { spikes += [1, -1] }
            }
            spikes.shuffle(using: &rng)
            var n = FunctionalNeuron(bias: 0, theta: theta, mode: mode)
            for s in spikes { n.input(sign: s, weight: 1) }
            if flush { n.flush() }
            let sum = z.reduce(0, +)
            if let exact = IntegerActivation.exact(sum, theta: theta, mode: mode, flush: flush) {
                #expect(n.z == exact, "window \(z) θ=\(theta) spikes \(spikes)")
            } else {
                #expect(IntegerActivation.bounds(sum, theta: theta, mode: mode).contains(n.z), "window \(z) θ=\(theta) spikes \(spikes)")
            }
            #expect(n.z * theta + n.v == sum, "charge is conserved: window \(z) θ=\(theta)")
        }
        var windows = 0
        let counts: [Int64] = Array(-2 ... 3)
        for a in counts { for b in counts { for c in counts { for d in counts {
            for theta in Int64(1) ... 4 {
                check([a, b, c, d], theta: theta, pairs: 0)
                check([a, b, c, d], theta: theta, pairs: 2)
                windows += 2
            }
        } } } }
        for _ in 0 ..< 3000 {
            let z = (0 ..< 9).map { _ in Int64(rng.next() % 13) - 4 }
            check(z, theta: Int64(rng.next() % 12) + 1, pairs: 3)
            windows += 1
        }
        #expect(windows == 6 * 6 * 6 * 6 * 4 * 2 + 3000)
    }

    /// An event of multiplicity `m` (m additions, then the fire check) ends in the state that
    /// `m` single events (each followed by the fire check) end in: from a quiet state, steps of
    /// one sign fire spikes of that sign only. So the order-dependent modes may replay an input
    /// count as one event (`IntegerModel.activate` does), in every mode, from any reachable state.
    @Test(arguments: NeuronMode.allCases) func aMultiplicityEventEndsWhereItsSingleEventsEnd(_ mode: NeuronMode) {
        var rng = SplitMix64(seed: 7 ^ mode.code)
        for _ in 0 ..< 5000 {
            let t = NeuronTrial.make(&rng, neurons: 1, order: .random, maxEvents: 12)
            var single = FunctionalNeuron(bias: t.biases[0], theta: t.theta, mode: mode)
            var multiple = single
            for e in t.events {
                for _ in 0 ..< e.multiplicity { single.input(sign: e.sign, weight: e.weights[0]) }
                multiple.input(sign: e.sign, weight: e.weights[0], multiplicity: e.multiplicity)
                #expect(single.v == multiple.v && single.z == multiple.z, "θ=\(t.theta) bias \(t.biases[0]) event \(e.sign)·\(e.weights[0])×\(e.multiplicity)")
            }
        }
    }

    @Test func tiesFollowTheSignOfTheTotal() {
        // θ = 4, ties where 2V = ±θ.
        #expect(IntegerActivation.roundHalfAway(6, 4) == 2 && IntegerActivation.roundHalfAway(-6, 4) == -2)
        #expect(IntegerActivation.roundHalfAway(2, 4) == 1 && IntegerActivation.roundHalfAway(-2, 4) == -1)
        // z = −1, V = +2: T = −2 → round(−0.5) = −1 = z: no spike (a rule on V's sign alone would say +1).
        #expect(FunctionalNeuron.flushCondition(v: 2, z: -1, theta: 4, mode: .linear) == 0)
        // z = 0, V = +2: T = 2 → 1.
        #expect(FunctionalNeuron.flushCondition(v: 2, z: 0, theta: 4, mode: .linear) == 1)
        // z = 1, V = −2: T = 2 → round(0.5) = 1 = z: no spike.
        #expect(FunctionalNeuron.flushCondition(v: -2, z: 1, theta: 4, mode: .linear) == 0)
        // z = 0, V = −2: T = −2 → −1 in linear, clamped at 0 in relu.
        #expect(FunctionalNeuron.flushCondition(v: -2, z: 0, theta: 4, mode: .linear) == -1)
        #expect(FunctionalNeuron.flushCondition(v: -2, z: 0, theta: 4, mode: .relu) == 0)
        #expect(FunctionalNeuron.flushCondition(v: 3, z: 5, theta: 4, mode: .reluFloor) == 0)
    }

    @Test func biasAloneCanFire() {
        let n = FunctionalNeuron(bias: 10, theta: 3, mode: .reluFloor)
        #expect(n.z == 3 && n.v == 1 && n.spikes == [1, 1, 1])
    }

    @Test func saturationIsFlagged() {
        var n = FunctionalNeuron(bias: 0, theta: 100, mode: .linear, vBits: 8, zBits: 8)
        n.input(sign: 1, weight: 127, multiplicity: 3)
        #expect(n.saturated && n.v == 27 && n.z == 1)
    }

    @Test func neuronConfigErrorsListEveryViolation() {
        #expect(throws: ConfigError.invalid(block: "NeuronConfig", violations: [
            .init(field: "neurons", value: "0", expected: "1...64"),
            .init(field: "vBits", value: "9", expected: "at least 10 = max(wBits 8, thresholdBits 8 + 1) + 1, so V holds a weight plus the threshold"),
        ])) { try NeuronConfig(neurons: 0, wBits: 8, vBits: 9, zBits: 8, thresholdBits: 8, multiplicityBits: 0, mode: .relu).validate() }
        #expect(throws: ConfigError.self) { try ConfigResolver.resolve(NeuronConfig.self, overrides: ["mode=sigmoid"]) }
        do {
            _ = try ConfigResolver.resolve(NeuronConfig.self, overrides: ["mode=sigmoid", "thresholdBits=0"])
        } catch {
            #expect(error.description == """
            invalid NeuronConfig (2 violations):
              - mode: got sigmoid, expected one of linear, relu, reluFloor, runtime (from --set)
              - thresholdBits: got 0, expected 1...46
            """)
        }
    }
}
