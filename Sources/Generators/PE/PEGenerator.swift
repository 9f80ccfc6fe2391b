import HWIR
import SpikeForgeCore

/// The processing element after YOSO (SPEC §3, docs/PE.md): `PECore` (input FIFO, dispatch,
/// load, memory, compute, store, output FIFO and the lane-packed SRAMs) and `PETile` (the core
/// behind the local port of an X-Y router), the block the mesh instantiates.
///
/// Pipeline, one row operation (`lanes` neurons) per cycle:
/// 1. **dispatch** takes the input FIFO's head: a spike reads the axon map (YOSO's spike-address
///    SRAM); other packets wait until the pipeline has drained, then configure, read back or start
///    a reset / flush sweep.
/// 2. **load** turns an axon-map entry (with `maxKernel > 1`, every run of its kernel window) or a
///    sweep over a layer's groups into row operations and issues the synchronous read of the
///    weight SRAM.
/// 3. **product** registers `s·m·w` per lane while the state (or bias) SRAM is read; **add**
///    registers `sat(V + s·m·w)` (or the bias, or the stored state).
/// 4. **compute** runs the fire check of SPEC §1 (the neuron unit's `fireConditions`); it sends
///    one spike per cycle and holds the group while more are due, then writes the state back.
///    Read-after-write on the state SRAM is solved by **forwarding**: the last word written is
///    kept with its address and replaces the (older) SRAM read when the addresses match; a row
///    whose group is still in the add stage or compute waits in the product stage until it is
///    written (`PECoreAdd.swift`).
/// 5. **store** looks up the spiking neuron's target and sends a (multicast) spike packet.
public enum PEGenerator: BlockGenerator {
    public static func design(_ c: PEConfig) throws(ConfigError) -> Design {
        try c.validate()
        let flits = FIFOGenerator.module(.init(width: c.flitWidth, depth: c.inFIFODepth))
        let outs = FIFOGenerator.module(.init(width: c.flitWidth, depth: c.outFIFODepth))
        let spikes = FIFOGenerator.module(.init(width: c.neuronBits + 1, depth: c.spikeFIFODepth))
        let core = core(c, inFIFO: flits, spikeFIFO: spikes, outFIFO: outs)
        let rc = c.router
        let fifo = RouterGenerator.fifoModule(rc), arb = RouterGenerator.arbiterModule(rc)
        let router = RouterGenerator.router(rc, fifo: fifo, arbiter: arb)
        var mods: [Module] = []
        for m in [flits, outs, spikes, core, fifo, arb, router] where !mods.contains(where: { $0.name == m.name }) { mods.append(m) }
        mods.append(tile(c, core: core, router: router))
        return Design(top: c.moduleName, modules: mods)
    }

    /// The core behind the local port of its router. Ports: the router's four mesh ports, its
    /// coordinates, and `busy` (router or core). The `INIT_*` parameters pass to the core.
    public static func tile(_ c: PEConfig, core: Module, router: Module) -> Module {
        let F = c.flitWidth
        let b = ModuleBuilder(c.moduleName, doc: """
        SpikeForge PE tile: a PE core on the local port of a \(c.cols) x \(c.rows) X-Y mesh router.
        Mesh ports n, e, s, w as the router's; busy = router or core busy. INIT_* pass to the core's SRAMs.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        var coreParams: [String: ParameterValue] = [:]
        for m in c.srams {
            b.parameter(m.initParameter, default: .string(""), doc: "$readmemh image of the core's \(m) SRAM")
            coreParams[m.initParameter] = .parent(m.initParameter)
        }
        let myX = b.input("my_x", .uint(PacketLayout.Header.x0.width), doc: "this tile's column")
        let myY = b.input("my_y", .uint(PacketLayout.Header.y0.width), doc: "this tile's row")
        var ins: [String: Expr] = ["clk": clk, "rst": rst, "my_x": myX, "my_y": myY]
        let mesh: [RouterPort] = [.north, .east, .south, .west]
        for p in mesh {
            ins["\(p.prefix)_in_valid"] = b.input("\(p.prefix)_in_valid", .bool, doc: "flit offered on \(p)")
            ins["\(p.prefix)_in_flit"] = b.input("\(p.prefix)_in_flit", .uint(F), doc: "")
            ins["\(p.prefix)_out_ready"] = b.input("\(p.prefix)_out_ready", .bool, doc: "\(p) neighbour takes the flit")
        }
        let coreOutValid = b.wire("core_out_valid", .bool), coreOutFlit = b.wire("core_out_flit", .uint(F))
        let coreInReady = b.wire("core_in_ready", .bool)
        ins["l_in_valid"] = coreOutValid
        ins["l_in_flit"] = coreOutFlit
        ins["l_out_ready"] = coreInReady
        let r = b.instance("u_router", of: router, inputs: ins)
        let k = b.instance("u_core", of: core, parameters: coreParams, inputs: [
            "clk": clk, "rst": rst, "in_valid": r["l_out_valid"]!, "in_flit": r["l_out_flit"]!, "out_ready": r["l_in_ready"]!,
        ])
        b.assign(coreOutValid, k["out_valid"]!)
        b.assign(coreOutFlit, k["out_flit"]!)
        b.assign(coreInReady, k["in_ready"]!)
        for p in mesh {
            b.output("\(p.prefix)_out_valid", r["\(p.prefix)_out_valid"]!, doc: "flit offered to \(p)")
            b.output("\(p.prefix)_out_flit", r["\(p.prefix)_out_flit"]!, doc: "")
            b.output("\(p.prefix)_in_ready", r["\(p.prefix)_in_ready"]!, doc: "the \(p) input takes a flit")
        }
        b.output("busy", r["busy"]! | k["busy"]!, doc: "a flit or row operation is in flight in this tile")
        return b.build()
    }
}
