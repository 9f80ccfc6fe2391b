import Compiler
import CycleModels
import Foundation
import SpikeForgeCore
import Trainer

/// A run that did not finish: the system stayed busy (a deadlock or a runaway) or a response
/// never came back.
public enum SystemRunError: Error, Equatable, CustomStringConvertible {
    case timeout(phase: String, image: Int, cycle: Int, limit: Int)
    case missingResponses(image: Int, missing: Int, cycle: Int)

    public var description: String {
        switch self {
        case let .timeout(phase, image, cycle, limit):
            return "image \(image): the system was still busy \(limit) cycles into the \(phase) phase (cycle \(cycle)); deadlock or runaway"
        case let .missingResponses(image, missing, cycle):
            return "image \(image): \(missing) read responses never arrived (cycle \(cycle))"
        }
    }
}

/// How the host loads the SRAMs.
public enum LoadMethod: String, CaseIterable, Sendable {
    /// Configuration packets through the host port, as the hardware is loaded (YOSO).
    case packets
    /// `$readmemh` on the RTL (the `INIT_*` parameters), direct writes on the model.
    case backdoor
}

/// One inference's results and timing.
public struct Inference: Sendable, Equatable {
    /// Output potentials (the sum of each output neuron's partial sums), read back by packets.
    public var logits: [Int64]
    /// The class (`IntegerModel.argmax`: the largest output potential, ties to the lowest index).
    public var prediction: Int { IntegerModel.argmax(logits) }
    /// Cycles of the reset control packet, of the inference proper (first input spike to
    /// quiescence, residual flushes included), and of reading the output potentials back.
    public var resetCycles: Int, computeCycles: Int, readoutCycles: Int
    public var totalCycles: Int { resetCycles + computeCycles + readoutCycles }
    /// Input events sent (one packet per pixel with a non-zero level, up to 15 each).
    public var inputEvents: Int
    /// Spikes each layer sent (status counters of the tiles, read through packets).
    public var spikesPerLayer: [Int]
}

/// The host of a compiled system, over any engine with the system's ports (`SystemModel` or the
/// Verilated `SpikeSystem_*`): loading, then per image reset → input spikes → quiescence →
/// residual flushes layer by layer → read-back of the output potentials → class.
public struct SystemDriver<D: HostPortDevice> {
    public var device: D
    public let plan: SystemPlan
    public private(set) var cycle = 0
    /// Input spikes as one multicast packet per event (true) or one unicast per tile.
    public var multicast = true
    public private(set) var busy = true
    /// Whether the last cycle offered a flit: `busy` is sampled before the edge, so it cannot
    /// show a flit taken in the same cycle.
    var offered = false
    var packets = PacketQueue()
    var received: [UInt64] = []
    var lastSpikes: [Int]
    var images = 0
    let port: HostPort
    // Fixed by the plan: the first layer's tiles, the reads that fetch the output potentials
    // (and where each neuron's V lies in them), and the tiles whose spikes are counted.
    let inputTiles: [(x: Int, y: Int)]
    let logitReads: [ReadRequest]
    let logitFields: [HostProgram.LogitField]
    let firing: [(tile: Int, layer: Int)]

    /// One read: tile, memory, word and part.
    public typealias ReadRequest = HostProgram.ReadRequest
    /// Cycles a phase may take before the run is declared stuck.
    public var limit = 5_000_000
    /// Read requests in flight (the sliding window of `read`): one per tag, 256, unless set
    /// lower (clamped to 1 ... 256; `HostProgram.hostText(readsInFlight:)` sets the testbench's).
    public var readsInFlight = HostProgram.maxReadsInFlight
    /// Back-pressure from the host: when set, `host_out_ready` is low in the cycles it stalls
    /// (responses wait in the mesh). nil, the default: the host always takes what is offered.
    public var hostStall: RandomStall?

    public init(_ device: D, plan: SystemPlan) {
        self.device = device
        self.plan = plan
        // The system's ports (SystemModel and SystemGenerator's top) always include the host port.
        port = HostPort(inputs: device.inputLayout, outputs: device.outputLayout)!
        lastSpikes = Array(repeating: 0, count: plan.system.tiles)
        inputTiles = plan.tiles.filter { $0.slices.contains { $0.layer == 0 } }.map { ($0.x, $0.y) }
        (logitReads, logitFields) = HostProgram.logitReads(plan)
        firing = HostProgram.spikeCounters(plan).map { ($0.y * plan.system.cols + $0.x, $0.layer) }
    }

    var c: PEConfig { plan.system.pe }
    var all: TileRect { TileRect(x0: 0, x1: plan.system.cols - 1, y0: 0, y1: plan.system.rows - 1) }

    public mutating func send(_ packets: [UInt64]) { self.packets.send(packets) }
    public var pending: Int { packets.pending }

    /// One cycle; the host takes what the system offers unless `hostStall` stalls this cycle.
    public mutating func tick(reset: Bool = false) { advance(HostRequest(maxCycles: 1, rst: reset)) }

    /// Runs the host loop on the queued packets: in one call of the device, or, when `hostStall`
    /// is set, one cycle with this cycle's stall (the caller loops).
    mutating func advance(_ request: HostRequest) {
        var req = request
        if hostStall != nil {
            req.maxCycles = 1
            req.outReady = !(hostStall?.stalls() ?? false)
        }
        var r = HostRunResult()
        do {
            let flits = packets.pendingFlits
            r = flits.withUnsafeBufferPointer { device.runHost(port, req, offering: $0, received: &received) }
        }
        packets.taken(r.taken)
        offered = r.lastOffered
        busy = r.lastBusy
        cycle += r.cycles
    }

    /// Holds `rst` for a few cycles: every register clears (the SRAMs keep their contents).
    public mutating func powerOnReset() {
        for _ in 0 ..< HostProgram.powerOnResetCycles { tick(reset: true) }
        lastSpikes = Array(repeating: 0, count: plan.system.tiles)
    }

    /// Runs until every queued packet has gone in and the system is quiet (a cycle that offers
    /// nothing and sees `busy` low); returns the cycles.
    @discardableResult
    public mutating func drain(phase: String) throws(SystemRunError) -> Int {
        let start = cycle
        repeat {
            advance(HostRequest(maxCycles: limit + 1 - (cycle - start), untilQuiet: true))
            if cycle - start > limit { throw .timeout(phase: phase, image: images, cycle: cycle, limit: limit) }
        } while pending > 0 || busy || offered
        return cycle - start
    }

    /// Loads every tile's SRAMs: configuration packets through the host port, or (`.backdoor`)
    /// nothing here, because the engine was built or loaded with the images.
    @discardableResult
    public mutating func load(_ images: SystemImages) throws(SystemRunError) -> Int {
        for (k, img) in images.tiles.enumerated() {
            send(img.configurationPackets(x: k % plan.system.cols, y: k / plan.system.cols, memories: HostProgram.loadedMemories(c)))
        }
        return try drain(phase: "configuration")
    }

    /// Reads parts of words back: one read request per (tile, memory, word, part), `readsInFlight`
    /// (256: the tag is 8 bits) in flight as a sliding window: each response frees its tag, and
    /// the next request is queued with it at once (behind any requests not yet sent). Returns
    /// the data of each, in order.
    public mutating func read(_ requests: [ReadRequest]) throws(SystemRunError) -> [UInt64] {
        var data = [UInt64](repeating: 0, count: requests.count)
        let tags = min(requests.count, HostProgram.readWindow(readsInFlight))
        // The request each tag is out for (-1: free).
        var owner = [Int](repeating: -1, count: tags)
        received.removeAll(keepingCapacity: true)
        var sent = 0
        while sent < tags {
            sendRead(requests[sent], tag: sent)
            owner[sent] = sent
            sent += 1
        }
        // A response answers the request its tag is out for; anything else the host receives
        // (there is nothing else in a compiled system) neither answers nor lands anywhere.
        var progress = cycle, missing = requests.count, next = 0
        while missing > 0 {
            advance(HostRequest(maxCycles: limit + 1 - (cycle - progress), untilReceived: 1))
            if cycle - progress > limit { throw .missingResponses(image: images, missing: missing, cycle: cycle) }
            while next < received.count {
                defer { next += 1 }
                guard let r = PEPacket.response(received[next]), r.tag < tags, owner[r.tag] >= 0 else { continue }
                data[owner[r.tag]] = r.data & Bits.mask(c.partBits)
                missing -= 1
                progress = cycle
                owner[r.tag] = sent < requests.count ? sent : -1
                if sent < requests.count {
                    sendRead(requests[sent], tag: r.tag)
                    sent += 1
                }
            }
        }
        return data
    }

    mutating func sendRead(_ r: ReadRequest, tag: Int) {
        send([PEPacket.readRequest(x: r.x, y: r.y, memory: r.memory.rawValue, address: c.packetAddress(r.memory, word: r.word, part: r.part), tag: tag)])
    }

    /// The input spike packets of one image: one event per pixel with a non-zero level (split
    /// into events of multiplicity up to 15), multicast to the input rectangle or unicast to
    /// each tile of the first layer.
    func inputPackets(_ levels: [Int32]) -> (packets: [UInt64], events: Int) {
        let r = plan.input
        var p: [UInt64] = []
        var events = 0
        for (j, level) in levels.enumerated() where level > 0 {
            var left = Int(level)
            while left > 0 {
                let m = min(left, Int(PacketLayout.Spike.multiplicity.maxValue))
                if multicast {
                    p.append(PEPacket.spike(x0: r.x0, x1: r.x1, y0: r.y0, y1: r.y1, axon: j, negative: false, multiplicity: m))
                } else {
                    for t in inputTiles { p.append(PEPacket.spike(x: t.x, y: t.y, axon: j, multiplicity: m)) }
                }
                events += 1
                left -= m
            }
        }
        return (p, events)
    }

    /// One inference.
    public mutating func infer(levels: [Int32]) throws(SystemRunError) -> Inference {
        defer { images += 1 }
        send([PEPacket.control(x0: all.x0, x1: all.x1, y0: all.y0, y1: all.y1, opcode: PEControl.reset.rawValue, layer: 0)])
        let resetCycles = try drain(phase: "reset")
        let (packets, events) = inputPackets(levels)
        send(packets)
        var compute = try drain(phase: "input")
        for (l, layer) in plan.layers.enumerated() where layer.flush && !layer.isOutput {
            send([PEPacket.control(x0: all.x0, x1: all.x1, y0: all.y0, y1: all.y1, opcode: PEControl.flush.rawValue, layer: l)])
            compute += try drain(phase: "flush of \(layer.name)")
        }
        let begin = cycle
        let logits = try readLogits()
        let readout = cycle - begin
        return Inference(logits: logits, resetCycles: resetCycles, computeCycles: compute, readoutCycles: readout, inputEvents: events,
                         spikesPerLayer: try spikesPerLayer())
    }

    /// The output potentials: every partial sum of every output neuron, read part by part, added.
    mutating func readLogits() throws(SystemRunError) -> [Int64] {
        let P = c.partBits
        let data = try read(logitReads)
        var logits = [Int64](repeating: 0, count: plan.layers[plan.outputLayer].outputs)
        for f in logitFields {
            var bits = [UInt64](repeating: 0, count: (f.reads.count * P + 63) / 64 + 1)
            for (p, r) in f.reads.enumerated() { Bits.setField(&bits, lo: p * P, width: P, data[r]) }
            logits[f.neuron] += Bits.signExtend(Bits.field(bits[...], lo: f.lo, width: c.vBits), width: c.vBits)
        }
        return logits
    }

    /// Spikes each layer sent during the last image: the tiles' "spikes out" status counters
    /// (16 bits, so a tile may send at most 65,535 spikes per image), read through packets.
    mutating func spikesPerLayer() throws(SystemRunError) -> [Int] {
        var spikes = [Int](repeating: 0, count: plan.layers.count)
        let cols = plan.system.cols
        let data = try read(firing.map { ($0.tile % cols, $0.tile / cols, .status, PEStatus.spikesOut.rawValue, 0) })
        for ((k, layer), v) in zip(firing, data) {
            let wrap = 1 << PEConfig.statusCounterBits
            spikes[layer] += (Int(v) - lastSpikes[k] + wrap) % wrap
            lastSpikes[k] = Int(v)
        }
        return spikes
    }
}
