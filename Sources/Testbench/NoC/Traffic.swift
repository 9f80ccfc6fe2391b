import CycleModels
import Foundation
import SpikeForgeCore
import VerilatorBridge

/// A mesh that traffic can be run through, cycle by cycle: the Swift model or the Verilated RTL.
/// Local ports only; every ejection port always accepts (the nodes are sinks).
public protocol MeshEngine {
    var config: MeshConfig { get }
    /// One cycle. `offers[k]` is node k's flit (nil: none). Afterwards `accepted[k]` says whether
    /// node k's flit was taken and `delivered[k]` holds the flit node k received, if any.
    mutating func cycle(offers: [UInt64?], accepted: inout [Bool], delivered: inout [UInt64?])
}

/// The Swift cycle model as a traffic engine (the fast path: no port frames).
public struct ModelMeshEngine: MeshEngine {
    public let config: MeshConfig
    var core: NoCCore

    public init(_ c: MeshConfig) {
        config = c
        core = .mesh(c)
        for k in core.outReady.indices { core.outReady[k] = true }
    }

    public mutating func cycle(offers: [UInt64?], accepted: inout [Bool], delivered: inout [UInt64?]) {
        let n = config.nodes, W = core.words
        for k in 0 ..< n {
            if let f = offers[k] {
                core.inValid[k] = true
                core.inFlit[k * W] = f
            } else {
                core.inValid[k] = false
            }
        }
        core.step()
        for k in 0 ..< n {
            accepted[k] = core.accepted[k]
            delivered[k] = core.delivered[k] ? core.deliveredFlit[k * W] : nil
        }
    }

    public var busy: Bool { core.busy }
}

/// The Verilated mesh as a traffic engine (one shim call per cycle, since injection reacts to
/// `local_in_ready`).
public final class VerilatorMeshEngine: MeshEngine {
    public let config: MeshConfig
    let model: VerilatedModel
    var frame: PortValues
    var out: [UInt64]
    let iLV, iLF, iLR, oLR, oLV, oLF: Int

    public init(_ c: MeshConfig, model: VerilatedModel) {
        config = c
        self.model = model
        frame = PortValues(model.inputLayout)
        out = Array(repeating: 0, count: model.outputLayout.stride)
        iLV = model.inputLayout.index(of: "local_in_valid")!
        iLF = model.inputLayout.index(of: "local_in_flit")!
        iLR = model.inputLayout.index(of: "local_out_ready")!
        oLR = model.outputLayout.index(of: "local_in_ready")!
        oLV = model.outputLayout.index(of: "local_out_valid")!
        oLF = model.outputLayout.index(of: "local_out_flit")!
        frame.setWide(iLR, Array(repeating: ~0, count: (c.nodes + 63) / 64))
        frame.set(model.inputLayout.index(of: "host_out_ready")!, true)
    }

    public func cycle(offers: [UInt64?], accepted: inout [Bool], delivered: inout [UInt64?]) {
        let n = config.nodes, F = config.flitWidth
        frame.setWide(iLV, Bits.packFields(offers.map { $0 == nil ? 0 : 1 }, width: 1))
        frame.setWide(iLF, Bits.packFields(offers.map { $0 ?? 0 }, width: F))
        frame.words.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { model.run(cycles: 1, inputs: i, outputs: $0) } }
        let o = PortValues(model.outputLayout, words: out)
        let ready = o.wide(oLR), valid = o.wide(oLV), flits = o.wide(oLF)
        for k in 0 ..< n {
            accepted[k] = offers[k] != nil && Bits.field(ready, lo: k, width: 1) == 1
            delivered[k] = Bits.field(valid, lo: k, width: 1) == 1 ? Bits.field(flits, lo: k * F, width: min(F, 64)) : nil
        }
    }
}

/// Synthetic traffic patterns (Dally & Towles ch. 3), over node ids `y*cols + x`.
public enum TrafficPattern: String, CaseIterable, Sendable {
    case uniform, transpose, bitcomplement, hotspot, neighbor

    public func destination(_ src: Int, cols: Int, rows: Int, rng: inout SplitMix64) -> Int {
        let x = src % cols, y = src / cols, n = cols * rows
        switch self {
        case .uniform:
            guard n > 1 else { return src }
            var d = Int(rng.next() % UInt64(n - 1))
            if d >= src { d += 1 }
            return d
        case .transpose: return x * cols + y
        case .bitcomplement: return (rows - 1 - y) * cols + (cols - 1 - x)
        case .hotspot:
            // 20% of packets go to the centre node; the rest are uniform.
            let hot = (rows / 2) * cols + cols / 2
            return rng.chance(0.2) ? hot : TrafficPattern.uniform.destination(src, cols: cols, rows: rows, rng: &rng)
        case .neighbor:
            var choices: [Int] = []
            if x > 0 { choices.append(src - 1) }
            if x < cols - 1 { choices.append(src + 1) }
            if y > 0 { choices.append(src - cols) }
            if y < rows - 1 { choices.append(src + cols) }
            return choices.isEmpty ? src : choices[Int(rng.next() % UInt64(choices.count))]
        }
    }

    /// Problems with using this pattern on a `cols × rows` mesh.
    public func check(cols: Int, rows: Int) -> [ConfigViolation] {
        if self == .transpose && cols != rows {
            return [.init(field: "traffic", value: "transpose", expected: "a square mesh (got \(cols)x\(rows))")]
        }
        return []
    }

    public static func parse(_ s: String) throws(ConfigError) -> TrafficPattern {
        guard let p = TrafficPattern(rawValue: s) else {
            throw .invalid(block: "traffic", violations: [.init(field: "traffic", value: s, expected: "one of \(allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        return p
    }
}

/// Where delivery went wrong in a traffic run.
public struct DeliveryError: Error, CustomStringConvertible {
    public var problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public var description: String { "NoC delivery check failed:\n" + problems.prefix(20).map { "  - \($0)" }.joined(separator: "\n") }
}

/// One measured point of a load sweep.
public struct TrafficPoint: Sendable {
    public var offered: Double
    public var accepted: Double
    public var meanLatency: Double
    public var p99Latency: Double
    public var packets: Int
    /// False when tagged packets were still in flight at the drain limit (beyond saturation).
    public var drained: Bool
}

/// Open-loop traffic with warm-up, measure and drain phases (BookSim's method): packets are
/// created at each node with probability `rate` per cycle into a source queue (sources stall
/// when it holds `sourceQueue` packets), offered to the local port while the network refuses
/// them, and timed from creation to ejection. Packets created during the measure window are
/// tagged; the run drains until every tagged packet has arrived. Every delivery is checked:
/// exactly once, at the right node, and in order per source-destination pair.
public struct TrafficRun {
    public var pattern: TrafficPattern
    public var rate: Double
    public var warmup = 1000
    public var measure = 4000
    public var drainLimit = 20000
    public var sourceQueue = 64
    /// Fraction of packets sent as multicast rectangles (0 for the standard sweep).
    public var multicast = 0.0
    /// Stop creating packets after the measure window, so the drain must empty the network
    /// completely (the deadlock watchdog). Otherwise load continues during the drain, as in BookSim.
    public var stopInjectionToDrain = false
    public var seed: UInt64 = 1

    public init(pattern: TrafficPattern, rate: Double) {
        self.pattern = pattern
        self.rate = rate
    }

    struct Packet {
        var id: UInt64
        var created: Int
        var flit: UInt64
        var tagged: Bool
    }

    /// Runs until drained (or the drain limit). Returns the point; throws on any delivery error.
    public func run<E: MeshEngine>(_ engine: inout E) throws -> TrafficPoint {
        let c = engine.config, n = c.nodes
        var rng = SplitMix64(seed: seed)
        var queues = Array(repeating: [Packet](), count: n)
        var heads = Array(repeating: 0, count: n)
        var nextID: UInt64 = 1
        // id -> (created, tagged, expected destinations not yet seen)
        var inFlight: [UInt64: (created: Int, tagged: Bool, pending: Set<Int>)] = [:]
        var lastSeq: [Int: UInt64] = [:]  // (src*n + dst) -> last id delivered
        var latencies: [Int] = []
        var taggedLeft = 0
        var deliveredInWindow = 0
        var problems: [String] = []
        var accepted = Array(repeating: false, count: n)
        var delivered = Array(repeating: UInt64?.none, count: n)
        var offers = Array(repeating: UInt64?.none, count: n)
        let end = warmup + measure
        var t = 0
        func pending() -> Bool { stopInjectionToDrain ? !inFlight.isEmpty : taggedLeft > 0 }
        while t < end || (pending() && t < end + drainLimit) {
            // Create packets.
            for s in 0 ..< n where (t < end || !stopInjectionToDrain) && queues[s].count - heads[s] < sourceQueue && rng.chance(rate) {
                let id = nextID
                nextID += 1
                var dests: Set<Int>
                var f: Flit
                if multicast > 0 && rng.chance(multicast) {
                    let x0 = Int(rng.next() % UInt64(c.cols)), x1 = Int(rng.next() % UInt64(c.cols))
                    let y0 = Int(rng.next() % UInt64(c.rows)), y1 = Int(rng.next() % UInt64(c.rows))
                    f = Flit(x0: x0, x1: x1, y0: y0, y1: y1)
                    dests = []
                    for y in min(y0, y1) ... max(y0, y1) { for x in min(x0, x1) ... max(x0, x1) { dests.insert(y * c.cols + x) } }
                } else {
                    let d = pattern.destination(s, cols: c.cols, rows: c.rows, rng: &rng)
                    f = .unicast(x: d % c.cols, y: d / c.cols)
                    dests = [d]
                }
                f.payload = TrafficPayload.source.place(s) | TrafficPayload.id.place(id)
                let tagged = t >= warmup && t < end
                if tagged { taggedLeft += 1 }
                queues[s].append(Packet(id: id, created: t, flit: f.encode(width: 64)[0], tagged: tagged))
                inFlight[id] = (t, tagged, dests)
            }
            for s in 0 ..< n { offers[s] = heads[s] < queues[s].count ? queues[s][heads[s]].flit : nil }
            engine.cycle(offers: offers, accepted: &accepted, delivered: &delivered)
            for s in 0 ..< n where accepted[s] {
                heads[s] += 1
                if heads[s] > 256 {
                    queues[s].removeFirst(heads[s])
                    heads[s] = 0
                }
            }
            for d in 0 ..< n {
                guard let raw = delivered[d] else { continue }
                let f = Flit.decode([raw][...])
                let src = TrafficPayload.source.int(f.payload), id = TrafficPayload.id.get(f.payload)
                if t >= warmup && t < end { deliveredInWindow += 1 }
                guard var rec = inFlight[id] else {
                    problems.append("cycle \(t): node \(d) received packet \(id) from \(src), which is not in flight (duplicate or corrupt)")
                    continue
                }
                guard rec.pending.remove(d) != nil else {
                    problems.append("cycle \(t): packet \(id) from \(src) reached node \(d), not one of its destinations")
                    continue
                }
                if rec.pending.isEmpty {
                    inFlight[id] = nil
                    if rec.tagged {
                        latencies.append(t + 1 - rec.created)
                        taggedLeft -= 1
                    }
                } else {
                    inFlight[id] = rec
                }
                if f.x0 == f.x1 && f.y0 == f.y1 {
                    let key = src * n + d
                    if let last = lastSeq[key], last > id { problems.append("cycle \(t): packet \(id) from \(src) to \(d) overtook packet \(last)") }
                    lastSeq[key] = id
                }
            }
            t += 1
        }
        if !problems.isEmpty { throw DeliveryError(problems: problems) }
        latencies.sort()
        let mean = latencies.isEmpty ? 0 : Double(latencies.reduce(0, +)) / Double(latencies.count)
        let p99 = latencies.isEmpty ? 0 : Double(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
        return TrafficPoint(offered: rate, accepted: Double(deliveredInWindow) / Double(n * measure), meanLatency: mean, p99Latency: p99, packets: latencies.count, drained: !pending())
    }
}

/// The payload of a traffic-test flit (above the routing header): the source node and a packet
/// id, so every delivery can be checked for duplicates, loss and order.
enum TrafficPayload {
    static let source = BitField("source", lo: 0, width: 8)
    static let id = BitField("id", lo: source.end, width: 36)
}
