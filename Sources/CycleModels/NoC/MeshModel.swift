import SpikeForgeCore

/// Cycle model of `MeshGenerator`'s mesh behind its ports.
public struct MeshModel: CycleModel {
    public let config: MeshConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var core: NoCCore

    public init(_ c: MeshConfig) {
        config = c
        core = .mesh(c)
        let n = c.nodes, F = c.flitWidth
        inputLayout = PortLayout([
            .init("rst", width: 1), .init("host_in_valid", width: 1), .init("host_in_flit", width: F), .init("host_out_ready", width: 1),
            .init("local_in_valid", width: n), .init("local_in_flit", width: n * F), .init("local_out_ready", width: n),
        ])
        outputLayout = PortLayout([
            .init("host_in_ready", width: 1), .init("host_out_valid", width: 1), .init("host_out_flit", width: F),
            .init("local_in_ready", width: n), .init("local_out_valid", width: n), .init("local_out_flit", width: n * F), .init("busy", width: 1),
        ])
    }

    func bit(_ words: ArraySlice<UInt64>, _ i: Int) -> Bool { (words[words.startIndex + i / 64] >> UInt64(i % 64)) & 1 == 1 }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        let n = config.nodes, F = config.flitWidth, W = core.words
        return Self.fill(&o, core, n: n, F: F, W: W, rst: i.bool(0))
    }

    static func fill(_ o: inout PortValues, _ core: NoCCore, n: Int, F: Int, W: Int, rst: Bool) -> PortValues {
        o.set(0, !rst && core.inReady(n))
        let h = core.output(n, inReset: rst)
        o.set(1, h.valid && !rst)
        o.setWide(2, Array(h.flit))
        var ready = [UInt64](repeating: 0, count: (n + 63) / 64), valid = ready
        var flits = [UInt64]()
        flits.reserveCapacity(n * W)
        var packed = [UInt64](repeating: 0, count: (n * F + 63) / 64)
        for k in 0 ..< n {
            if !rst && core.inReady(k) { ready[k / 64] |= 1 << UInt64(k % 64) }
            let out = core.output(k, inReset: rst)
            if out.valid && !rst { valid[k / 64] |= 1 << UInt64(k % 64) }
            // Pack flit k at bit k*F.
            for bitIndex in stride(from: 0, to: F, by: 64) {
                let wv = out.flit[out.flit.startIndex + bitIndex / 64]
                let width = min(64, F - bitIndex)
                let v = wv & Bits.mask(width)
                let lo = k * F + bitIndex, w = lo / 64, sh = lo % 64
                packed[w] |= v << UInt64(sh)
                if sh != 0 && sh + width > 64 { packed[w + 1] |= v >> UInt64(64 - sh) }
            }
        }
        o.setWide(3, ready)
        o.setWide(4, valid)
        o.setWide(5, packed)
        o.set(6, !rst && core.busy)
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            core.reset()
            return
        }
        let n = config.nodes, F = config.flitWidth, W = core.words
        let lv = i.wide(4), lf = i.wide(5), lr = i.wide(6)
        for k in 0 ..< n {
            core.inValid[k] = bit(lv, k)
            core.outReady[k] = bit(lr, k)
            for wi in 0 ..< W {
                let width = min(64, F - wi * 64)
                core.inFlit[k * W + wi] = Bits.field(lf, lo: k * F + wi * 64, width: width)
            }
        }
        core.inValid[n] = i.bool(1)
        let hf = i.wide(2)
        for wi in 0 ..< W { core.inFlit[n * W + wi] = hf[hf.startIndex + wi] }
        core.outReady[n] = i.bool(3)
        core.step()
    }
}
