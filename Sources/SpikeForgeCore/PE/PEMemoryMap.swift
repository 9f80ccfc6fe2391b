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

/// Where one neuron's spikes go: the axon id at the destination, the destination rectangle
/// `x0, x1, y0, y1` (a larger rectangle is an X-Y multicast), the host flag, and `valid` (a
/// neuron without fan-out drops its spikes). The store stage copies the fields into the header
/// and payload of the spike packet it sends, so each is as wide as its packet field.
public struct TargetEntry: Hashable, Sendable {
    /// The word layout, LSB first.
    public enum Field {
        public static let axon = BitField("axon", lo: 0, width: PacketLayout.Spike.axon.width)
        public static let x0 = BitField("x0", lo: axon.end, width: PacketLayout.Header.x0.width)
        public static let x1 = BitField("x1", lo: x0.end, width: PacketLayout.Header.x1.width)
        public static let y0 = BitField("y0", lo: x1.end, width: PacketLayout.Header.y0.width)
        public static let y1 = BitField("y1", lo: y0.end, width: PacketLayout.Header.y1.width)
        public static let host = BitField("host", lo: y1.end, width: 1)
        public static let valid = BitField("valid", lo: host.end, width: 1)
        public static let all = [axon, x0, x1, y0, y1, host, valid]
    }

    public static let bits = Field.valid.end
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
        Field.axon.place(axon) | Field.x0.place(x0) | Field.x1.place(x1) | Field.y0.place(y0) | Field.y1.place(y1)
            | Field.host.place(host) | Field.valid.place(valid)
    }

    public static func decode(_ w: UInt64) -> TargetEntry {
        TargetEntry(valid: Field.valid.flag(w), axon: Field.axon.int(w), x0: Field.x0.int(w), x1: Field.x1.int(w),
                    y0: Field.y0.int(w), y1: Field.y1.int(w), host: Field.host.flag(w))
    }

    /// The spike packet this target receives (one spike, sign `negative`).
    public func spike(negative: Bool) -> Packet {
        .spike(Destination(x0: x0, x1: x1, y0: y0, y1: y1, host: host), axon: axon, negative: negative, multiplicity: 1)
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

/// The kind of a row operation in the PE pipeline: a synaptic add from a spike, the reset of a
/// group (`V ← bias`, `z ← 0`) or its residual flush.
public enum RowKind: Int, CaseIterable, Sendable {
    case add = 0, reset = 1, flush = 2
    /// Bits of the kind in the pipeline registers.
    public static let bits = 2
}
