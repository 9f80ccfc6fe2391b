/// The processing element after YOSO (SPEC §3, docs/PE.md): a core with lane-packed SRAMs and a
/// load / compute / store pipeline, plus its X-Y router, as one tile of the mesh.
///
/// One configuration serves the generator, the cycle model, the SRAM image writer and the
/// driver. Every SRAM depth is a power of two, so no address the pipeline forms can leave a
/// memory; the logical sizes (`neurons`, `layers`) may be smaller.
public struct PEConfig: BlockConfig {
    public static let blockName = "pe"
    public static let defaultConfig = PEConfig()

    /// Neurons the core holds (state, bias and targets of each).
    public var neurons: Int
    /// Neurons updated per cycle: one state word and one weight word hold `lanes` of each.
    public var lanes: Int
    public var wBits: Int
    public var vBits: Int
    public var zBits: Int
    /// Unsigned width of each layer's threshold θ.
    public var thresholdBits: Int
    /// Layers the core can hold (entries of the parameter memory).
    public var layers: Int
    /// Entries of the axon map (a power of two): the axon ids a spike packet may address here.
    public var axons: Int
    /// Words of the weight SRAM (a power of two).
    public var weightRows: Int
    /// Bits of one weight word; 0 means `lanes × wBits`. `lanes` must divide it, and each lane's
    /// slot (`weightWordBits / lanes` bits) holds one `wBits` weight in its low bits.
    public var weightWordBits: Int
    /// Keep the accumulated-weight SRAM (reserved for on-chip learning), `accBits` per lane.
    public var accumulatedWeights: Bool
    public var accBits: Int
    public var inFIFODepth: Int
    public var spikeFIFODepth: Int
    public var outFIFODepth: Int
    public var flitWidth: Int
    /// The mesh the tile's router serves, and the router's input buffers.
    public var cols: Int
    public var rows: Int
    public var routerBufferDepth: Int

    public init(neurons: Int = 256, lanes: Int = 4, wBits: Int = 8, vBits: Int = 16, zBits: Int = 8, thresholdBits: Int = 14,
                layers: Int = 4, axons: Int = 1024, weightRows: Int = 4096, weightWordBits: Int = 0,
                accumulatedWeights: Bool = true, accBits: Int = 16, inFIFODepth: Int = 4, spikeFIFODepth: Int = 4, outFIFODepth: Int = 4,
                flitWidth: Int = 64, cols: Int = 4, rows: Int = 4, routerBufferDepth: Int = 4)
    {
        self.neurons = neurons
        self.lanes = lanes
        self.wBits = wBits
        self.vBits = vBits
        self.zBits = zBits
        self.thresholdBits = thresholdBits
        self.layers = layers
        self.axons = axons
        self.weightRows = weightRows
        self.weightWordBits = weightWordBits
        self.accumulatedWeights = accumulatedWeights
        self.accBits = accBits
        self.inFIFODepth = inFIFODepth
        self.spikeFIFODepth = spikeFIFODepth
        self.outFIFODepth = outFIFODepth
        self.flitWidth = flitWidth
        self.cols = cols
        self.rows = rows
        self.routerBufferDepth = routerBufferDepth
    }

    // MARK: Derived sizes

    /// State words: `neurons / lanes` groups of `lanes` neurons.
    public var groups: Int { max(1, neurons / max(1, lanes)) }
    public var stateDepth: Int { Self.pow2(groups) }
    public var paramDepth: Int { Self.pow2(layers) }
    public var targetDepth: Int { stateDepth * lanes }
    public var weightWord: Int { weightWordBits == 0 ? lanes * wBits : weightWordBits }
    public var weightSlot: Int { weightWord / max(1, lanes) }
    /// Configuration and read-back data bits per packet: a word wider than this is moved in parts.
    public var partBits: Int { flitWidth - 40 }
    public var rowBits: Int { Bits.addressWidth(weightRows) }
    public var groupBits: Int { Bits.addressWidth(stateDepth) }
    /// Bits of a row count (0 … `stateDepth`).
    public var countBits: Int { Bits.widthFor(stateDepth) }
    public var layerBits: Int { Bits.addressWidth(paramDepth) }
    public var neuronBits: Int { Bits.addressWidth(targetDepth) }
    public var axonBits: Int { Bits.addressWidth(axons) }
    public var stateLaneBits: Int { vBits + zBits }
    /// Field widths of an axon-map word, LSB first: first weight row, first group, group count, layer.
    public var axonFieldWidths: [Int] { [rowBits, groupBits, countBits, layerBits] }
    /// Field widths of a layer-parameter word, LSB first: θ, mode code, first group, group count.
    public var paramFieldWidths: [Int] { [thresholdBits, 2, groupBits, countBits] }
    public static let statusCounterBits = 16

    public static func pow2(_ n: Int) -> Int { 1 << Bits.addressWidth(max(n, 2)) }

    /// Width and depth of each memory of the core.
    public func geometry(_ m: PEMemory) -> (width: Int, depth: Int) {
        switch m {
        case .weights: return (weightWord, weightRows)
        case .state: return (lanes * stateLaneBits, stateDepth)
        case .bias: return (lanes * vBits, stateDepth)
        case .axonMap: return (axonFieldWidths.reduce(0, +), axons)
        case .targets: return (TargetEntry.bits, targetDepth)
        case .params: return (paramFieldWidths.reduce(0, +), paramDepth)
        case .accumulated: return (lanes * accBits, weightRows)
        case .status: return (Self.statusCounterBits, PEStatus.allCases.count)
        }
    }

    /// Packets needed to move one word of `m` (configuration writes and read-backs alike).
    public func parts(_ m: PEMemory) -> Int { (geometry(m).width + partBits - 1) / partBits }
    /// The memories this configuration builds (the accumulated weights are optional).
    public var memories: [PEMemory] { PEMemory.allCases.filter { $0 != .accumulated || accumulatedWeights } }
    /// The memories that are SRAMs: every one but the status counters. Configuration packets
    /// write them, images hold them, and their `INIT_*` parameters load them.
    public var srams: [PEMemory] { memories.filter { $0 != .status } }

    /// The 16-bit address field of a configuration or read packet: the part index above the
    /// word address (`addressWidth(depth)` bits).
    public func packetAddress(_ m: PEMemory, word: Int, part: Int) -> Int { part << Bits.addressWidth(geometry(m).depth) | word }

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "PEConfig")
        v.check("lanes", lanes, in: 1 ... 16)
        v.check("neurons", neurons, in: 1 ... 65536)
        v.check("wBits", wBits, in: 2 ... 16)
        v.check("zBits", zBits, in: 2 ... 24)
        v.check("thresholdBits", thresholdBits, in: 1 ... 30)
        v.check("vBits", vBits, in: 4 ... 32)
        v.require(vBits >= max(wBits, thresholdBits + 1) + 1, field: "vBits", value: "\(vBits)",
                  expected: "at least \(max(wBits, thresholdBits + 1) + 1) = max(wBits \(wBits), thresholdBits \(thresholdBits) + 1) + 1, so V holds a weight plus the threshold")
        v.check("layers", layers, in: 1 ... 256)
        v.check("accBits", accBits, in: 2 ... 32)
        v.check("inFIFODepth", inFIFODepth, in: 2 ... 64)
        v.check("spikeFIFODepth", spikeFIFODepth, in: 2 ... 64)
        v.check("outFIFODepth", outFIFODepth, in: 2 ... 64)
        v.require(flitWidth >= 48 && flitWidth <= 64, field: "flitWidth", value: "\(flitWidth)",
                  expected: "48...64 (40 bits of header, memory id and address, then at least 8 data bits)")
        v.check("cols", cols, in: 1 ... 16)
        v.check("rows", rows, in: 1 ... 16)
        v.check("routerBufferDepth", routerBufferDepth, in: 2 ... 64)
        for (name, value, maxValue) in [("axons", axons, 65536), ("weightRows", weightRows, 65536)] {
            v.require(value >= 2 && value <= maxValue && value & (value - 1) == 0, field: name, value: "\(value)",
                      expected: "a power of two in 2...\(maxValue)")
        }
        if lanes >= 1 {
            v.require(neurons % lanes == 0, field: "lanes", value: "\(lanes)",
                      expected: "a divisor of neurons (\(neurons)): each state word holds lanes neurons")
            if weightWordBits != 0 {
                v.require(weightWordBits % lanes == 0, field: "lanes", value: "\(lanes)",
                          expected: "a divisor of weightWordBits (\(weightWordBits)): each weight word holds lanes equal slots")
                v.require(weightWordBits / lanes >= wBits, field: "weightWordBits", value: "\(weightWordBits)",
                          expected: "at least lanes × wBits = \(lanes * wBits), so each lane's slot holds a weight")
            }
        }
        if lanes >= 1, neurons >= 1, flitWidth >= 48, flitWidth <= 64, wBits >= 2, vBits >= 2, zBits >= 2, thresholdBits >= 1,
           axons >= 2, weightRows >= 2, axons & (axons - 1) == 0, weightRows & (weightRows - 1) == 0
        {
            // The state SRAM must hold every neuron, and each word must fit the packet fields.
            v.require(stateDepth * lanes >= neurons, field: "neurons", value: "\(neurons)",
                      expected: "at most the state SRAM's \(stateDepth) words × \(lanes) lanes")
            for m in srams {
                let (w, d) = geometry(m)
                let addrBits = Bits.addressWidth(d) + (parts(m) > 1 ? Bits.addressWidth(parts(m)) : 0)
                v.require(addrBits <= 16, field: "\(m) memory", value: "\(d) words x \(w) bits (\(parts(m)) parts of \(partBits) bits)",
                          expected: "a word address plus part index of at most 16 bits (the packet's address field)")
                let limit = m == .axonMap || m == .params ? 64 : 512
                v.require(w <= limit, field: "\(m) memory", value: "\(w) bits per word", expected: "at most \(limit)")
            }
        }
        try v.finish()
    }

    public var moduleName: String {
        "PETile_n\(neurons)_l\(lanes)_w\(wBits)_v\(vBits)_z\(zBits)_t\(thresholdBits)_L\(layers)_a\(axons)_r\(weightRows)_ww\(weightWord)"
            + "_acc\(accumulatedWeights ? accBits : 0)_f\(inFIFODepth)\(spikeFIFODepth)\(outFIFODepth)_F\(flitWidth)_m\(cols)x\(rows)b\(routerBufferDepth)"
    }

    public var coreModuleName: String { moduleName.replacingOccurrences(of: "PETile_", with: "PECore_") }

    /// The router of the tile.
    public var router: RouterConfig { RouterConfig(cols: cols, rows: rows, flitWidth: flitWidth, bufferDepth: routerBufferDepth) }
}

/// The memories of a PE, by the id carried in configuration and read packets.
public enum PEMemory: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// `lanes` weights per word: weight row `r`, lane `k` is the synapse from the axon that
    /// names row `r` to neuron `k` of the group.
    case weights = 0
    /// `lanes` × (`V` in the low `vBits`, then `z`).
    case state = 1
    /// `lanes` × `vBits`: the start value of `V` (`V ← b` on reset).
    case bias = 2
    /// YOSO's spike-address SRAM, per axon: first weight row, first group, group count, layer.
    case axonMap = 3
    /// Per neuron: where its spikes go (`TargetEntry`).
    case targets = 4
    /// Per layer: threshold, mode, first group and group count (`LayerParams`).
    case params = 5
    /// Reserved for on-chip learning; written and read back, not used by inference.
    case accumulated = 6
    /// Read-only counters (`PEStatus`); writes are refused and counted.
    case status = 7

    public var description: String {
        ["weights", "state", "bias", "axonMap", "targets", "params", "accumulated", "status"][rawValue]
    }

    /// The memory's Verilog name (`mem_<name>` in the core).
    public var rtlName: String { ["weights", "state", "bias", "axon_map", "targets", "params", "acc", "status"][rawValue] }
    /// The core's and tile's `$readmemh` parameter for this memory (the simulation backdoor).
    public var initParameter: String { "INIT_" + rtlName.uppercased() }
}

/// The status counters (memory 7), 16 bits each, wrapping.
public enum PEStatus: Int, CaseIterable, Sendable {
    /// Configuration writes and reads to a missing memory, a part or word out of range, or the
    /// read-only status memory. The hardware ignores such writes (reads return 0).
    case badAccess = 0
    /// Packets the PE ignored: an unknown type or control opcode, a read response, or a spike
    /// whose axon id is beyond the axon map.
    case ignored = 1
    /// Spike packets taken into the pipeline.
    case spikesIn = 2
    /// Spike packets sent.
    case spikesOut = 3
}

/// Fields of one axon-map entry (LSB first: row, group, count, layer).
public struct AxonEntry: Hashable, Sendable {
    public var row: Int, group: Int, count: Int, layer: Int
    public init(row: Int, group: Int, count: Int, layer: Int) {
        self.row = row
        self.group = group
        self.count = count
        self.layer = layer
    }

    public func encode(_ c: PEConfig) -> UInt64 {
        Bits.pack(zip([row, group, count, layer], c.axonFieldWidths).map { (UInt64($0), $1) })
    }

    public static func decode(_ w: UInt64, _ c: PEConfig) -> AxonEntry {
        let f = Bits.unpack(w, c.axonFieldWidths).map { Int($0) }
        return AxonEntry(row: f[0], group: f[1], count: f[2], layer: f[3])
    }
}

/// Where one neuron's spikes go (LSB first): the axon id at the destination (16 bits), the
/// destination rectangle `x0, x1, y0, y1` (4 bits each; a larger rectangle is an X-Y multicast),
/// the host flag, and `valid` (a neuron without fan-out drops its spikes).
public struct TargetEntry: Hashable, Sendable {
    public static let bits = 34
    public var valid: Bool
    public var axon: Int
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public var host: Bool

    public init(valid: Bool = true, axon: Int, x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false) {
        self.valid = valid
        self.axon = axon
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.host = host
    }

    public static let none = TargetEntry(valid: false, axon: 0, x0: 0, x1: 0, y0: 0, y1: 0)

    public func encode() -> UInt64 {
        UInt64(axon & 0xFFFF) | UInt64(x0 & 15) << 16 | UInt64(x1 & 15) << 20 | UInt64(y0 & 15) << 24 | UInt64(y1 & 15) << 28
            | (host ? 1 << 32 : 0) | (valid ? 1 << 33 : 0)
    }

    public static func decode(_ w: UInt64) -> TargetEntry {
        TargetEntry(valid: w >> 33 & 1 == 1, axon: Int(w & 0xFFFF), x0: Int(w >> 16 & 15), x1: Int(w >> 20 & 15),
                    y0: Int(w >> 24 & 15), y1: Int(w >> 28 & 15), host: w >> 32 & 1 == 1)
    }
}

/// One layer's parameters (LSB first): θ, mode code, first group, group count.
public struct LayerParams: Hashable, Sendable {
    public var theta: Int
    public var mode: NeuronMode
    public var firstGroup: Int
    public var groupCount: Int

    public init(theta: Int, mode: NeuronMode, firstGroup: Int, groupCount: Int) {
        self.theta = theta
        self.mode = mode
        self.firstGroup = firstGroup
        self.groupCount = groupCount
    }

    public func encode(_ c: PEConfig) -> UInt64 {
        Bits.pack(zip([UInt64(theta), mode.code, UInt64(firstGroup), UInt64(groupCount)], c.paramFieldWidths).map { ($0, $1) })
    }

    public static func decode(_ w: UInt64, _ c: PEConfig) -> (theta: Int64, modeCode: UInt64, first: Int, count: Int) {
        let f = Bits.unpack(w, c.paramFieldWidths)
        return (Int64(f[0]), f[1], Int(f[2]), Int(f[3]))
    }
}

/// Control opcodes (docs/PACKETS.md).
public enum PEControl: Int, Sendable {
    /// `V ← bias`, `z ← 0` for every neuron of every layer, then one fire check each.
    case reset = 0
    /// The residual flush of one layer.
    case flush = 1
}

/// Builders and decoders for the packets a PE takes and sends (docs/PACKETS.md). All fit one
/// 64-bit word (`flitWidth` ≤ 64).
public enum PEPacket {
    static func header(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool, type: FlitType) -> UInt64 {
        Flit(x0: x0, x1: x1, y0: y0, y1: y1, host: host, type: type).encode(width: 64)[0]
    }

    public static func spike(x: Int, y: Int, axon: Int, negative: Bool = false, multiplicity: Int = 1) -> UInt64 {
        spike(x0: x, x1: x, y0: y, y1: y, axon: axon, negative: negative, multiplicity: multiplicity)
    }

    public static func spike(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false, axon: Int, negative: Bool, multiplicity: Int) -> UInt64 {
        header(x0: x0, x1: x1, y0: y0, y1: y1, host: host, type: .spike) | UInt64(axon & 0xFFFF) << 20 | (negative ? 1 << 36 : 0)
            | UInt64(multiplicity & 15) << 37
    }

    /// A configuration write of one part of one word. `data` is truncated to `partBits`.
    public static func configWrite(_ c: PEConfig, x: Int, y: Int, memory: Int, address: Int, data: UInt64) -> UInt64 {
        header(x0: x, x1: x, y0: y, y1: y, host: false, type: .configWrite) | UInt64(memory & 15) << 20 | UInt64(address & 0xFFFF) << 24
            | (data & Bits.mask(c.partBits)) << 40
    }

    public static func readRequest(x: Int, y: Int, memory: Int, address: Int, tag: Int) -> UInt64 {
        header(x0: x, x1: x, y0: y, y1: y, host: false, type: .readRequest) | UInt64(memory & 15) << 20 | UInt64(address & 0xFFFF) << 24
            | UInt64(tag & 0xFF) << 40
    }

    public static func control(x0: Int, x1: Int, y0: Int, y1: Int, opcode: Int, layer: Int = 0) -> UInt64 {
        header(x0: x0, x1: x1, y0: y0, y1: y1, host: false, type: .control) | UInt64(opcode & 15) << 20 | UInt64(layer & 0xFF) << 24
    }

    /// The packets that write `word` (a `width`-bit value, least significant word first) to
    /// `memory[index]`, part 0 first.
    public static func writeWord(_ c: PEConfig, x: Int, y: Int, memory: PEMemory, index: Int, word: [UInt64]) -> [UInt64] {
        (0 ..< c.parts(memory)).map { p in
            let data = Bits.field(word[...] + [0], lo: p * c.partBits, width: c.partBits)
            return configWrite(c, x: x, y: y, memory: memory.rawValue, address: c.packetAddress(memory, word: index, part: p), data: data)
        }
    }

    public struct Response: Hashable, Sendable {
        public var memory: Int
        public var tag: Int
        public var data: UInt64
    }

    /// Decodes a read response (type 3), or nil for any other packet.
    public static func response(_ f: UInt64) -> Response? {
        guard f >> 17 & 7 == UInt64(FlitType.readResponse.rawValue) else { return nil }
        return Response(memory: Int(f >> 20 & 15), tag: Int(f >> 24 & 0xFF), data: f >> 32)
    }

    public struct SpikeFields: Hashable, Sendable {
        public var axon: Int
        public var negative: Bool
        public var multiplicity: Int
    }

    public static func spikeFields(_ f: UInt64) -> SpikeFields? {
        guard f >> 17 & 7 == 0 else { return nil }
        return SpikeFields(axon: Int(f >> 20 & 0xFFFF), negative: f >> 36 & 1 == 1, multiplicity: Int(f >> 37 & 15))
    }
}
