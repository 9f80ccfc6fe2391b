import Testbench
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// Delivery guarantees under load, on the model and on the Verilated mesh: every flit arrives
/// exactly once at each of its destinations, unicast pairs stay in order, and the mesh drains
/// after injection stops (no deadlock), with unicast and multicast mixed above saturation.
@Suite struct TrafficTests {
    @Test(arguments: [(4, 4), (8, 8)])
    func aboveSaturationOnTheModel(_ size: (Int, Int)) throws {
        let c = MeshConfig(cols: size.0, rows: size.1, flitWidth: 64, bufferDepth: 4)
        for seed in 1 ... 3 {
            var e = ModelMeshEngine(c)
            var run = TrafficRun(pattern: .uniform, rate: 0.7)
            run.warmup = 0
            run.measure = 8_000
            run.drainLimit = 100_000
            run.multicast = 0.2
            run.stopInjectionToDrain = true
            run.seed = UInt64(seed)
            let p = try run.run(&e)
            #expect(p.drained, "seed \(seed): every packet must arrive after injection stops")
            #expect(p.packets > 1000)
            let busy = e.busy
            #expect(!busy, "seed \(seed): nothing may stay buffered")
        }
    }

    @Test func aboveSaturationOnTheRTL() throws {
        let c = MeshConfig(cols: 4, rows: 4, flitWidth: 64, bufferDepth: 4)
        var e = VerilatorMeshEngine(c, model: try TestSupport.build(try MeshGenerator.design(c)))
        var run = TrafficRun(pattern: .hotspot, rate: 0.6)
        run.warmup = 0
        run.measure = 5_000
        run.drainLimit = 50_000
        run.multicast = 0.2
        run.stopInjectionToDrain = true
        let p = try run.run(&e)
        #expect(p.drained && p.packets > 1000)
    }

    @Test func zeroLoadLatencyIsOneCyclePerHopPlusTwo() throws {
        // One packet at a time: latency = Manhattan distance + 2 (into the source's local
        // queue, then one cycle per router, the last one ejecting).
        let c = MeshConfig(cols: 5, rows: 4, flitWidth: 64, bufferDepth: 2)
        var e = ModelMeshEngine(c)
        var rng = SplitMix64(seed: 5)
        var accepted = Array(repeating: false, count: c.nodes)
        var delivered = Array(repeating: UInt64?.none, count: c.nodes)
        for _ in 0 ..< 200 {
            let s = Int(rng.next() % 20), d = Int(rng.next() % 20)
            var offers = Array(repeating: UInt64?.none, count: c.nodes)
            offers[s] = Flit.unicast(x: d % 5, y: d / 5).encode(width: 64)[0]
            var t = 0
            var got: Int?
            while got == nil && t < 100 {
                e.cycle(offers: offers, accepted: &accepted, delivered: &delivered)
                if accepted[s] { offers[s] = nil }
                if delivered[d] != nil { got = t + 1 }
                t += 1
            }
            #expect(got == abs(s % 5 - d % 5) + abs(s / 5 - d / 5) + 2, "\(s) -> \(d)")
        }
    }

    @Test func multicastReachesExactlyTheRectangle() throws {
        let c = MeshConfig(cols: 4, rows: 3, flitWidth: 64, bufferDepth: 2)
        var e = ModelMeshEngine(c)
        var accepted = Array(repeating: false, count: c.nodes)
        var delivered = Array(repeating: UInt64?.none, count: c.nodes)
        var offers = Array(repeating: UInt64?.none, count: c.nodes)
        offers[5] = Flit(x0: 3, x1: 1, y0: 0, y1: 1, payload: 42).encode(width: 64)[0]  // corners in any order
        var seen: [Int: Int] = [:]
        for _ in 0 ..< 40 {
            e.cycle(offers: offers, accepted: &accepted, delivered: &delivered)
            if accepted[5] { offers[5] = nil }
            for k in 0 ..< c.nodes where delivered[k] != nil { seen[k, default: 0] += 1 }
        }
        #expect(seen == [1: 1, 2: 1, 3: 1, 5: 1, 6: 1, 7: 1])
    }

    @Test func patternsAndBadInput() throws {
        var rng = SplitMix64(seed: 1)
        #expect(TrafficPattern.transpose.destination(1 * 4 + 2, cols: 4, rows: 4, rng: &rng) == 2 * 4 + 1)
        #expect(TrafficPattern.bitcomplement.destination(0, cols: 4, rows: 4, rng: &rng) == 15)
        for _ in 0 ..< 100 {
            let d = TrafficPattern.neighbor.destination(5, cols: 4, rows: 4, rng: &rng)
            #expect([1, 4, 6, 9].contains(d))
            #expect(TrafficPattern.uniform.destination(5, cols: 4, rows: 4, rng: &rng) != 5)
        }
        #expect(throws: ConfigError.invalid(block: "traffic", violations: [.init(field: "traffic", value: "tornado", expected: "one of uniform, transpose, bitcomplement, hotspot, neighbor")])) {
            try TrafficPattern.parse("tornado")
        }
        #expect(TrafficPattern.transpose.check(cols: 4, rows: 3).map(\.description) == ["traffic: got transpose, expected a square mesh (got 4x3)"])
    }
}
