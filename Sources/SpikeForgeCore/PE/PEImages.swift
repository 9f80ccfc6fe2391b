import Foundation

/// The contents of a PE's SRAMs, word by word (least significant 64-bit word first): what the
/// `$readmemh` backdoor loads, and what configuration packets write.
public struct PEImages: Hashable, Sendable {
    public let config: PEConfig
    public var words: [PEMemory: [[UInt64]]]

    public init(_ c: PEConfig) {
        config = c
        words = [:]
        for m in c.srams {
            let (w, d) = c.geometry(m)
            words[m] = Array(repeating: Array(repeating: 0, count: (w + 63) / 64), count: d)
        }
    }

    /// Sets one field of one word.
    public mutating func set(_ m: PEMemory, word a: Int, lo: Int, width: Int, _ value: UInt64) {
        Bits.setField(&words[m]![a], lo: lo, width: width, value)
    }

    /// Weight row `row`, lane `lane`.
    public mutating func setWeight(row: Int, lane: Int, _ w: Int64) {
        set(.weights, word: row, lo: lane * config.weightSlot, width: config.wBits, Bits.raw(w, width: config.wBits))
    }

    public mutating func setBias(neuron i: Int, _ b: Int64) {
        set(.bias, word: i / config.lanes, lo: (i % config.lanes) * config.vBits, width: config.vBits, Bits.raw(b, width: config.vBits))
    }

    public mutating func setAxon(_ a: Int, _ e: AxonEntry) { words[.axonMap]![a] = [e.encode(config)] }
    public mutating func setTarget(neuron i: Int, _ t: TargetEntry) { words[.targets]![i] = [t.encode()] }
    public mutating func setLayer(_ l: Int, _ p: LayerParams) { words[.params]![l] = [p.encode(config)] }

    /// Seeded random contents that still make sense: axon entries inside the weight and state
    /// SRAMs (with `maxKernel > 1`, random windows up to `maxKernel` and random strides), small
    /// thresholds so neurons fire often (but for the last layer's θ = 0), every mode, multicast and host targets.
    /// No target covers the PE's own column (`x`), so no spike can come back to it: a PE that
    /// feeds itself can fill its FIFOs in a loop and deadlock (docs/PE.md).
    public static func random(_ c: PEConfig, seed: UInt64, x: Int) -> PEImages {
        var rng = SplitMix64(seed: seed)
        var img = PEImages(c)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        for m in c.srams where m != .axonMap && m != .targets && m != .params {
            let (w, d) = c.geometry(m)
            for a in 0 ..< d { img.words[m]![a] = (0 ..< (w + 63) / 64).map { k in rng.bits(min(64, w - 64 * k)) } }
        }
        // Biases and state near zero (in thresholds), so spikes come from the inputs.
        for i in 0 ..< c.targetDepth {
            img.setBias(neuron: i, Int64(r(161)) - 80)
            img.set(.state, word: i / c.lanes, lo: c.stateVLo(i % c.lanes), width: c.vBits, Bits.raw(Int64(r(61)) - 30, width: c.vBits))
            img.set(.state, word: i / c.lanes, lo: c.stateZLo(i % c.lanes), width: c.zBits, UInt64(r(4)))
        }
        for l in 0 ..< c.paramDepth {
            let first = r(c.stateDepth)
            // The last layer never fires (θ = 0), as an output layer: the core does not read its
            // z bank and writes it only on a reset, so the random z it holds stays until then.
            var p = LayerParams(theta: l == c.layers - 1 ? 0 : 16 + r(300), mode: NeuronMode.allCases[r(3)], firstGroup: first, groupCount: 1 + r(c.stateDepth - first))
            if c.windowed {
                // Any strides: window rows may wrap around either memory.
                p.rowStride = r(c.weightRows)
                p.groupStride = r(c.stateDepth)
            }
            img.setLayer(l, p)
        }
        for a in 0 ..< c.axons {
            let g = r(c.stateDepth)
            var e = AxonEntry(row: r(c.weightRows), group: g, count: rng.chance(0.05) ? 0 : 1 + r(c.stateDepth - g), layer: r(c.layers))
            if c.windowed {
                // Windows of 0 ... maxKernel rows and columns (a fifth of them 1 x 1), short runs
                // under large windows so that a spike stays a few dozen row operations.
                if !rng.chance(0.2) {
                    e.windowRows = r(c.maxKernel + 1)
                    e.windowCols = r(c.maxKernel + 1)
                }
                if e.windowRows * e.windowCols > 4 && e.count > 4 { e.count = 1 + r(4) }
            }
            img.setAxon(a, e)
        }
        for i in 0 ..< c.targetDepth {
            let roll = r(10)
            if roll == 0 {
                img.setTarget(neuron: i, .none)
            } else if roll == 1 {
                img.setTarget(neuron: i, TargetEntry(axon: r(65536), x0: 0, x1: 0, y0: 0, y1: 0, host: true))
            } else {
                img.setTarget(neuron: i, randomTarget(&rng, c, avoidingColumn: x))
            }
        }
        return img
    }

    /// A random unicast or multicast target whose columns all differ from `x` (host-bound when
    /// the mesh has one column).
    public static func randomTarget(_ rng: inout SplitMix64, _ c: PEConfig, avoidingColumn x: Int) -> TargetEntry {
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }
        let left = x > 0 && (x == c.cols - 1 || rng.chance(0.5))
        guard c.cols > 1 else { return TargetEntry(axon: r(65536), x0: 0, x1: 0, y0: 0, y1: 0, host: true) }
        let (lo, hi) = left ? (0, x - 1) : (x + 1, c.cols - 1)
        let a = lo + r(hi - lo + 1), b = lo + r(hi - lo + 1)
        return TargetEntry(axon: r(c.axons), x0: a, x1: b, y0: r(c.rows), y1: r(c.rows))
    }

    /// Writes one `$readmemh` file per memory into `dir` (atomically) and returns the `-G`
    /// parameters that make the RTL load them.
    public func writeHex(to dir: URL) throws -> [String: String] {
        var files: [(name: String, contents: Data)] = []
        var params: [String: String] = [:]
        for m in config.srams {
            let name = "\(m).hex"
            files.append((name, Data(ReadMemH.format(words[m]!, width: config.geometry(m).width).utf8)))
            params[m.initParameter] = "\"\(dir.appendingPathComponent(name).path)\""
        }
        try AtomicOutput.write(files: files, to: dir)
        return params
    }

    /// The configuration packets that write every word of these images to the PE at (x, y).
    public func configurationPackets(x: Int, y: Int, memories: [PEMemory]? = nil) -> [UInt64] {
        var out: [UInt64] = []
        for m in memories ?? config.srams {
            for (a, w) in words[m]!.enumerated() { out += PEPacket.writeWord(config, x: x, y: y, memory: m, index: a, word: w) }
        }
        return out
    }
}

