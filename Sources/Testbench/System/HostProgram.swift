import Compiler
import Foundation
import SpikeForgeCore

/// What the standalone C++ testbench (`sim/system_tb.cpp`) needs to host a compiled system the
/// way `SystemDriver` does, as plain text: `host.txt` (packet fields, memories, the plan's facts)
/// and an events file (per image: label, input events, the integer model's output potentials).
/// `sim/README.md` describes both formats: one keyword per line, `#` starts a comment.
public enum HostProgram {
    /// Cycles of the power-on reset (`SystemDriver.powerOnReset`).
    public static let powerOnResetCycles = 3

    /// One packet field: bits `lo ..< lo + width` of the flit.
    public struct Field: Hashable, Sendable {
        public var packet: String, name: String
        public var lo: Int, width: Int
    }

    /// Every packet field the host forms or decodes, from `PacketLayout` (the one definition).
    public static func packetFields(_ c: PEConfig) -> [Field] {
        typealias L = PacketLayout
        func fields(_ packet: String, _ fs: [BitField]) -> [Field] { fs.map { Field(packet: packet, name: $0.name, lo: $0.lo, width: $0.width) } }
        return fields("header", L.Header.fields) + fields("spike", L.Spike.fields) + fields("config", L.ConfigWrite.fields(flitWidth: c.flitWidth))
            + fields("read", L.ReadRequest.fields) + fields("control", L.Control.fields) + fields("response", L.ReadResponse.fields(partBits: c.partBits))
    }

    /// The memories the host loads by configuration packets, in `SystemDriver.load`'s order:
    /// every SRAM but the state (the reset control packet sets it) and the accumulated weights
    /// (not used by inference).
    public static func loadedMemories(_ c: PEConfig) -> [PEMemory] { c.srams.filter { $0 != .state && $0 != .accumulated } }

    /// One output neuron's partial sum on one tile: the state word's parts that hold its `V`
    /// (`parts` reads from `firstPart`), and where `V` lies in their concatenation.
    public struct OutputField: Hashable, Sendable {
        public var neuron: Int, x: Int, y: Int, word: Int, firstPart: Int, parts: Int, lo: Int, width: Int
    }

    /// As `SystemDriver` derives them: every partial sum of every output neuron, tile by tile.
    public static func outputFields(_ plan: SystemPlan) -> [OutputField] {
        let c = plan.system.pe, L = c.lanes, P = c.partBits
        var out: [OutputField] = []
        for t in plan.tiles {
            for s in t.slices where s.layer == plan.outputLayer {
                for n in s.neuronLo ..< s.neuronHi {
                    let k = n - s.neuronLo, group = s.firstGroup + k / L, lo = c.stateVLo(k % L)
                    let p0 = lo / P, p1 = (lo + c.vBits - 1) / P
                    out.append(OutputField(neuron: n, x: t.x, y: t.y, word: group, firstPart: p0, parts: p1 - p0 + 1, lo: lo - p0 * P, width: c.vBits))
                }
            }
        }
        return out
    }

    /// One read of the host: tile, memory, word and part.
    public typealias ReadRequest = (x: Int, y: Int, memory: PEMemory, word: Int, part: Int)
    /// One partial sum of an output neuron: the reads holding its parts (lowest first) and where
    /// its `V` starts in their concatenation.
    public typealias LogitField = (neuron: Int, reads: [Int], lo: Int)

    /// The reads that fetch the output potentials (tile, memory, word, part), and for each partial
    /// sum of `outputFields` the reads holding its parts (lowest first) and where its `V` starts in
    /// them. Each part is read once, in the order the partial sums first need it: neighbouring
    /// lanes' `V` share parts. `SystemDriver` reads these; sim/system_tb.cpp derives the same from
    /// the `output` lines.
    public static func logitReads(_ plan: SystemPlan) -> (reads: [ReadRequest], fields: [LogitField]) {
        var reads: [ReadRequest] = [], fields: [LogitField] = []
        var index: [[Int]: Int] = [:]
        for f in outputFields(plan) {
            let parts = (f.firstPart ..< f.firstPart + f.parts).map { p in
                if let i = index[[f.x, f.y, f.word, p]] { return i }
                index[[f.x, f.y, f.word, p]] = reads.count
                reads.append((f.x, f.y, .state, f.word, p))
                return reads.count - 1
            }
            fields.append((f.neuron, parts, f.lo))
        }
        return (reads, fields)
    }

    /// As `SystemDriver` derives them: the tiles whose "spikes out" counter is read after each
    /// image, and the layer each one's spikes count for.
    public static func spikeCounters(_ plan: SystemPlan) -> [(x: Int, y: Int, layer: Int)] {
        plan.tiles.compactMap { t in t.slices.first { !plan.layers[$0.layer].isOutput }.map { (t.x, t.y, $0.layer) } }
    }

    /// The most read requests in flight: one per tag.
    public static let maxReadsInFlight = 1 << PacketLayout.ReadRequest.tag.width
    /// A read window as the hosts keep it: `n` (all tags when nil) clamped to 1 ... `maxReadsInFlight`.
    public static func readWindow(_ n: Int?) -> Int { min(max(n ?? maxReadsInFlight, 1), maxReadsInFlight) }

    /// The text of `host.txt` for a compiled system. `readsInFlight`: the read window the testbench keeps (at most `maxReadsInFlight`, one per
    /// tag; `SystemDriver.readsInFlight` is the Swift host's).
    public static func hostText(_ plan: SystemPlan, readsInFlight: Int? = nil) -> String {
        let c = plan.system.pe, sys = plan.system
        var l: [String] = [
            "# SpikeForge host program: what sim/system_tb.cpp needs to load and run \(sys.moduleName)",
            "# as SystemDriver does. Written by spikeforge \(SpikeForgeVersion.string); sim/README.md describes every keyword.",
            "format spikeforge-host 1",
            "top \(sys.moduleName)",
            "mesh \(sys.cols) \(sys.rows)",
            "flit_width \(c.flitWidth)",
            "part_bits \(c.partBits)",
            "layers \(plan.layers.count)",
            "outputs \(plan.layers[plan.outputLayer].outputs)",
            "power_on_reset \(powerOnResetCycles)",
        ]
        let fields = packetFields(c)
        let tagBits = fields.first { $0.packet == "read" && $0.name == "tag" }!.width
        let multBits = fields.first { $0.packet == "spike" && $0.name == "multiplicity" }!.width
        l += ["tag_bits \(tagBits)", "max_in_flight \(readWindow(readsInFlight))", "max_multiplicity \((1 << multBits) - 1)",
              "counter_bits \(PEConfig.statusCounterBits)"]
        l.append("# field <packet> <name> <lo> <width>: bits lo ..< lo+width of the flit")
        l += fields.map { "field \($0.packet) \($0.name) \($0.lo) \($0.width)" }
        l += ["type spike \(FlitType.spike.rawValue)", "type config \(FlitType.configWrite.rawValue)", "type read \(FlitType.readRequest.rawValue)",
              "type response \(FlitType.readResponse.rawValue)", "type control \(FlitType.control.rawValue)",
              "opcode reset \(PEControl.reset.rawValue)", "opcode flush \(PEControl.flush.rawValue)"]
        l.append("# memory <id> <name> <width> <depth> <parts> <part_shift>: address field = part << part_shift | word")
        for m in c.memories {
            let (w, d) = c.geometry(m)
            l.append("memory \(m.rawValue) \(m) \(w) \(d) \(c.parts(m)) \(c.packetAddress(m, word: 0, part: 1).trailingZeroBitCount)")
        }
        let loaded = loadedMemories(c)
        let skipped = c.srams.filter { !loaded.contains($0) }.map { "\($0)" }.joined(separator: ", ")
        l.append("# load <x> <y> <memory id> <file in images/>: every word, part 0 first, in this order (not loaded: \(skipped))")
        for y in 0 ..< sys.rows {
            for x in 0 ..< sys.cols {
                for m in loaded { l.append("load \(x) \(y) \(m.rawValue) \(SystemImages.fileStem(x: x, y: y, m)).bin") }
            }
        }
        let r = plan.input
        l.append("input_rect \(r.x0) \(r.x1) \(r.y0) \(r.y1)")
        l += plan.tiles.filter { $0.slices.contains { $0.layer == 0 } }.map { "input_tile \($0.x) \($0.y)" }
        l += plan.layers.enumerated().filter { $0.element.flush && !$0.element.isOutput }.map { "flush \($0.offset)" }
        l.append("# output <neuron> <x> <y> <memory> <word> <first part> <parts> <lo> <width>: a partial sum, added")
        l += outputFields(plan).map { "output \($0.neuron) \($0.x) \($0.y) \(PEMemory.state.rawValue) \($0.word) \($0.firstPart) \($0.parts) \($0.lo) \($0.width)" }
        l.append("# spike_counter <layer> <x> <y> <memory> <word> <part>")
        l += spikeCounters(plan).map { "spike_counter \($0.layer) \($0.x) \($0.y) \(PEMemory.status.rawValue) \(PEStatus.spikesOut.rawValue) 0" }
        return l.joined(separator: "\n") + "\n"
    }

    /// One image of an events file.
    public struct Image: Sendable {
        public var label: Int
        public var levels: [Int32]
        /// The integer model's output potentials, which the testbench checks when given.
        public var expected: [Int64]?
        public init(label: Int, levels: [Int32], expected: [Int64]? = nil) {
            self.label = label
            self.levels = levels
            self.expected = expected
        }
    }

    /// The text of an events file: per image its label, one `event <axon> <level>` per input with
    /// a non-zero level (as `SystemDriver.inputPackets` takes them), and the expected potentials.
    public static func eventsText(_ images: [Image], source: String = "") -> String {
        var l = ["# SpikeForge input events\(source.isEmpty ? "" : " of \(source)"): image <index> label <label>, event <axon> <level>, expect <potentials>, end",
                 "format spikeforge-events 1", "inputs \(images.first?.levels.count ?? 0)"]
        for (k, im) in images.enumerated() {
            l.append("image \(k) label \(im.label)")
            for (j, v) in im.levels.enumerated() where v > 0 { l.append("event \(j) \(v)") }
            if let e = im.expected { l.append("expect " + e.map(String.init).joined(separator: " ")) }
            l.append("end")
        }
        return l.joined(separator: "\n") + "\n"
    }

    /// Writes `host.txt` and `events.txt` into `dir`, atomically.
    public static func write(plan: SystemPlan, images: [Image], source: String = "", readsInFlight: Int? = nil, to dir: URL) throws(OutputError) {
        try AtomicOutput.write(files: [("host.txt", Data(hostText(plan, readsInFlight: readsInFlight).utf8)), ("events.txt", Data(eventsText(images, source: source).utf8))], to: dir)
    }
}
