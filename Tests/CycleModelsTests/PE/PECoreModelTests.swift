import CycleModels
import SpikeForgeCore
import Testing

/// The core model's load stage against the definition of an axon entry's window iteration
/// (`AxonEntry.rowOperations`, computed with multiplications and modulo instead of the load
/// stage's incremental counters): random entries with windows of 0 ... maxKernel, random
/// strides that wrap both memories, spikes of random sign and multiplicity back to back; every
/// neuron's `V` must be the sum the definition gives. (The RTL equals this model cycle for
/// cycle: `TestbenchTests/PE/PELockstepTests`.)
@Suite struct PECoreModelTests {
    @Test(arguments: [1, 3, 5])
    func windowsDoWhatTheEntrySays(_ k: Int) throws {
        let c = PEConfig(neurons: 64, lanes: 2, vBits: 24, zBits: 8, layers: 2, axons: 64, weightRows: 128, maxKernel: k)
        let seed: UInt64 = 0x3A + UInt64(k)
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var core = PECoreModel(c)
        var weights = [[Int64]](repeating: [], count: c.weightRows)
        var words = [[UInt64]](repeating: [0], count: c.weightRows)
        for row in 0 ..< c.weightRows {
            weights[row] = (0 ..< c.lanes).map { _ in Int64(r(17)) - 8 }
            for (l, w) in weights[row].enumerated() { Bits.setField(&words[row], lo: l * c.weightSlot, width: c.wBits, Bits.raw(w, width: c.wBits)) }
        }
        core.memories[.weights]!.load(words)
        // θ = 0: nothing fires, so V is the plain sum.
        let params = (0 ..< c.paramDepth).map { _ in
            LayerParams(theta: 0, mode: .linear, firstGroup: 0, groupCount: c.groups, rowStride: k > 1 ? r(c.weightRows) : 0, groupStride: k > 1 ? r(c.stateDepth) : 0)
        }
        core.memories[.params]!.load(params.map { [$0.encode(c)] })
        let entries = (0 ..< c.axons).map { _ in
            AxonEntry(row: r(c.weightRows), group: r(c.stateDepth), count: r(6), layer: r(c.layers), windowRows: k > 1 ? r(k + 1) : 1, windowCols: k > 1 ? r(k + 1) : 1)
        }
        core.memories[.axonMap]!.load(entries.map { [$0.encode(c)] })

        var want = [Int64](repeating: 0, count: c.targetDepth)
        var flits: [UInt64] = []
        var ops = 0, slots = 0
        for _ in 0 ..< 300 {
            let a = r(c.axons), negative = rng.chance(0.4), m = 1 + r(15)
            flits.append(PEPacket.spike(x: 0, y: 0, axon: a, negative: negative, multiplicity: m))
            let e = entries[a], p = params[e.layer]
            for op in e.rowOperations(c, rowStride: p.rowStride, groupStride: p.groupStride) {
                for l in 0 ..< c.lanes { want[op.group * c.lanes + l] += (negative ? -1 : 1) * Int64(m) * weights[op.row][l] }
                ops += 1
            }
            slots += max(1, e.rowOperations)
        }
        var cycle = 0
        while !flits.isEmpty || core.busy(), cycle < 100_000 {
            let offer = flits.first
            if offer != nil && core.inReady() { flits.removeFirst() }
            core.step(inValid: offer != nil, inFlit: offer ?? 0, outReady: true)
            cycle += 1
        }
        #expect(flits.isEmpty && !core.busy(), "seed \(seed): not drained after \(cycle) cycles")
        #expect(core.counters.rowOps == ops, "seed \(seed): \(core.counters.rowOps) row operations, the entries make \(ops)")
        // One row operation per cycle (an empty entry takes one), plus the pipeline's fill and drain and
        // the interlock's waits (a window may come back to a group still in the add stage or compute).
        #expect(cycle <= slots + 16, "seed \(seed): \(cycle) cycles for \(ops) row operations in \(slots) slots")
        var bad: [String] = []
        for i in 0 ..< c.targetDepth {
            let v = Bits.signExtend(core.memories[.state]!.field(i / c.lanes, lo: c.stateVLo(i % c.lanes), width: c.vBits), width: c.vBits)
            if v != want[i] { bad.append("neuron \(i): V = \(v), the entries give \(want[i])") }
        }
        #expect(bad.isEmpty, "seed \(seed), maxKernel \(k): \(bad.prefix(10).joined(separator: "; "))")
    }
}
