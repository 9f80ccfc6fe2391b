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
    public var cores: [PECoreModel]
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
    /// visit every core each cycle). `cores` is public for loading and inspection; a caller that
    /// changes a core's pipeline state directly must call `refreshBusy()`.
    var anyCoreBusy = false

    public var busy: Bool { mesh.busy || anyCoreBusy }

    /// Recomputes whether some core is busy, after `cores` was changed from outside.
    public mutating func refreshBusy() { anyCoreBusy = cores.contains { !$0.idle } }

    public func outputs(_ i: PortValues) -> PortValues {
        var o = PortValues(outputLayout)
        let rst = i.bool(0), n = config.tiles
        o.set(0, !rst && mesh.inReady(n))
        let h = mesh.output(n, inReset: rst)
        o.set(1, h.valid && !rst)
        o[2] = h.flit[h.flit.startIndex]
        o.set(3, !rst && busy)
        return o
    }

    public mutating func step(_ i: PortValues) {
        stepHost(rst: i.bool(0), inValid: i.bool(1), inFlit: i[2], outReady: i.bool(3))
    }

    /// The host port's outputs before the edge, as `outputs(_:)` gives them, without building a
    /// `PortValues` (the host loop's fast path).
    public func hostOutputs(rst: Bool) -> (inReady: Bool, outValid: Bool, outFlit: UInt64, busy: Bool) {
        let n = config.tiles
        let h = mesh.output(n, inReset: rst)
        return (!rst && mesh.inReady(n), h.valid && !rst, h.flit[h.flit.startIndex], !rst && busy)
    }

    /// One cycle of the host port: the outputs before the edge, then the edge (`outputs(_:)`
    /// then `step(_:)` on the same inputs).
    public mutating func hostCycle(rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) -> (inReady: Bool, outValid: Bool, outFlit: UInt64, busy: Bool) {
        let o = hostOutputs(rst: rst)
        stepHost(rst: rst, inValid: inValid, inFlit: inFlit, outReady: outReady)
        return o
    }

    /// The edge, from the host port's four inputs.
    ///
    /// A tile whose core is idle (nothing queued, nothing in its pipeline) and whose router
    /// offers it nothing does no work: its core's step would change nothing but the cycle
    /// counter (`PECoreModel.idle`), so only that is counted. Random link stalls take the
    /// full path, so every stall is still drawn each cycle.
    public mutating func stepHost(rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) {
        if rst {
            mesh.reset()
            for k in cores.indices { cores[k].reset() }
            anyCoreBusy = false
            return
        }
        let n = config.tiles
        var stillBusy = false
        if !linkStalls.isEmpty {
            stillBusy = stepTilesStalled()
        } else {
            // The cores are moved out for the tile loop and stepped in place through a pointer
            // (no copy-on-write check or copy of a core per access), then moved back.
            var cs: [PECoreModel] = []
            swap(&cs, &cores)
            cs.withUnsafeMutableBufferPointer { c in
                for k in 0 ..< n {
                    let offered = mesh.outputValid(k)
                    if !offered && c[k].idle {
                        // An idle core's input FIFO is empty, so it is ready; it offers nothing.
                        mesh.inValid[k] = false
                        mesh.outReady[k] = true
                        c[k].countIdleCycle()
                        continue
                    }
                    let flit = offered ? mesh.outputWord(k) : 0
                    let routerTakes = mesh.inReady(k)
                    mesh.inValid[k] = c[k].outValid()
                    mesh.inFlit[k] = c[k].outFlit
                    mesh.outReady[k] = c[k].inReady()
                    c[k].step(inValid: offered, inFlit: flit, outReady: routerTakes)
                    stillBusy = stillBusy || !c[k].idle
                }
            }
            swap(&cs, &cores)
        }
        anyCoreBusy = stillBusy
        mesh.inValid[n] = inValid
        mesh.inFlit[n] = inFlit
        mesh.outReady[n] = outReady
        mesh.step()
    }

    /// The tile loop of `stepHost` with random link stalls: every tile takes the full path, so
    /// every stall is drawn each cycle. Returns whether some core is busy after the edge.
    mutating func stepTilesStalled() -> Bool {
        var stillBusy = false
        for k in 0 ..< config.tiles {
            let ejectStalls = linkStalls[2 * k].stalls()
            let injectStalls = linkStalls[2 * k + 1].stalls()
            let offered = mesh.outputValid(k)
            let valid = offered && !ejectStalls, flit = offered ? mesh.outputWord(k) : 0
            let routerTakes = mesh.inReady(k) && !injectStalls
            mesh.inValid[k] = cores[k].outValid() && !injectStalls
            mesh.inFlit[k] = cores[k].outFlit
            mesh.outReady[k] = cores[k].inReady() && !ejectStalls
            cores[k].step(inValid: valid, inFlit: flit, outReady: routerTakes)
            stillBusy = stillBusy || !cores[k].idle
        }
        return stillBusy
    }
}
