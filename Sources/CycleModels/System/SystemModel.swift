import SpikeForgeCore

/// Cycle model of `SystemGenerator`'s system: one `NoCCore` mesh with a `PECoreModel` on every
/// local port, and the host on the west port of (0, 0). Ports as the RTL top:
/// `rst, host_in_valid, host_in_flit, host_out_ready` in; `host_in_ready, host_out_valid,
/// host_out_flit, busy` out.
///
/// Each cycle does what `PETileModel` does for one tile, for every tile at once: the mesh's
/// local inputs are the cores' outputs before the edge, and each core steps on what its router
/// offered before the edge.
public struct SystemModel: CycleModel {
    public let config: SystemConfig
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var mesh: NoCCore
    /// Tile (x, y) is `cores[y * cols + x]`.
    public private(set) var cores: [PECoreModel]
    /// Model-only back-pressure inside the system (`stallLinks`; none, as in the hardware, by
    /// default): per tile, ejection (router to core) then injection (core to router).
    var linkStalls: [RandomStall] = []

    public init(_ c: SystemConfig) {
        config = c
        mesh = .mesh(MeshConfig(cols: c.cols, rows: c.rows, flitWidth: c.pe.flitWidth, bufferDepth: c.pe.routerBufferDepth))
        cores = Array(repeating: PECoreModel(c.pe), count: c.tiles)
        let F = c.pe.flitWidth
        inputLayout = PortLayout([.init("rst", width: 1), .init("host_in_valid", width: 1), .init("host_in_flit", width: F), .init("host_out_ready", width: 1)])
        outputLayout = PortLayout([.init("host_in_ready", width: 1), .init("host_out_valid", width: 1), .init("host_out_flit", width: F), .init("busy", width: 1)])
    }

    /// Holds each tile's ejection (router to core) and injection (core to router) off at
    /// random, independently, as if that link's `ready` were low: a test of the host protocol
    /// under back-pressure the host cannot see. The RTL has no such knob, so a stalled model is
    /// compared with the integer model, not cycle for cycle with the RTL. Probability 0 removes
    /// the stalls.
    public mutating func stallLinks(probability: Double, burst: Int = 8, seed: UInt64) {
        linkStalls = probability <= 0 ? [] : (0 ..< 2 * config.tiles).map { RandomStall(probability: probability, burst: burst, seed: seed &+ UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
    }

    /// Whether some core was busy after the last edge (kept by `stepHost`, so `busy` does not
    /// visit every core each cycle; only `stepHost` and the backdoor load change the cores).
    var anyCoreBusy = false

    public var busy: Bool { mesh.busy || anyCoreBusy }

    /// The backdoor: tile `k`'s SRAMs set to `img`, as `$readmemh` sets the RTL's (only the
    /// memories change, so `anyCoreBusy` stays true to the cores).
    public mutating func load(tile k: Int, _ img: PEImages) { img.load(into: &cores[k]) }

    public func outputs(_ i: PortValues) -> PortValues {
        let h = hostOutputs(rst: i.bool(0))
        var o = PortValues(outputLayout)
        o.set(0, h.inReady)
        o.set(1, h.outValid)
        o[2] = h.outFlit
        o.set(3, h.busy)
        return o
    }

    public mutating func step(_ i: PortValues) {
        stepHost(rst: i.bool(0), inValid: i.bool(1), inFlit: i[2], outReady: i.bool(3))
    }

    /// The host port's outputs before the edge (`outputs(_:)` without a `PortValues`).
    func hostOutputs(rst: Bool) -> HostPortOutputs {
        let n = config.tiles
        let h = mesh.output(n, inReset: rst)
        return HostPortOutputs(inReady: !rst && mesh.inReady(n), outValid: h.valid && !rst, outFlit: h.flit[h.flit.startIndex], busy: !rst && busy)
    }

    /// The edge, from the host port's four inputs.
    ///
    /// A tile whose core is idle (nothing queued, nothing in its pipeline) and whose router
    /// offers it nothing does no work: its core's step would change nothing but the cycle
    /// counter (`PECoreModel.idle`), so only that is counted. Random link stalls are drawn for
    /// every tile first, so each is still drawn every cycle.
    mutating func stepHost(rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) {
        if rst {
            mesh.reset()
            for k in cores.indices { cores[k].reset() }
            anyCoreBusy = false
            return
        }
        let n = config.tiles, stalled = !linkStalls.isEmpty
        var stillBusy = false
        // The cores are moved out for the tile loop and stepped in place through a pointer
        // (no copy-on-write check or copy of a core per access), then moved back.
        var cs: [PECoreModel] = []
        swap(&cs, &cores)
        cs.withUnsafeMutableBufferPointer { c in
            for k in 0 ..< n {
                let ejectStalls = stalled && linkStalls[2 * k].stalls()
                let injectStalls = stalled && linkStalls[2 * k + 1].stalls()
                let offer = mesh.offer(k)
                if offer == nil && c[k].idle {
                    // An idle core's input FIFO is empty, so it is ready; it offers nothing.
                    mesh.inValid[k] = false
                    mesh.outReady[k] = !ejectStalls
                    c[k].countIdleCycle()
                    continue
                }
                let routerTakes = mesh.inReady(k) && !injectStalls
                mesh.inValid[k] = c[k].outValid() && !injectStalls
                mesh.inFlit[k] = c[k].outFlit
                mesh.outReady[k] = c[k].inReady() && !ejectStalls
                c[k].step(inValid: offer != nil && !ejectStalls, inFlit: offer ?? 0, outReady: routerTakes)
                stillBusy = stillBusy || !c[k].idle
            }
        }
        swap(&cs, &cores)
        anyCoreBusy = stillBusy
        mesh.inValid[n] = inValid
        mesh.inFlit[n] = inFlit
        mesh.outReady[n] = outReady
        mesh.step()
    }
}

/// The host loop on the model: `hostCycle` without port frames (`HostPortDevice.runHost`
/// then runs the loop cycle by cycle through it).
extension SystemModel: HostPortDevice {
    public mutating func hostCycle(_ port: HostPort, rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) -> HostPortOutputs {
        let o = hostOutputs(rst: rst)
        stepHost(rst: rst, inValid: inValid, inFlit: inFlit, outReady: outReady)
        return o
    }
}
