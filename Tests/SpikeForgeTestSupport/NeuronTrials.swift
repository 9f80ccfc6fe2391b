import SpikeForgeCore

/// Random event sequences for the neuron equivalence tests: a threshold, one bias per neuron,
/// and input events (sign, multiplicity, one weight per neuron) in random or adversarial order.
public struct NeuronTrial: Sendable {
    public enum Order: String, CaseIterable, Sendable { case random, negativesFirst, positivesFirst, alternating }

    public struct Event: Sendable {
        public var sign: Spike
        public var multiplicity: Int
        public var weights: [Int64]
        /// The signed contribution to neuron 0, which the adversarial orders sort by.
        public var key: Int64 { Int64(sign) * weights[0] }
    }

    public var theta: Int64
    public var biases: [Int64]
    public var events: [Event]

    /// Pre-activation of neuron `k`: bias + Σ s·w·m.
    public func x(_ k: Int) -> Int64 { events.reduce(biases[k]) { $0 + Int64($1.sign) * $1.weights[k] * Int64($1.multiplicity) } }

    public static func make(_ rng: inout SplitMix64, neurons: Int, order: Order, maxTheta: Int64 = 40, maxWeight: Int64 = 127, maxMultiplicity: Int = 15, maxEvents: Int = 40) -> NeuronTrial {
        let theta = Int64(1 + rng.next() % UInt64(maxTheta))
        let biases = (0 ..< neurons).map { _ in Int64(rng.next() % UInt64(4 * theta + 1)) - 2 * theta }
        var events: [Event] = []
        for _ in 0 ..< Int(1 + rng.next() % UInt64(maxEvents)) {
            let s: Spike = rng.chance(0.5) ? 1 : -1
            let m = Int(1 + rng.next() % UInt64(maxMultiplicity))
            let ws = (0 ..< neurons).map { _ in Int64(rng.next() % UInt64(2 * maxWeight + 1)) - maxWeight }
            events.append(Event(sign: s, multiplicity: m, weights: ws))
        }
        switch order {
        case .random: break
        case .negativesFirst: events.sort { $0.key < $1.key }
        case .positivesFirst: events.sort { $0.key > $1.key }
        case .alternating:
            let pos = events.filter { $0.key >= 0 }
            let neg = events.filter { $0.key < 0 }
            var mixed: [Event] = []
            for k in 0 ..< max(pos.count, neg.count) {
                if k < pos.count { mixed.append(pos[k]) }
                if k < neg.count { mixed.append(neg[k]) }
            }
            events = mixed
        }
        return NeuronTrial(theta: theta, biases: biases, events: events)
    }

    /// The functional reference run of neuron `k`.
    public func functional(_ k: Int, mode: NeuronMode, flush: Bool, vBits: Int = 32, zBits: Int = 32) -> FunctionalNeuron {
        var n = FunctionalNeuron(bias: biases[k], theta: theta, mode: mode, vBits: vBits, zBits: zBits)
        for e in events { n.input(sign: e.sign, weight: e.weights[k], multiplicity: e.multiplicity) }
        if flush { n.flush() }
        return n
    }
}
