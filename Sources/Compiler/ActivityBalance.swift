import Datasets
import SpikeForgeCore
import Trainer

/// How often each input and each neuron spikes, on average over a set of images, as the
/// integer model computes it (the hardware computes the same spike counts).
public struct ActivityProfile: Sendable, Equatable {
    /// Input events per image of each first-layer input: the fraction of images in which the
    /// pixel's level is not 0 (the host sends one packet per such pixel).
    public var inputEvents: [Double]
    /// Spikes sent per image by each neuron of each layer (none for the output layer, which
    /// never fires).
    public var spikes: [[Double]]
    public var images: Int
    public var source: String

    /// Profiles `model` on `set`: every hidden layer up to the first that is not dense, event by
    /// event as the PEs run it (SPEC §1: `V ← b`, then each input event `V ← V + s·m·w` with the
    /// fire check repeated until quiet, then the residual flush), counting every spike sent,
    /// +1 and −1 alike: a ternary neuron sends many more spikes than its final `|z|`. Input
    /// events come in the host's order (ascending pixel); a later layer takes the spikes of the
    /// one before neuron by neuron, each run of spikes one fire check sent (one sign) as one
    /// event of that multiplicity, so at most one event per neuron per input event is kept. On
    /// the mesh they arrive interleaved, one by one, so a later layer's counts are an estimate.
    /// Layers after a conv or pool layer, and the output layer, get no counts.
    public static func measure(_ model: IntegerModel, _ set: ImageSet) -> ActivityProfile {
        let first = model.layers.first?.inputs ?? 0
        var events = [Double](repeating: 0, count: first)
        var spikes = model.layers.map { [Double](repeating: 0, count: $0.isOutput ? 0 : $0.outputs) }
        let hidden = model.layers.prefix { !$0.isOutput && $0.kind == .dense }.count
        for i in 0 ..< set.count {
            var input: [(j: Int, m: Int64)] = []
            for (j, v) in model.levels(set.image(i)).prefix(first).enumerated() where v != 0 {
                events[j] += 1
                input.append((j, Int64(v)))
            }
            for l in 0 ..< hidden {
                let layer = model.layers[l]
                var next: [(j: Int, m: Int64)] = []
                layer.weights.withUnsafeBufferPointer { w in
                    for n in 0 ..< layer.outputs {
                        let row = n * layer.inputs
                        var (v, z, sent) = (layer.bias[n], Int64(0), 0)
                        var run: Int64 = 0
                        func emit(_ q: Spike) {
                            v -= Int64(q) * layer.threshold
                            z += Int64(q)
                            sent += 1
                            run += Int64(q)
                        }
                        // A fire check from a quiet state sends one sign only: its run is one event.
                        func fire() {
                            run = 0
                            while true {
                                let q = FunctionalNeuron.fireCondition(v: v, z: z, theta: layer.threshold, mode: layer.mode)
                                if q == 0 { break }
                                emit(q)
                            }
                            if run != 0 && l + 1 < hidden { next.append((n, run)) }
                        }
                        fire()
                        for e in input {
                            v += e.m * Int64(w[row + e.j])
                            fire()
                        }
                        if layer.flush {
                            let q = FunctionalNeuron.flushCondition(v: v, z: z, theta: layer.threshold, mode: layer.mode)
                            if q != 0 {
                                emit(q)
                                if l + 1 < hidden { next.append((n, Int64(q))) }
                            }
                        }
                        spikes[l][n] += Double(sent)
                    }
                }
                input = next
            }
        }
        let n = Double(max(1, set.count))
        return ActivityProfile(inputEvents: events.map { $0 / n }, spikes: spikes.map { $0.map { $0 / n } }, images: set.count, source: set.source)
    }

    /// Events per image at input `j` of layer `l`.
    func events(layer l: Int, input j: Int) -> Double {
        l == 0 ? (inputEvents.indices.contains(j) ? inputEvents[j] : 0) : (spikes[l - 1].indices.contains(j) ? spikes[l - 1][j] : 0)
    }
}

/// What `system.json` records of a placement from profiled activity.
public struct BalanceRecord: Codable, Hashable, Sendable {
    /// The layer whose neurons were renumbered.
    public var layer: String
    public var images: Int
    public var source: String
    /// The digest of the model as given, before the renumbering (`model.digest` is the
    /// renumbered model's, which `model/` holds).
    public var sourceDigest: String
    /// Predicted row-operation cycles per image of the busiest tile with the neurons in their
    /// given order and after, and of the mean tile with any predicted work (the same before
    /// and after: renumbering moves work, it does not change it).
    public var busiestBefore: Double
    public var busiestAfter: Double
    public var meanTile: Double
}

/// Placement from profiled activity (docs/SYSTEM.md): the neurons of the last hidden layer are
/// renumbered so that the tiles' predicted work is as even as the slices' sizes allow. The
/// placement itself (which slot sits on which tile) is the compiler's; only which neuron takes
/// which slot changes, which is exact (`IntegerModel.permutingNeurons`).
public enum ActivityBalance {
    /// Predicted busy cycles per image of each tile: every slice's row operations, its groups
    /// times the events at its inputs. Spikes sent are not counted: counting each at half a
    /// cycle or a whole one (a group with several firing lanes holds the compute stage a cycle
    /// per further spike) made the balanced 6x7 MNIST design 1.5 % and 2.2 % slower on 1,000
    /// test images. Nil for a plan with map blocks (conv and pool slices are not profiled per
    /// neuron).
    public static func loads(_ plan: SystemPlan, _ profile: ActivityProfile) -> [Double]? {
        guard plan.layers.allSatisfy({ $0.geometry == nil }), profile.spikes.count == plan.layers.count else { return nil }
        return plan.tiles.map { t in
            t.slices.reduce(0) { acc, s in
                acc + Double(s.groups) * (s.inputLo ..< s.inputHi).reduce(0) { $0 + profile.events(layer: s.layer, input: $1) }
            }
        }
    }

    /// The renumbering of layer `l` (`order[slot] = neuron`) that evens the tiles' predicted
    /// loads: slots that touch the same tiles (the same sending slice and the same receiving
    /// slices) form a bin; neurons, busiest first, go to the bin whose busiest affected tile
    /// would be least loaded (ties to the earlier bin); inside a bin, in ascending order.
    public static func order(_ plan: SystemPlan, _ profile: ActivityProfile, layer l: Int) -> [Int]? {
        guard let load = loads(plan, profile) else { return nil }
        return order(plan, profile, layer: l, loads: load)
    }

    /// `order`, from the plan's predicted `loads` (`loads(plan, profile)`).
    static func order(_ plan: SystemPlan, _ profile: ActivityProfile, layer l: Int, loads: [Double]) -> [Int]? {
        guard l + 1 < plan.layers.count, loads.count == plan.tiles.count else { return nil }
        var load = loads
        let n = plan.layers[l].outputs
        let act = profile.spikes[l]
        guard act.count == n else { return nil }
        // Which tiles each slot loads, and how much per spike.
        var effect = [[(tile: Int, weight: Double)]](repeating: [], count: n)
        for (t, tile) in plan.tiles.enumerated() {
            for s in tile.slices {
                // The sending tile adds nothing to its own load, but its load counts in the peak:
                // a busy sender delays the spikes it sends (on 1,000 test images of the 6x7
                // MNIST design, 2,058 cycles against 2,107 with the receivers alone).
                if s.layer == l { for i in s.neuronLo ..< s.neuronHi where i < n { effect[i].append((t, 0)) } }
                if s.layer == l + 1 { for i in s.inputLo ..< s.inputHi where i < n { effect[i].append((t, Double(s.groups))) } }
            }
        }
        // Take layer l's spikes out of the loads: they are what is being placed.
        for i in 0 ..< n { for e in effect[i] { load[e.tile] -= e.weight * act[i] } }
        var bins: [[(tile: Int, weight: Double)]] = []
        var slots: [[Int]] = []
        var binOf: [[Double]: Int] = [:]
        for i in 0 ..< n {
            let key = effect[i].flatMap { [Double($0.tile), $0.weight] }
            if let b = binOf[key] { slots[b].append(i) } else {
                binOf[key] = bins.count
                bins.append(effect[i])
                slots.append([i])
            }
        }
        var members = [[Int]](repeating: [], count: bins.count)
        let byActivity = (0 ..< n).sorted { act[$0] != act[$1] ? act[$0] > act[$1] : $0 < $1 }
        for neuron in byActivity {
            var best = -1, bestPeak = Double.infinity
            for b in bins.indices where members[b].count < slots[b].count {
                let peak = bins[b].map { load[$0.tile] + $0.weight * act[neuron] }.max() ?? 0
                if peak < bestPeak { (best, bestPeak) = (b, peak) }
            }
            guard best >= 0 else { return nil }
            members[best].append(neuron)
            for e in bins[best] { load[e.tile] += e.weight * act[neuron] }
        }
        var order = [Int](repeating: 0, count: n)
        for b in bins.indices { for (slot, neuron) in zip(slots[b], members[b].sorted()) { order[slot] = neuron } }
        return order
    }
}

extension Compiler {
    /// Compiles `model`, then renumbers its last hidden layer from `profile` (`ActivityBalance`)
    /// and compiles the renumbered model, which is returned with its plan (the plan records the
    /// balance). A model with fewer than two layers, conv or pool layers, or a `fill` placement
    /// (every tile of a layer receives every input: nothing to even) is compiled as it is.
    public static func compile(_ model: IntegerModel, _ o: CompileOptions, profile: ActivityProfile) throws(CompileError) -> (SystemPlan, IntegerModel) {
        let plan = try compile(model, o)
        let l = model.layers.count - 2
        guard plan.policy == .spread, l >= 0, let before = ActivityBalance.loads(plan, profile),
              let order = ActivityBalance.order(plan, profile, layer: l, loads: before),
              let renumbered = model.permutingNeurons(ofLayer: l, order: order)
        else { return (plan, model) }
        // Every layer's activity follows its neurons.
        var moved = profile
        moved.spikes[l] = order.map { profile.spikes[l][$0] }
        var balanced = try compile(renumbered, CompileOptions(cols: plan.system.cols, rows: plan.system.rows, policy: plan.policy, pe: plan.system.pe,
                                                              fixed: CompileOptions.chosenFields))
        let after = ActivityBalance.loads(balanced, moved) ?? before
        let active = before.filter { $0 > 0 }
        // Tenths of a cycle: enough for a prediction, and short in system.json.
        func tenths(_ v: Double) -> Double { (v * 10).rounded() / 10 }
        balanced.balance = BalanceRecord(layer: model.layers[l].name, images: profile.images, source: profile.source, sourceDigest: model.digest,
                                         busiestBefore: tenths(before.max() ?? 0), busiestAfter: tenths(after.max() ?? 0),
                                         meanTile: tenths(active.reduce(0, +) / Double(max(1, active.count))))
        return (balanced, renumbered)
    }
}
