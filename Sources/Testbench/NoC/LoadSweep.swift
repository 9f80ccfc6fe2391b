import Foundation
import Generators
import SpikeForgeCore
import VerilatorBridge

/// Which engine a traffic run drives: the mesh's cycle model or its Verilated RTL.
public enum MeshEngineKind: String, CaseIterable, Sendable {
    case model, verilator

    /// A fresh engine of this kind for `c` (the RTL is built through the Verilator cache).
    public func make(_ c: MeshConfig) throws -> any MeshEngine {
        switch self {
        case .model: return ModelMeshEngine(c)
        case .verilator: return VerilatorMeshEngine(c, model: try VerilatedModel(try VerilatorBuild().build(try MeshGenerator.design(c))))
        }
    }
}

/// A mesh with single-flit packets of one traffic pattern, as `spikeforge noc` configures it.
public enum MeshTraffic {
    /// The mesh (64-bit flits) and the pattern, checked together: every violation of both at
    /// once, reported as `block`.
    public static func configure(cols: Int, rows: Int, depth: Int, traffic: String, split: Bool = true, block: String = "noc sweep") throws -> (MeshConfig, TrafficPattern) {
        let c = MeshConfig(cols: cols, rows: rows, flitWidth: 64, bufferDepth: depth, splitQueues: split)
        var violations: [ConfigViolation] = []
        do { try c.validate() } catch { violations += error.violations }
        var pattern: TrafficPattern?
        do { pattern = try TrafficPattern.parse(traffic) } catch { violations += error.violations }
        if let p = pattern { violations += p.check(cols: cols, rows: rows) }
        if !violations.isEmpty { throw ConfigError.invalid(block: block, violations: violations) }
        return (c, pattern!)
    }

    /// 1 / (max channel load per unit injection) for uniform traffic on a k×k mesh: k/4 for even
    /// k; NaN for other patterns.
    public static func bisectionBound(_ c: MeshConfig, _ p: TrafficPattern) -> Double {
        let k = Double(max(c.cols, c.rows))
        return p == .uniform ? (k.truncatingRemainder(dividingBy: 2) == 0 ? 4 / k : 4 * k / (k * k - 1)) : .nan
    }
}

extension TrafficPoint {
    /// The network sustains the load: every measured packet arrived and at least 95% of the
    /// offered load was accepted.
    public var isStable: Bool { drained && accepted >= 0.95 * offered }
}

/// Offered load against accepted throughput and latency: one traffic run per load, each on a
/// fresh engine.
public struct LoadSweep {
    public var mesh: MeshConfig
    public var pattern: TrafficPattern
    public var engine: MeshEngineKind
    public var loads: [Double]
    public var warmup = 2000
    public var measure = 5000
    public var seed: UInt64 = 1

    public init(mesh: MeshConfig, pattern: TrafficPattern, engine: MeshEngineKind, loads: [Double]) {
        self.mesh = mesh
        self.pattern = pattern
        self.engine = engine
        self.loads = loads
    }

    /// One point per load, in order.
    public func run() throws -> [TrafficPoint] {
        var points: [TrafficPoint] = []
        for r in loads {
            var e = try engine.make(mesh)
            var run = TrafficRun(pattern: pattern, rate: r)
            run.warmup = warmup
            run.measure = measure
            run.seed = seed
            points.append(try run.run(&e))
        }
        return points
    }

    /// The first load the network cannot sustain.
    public static func saturation(_ points: [TrafficPoint]) -> TrafficPoint? { points.first { !$0.isStable } }

    /// The highest accepted throughput of the sweep.
    public static func bestAccepted(_ points: [TrafficPoint]) -> Double { points.map(\.accepted).max() ?? 0 }

    /// `sweep.csv`: one line per point.
    public static func csv(_ points: [TrafficPoint]) -> String {
        var csv = "offered,accepted,mean_latency,p99_latency,packets,drained\n"
        for p in points { csv += String(format: "%.4f,%.4f,%.2f,%.0f,%d,%@\n", p.offered, p.accepted, p.meanLatency, p.p99Latency, p.packets, p.drained ? "true" : "false") }
        return csv
    }
}

/// Above-saturation uniform traffic with a share of multicast packets: injection stops after
/// `cycles`, and every packet must then arrive, exactly once and in order, within 200000 cycles.
public struct StressRun {
    public var mesh: MeshConfig
    public var engine: MeshEngineKind
    public var rate: Double
    public var multicast: Double
    public var cycles: Int
    public static let drainLimit = 200_000

    public init(mesh: MeshConfig, engine: MeshEngineKind, rate: Double, multicast: Double, cycles: Int) {
        self.mesh = mesh
        self.engine = engine
        self.rate = rate
        self.multicast = multicast
        self.cycles = cycles
    }

    /// The run of `seed` on a fresh engine and the seconds it took (the engine's construction
    /// not counted); throws `DeliveryError` when the mesh does not drain.
    public func run(seed: Int) throws -> (point: TrafficPoint, seconds: Double) {
        var e = try engine.make(mesh)
        var run = TrafficRun(pattern: .uniform, rate: rate)
        run.warmup = 0
        run.measure = cycles
        run.drainLimit = Self.drainLimit
        run.multicast = multicast
        run.stopInjectionToDrain = true
        run.seed = UInt64(seed)
        let t0 = Date()
        let p = try run.run(&e)
        guard p.drained else { throw DeliveryError(problems: ["seed \(seed): packets still in flight 200000 cycles after injection stopped (deadlock?)"]) }
        return (p, Date().timeIntervalSince(t0))
    }
}
