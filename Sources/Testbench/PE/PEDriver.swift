import CycleModels
import Foundation
import SpikeForgeCore


/// Drives a PE tile (Swift model or Verilated RTL, any `ClockedDevice` with the tile's ports)
/// one cycle at a time as a host on its west port would: queued packets go in with valid/ready,
/// every output port is always ready, and what leaves the west port is collected.
public struct PETileDriver<D: ClockedDevice> {
    public var device: D
    public let x: Int, y: Int
    public private(set) var cycle = 0
    /// Packets the tile sent out of its west port, with the cycle they left.
    public private(set) var received: [(cycle: Int, flit: UInt64)] = []
    /// Packets the tile sent out of its north, east or south port (towards other tiles).
    public private(set) var sentToMesh = 0
    var packets = PacketQueue()
    var frame: PortValues
    var out: [UInt64]
    let iValid: Int, iFlit: Int, readies: [Int], iX: Int, iY: Int, iRst: Int
    let oValid: [Int], oFlit: [Int], oInReady: Int, oBusy: Int

    public init(_ device: D, x: Int, y: Int) {
        self.device = device
        self.x = x
        self.y = y
        let il = device.inputLayout, ol = device.outputLayout
        frame = PortValues(il)
        out = Array(repeating: 0, count: ol.stride)
        iRst = il.index(of: "rst")!
        iX = il.index(of: "my_x")!
        iY = il.index(of: "my_y")!
        iValid = il.index(of: "w_in_valid")!
        iFlit = il.index(of: "w_in_flit")!
        readies = ["n", "e", "s", "w"].map { il.index(of: "\($0)_out_ready")! }
        oValid = ["n", "e", "s", "w"].map { ol.index(of: "\($0)_out_valid")! }
        oFlit = ["n", "e", "s", "w"].map { ol.index(of: "\($0)_out_flit")! }
        oInReady = ol.index(of: "w_in_ready")!
        oBusy = ol.index(of: "busy")!
    }

    public mutating func send(_ packets: [UInt64]) { self.packets.send(packets) }
    public var pending: Int { packets.pending }
    public private(set) var busy = true

    /// One cycle; `reset` holds the synchronous reset.
    public mutating func tick(reset: Bool = false) {
        for k in frame.words.indices { frame.words[k] = 0 }
        frame.set(iRst, reset)
        frame[iX] = UInt64(x)
        frame[iY] = UInt64(y)
        for r in readies { frame.set(r, true) }
        let offer = packets.next
        if let offer {
            frame.set(iValid, true)
            frame[iFlit] = offer
        }
        frame.words.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in device.run(cycles: 1, inputs: i, outputs: o) } }
        let o = PortValues(device.outputLayout, words: out)
        if offer != nil && o.bool(oInReady) && !reset { packets.taken() }
        for (k, v) in oValid.enumerated() where o.bool(v) && !reset {
            if k == 3 { received.append((cycle, o[oFlit[k]])) } else { sentToMesh += 1 }
        }
        busy = o.bool(oBusy)
        cycle += 1
    }

    /// Runs until every queued packet has gone in and the tile has been idle for `settle`
    /// cycles; returns false when `limit` cycles pass first.
    @discardableResult
    public mutating func drain(settle: Int = 4, limit: Int = 10_000_000) -> Bool {
        var quiet = 0
        let start = cycle
        while cycle - start < limit {
            tick()
            quiet = pending == 0 && !busy ? quiet + 1 : 0
            if quiet >= settle { return true }
        }
        return false
    }

    public mutating func takeReceived() -> [(cycle: Int, flit: UInt64)] {
        defer { received.removeAll() }
        return received
    }

    /// Reads `memory[word]` back through read packets (every part), after the queue drains.
    public mutating func readWord(_ c: PEConfig, _ m: PEMemory, word: Int) -> [UInt64]? {
        let parts = c.parts(m)
        _ = takeReceived()
        send((0 ..< parts).map { PEPacket.readRequest(x: x, y: y, memory: m.rawValue, address: c.packetAddress(m, word: word, part: $0), tag: $0) })
        guard drain() else { return nil }
        let responses = takeReceived().compactMap { PEPacket.response($0.flit) }
        guard responses.count == parts else { return nil }
        let width = c.geometry(m).width
        var out = [UInt64](repeating: 0, count: (width + 63) / 64)
        for r in responses where r.memory == m.rawValue && r.tag < parts {
            let lo = r.tag * c.partBits
            Bits.setField(&out, lo: lo, width: min(c.partBits, width - lo), r.data)
        }
        return out
    }
}

/// The PE figures `spikeforge report pe` prints, measured on the cycle model (cycle-exact with
/// the RTL, so the figures are the RTL's).
public enum PEMeasurement {
    public struct Throughput: Sendable {
        public var lanes: Int
        public var packets: Int
        public var synapticOps: Int
        public var busyCycles: Int
        public var spikesSent: Int
        /// Synaptic operations per busy cycle.
        public var opsPerCycle: Double { Double(synapticOps) / Double(max(busyCycles, 1)) }
        public var efficiency: Double { opsPerCycle / Double(lanes) }
    }

    /// A dense layer of all `c.neurons` neurons behind `axons` axons with random 8-bit weights,
    /// driven by `packets` input spikes from the host. `theta` sets how often neurons fire; each
    /// output spike is one packet, sent at most one per cycle.
    public static func throughput(_ c: PEConfig, packets: Int, theta: Int, seed: UInt64) -> Throughput {
        var rng = SplitMix64(seed: seed)
        var img = PEImages(c)
        let groups = c.neurons / c.lanes
        let axons = min(c.axons, c.weightRows / groups)
        img.setLayer(0, LayerParams(theta: theta, mode: .reluFloor, firstGroup: 0, groupCount: groups))
        for a in 0 ..< axons {
            img.setAxon(a, AxonEntry(row: a * groups, group: 0, count: groups, layer: 0))
            for g in 0 ..< groups { for k in 0 ..< c.lanes { img.setWeight(row: a * groups + g, lane: k, Int64(rng.next() % 255) - 127) } }
        }
        // Spikes go to the next tile east (the tile at (0, 0) feeds (1, 0)).
        for i in 0 ..< c.neurons { img.setTarget(neuron: i, TargetEntry(axon: i % max(c.axons, 1), x0: 1, x1: 1, y0: 0, y1: 0)) }
        var model = PETileModel(c, x: 0, y: 0)
        img.load(into: &model.core)
        var d = PETileDriver(model, x: 0, y: 0)
        for _ in 0 ..< 2 { d.tick(reset: true) }
        d.send((0 ..< packets).map { _ in PEPacket.spike(x: 0, y: 0, axon: Int(rng.next() % UInt64(axons)), negative: rng.chance(0.2)) })
        d.drain()
        let n = d.device.core.counters
        return Throughput(lanes: c.lanes, packets: packets, synapticOps: n.synapticOps, busyCycles: n.busyCycles, spikesSent: n.spikesSent)
    }

    /// Cycles from a spike packet's arrival at the tile's west port to the first spike packet it
    /// causes leaving the tile (the neuron fires on its first input).
    public static func latency(_ c: PEConfig) -> Int {
        var img = PEImages(c)
        img.setLayer(0, LayerParams(theta: 1, mode: .reluFloor, firstGroup: 0, groupCount: 1))
        img.setAxon(0, AxonEntry(row: 0, group: 0, count: 1, layer: 0))
        img.setWeight(row: 0, lane: 0, 1)
        img.setTarget(neuron: 0, TargetEntry(axon: 0, x0: 0, x1: 0, y0: 0, y1: 0, host: true))
        var model = PETileModel(c, x: 0, y: 0)
        img.load(into: &model.core)
        var d = PETileDriver(model, x: 0, y: 0)
        for _ in 0 ..< 2 { d.tick(reset: true) }
        d.send([PEPacket.spike(x: 0, y: 0, axon: 0)])
        let start = d.cycle
        d.drain()
        return (d.received.first?.cycle ?? start) - start
    }
}
