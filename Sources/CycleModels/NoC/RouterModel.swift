import SpikeForgeCore

/// Cycle model of `RouterGenerator`'s router alone, every port external.
public struct RouterModel: CycleModel {
    public let config: RouterConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var core: NoCCore
    let x: Int, y: Int

    /// `x`, `y`: the values driven on `my_x` and `my_y` (constant, as in a mesh).
    public init(_ c: RouterConfig, x: Int, y: Int) {
        config = c
        self.x = x
        self.y = y
        core = .router(c, x: x, y: y)
        (inputLayout, outputLayout) = Self.linkLayouts(RouterPort.allCases, flitWidth: c.flitWidth)
    }

    /// The ports of a block that shows a router's `ports` as its links: inputs `rst`, `my_x`,
    /// `my_y`, then each port's `in_valid`, `in_flit`, `out_ready`; outputs each port's
    /// `out_valid`, `out_flit`, then each port's `in_ready`, then `busy`. The router and the PE
    /// tile (its four mesh ports) share it.
    public static func linkLayouts(_ ports: [RouterPort], flitWidth: Int) -> (inputs: PortLayout, outputs: PortLayout) {
        var ins: [PortSpec] = [.init("rst", width: 1), .init("my_x", width: 4), .init("my_y", width: 4)]
        var outs: [PortSpec] = []
        for p in ports {
            ins += [.init("\(p.prefix)_in_valid", width: 1), .init("\(p.prefix)_in_flit", width: flitWidth), .init("\(p.prefix)_out_ready", width: 1)]
            outs += [.init("\(p.prefix)_out_valid", width: 1), .init("\(p.prefix)_out_flit", width: flitWidth)]
        }
        for p in ports { outs.append(.init("\(p.prefix)_in_ready", width: 1)) }
        outs.append(.init("busy", width: 1))
        return (PortLayout(ins), PortLayout(outs))
    }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        let rst = i.bool(0)
        for p in 0 ..< 5 {
            let out = core.output(p, inReset: rst)
            o.set(2 * p, out.valid)
            o.setWide(2 * p + 1, Array(out.flit))
            o.set(10 + p, !rst && core.inReady(p))
        }
        o.set(15, !rst && core.busy)
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            core.reset()
            return
        }
        let W = core.words
        for p in 0 ..< 5 {
            core.inValid[p] = i.bool(3 + 3 * p)
            let f = i.wide(4 + 3 * p)
            for wi in 0 ..< W { core.inFlit[p * W + wi] = f[f.startIndex + wi] }
            core.outReady[p] = i.bool(5 + 3 * p)
        }
        core.step()
    }
}
