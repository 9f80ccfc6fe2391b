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
    /// Offers `flits` in order (the host always ready) until all went in and the core is idle,
    /// or 100,000 cycles; returns the cycles.
    static func drive(_ core: inout PECoreModel, _ flits: inout [UInt64]) -> Int {
        var cycle = 0
        while !flits.isEmpty || core.busy(), cycle < 100_000 {
            let offer = flits.first
            if offer != nil && core.inReady() { flits.removeFirst() }
            core.step(inValid: offer != nil, inFlit: offer ?? 0, outReady: true)
            cycle += 1
        }
        return cycle
    }

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
        // Random z: rows of a layer with θ = 0 (no reset here) neither read nor write the z bank, so it must stay.
        var stateWords = [[UInt64]](repeating: [0, 0], count: c.stateDepth)
        for g in 0 ..< c.stateDepth {
            for l in 0 ..< c.lanes { Bits.setField(&stateWords[g], lo: c.stateZLo(l), width: c.zBits, UInt64(r(1 << c.zBits))) }
        }
        core.memories[.state]!.load(stateWords)

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
        let cycle = Self.drive(&core, &flits)
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
        let zKept = (0 ..< c.stateDepth).allSatisfy { g in
            (0 ..< c.lanes).allSatisfy { l in core.memories[.state]!.field(g, lo: c.stateZLo(l), width: c.zBits) == Bits.field(stateWords[g][...], lo: c.stateZLo(l), width: c.zBits) }
        }
        #expect(zKept, "seed \(seed): a θ = 0 row changed the z bank")
        let n = core.counters, s = PEMemory.state.rawValue
        #expect(n.stateZReads == 0 && n.stateZWrites == 0, "seed \(seed): z bank read \(n.stateZReads), written \(n.stateZWrites) times for θ = 0 rows")
        #expect(n.sramReads[s] == ops && n.sramWrites[s] == ops, "seed \(seed): V bank read \(n.sramReads[s]), written \(n.sramWrites[s]) times for \(ops) row operations")
    }

    /// A layer that fires reads both banks on every row, writes V on every row and z only after
    /// a spike: fewer z writes than spikes sent, and some.
    @Test func zBankIsWrittenOnlyAfterASpike() throws {
        let c = PEConfig(neurons: 64, lanes: 4, vBits: 20, zBits: 8, layers: 1, axons: 32, weightRows: 64)
        var rng = SplitMix64(seed: 0x2B)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var core = PECoreModel(c)
        core.memories[.weights]!.load((0 ..< c.weightRows).map { _ in
            var w: [UInt64] = [0]
            for l in 0 ..< c.lanes { Bits.setField(&w, lo: l * c.weightSlot, width: c.wBits, Bits.raw(Int64(r(33)) - 12, width: c.wBits)) }
            return w
        })
        core.memories[.params]!.load([[LayerParams(theta: 40, mode: .relu, firstGroup: 0, groupCount: c.groups).encode(c)]])
        core.memories[.axonMap]!.load((0 ..< c.axons).map { _ in [AxonEntry(row: r(c.weightRows - 4), group: r(c.groups - 4), count: 1 + r(4), layer: 0).encode(c)] })
        // Every neuron's spikes go to the host, so every spike is counted as sent.
        core.memories[.targets]!.load((0 ..< c.targetDepth).map { i in [TargetEntry(axon: i, x0: 0, x1: 0, y0: 0, y1: 0, host: true).encode()] })
        var flits = (0 ..< 400).map { _ in PEPacket.spike(x: 0, y: 0, axon: r(c.axons), negative: rng.chance(0.3), multiplicity: 1 + r(3)) }
        let cycle = Self.drive(&core, &flits)
        let n = core.counters, s = PEMemory.state.rawValue
        #expect(flits.isEmpty && !core.busy() && n.spikesSent > 50, "not drained after \(cycle) cycles, or too few spikes (\(n.spikesSent))")
        #expect(n.sramReads[s] == n.rowOps && n.stateZReads == n.rowOps && n.sramWrites[s] == n.rowOps,
                "\(n.rowOps) rows: V read \(n.sramReads[s]), z read \(n.stateZReads), V written \(n.sramWrites[s])")
        #expect(n.stateZWrites > 0 && n.stateZWrites <= n.spikesSent && n.stateZWrites < n.rowOps,
                "z written \(n.stateZWrites) times for \(n.spikesSent) spikes in \(n.rowOps) rows")
    }
}
