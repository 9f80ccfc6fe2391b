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
    /// The largest kernel window (`windowRows`, `windowCols`) an axon-map entry iterates
    /// (shared-kernel convolutions, docs/PE.md). 1: dense entries only, and the axon-map and
    /// layer-parameter words have no window or stride fields (the words, module names and RTL
    /// of every configuration before convolutions).
    public var maxKernel: Int

    public init(neurons: Int = 256, lanes: Int = 4, wBits: Int = 8, vBits: Int = 16, zBits: Int = 8, thresholdBits: Int = 14,
                layers: Int = 4, axons: Int = 1024, weightRows: Int = 4096, weightWordBits: Int = 0,
                accumulatedWeights: Bool = true, accBits: Int = 16, inFIFODepth: Int = 4, spikeFIFODepth: Int = 4, outFIFODepth: Int = 4,
                flitWidth: Int = 64, cols: Int = 4, rows: Int = 4, routerBufferDepth: Int = 4, maxKernel: Int = 1)
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
        self.maxKernel = maxKernel
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
    public var partBits: Int { PacketLayout.partBits(flitWidth: flitWidth) }
    public var rowBits: Int { Bits.addressWidth(weightRows) }
    public var groupBits: Int { Bits.addressWidth(stateDepth) }
    /// Bits of a row count (0 … `stateDepth`).
    public var countBits: Int { Bits.widthFor(stateDepth) }
    public var layerBits: Int { Bits.addressWidth(paramDepth) }
    public var neuronBits: Int { Bits.addressWidth(targetDepth) }
    public var axonBits: Int { Bits.addressWidth(axons) }
    public var stateLaneBits: Int { vBits + zBits }
    /// Where lane `k`'s `V` and `z` lie in a state word: every lane's `V` first (lane 0 lowest),
    /// then every lane's `z`. Packing the `V`s together lets the host read a group's potentials
    /// in `⌈lanes·vBits / partBits⌉` parts (docs/PE.md, "Memories").
    public func stateVLo(_ k: Int) -> Int { k * vBits }
    public func stateZLo(_ k: Int) -> Int { lanes * vBits + k * zBits }
    /// Whether axon-map entries carry a kernel window and layers their strides (`maxKernel > 1`).
    public var windowed: Bool { maxKernel > 1 }
    /// Bits of a window extent (0 … `maxKernel`); 0 when the words have no window fields.
    public var windowBits: Int { windowed ? Bits.widthFor(maxKernel) : 0 }
    /// Field widths of an axon-map word, LSB first: first weight row, first group, group count,
    /// layer, and with `maxKernel > 1` window rows and window columns.
    public var axonFieldWidths: [Int] { [rowBits, groupBits, countBits, layerBits] + (windowed ? [windowBits, windowBits] : []) }
    /// Field widths of a layer-parameter word, LSB first: θ, mode code, first group, group count,
    /// and with `maxKernel > 1` the row stride and the group stride of a window.
    public var paramFieldWidths: [Int] { [thresholdBits, 2, groupBits, countBits] + (windowed ? [rowBits, groupBits] : []) }
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
    /// Bits of the tile's SRAMs: depth × width summed over `srams` (the status counters are registers).
    public var sramBits: Int { srams.map { geometry($0).width * geometry($0).depth }.reduce(0, +) }

    /// The address field of a configuration or read packet (`PacketLayout.ConfigWrite.address`):
    /// the part index above the word address (`addressWidth(depth)` bits).
    public func packetAddress(_ m: PEMemory, word: Int, part: Int) -> Int { part << Bits.addressWidth(geometry(m).depth) | word }

    enum Field {
        static let neurons = ConfigField("neurons", .range(1 ... 65536), also: "a multiple of lanes, at most the state SRAM's words x lanes")
        static let lanes = ConfigField("lanes", .range(1 ... 16), also: "divides neurons and weightWordBits")
        static let wBits = ConfigField("wBits", .range(2 ... 16))
        static let vBits = ConfigField("vBits", .range(4 ... 32), also: "at least max(wBits, thresholdBits + 1) + 1")
        static let zBits = ConfigField("zBits", .range(2 ... 24))
        static let thresholdBits = ConfigField("thresholdBits", .range(1 ... 30))
        static let layers = ConfigField("layers", .range(1 ... 256))
        static let axons = ConfigField("axons", .powerOfTwo(2 ... 65536))
        static let weightRows = ConfigField("weightRows", .powerOfTwo(2 ... 65536))
        static let weightWordBits = ConfigField("weightWordBits", .range(0 ... PEConfig.maxSRAMWordBits), why: "0: lanes x wBits",
                                                also: "a multiple of lanes with slots of at least wBits")
        static let accumulatedWeights = ConfigField("accumulatedWeights", .flag, also: "keep the accumulated-weight SRAM (on-chip learning)")
        static let accBits = ConfigField("accBits", .range(2 ... 32))
        static let inFIFODepth = ConfigField("inFIFODepth", .range(2 ... 64)), spikeFIFODepth = ConfigField("spikeFIFODepth", .range(2 ... 64))
        static let outFIFODepth = ConfigField("outFIFODepth", .range(2 ... 64))
        static let flitWidth = ConfigField("flitWidth", .range(PacketLayout.minimumPEFlitWidth ... 64),
                                           why: "\(PacketLayout.minimumPEFlitWidth - 8) bits of header, memory id and address, then at least 8 data bits")
        static let cols = NoCChecks.cols, rows = NoCChecks.rows
        static let routerBufferDepth = NoCChecks.bufferDepth.renamed("routerBufferDepth")
        static let maxKernel = ConfigField("maxKernel", .range(1 ... 15), why: "the largest kernel window of an axon-map entry; 1: dense entries only",
                                           also: "the axon-map and layer-parameter words stay within 64 bits")
    }

    /// In the order of the stored properties (and of `config.json`).
    public static let fields = [Field.neurons, Field.lanes, Field.wBits, Field.vBits, Field.zBits, Field.thresholdBits, Field.layers, Field.axons,
                                Field.weightRows, Field.weightWordBits, Field.accumulatedWeights, Field.accBits, Field.inFIFODepth,
                                Field.spikeFIFODepth, Field.outFIFODepth, Field.flitWidth, Field.cols, Field.rows, Field.routerBufferDepth,
                                Field.maxKernel]

    /// The widest word of an SRAM but the axon map and the layer parameters (64 bits each).
    public static let maxSRAMWordBits = 512

    /// Each field against its own rule only (no cross-field rules): what callers that still pick
    /// some fields check before computing with the others.
    public func fieldViolations() -> [ConfigViolation] {
        let own: [(ConfigField, Int)] = [
            (Field.lanes, lanes), (Field.neurons, neurons), (Field.wBits, wBits), (Field.zBits, zBits), (Field.thresholdBits, thresholdBits),
            (Field.vBits, vBits), (Field.layers, layers), (Field.accBits, accBits), (Field.inFIFODepth, inFIFODepth),
            (Field.spikeFIFODepth, spikeFIFODepth), (Field.outFIFODepth, outFIFODepth), (Field.flitWidth, flitWidth), (Field.cols, cols),
            (Field.rows, rows), (Field.routerBufferDepth, routerBufferDepth), (Field.axons, axons), (Field.weightRows, weightRows),
            (Field.weightWordBits, weightWordBits), (Field.maxKernel, maxKernel),
        ]
        var v = ViolationCollector(block: "PEConfig")
        for (f, x) in own { v.check(f, x) }
        return v.violations
    }

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "PEConfig")
        v.append(fieldViolations())
        v.requireVBits(vBits, wBits: wBits, thresholdBits: thresholdBits, judged: Field.wBits.accepts(wBits) && Field.thresholdBits.accepts(thresholdBits))
        if Field.lanes.accepts(lanes), Field.wBits.accepts(wBits), Field.weightWordBits.accepts(weightWordBits) {
            v.require(neurons % lanes == 0, field: "lanes", value: "\(lanes)",
                      expected: "a divisor of neurons (\(neurons)): each state word holds lanes neurons")
            if weightWordBits != 0 {
                v.require(weightWordBits % lanes == 0, field: "lanes", value: "\(lanes)",
                          expected: "a divisor of weightWordBits (\(weightWordBits)): each weight word holds lanes equal slots")
                v.require(weightWordBits / lanes >= wBits, field: "weightWordBits", value: "\(weightWordBits)",
                          expected: "at least lanes × wBits = \(lanes * wBits), so each lane's slot holds a weight")
            }
        }
        // The derived sizes below need these fields in range.
        let derivable = [(Field.lanes, lanes), (Field.neurons, neurons), (Field.flitWidth, flitWidth), (Field.wBits, wBits), (Field.vBits, vBits),
                         (Field.zBits, zBits), (Field.thresholdBits, thresholdBits), (Field.axons, axons), (Field.weightRows, weightRows),
                         (Field.layers, layers), (Field.accBits, accBits), (Field.weightWordBits, weightWordBits), (Field.maxKernel, maxKernel)]
        if derivable.allSatisfy({ $0.0.accepts($0.1) }) {
            // The state SRAM must hold every neuron, and each word must fit the packet fields.
            v.require(stateDepth * lanes >= neurons, field: "neurons", value: "\(neurons)",
                      expected: "at most the state SRAM's \(stateDepth) words × \(lanes) lanes")
            for m in srams {
                let (w, d) = geometry(m)
                let addrBits = Bits.addressWidth(d) + (parts(m) > 1 ? Bits.addressWidth(parts(m)) : 0)
                v.require(addrBits <= PacketLayout.ConfigWrite.address.width, field: "\(m) memory", value: "\(d) words x \(w) bits (\(parts(m)) parts of \(partBits) bits)",
                          expected: "a word address plus part index of at most \(PacketLayout.ConfigWrite.address.width) bits (the packet's address field)")
                let limit = m == .axonMap || m == .params ? 64 : Self.maxSRAMWordBits
                v.require(w <= limit, field: "\(m) memory", value: "\(w) bits per word", expected: "at most \(limit)")
            }
        }
        try v.finish()
    }

    public var moduleName: String {
        "PETile_n\(neurons)_l\(lanes)_w\(wBits)_v\(vBits)_z\(zBits)_t\(thresholdBits)_L\(layers)_a\(axons)_r\(weightRows)_ww\(weightWord)"
            + "_acc\(accumulatedWeights ? accBits : 0)_f\(inFIFODepth)\(spikeFIFODepth)\(outFIFODepth)_F\(flitWidth)_m\(cols)x\(rows)b\(routerBufferDepth)"
            + (windowed ? "_k\(maxKernel)" : "")
    }

    public var coreModuleName: String { moduleName.replacingOccurrences(of: "PETile_", with: "PECore_") }

    /// The router of the tile.
    public var router: RouterConfig { RouterConfig(cols: cols, rows: rows, flitWidth: flitWidth, bufferDepth: routerBufferDepth) }
}

/// `config.json` and `system.json` keep the fields in the order of the stored properties.
/// `maxKernel` came later: a file without it decodes to 1 (dense only), and canonical JSON
/// (`CanonicalJSON`: files, RTL headers) leaves it out while it is 1, so every configuration
/// that does not use windows keeps its bytes. Plain `JSONEncoder` writes every field (the
/// resolver's and the decoding layer's view of the shape).
extension PEConfig {
    /// The fields a file may leave out (each takes its default): what the decoding layer's
    /// `JSONDocument.decode` gets as `optional` wherever a `PEConfig` is part of a file.
    public static let optionalFields: Set<String> = ["maxKernel"]

    enum CodingKeys: String, CodingKey {
        case neurons, lanes, wBits, vBits, zBits, thresholdBits, layers, axons, weightRows, weightWordBits, accumulatedWeights, accBits
        case inFIFODepth, spikeFIFODepth, outFIFODepth, flitWidth, cols, rows, routerBufferDepth, maxKernel
    }

    public init(from decoder: Decoder) throws {
        let k = try decoder.container(keyedBy: CodingKeys.self)
        func int(_ key: CodingKeys) throws -> Int { try k.decode(Int.self, forKey: key) }
        self.init(neurons: try int(.neurons), lanes: try int(.lanes), wBits: try int(.wBits), vBits: try int(.vBits), zBits: try int(.zBits),
                  thresholdBits: try int(.thresholdBits), layers: try int(.layers), axons: try int(.axons), weightRows: try int(.weightRows),
                  weightWordBits: try int(.weightWordBits), accumulatedWeights: try k.decode(Bool.self, forKey: .accumulatedWeights),
                  accBits: try int(.accBits), inFIFODepth: try int(.inFIFODepth), spikeFIFODepth: try int(.spikeFIFODepth),
                  outFIFODepth: try int(.outFIFODepth), flitWidth: try int(.flitWidth), cols: try int(.cols), rows: try int(.rows),
                  routerBufferDepth: try int(.routerBufferDepth), maxKernel: try k.decodeIfPresent(Int.self, forKey: .maxKernel) ?? 1)
    }

    public func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        let ints: [(CodingKeys, Int)] = [
            (.neurons, neurons), (.lanes, lanes), (.wBits, wBits), (.vBits, vBits), (.zBits, zBits), (.thresholdBits, thresholdBits),
            (.layers, layers), (.axons, axons), (.weightRows, weightRows), (.weightWordBits, weightWordBits),
        ]
        for (key, v) in ints { try k.encode(v, forKey: key) }
        try k.encode(accumulatedWeights, forKey: .accumulatedWeights)
        let rest: [(CodingKeys, Int)] = [
            (.accBits, accBits), (.inFIFODepth, inFIFODepth), (.spikeFIFODepth, spikeFIFODepth), (.outFIFODepth, outFIFODepth),
            (.flitWidth, flitWidth), (.cols, cols), (.rows, rows), (.routerBufferDepth, routerBufferDepth),
        ]
        for (key, v) in rest { try k.encode(v, forKey: key) }
        if maxKernel != 1 || encoder.userInfo[.canonicalJSON] as? Bool != true { try k.encode(maxKernel, forKey: .maxKernel) }
    }
}
