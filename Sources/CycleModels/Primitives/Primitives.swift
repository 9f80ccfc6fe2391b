import Foundation
import SpikeForgeCore

/// Cycle model of `SatAdderGenerator`: combinational, so `step` does nothing.
public struct SatAdderModel: CycleModel {
    public let config: SatAdderConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout

    public init(_ c: SatAdderConfig) {
        config = c
        inputLayout = PortLayout([.init("a", width: c.aWidth, signed: true), .init("b", width: c.bWidth, signed: true)])
        outputLayout = PortLayout([.init("sum", width: c.outWidth, signed: true), .init("saturated", width: 1)])
    }

    public func outputs(_ i: PortValues) -> PortValues {
        let (s, sat) = Bits.saturatingAdd(i.signed(0), i.signed(1), width: config.outWidth)
        var o = PortValues(outputLayout)
        o.setSigned(0, s)
        o.set(1, sat)
        return o
    }

    public mutating func step(_: PortValues) {}
}

/// Cycle model of `AccumulatorGenerator`. Reset value 0; latency 1 cycle.
public struct AccumulatorModel: CycleModel {
    public let config: AccumulatorConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var acc: Int64 = 0
    public private(set) var saturated = false

    public init(_ c: AccumulatorConfig) {
        config = c
        inputLayout = PortLayout([
            .init("rst", width: 1), .init("load", width: 1), .init("load_value", width: c.accWidth, signed: true),
            .init("en", width: 1), .init("x", width: c.inWidth, signed: true),
        ])
        outputLayout = PortLayout([.init("acc", width: c.accWidth, signed: true), .init("saturated", width: 1)])
    }

    public func outputs(_: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        o.setSigned(0, acc)
        o.set(1, saturated)
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            acc = 0
            saturated = false
        } else if i.bool(1) {
            acc = i.signed(2)
            saturated = false
        } else if i.bool(3) {
            (acc, saturated) = Bits.saturatingAdd(acc, i.signed(4), width: config.accWidth)
        }
    }
}

/// Cycle model of `FIFOGenerator`.
public struct FIFOModel: CycleModel {
    public let config: FIFOConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    private var storage: [[UInt64]]
    private var head = 0
    public private(set) var count = 0

    public init(_ c: FIFOConfig) {
        config = c
        let w = (c.width + 63) / 64
        storage = Array(repeating: Array(repeating: 0, count: w), count: c.depth)
        inputLayout = PortLayout([.init("rst", width: 1), .init("in_valid", width: 1), .init("in_data", width: c.width), .init("out_ready", width: 1)])
        outputLayout = PortLayout([
            .init("in_ready", width: 1), .init("out_valid", width: 1), .init("out_data", width: c.width), .init("count", width: c.countWidth),
        ])
    }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        let rst = i.bool(0)
        o.set(0, !rst && count != config.depth)
        o.set(1, !rst && count != 0)
        // The RTL shows the word under the read pointer even when empty: mirror that.
        o.setWide(2, storage[head])
        o[3] = UInt64(count)
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            head = 0
            count = 0
            return
        }
        let push = i.bool(1) && count != config.depth
        let pop = i.bool(3) && count != 0
        if push { storage[(head + count) % config.depth] = Array(i.wide(2)) }
        if pop { head = (head + 1) % config.depth }
        count += (push ? 1 : 0) - (pop ? 1 : 0)
    }
}

/// Cycle model of `SRAMGenerator`. Contents start at zero or from the `$readmemh` image.
public struct SRAMModel: CycleModel {
    public let config: SRAMConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var mem: [[UInt64]]
    private var rdata: [UInt64]

    public init(_ c: SRAMConfig, contents: [[UInt64]] = []) {
        config = c
        let w = (c.width + 63) / 64
        mem = Array(repeating: Array(repeating: 0, count: w), count: c.depth)
        for (k, word) in contents.prefix(c.depth).enumerated() { mem[k] = word }
        rdata = Array(repeating: 0, count: w)
        let aw = c.addressWidth
        switch c.kind {
        case .singlePort:
            inputLayout = PortLayout([.init("en", width: 1), .init("we", width: 1), .init("addr", width: aw), .init("wdata", width: c.width)])
        case .simpleDualPort:
            inputLayout = PortLayout([
                .init("we", width: 1), .init("waddr", width: aw), .init("wdata", width: c.width), .init("re", width: 1), .init("raddr", width: aw),
            ])
        }
        outputLayout = PortLayout([.init("rdata", width: c.width)])
    }

    /// A model preloaded from the same `$readmemh` file the RTL reads.
    public init(_ c: SRAMConfig, readmemh path: String) throws {
        self.init(c, contents: try ReadMemH.parse(contentsOf: path, width: c.width))
    }

    public func outputs(_: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        o.setWide(0, rdata)
        return o
    }

    public mutating func step(_ i: PortValues) {
        // Read before write: a same-address access returns the old word (read-first).
        switch config.kind {
        case .singlePort:
            guard i.bool(0) else { return }
            let a = Int(i[2])
            if a < config.depth {
                rdata = mem[a]
                if i.bool(1) { mem[a] = Array(i.wide(3)) }
            }
        case .simpleDualPort:
            if i.bool(3) {
                let r = Int(i[4])
                if r < config.depth { rdata = mem[r] }
            }
            if i.bool(0) {
                let a = Int(i[1])
                if a < config.depth { mem[a] = Array(i.wide(2)) }
            }
        }
    }
}

/// Cycle model of `ArbiterGenerator`.
public struct ArbiterModel: CycleModel {
    public let config: ArbiterConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var pointer = 0

    public init(_ c: ArbiterConfig) {
        config = c
        inputLayout = PortLayout([.init("rst", width: 1), .init("req", width: c.requesters), .init("advance", width: 1)])
        outputLayout = PortLayout([.init("grant_valid", width: 1), .init("grant", width: c.requesters), .init("grant_index", width: c.indexWidth)])
    }

    /// The winner for request mask `req`, or nil when nothing is requested.
    public func winner(_ req: UInt64) -> Int? {
        let n = config.requesters
        for k in 0 ..< n {
            let i = (pointer + k) % n
            if (req >> UInt64(i)) & 1 == 1 { return i }
        }
        return nil
    }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        if let w = winner(i[1]) {
            o.set(0, true)
            o[1] = 1 << UInt64(w)
            o[2] = UInt64(w)
        }
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            pointer = 0
        } else if i.bool(2), let w = winner(i[1]) {
            pointer = (w + 1) % config.requesters
        }
    }
}
