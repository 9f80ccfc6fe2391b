import SpikeForgeCore

/// Cycle model of the `PETile`: the core on the local port of its router.
public struct PETileModel: CycleModel {
    public let config: PEConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public var core: PECoreModel
    public private(set) var router: NoCCore
    static let mesh: [RouterPort] = [.north, .east, .south, .west]

    public init(_ c: PEConfig, x: Int, y: Int) {
        config = c
        core = PECoreModel(c)
        router = .router(c.router, x: x, y: y)
        (inputLayout, outputLayout) = RouterModel.linkLayouts(Self.mesh, flitWidth: c.flitWidth)
    }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        let rst = i.bool(0)
        let n = Self.mesh.count
        for (k, p) in Self.mesh.enumerated() {
            let out = router.output(p.rawValue, inReset: rst)
            o.set(2 * k, out.valid && !rst)
            o[2 * k + 1] = out.flit[out.flit.startIndex]
            o.set(2 * n + k, !rst && router.inReady(p.rawValue))
        }
        o.set(3 * n, (!rst && router.busy) || core.busy(rst: rst))
        return o
    }

    public mutating func step(_ i: PortValues) {
        if i.bool(0) {
            router.reset()
            core.reset()
            return
        }
        let local = RouterPort.local.rawValue
        let toCore = router.output(local)
        let toCoreValid = toCore.valid, toCoreFlit = toCore.flit[toCore.flit.startIndex]
        let routerTakes = router.inReady(local)
        for (k, p) in Self.mesh.enumerated() {
            router.inValid[p.rawValue] = i.bool(3 + 3 * k)
            router.inFlit[p.rawValue] = i[4 + 3 * k]
            router.outReady[p.rawValue] = i.bool(5 + 3 * k)
        }
        router.inValid[local] = core.outValid()
        router.inFlit[local] = core.outFlit
        router.outReady[local] = core.inReady()
        core.step(inValid: toCoreValid, inFlit: toCoreFlit, outReady: routerTakes)
        router.step()
    }
}
