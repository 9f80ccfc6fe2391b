import CycleModels
import SpikeForgeCore
import Testing

/// The cycle models against independent references, so that a lockstep pass means the RTL is
/// right, not merely that two wrong things agree.
@Suite struct PrimitivesTests {
    @Test func fifoKeepsOrderAndHandshakes() {
        for depth in [1, 2, 3, 8] {
            var m = FIFOModel(.init(width: 16, depth: depth))
            var queue: [UInt64] = []
            var rng = SplitMix64(seed: UInt64(depth))
            var f = PortValues(m.inputLayout)
            for _ in 0 ..< 20_000 {
                f.set(0, false)
                f.set(1, rng.chance(0.5))
                f[2] = rng.bits(16)
                f.set(3, rng.chance(0.5))
                let o = m.outputs(f)
                #expect(o.bool(0) == (queue.count < depth))
                #expect(o.bool(1) == !queue.isEmpty)
                #expect(o[3] == UInt64(queue.count))
                if o.bool(1) { #expect(o[2] == queue[0]) }
                let pop = o.bool(1) && f.bool(3)
                if o.bool(0) && f.bool(1) { queue.append(f[2]) }
                if pop { queue.removeFirst() }
                m.step(f)
            }
        }
    }

    @Test func fifoIsSilentInReset() {
        var m = FIFOModel(.init(width: 8, depth: 2))
        var f = PortValues(m.inputLayout)
        f.set(1, true)
        m.step(f)
        f.set(0, true)
        let o = m.outputs(f)
        #expect(!o.bool(0) && !o.bool(1))
    }

    @Test func arbiterRotatesAndIsFair() {
        let n = 5
        var m = ArbiterModel(.init(requesters: n))
        var f = PortValues(m.inputLayout)
        f[1] = (1 << UInt64(n)) - 1
        f.set(2, true)
        var order: [UInt64] = []
        for _ in 0 ..< 10 {
            order.append(m.outputs(f)[2])
            m.step(f)
        }
        #expect(order == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
        // Any steady requester waits at most n - 1 grants, whatever the others do.
        var rng = SplitMix64(seed: 11)
        var waited = 0, worst = 0
        for _ in 0 ..< 50_000 {
            f[1] = rng.bits(n) | 0b100
            let o = m.outputs(f)
            if o[2] == 2 { waited = 0 } else { waited += 1 }
            worst = max(worst, waited)
            m.step(f)
        }
        #expect(worst <= n - 1)
    }

    @Test func arbiterHoldsWithoutAdvance() {
        var m = ArbiterModel(.init(requesters: 3))
        var f = PortValues(m.inputLayout)
        f[1] = 0b111
        for _ in 0 ..< 5 {
            #expect(m.outputs(f)[2] == 0)
            m.step(f)
        }
    }

    @Test func sramIsReadFirstWithOneCycleLatency() {
        var m = SRAMModel(.init(width: 8, depth: 4, kind: .simpleDualPort))
        var f = PortValues(m.inputLayout)
        f.set(0, true); f[1] = 2; f[2] = 0xAB; f.set(3, true); f[4] = 2
        m.step(f)
        #expect(m.outputs(f)[0] == 0, "read-first: the same-cycle write is not seen")
        f.set(0, false)
        m.step(f)
        #expect(m.outputs(f)[0] == 0xAB)
        f.set(3, false); f[4] = 0
        m.step(f)
        #expect(m.outputs(f)[0] == 0xAB, "rdata holds without a read")
    }

    @Test func accumulatorSaturatesAndLoads() {
        var m = AccumulatorModel(.init(inWidth: 8, accWidth: 8))
        var f = PortValues(m.inputLayout)
        f.set(3, true)
        f.setSigned(4, 100)
        for _ in 0 ..< 3 { m.step(f) }
        #expect(m.acc == 127 && m.saturated)
        f.set(1, true)
        f.setSigned(2, -5)
        m.step(f)
        #expect(m.acc == -5 && !m.saturated)
    }

    @Test func satAdderExhaustiveSmall() {
        let c = SatAdderConfig(aWidth: 4, bWidth: 3, outWidth: 3)
        let m = SatAdderModel(c)
        var f = PortValues(m.inputLayout)
        for a in -8 ... 7 {
            for b in -4 ... 3 {
                f.setSigned(0, Int64(a))
                f.setSigned(1, Int64(b))
                let o = m.outputs(f)
                #expect(o.signed(0) == Int64(min(max(a + b, -4), 3)))
                #expect(o.bool(1) == (a + b < -4 || a + b > 3))
            }
        }
    }
}
