/// The memories of a PE, by the id carried in configuration and read packets.
public enum PEMemory: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// `lanes` weights per word: weight row `r`, lane `k` is the synapse from the axon that
    /// names row `r` to neuron `k` of the group.
    case weights = 0
    /// Every lane's `V` (`vBits` each, lane 0 lowest), then every lane's `z` (`PEConfig.stateVLo`/`stateZLo`).
    case state = 1
    /// `lanes` × `vBits`: the start value of `V` (`V ← b` on reset).
    case bias = 2
    /// YOSO's spike-address SRAM, per axon: first weight row, first group, group count, layer
    /// (and a kernel window with `maxKernel > 1`; `AxonEntry`).
    case axonMap = 3
    /// Per neuron: where its spikes go (`TargetEntry`).
    case targets = 4
    /// Per layer: threshold, mode, first group and group count (and window strides with
    /// `maxKernel > 1`; `LayerParams`).
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

/// Fields of one axon-map entry (LSB first: row, group, count, layer, and with
/// `maxKernel > 1` window rows and window columns).
///
/// A spike on the entry makes, for `a` in `0 ..< windowRows`, `b` in `0 ..< windowCols` and
/// `g` in `0 ..< count` (`g` innermost), one row operation: weight row
/// `(row + a·rowStride + b·count + g) mod weightRows` on state group
/// `(group − a·groupStride − b·count + g) mod stateDepth`, with the strides of the entry's layer
/// (`LayerParams`). A 1 × 1 window is a dense entry (rows `row + g`, groups `group + g`); a
/// count or window of 0 makes no row operation (docs/PE.md).
public struct AxonEntry: Hashable, Sendable {
    public var row: Int, group: Int, count: Int, layer: Int
    public var windowRows: Int, windowCols: Int
    public init(row: Int, group: Int, count: Int, layer: Int, windowRows: Int = 1, windowCols: Int = 1) {
        self.row = row
        self.group = group
        self.count = count
        self.layer = layer
        self.windowRows = windowRows
        self.windowCols = windowCols
    }

    /// The row operations a spike on this entry makes: `count × windowRows × windowCols`.
    public var rowOperations: Int { max(0, count) * max(0, windowRows) * max(0, windowCols) }

    /// The (weight row, state group) of every row operation a spike on this entry makes, in
    /// issue order, for a layer with these strides (what the load stage does, as a reference).
    public func rowOperations(_ c: PEConfig, rowStride: Int, groupStride: Int) -> [(row: Int, group: Int)] {
        var out: [(row: Int, group: Int)] = []
        out.reserveCapacity(rowOperations)
        for a in 0 ..< max(0, windowRows) {
            for b in 0 ..< max(0, windowCols) {
                for g in 0 ..< max(0, count) {
                    let r = (row + a * rowStride + b * count + g) & (c.weightRows - 1)
                    let q = (group - a * groupStride - b * count + g) & (c.stateDepth - 1)
                    out.append((r, q))
                }
            }
        }
        return out
    }

    /// Each field against the configuration's word: what `encode` would cut.
    public func problems(_ c: PEConfig) -> [String] {
        var p: [String] = []
        func check(_ name: String, _ v: Int, _ range: ClosedRange<Int>) {
            if !range.contains(v) { p.append("\(name): got \(v), expected \(range.lowerBound)...\(range.upperBound)") }
        }
        check("row", row, 0 ... c.weightRows - 1)
        check("group", group, 0 ... c.stateDepth - 1)
        check("count", count, 0 ... c.stateDepth)
        check("layer", layer, 0 ... c.paramDepth - 1)
        let k = c.windowed ? c.maxKernel : 1
        check("windowRows", windowRows, 0 ... k)
        check("windowCols", windowCols, 0 ... k)
        return p
    }

    public func encode(_ c: PEConfig) -> UInt64 {
        let f = [row, group, count, layer] + (c.windowed ? [windowRows, windowCols] : [])
        return Bits.pack(zip(f, c.axonFieldWidths).map { (UInt64(truncatingIfNeeded: $0), $1) })
    }

    /// The fields of `axonFieldWidths`, LSB first (no arrays: the PE model decodes one per spike).
    public static func decode(_ w: UInt64, _ c: PEConfig) -> AxonEntry {
        var f = FieldReader(w)
        let row = f.next(c.rowBits), group = f.next(c.groupBits), count = f.next(c.countBits), layer = f.next(c.layerBits)
        guard c.windowed else { return AxonEntry(row: row, group: group, count: count, layer: layer) }
        return AxonEntry(row: row, group: group, count: count, layer: layer, windowRows: f.next(c.windowBits), windowCols: f.next(c.windowBits))
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

/// One layer's parameters (LSB first): θ, mode code, first group, group count, and with
/// `maxKernel > 1` the strides of its axon entries' windows: `rowStride` (weight rows from one
/// window row to the next) and `groupStride` (state groups back from one window row to the next).
public struct LayerParams: Hashable, Sendable {
    public var theta: Int
    public var mode: NeuronMode
    public var firstGroup: Int
    public var groupCount: Int
    public var rowStride: Int
    public var groupStride: Int

    public init(theta: Int, mode: NeuronMode, firstGroup: Int, groupCount: Int, rowStride: Int = 0, groupStride: Int = 0) {
        self.theta = theta
        self.mode = mode
        self.firstGroup = firstGroup
        self.groupCount = groupCount
        self.rowStride = rowStride
        self.groupStride = groupStride
    }

    /// The fields of a layer-parameter word, as the pipeline reads them.
    public struct Decoded: Hashable, Sendable {
        public var theta: Int64, modeCode: UInt64, first: Int, count: Int, rowStride: Int, groupStride: Int
        public init(theta: Int64 = 0, modeCode: UInt64 = 0, first: Int = 0, count: Int = 0, rowStride: Int = 0, groupStride: Int = 0) {
            self.theta = theta
            self.modeCode = modeCode
            self.first = first
            self.count = count
            self.rowStride = rowStride
            self.groupStride = groupStride
        }
    }

    /// Each field against the configuration's word: what `encode` would cut.
    public func problems(_ c: PEConfig) -> [String] {
        var p: [String] = []
        func check(_ name: String, _ v: Int, _ range: ClosedRange<Int>) {
            if !range.contains(v) { p.append("\(name): got \(v), expected \(range.lowerBound)...\(range.upperBound)") }
        }
        check("theta", theta, 0 ... (1 << c.thresholdBits) - 1)
        check("firstGroup", firstGroup, 0 ... c.stateDepth - 1)
        check("groupCount", groupCount, 0 ... c.stateDepth)
        check("rowStride", rowStride, 0 ... (c.windowed ? c.weightRows - 1 : 0))
        check("groupStride", groupStride, 0 ... (c.windowed ? c.stateDepth - 1 : 0))
        return p
    }

    public func encode(_ c: PEConfig) -> UInt64 {
        let f = [UInt64(theta), mode.code, UInt64(firstGroup), UInt64(groupCount)]
            + (c.windowed ? [UInt64(truncatingIfNeeded: rowStride), UInt64(truncatingIfNeeded: groupStride)] : [])
        return Bits.pack(zip(f, c.paramFieldWidths).map { ($0, $1) })
    }

    /// The fields of `paramFieldWidths`, LSB first (no arrays).
    public static func decode(_ w: UInt64, _ c: PEConfig) -> Decoded {
        var f = FieldReader(w)
        let theta = f.next(c.thresholdBits), mode = f.next(2), first = f.next(c.groupBits), count = f.next(c.countBits)
        guard c.windowed else { return Decoded(theta: Int64(theta), modeCode: UInt64(mode), first: first, count: count) }
        return Decoded(theta: Int64(theta), modeCode: UInt64(mode), first: first, count: count, rowStride: f.next(c.rowBits), groupStride: f.next(c.groupBits))
    }
}

/// Reads consecutive fields of one word, LSB first (what `Bits.unpack` returns, one at a time).
struct FieldReader {
    let word: UInt64
    var lo = 0
    init(_ w: UInt64) { word = w }
    mutating func next(_ width: Int) -> Int {
        defer { lo += width }
        return lo >= 64 ? 0 : Int(truncatingIfNeeded: word >> UInt64(lo) & Bits.mask(width))
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
