import Foundation
import Generators
import SpikeForgeCore
import VerilatorBridge

/// The mesh cycle model against the Verilated mesh on the same pre-generated offers (uniform
/// destinations, each node offering a new flit with probability `rate` per cycle), best of
/// three, engine time only. The figures of `spikeforge bench noc`.
public struct MeshSpeed {
    public var mesh: MeshConfig
    /// Offered load, flits/node/cycle.
    public var rate: Double
    /// Cycles per engine.
    public var cycles: Int

    public init(mesh: MeshConfig, rate: Double, cycles: Int) {
        self.mesh = mesh
        self.rate = rate
        self.cycles = cycles
    }

    public struct Result: Sendable {
        /// The best run's seconds of each engine.
        public var modelSeconds: Double
        public var verilatorSeconds: Double
        /// Flits each engine delivered (the last run's).
        public var modelDelivered: Int
        public var verilatorDelivered: Int
    }

    public func run() throws -> Result {
        let c = mesh
        // The same pre-generated offers for both engines; only engine time is measured.
        var rng = SplitMix64(seed: 7)
        let period = 2048
        let offers: [[UInt64?]] = (0 ..< period).map { _ in
            (0 ..< c.nodes).map { s in
                guard rng.chance(rate) else { return nil }
                let d = TrafficPattern.uniform.destination(s, cols: c.cols, rows: c.rows, rng: &rng)
                return Flit.unicast(x: d % c.cols, y: d / c.cols, payload: UInt64(s)).encode(width: 64)[0]
            }
        }
        func timed<E: MeshEngine>(_ e: inout E) -> (seconds: Double, delivered: Int) {
            var accepted = Array(repeating: false, count: c.nodes)
            var delivered = Array(repeating: UInt64?.none, count: c.nodes)
            var n = 0
            let t0 = DispatchTime.now().uptimeNanoseconds
            for k in 0 ..< cycles {
                e.cycle(offers: offers[k % period], accepted: &accepted, delivered: &delivered)
                for d in delivered where d != nil { n += 1 }
            }
            return (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, n)
        }
        let built = try VerilatorBuild().build(try MeshGenerator.design(c))
        var rtl = VerilatorMeshEngine(c, model: try VerilatedModel(built))
        let model = ModelMeshEngine(c)
        var r = Result(modelSeconds: .infinity, verilatorSeconds: .infinity, modelDelivered: 0, verilatorDelivered: 0)
        for _ in 0 ..< 3 {
            var m = model
            let a = timed(&m)
            r.modelSeconds = min(r.modelSeconds, a.seconds)
            r.modelDelivered = a.delivered
            let b = timed(&rtl)
            r.verilatorSeconds = min(r.verilatorSeconds, b.seconds)
            r.verilatorDelivered = b.delivered
            rtl = VerilatorMeshEngine(c, model: try VerilatedModel(built))
        }
        return r
    }
}
