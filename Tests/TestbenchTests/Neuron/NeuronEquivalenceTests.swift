import Testbench
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// SPEC §1's equivalence, on the neuron array's cycle model and on its Verilated RTL: driven
/// through the handshakes with random back-pressure, every neuron ends with the functional
/// reference's exact spike sequence, `V` and `z`, and `z` equals the integer ANN activation.
@Suite struct NeuronEquivalenceTests {
    static let config = NeuronConfig(neurons: 4, wBits: 8, vBits: 20, zBits: 12, thresholdBits: 8, multiplicityBits: 4, mode: .runtime)

    static let cases: [(NeuronMode, Bool)] = [(.reluFloor, false), (.reluFloor, true), (.relu, true), (.linear, true), (.relu, false), (.linear, false)]

    func check<D: ClockedDevice>(_ device: D, trials: Int, seed: UInt64, engine: String) throws {
        let c = Self.config
        var rng = SplitMix64(seed: seed)
        var checked = 0
        for t in 0 ..< trials {
            let (mode, flush) = Self.cases[t % Self.cases.count]
            let order = NeuronTrial.Order.allCases[(t / Self.cases.count) % 4]
            let trial = NeuronTrial.make(&rng, neurons: c.neurons, order: order)
            var d = NeuronArrayDriver(device, config: c, theta: UInt64(trial.theta), mode: mode, readyProbability: t % 3 == 0 ? 1 : 0.5, seed: UInt64(t))
            d.reset()
            d.command(.load, biases: trial.biases)
            for e in trial.events { d.command(.add, negative: e.sign < 0, multiplicity: UInt64(e.multiplicity), weights: e.weights) }
            d.settle()
            if flush {
                d.command(.flush)
                d.settle()
            }
            let (v, z) = d.state()
            for k in 0 ..< c.neurons {
                let ref = trial.functional(k, mode: mode, flush: flush, vBits: c.vBits, zBits: c.zBits)
                if ref.saturated { continue }
                let ctx = "\(engine) trial \(t) (seed \(seed)) neuron \(k) mode \(mode) flush \(flush) order \(order) θ=\(trial.theta) x=\(trial.x(k))"
                #expect(d.spikes[k] == ref.spikes, "\(ctx): spike sequence")
                #expect(v[k] == ref.v && z[k] == ref.z, "\(ctx): V=\(v[k]) z=\(z[k]), reference V=\(ref.v) z=\(ref.z)")
                if let exact = IntegerActivation.exact(trial.x(k), theta: trial.theta, mode: mode, flush: flush) {
                    #expect(z[k] == exact, "\(ctx): z=\(z[k]), ANN \(exact)")
                } else {
                    #expect(IntegerActivation.bounds(trial.x(k), theta: trial.theta, mode: mode).contains(z[k]), "\(ctx): z=\(z[k]) outside the |z - a| < 1 bound")
                }
                checked += 1
            }
        }
        #expect(checked > trials * c.neurons * 9 / 10, "most neurons must be checked (few saturate)")
    }

    @Test func cycleModelMatchesReference() throws {
        try check(NeuronArrayModel(Self.config), trials: 1000, seed: 0xE0, engine: "model")
    }

    @Test func rtlMatchesReference() throws {
        let rtl = try TestSupport.build(try NeuronGenerator.design(Self.config))
        try check(rtl, trials: 600, seed: 0xE1, engine: "rtl")
    }
}
