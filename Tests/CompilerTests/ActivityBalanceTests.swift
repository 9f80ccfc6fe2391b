import Compiler
import Datasets
import SpikeForgeCore
import Testing
import Trainer

/// Placement from profiled activity: the profile counts the spikes the reference neuron sends,
/// and the renumbering evens the predicted tile loads without changing the placement or a logit.
@Suite struct ActivityBalanceTests {
    static func images(_ n: Int, side: Int = 4, seed: UInt64) -> ImageSet {
        var rng = SplitMix64(seed: seed)
        return ImageSet(width: side, height: side, pixels: (0 ..< n * side * side).map { _ in rng.chance(0.4) ? 0 : UInt8(rng.next() % 256) },
                        labels: (0 ..< n).map { _ in UInt8(rng.next() % 4) }, source: "test:seed=\(seed)")
    }

    /// Every hidden neuron's count is the number of spikes `FunctionalNeuron` (SPEC §1) sends
    /// for the same events: pixels in ascending order for the first layer; for the second, the
    /// first layer's spikes neuron by neuron, each fire check's run of spikes one event of that
    /// multiplicity. In each mode, with and without the flush.
    @Test(arguments: [(NeuronMode.reluFloor, false), (.linear, true), (.relu, true)])
    func theProfileCountsEverySpikeTheReferenceNeuronSends(_ mode: NeuronMode, _ flush: Bool) {
        var m = CompilerTests.dense([16, 12, 8, 4], seed: 3, theta: 90)
        for l in 0 ..< 2 { (m.layers[l].mode, m.layers[l].flush) = (mode, flush) }
        let set = Self.images(6, seed: 4)
        let profile = ActivityProfile.measure(m, set)
        var want = m.layers.map { [Double](repeating: 0, count: $0.isOutput ? 0 : $0.outputs) }
        var events = [Double](repeating: 0, count: 16)
        for i in 0 ..< set.count {
            var input: [(j: Int, m: Int, sign: Spike)] = []
            for (j, v) in m.levels(set.image(i)).enumerated() where v != 0 {
                input.append((j, Int(v), 1))
                events[j] += 1
            }
            for l in 0 ..< 2 {
                let layer = m.layers[l]
                var next: [(j: Int, m: Int, sign: Spike)] = []
                for n in 0 ..< layer.outputs {
                    var neuron = FunctionalNeuron(bias: layer.bias[n], theta: layer.threshold, mode: layer.mode)
                    var seen = 0
                    func run() {
                        let new = neuron.spikes[seen...]
                        if let q = new.first { next.append((n, new.count, q)) }
                        #expect(new.allSatisfy { $0 == new.first }, "one fire check sends one sign")
                        seen = neuron.spikes.count
                    }
                    run()
                    for e in input {
                        neuron.input(sign: e.sign, weight: Int64(layer.weights[n * layer.inputs + e.j]), multiplicity: e.m)
                        run()
                    }
                    if layer.flush {
                        neuron.flush()
                        run()
                    }
                    want[l][n] += Double(neuron.spikes.count)
                }
                input = next
            }
        }
        #expect(profile.images == 6 && profile.source == "test:seed=4")
        #expect(profile.inputEvents == events.map { $0 / 6 })
        #expect(profile.spikes[0] == want[0].map { $0 / 6 } && profile.spikes[1] == want[1].map { $0 / 6 }, "\(mode): \(profile.spikes) against \(want)")
        #expect(profile.spikes[0].reduce(0, +) > 0 && profile.spikes[1].reduce(0, +) > 0, "the test network spikes")
        #expect(profile.spikes[2].isEmpty, "the output layer never fires")
    }

    /// A 16-24-4 network on 2 x 2 (spread: fc1 on three tiles, each sending to the next holding
    /// fc2's partial sum) with its most active neurons all in the first slice: after the
    /// renumbering the busiest tile's predicted load is lower, the placement is the same, and
    /// the renumbered model gives the same logits and passes the design check.
    @Test func renumberingEvensThePredictedLoadAndKeepsEveryLogit() throws {
        let m = CompilerTests.dense([16, 24, 4], seed: 8, theta: 90)
        let o = CompileOptions(cols: 2, rows: 2, policy: .spread, pe: CompilerTests.pe)
        var profile = ActivityProfile.measure(m, Self.images(20, seed: 9))
        profile.spikes[0] = (0 ..< 24).map { $0 < 8 ? 40 : 1 }
        let given = try Compiler.compile(m, o)
        let (plan, renumbered) = try Compiler.compile(m, o, profile: profile)
        let b = try #require(plan.balance)
        #expect(b.layer == "fc1" && b.images == 20 && b.sourceDigest == m.digest && plan.model.digest == renumbered.digest)
        #expect(b.busiestAfter < b.busiestBefore, "\(b)")
        let predicted = try #require(ActivityBalance.loads(given, profile)?.max())
        #expect(b.busiestAfter >= b.meanTile && abs(b.busiestBefore - predicted) <= 0.05, "\(b) against \(predicted)")
        var same = plan
        (same.balance, same.model) = (nil, given.model)
        #expect(same == given, "only which neuron takes which slot changes")
        #expect(plan.problems(against: renumbered).isEmpty)
        #expect(!plan.problems(against: m).isEmpty, "the plan is the renumbered model's")
        var rng = SplitMix64(seed: 10)
        for _ in 0 ..< 40 {
            let levels = (0 ..< 16).map { _ in Int32(rng.next() % 16) }
            #expect(renumbered.trace(levels: levels).logits == m.trace(levels: levels).logits, "seed 10, levels \(levels)")
        }
        // The busy neurons are spread: no fc1 slice holds more than its share of them.
        let slices = plan.tiles.flatMap(\.slices).filter { $0.layer == 0 }
        func row(_ model: IntegerModel, _ n: Int) -> [Int32] { Array(model.layers[0].weights[n * 16 ..< n * 16 + 16]) + [Int32(model.layers[0].bias[n])] }
        let order: [Int] = (0 ..< 24).map { slot in (0 ..< 24).first { row(renumbered, slot) == row(m, $0) } ?? -1 }
        let busyPerSlice = slices.map { s in (s.neuronLo ..< s.neuronHi).filter { order[$0] < 8 }.count }
        #expect(busyPerSlice.max()! - busyPerSlice.min()! <= 2, "\(busyPerSlice)")
        // Deterministic: the same profile gives the same plan and model.
        let (again, againModel) = try Compiler.compile(m, o, profile: profile)
        #expect(again == plan && againModel == renumbered)
    }

    @Test func fillPlacementsAndSingleLayerModelsAreCompiledAsGiven() throws {
        let m = CompilerTests.dense([16, 24, 4], seed: 8, theta: 90)
        let profile = ActivityProfile.measure(m, Self.images(5, seed: 9))
        let (fill, fm) = try Compiler.compile(m, CompileOptions(cols: 2, rows: 2, policy: .fill, pe: CompilerTests.pe), profile: profile)
        #expect(fill.balance == nil && fm == m)
        let one = CompilerTests.dense([16, 4], seed: 8)
        let (p1, m1) = try Compiler.compile(one, CompileOptions(cols: 2, rows: 2, policy: .spread, pe: CompilerTests.pe), profile: ActivityProfile.measure(one, Self.images(5, seed: 9)))
        #expect(p1.balance == nil && m1 == one)
    }

    /// A balance record that could not have been written is refused with its fields.
    @Test func aBalanceRecordIsChecked() throws {
        let m = CompilerTests.dense([16, 24, 4], seed: 8, theta: 90)
        var (plan, _) = try Compiler.compile(m, CompileOptions(cols: 2, rows: 2, policy: .spread, pe: CompilerTests.pe),
                                             profile: ActivityProfile.measure(m, Self.images(5, seed: 9)))
        plan.balance?.layer = "fc2"
        plan.balance?.images = 0
        plan.balance?.busiestAfter = -.infinity
        plan.balance?.sourceDigest = "ABC"
        let p = plan.problems()
        #expect(p == ["balance.layer: got 'fc2', expected a hidden layer's name", "balance.images: got 0, expected at least 1",
                      "balance.sourceDigest: got 'ABC', expected 64 lower-case hex digits (a SHA-256)",
                      "balance.busiestAfter: got -inf, expected a finite number of cycles, at least 0"], "\(p)")
    }
}
