/// A port as both the RTL and the cycle model see it. Values are raw bit patterns.
public struct PortSpec: Hashable, Codable, Sendable, CustomStringConvertible {
    public var name: String
    public var width: Int
    public var signed: Bool

    public init(_ name: String, width: Int, signed: Bool = false) {
        self.name = name
        self.width = width
        self.signed = signed
    }

    /// 64-bit words one value of this port occupies in a frame.
    public var words: Int { (width + 63) / 64 }

    public var description: String { "\(name)[\(width)\(signed ? "s" : "")]" }
}

/// The order and word offsets of a list of ports inside one cycle's frame of `UInt64` words.
public struct PortLayout: Hashable, Sendable {
    public let ports: [PortSpec]
    public let offsets: [Int]
    /// Words per cycle.
    public let stride: Int

    public init(_ ports: [PortSpec]) {
        self.ports = ports
        var off = 0
        var offs: [Int] = []
        for p in ports {
            offs.append(off)
            off += p.words
        }
        offsets = offs
        stride = off
    }

    public func index(of name: String) -> Int? { ports.firstIndex { $0.name == name } }
}

/// One cycle's values for a layout.
public struct PortValues: Hashable, Sendable {
    public let layout: PortLayout
    public var words: [UInt64]

    public init(_ layout: PortLayout) {
        self.layout = layout
        words = Array(repeating: 0, count: layout.stride)
    }

    public init(_ layout: PortLayout, words: some Collection<UInt64>) {
        precondition(words.count == layout.stride, "frame has \(words.count) words, layout needs \(layout.stride)")
        self.layout = layout
        self.words = Array(words)
    }

    /// The low word of port `i` (the whole value for ports up to 64 bits).
    @inlinable public subscript(i: Int) -> UInt64 {
        get { words[layout.offsets[i]] }
        set {
            let w = layout.ports[i].width
            words[layout.offsets[i]] = newValue & Bits.mask(min(w, 64))
        }
    }

    /// Port `i` read as a signed number (ports up to 64 bits).
    @inlinable public func signed(_ i: Int) -> Int64 { Bits.signExtend(self[i], width: layout.ports[i].width) }

    /// Sets port `i` from a signed number, truncating to its width.
    @inlinable public mutating func setSigned(_ i: Int, _ v: Int64) { self[i] = UInt64(bitPattern: v) }

    @inlinable public func bool(_ i: Int) -> Bool { self[i] & 1 == 1 }

    @inlinable public mutating func set(_ i: Int, _ b: Bool) { self[i] = b ? 1 : 0 }

    /// All words of port `i`, least significant first.
    public func wide(_ i: Int) -> ArraySlice<UInt64> {
        let o = layout.offsets[i]
        return words[o ..< o + layout.ports[i].words]
    }

    public mutating func setWide(_ i: Int, _ value: [UInt64]) {
        let p = layout.ports[i]
        let o = layout.offsets[i]
        for k in 0 ..< p.words {
            let rem = p.width - 64 * k
            words[o + k] = (k < value.count ? value[k] : 0) & Bits.mask(min(rem, 64))
        }
    }

    public func hex(_ i: Int) -> String {
        let ws = wide(i)
        let digits = (layout.ports[i].width + 3) / 4
        var s = ws.reversed().map { w -> String in
            let h = String(w, radix: 16)
            return String(repeating: "0", count: 16 - h.count) + h
        }.joined()
        s = String(s.suffix(max(digits, 1)))
        return "0x" + s
    }
}

/// Anything clocked that can be driven cycle by cycle with frames of port values: a Swift cycle
/// model or a Verilated RTL model. The lockstep harness runs two of them side by side.
///
/// Timing contract, shared by models and RTL: in cycle `t` the inputs of frame `t` are applied,
/// the outputs of frame `t` are sampled after combinational settling and *before* the rising
/// clock edge, and then the edge updates the registers. Reset is an ordinary synchronous input
/// named `rst` where a block has one.
public protocol ClockedDevice {
    var inputLayout: PortLayout { get }
    var outputLayout: PortLayout { get }
    /// Runs `cycles` cycles. `inputs` holds `cycles * inputLayout.stride` words; `outputs`
    /// receives `cycles * outputLayout.stride` words.
    mutating func run(cycles: Int, inputs: UnsafeBufferPointer<UInt64>, outputs: UnsafeMutableBufferPointer<UInt64>)
}

/// A Swift cycle model, in the two-phase style of BookSim's `timed_module`: `outputs(_:)` is a
/// pure function of the registers and the inputs, and `step(_:)` updates registers only, so the
/// order in which components are stepped cannot matter (like Verilog's `<=`).
public protocol CycleModel: ClockedDevice {
    func outputs(_ inputs: PortValues) -> PortValues
    mutating func step(_ inputs: PortValues)
}

extension CycleModel {
    public mutating func run(cycles: Int, inputs: UnsafeBufferPointer<UInt64>, outputs: UnsafeMutableBufferPointer<UInt64>) {
        let inL = inputLayout
        let outStride = outputLayout.stride
        for c in 0 ..< cycles {
            let base = c * inL.stride
            let frame = PortValues(inL, words: inputs[base ..< base + inL.stride])
            let o = self.outputs(frame)
            for k in 0 ..< outStride { outputs[c * outStride + k] = o.words[k] }
            step(frame)
        }
    }
}
