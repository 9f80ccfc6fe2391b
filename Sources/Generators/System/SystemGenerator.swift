import HWIR
import SpikeForgeCore

/// The whole system (SPEC §3–4, docs/SYSTEM.md): a `cols × rows` mesh of PE tiles with the host
/// port on the west edge of tile (0, 0).
///
/// Top-level ports: `host_in_*` (the host offers a flit), `host_out_*` (a flit for the host:
/// read responses and spikes of host-bound neurons) and `busy` (some tile holds a flit or a row
/// operation). Each tile's SRAM images come from top-level `INIT_X<x>_Y<y>_<MEMORY>` parameters
/// (`$readmemh`, the simulation backdoor); left at "" the SRAMs start empty and the host loads
/// them with configuration packets.
public enum SystemGenerator: BlockGenerator {
    public static func design(_ c: SystemConfig) throws(ConfigError) -> Design {
        try c.validate()
        let pe = try PEGenerator.design(c.pe)
        let tile = pe.modules.first { $0.name == c.pe.moduleName }!
        return Design(top: c.moduleName, modules: pe.modules + [system(c, tile: tile)])
    }

    public static func system(_ c: SystemConfig, tile: Module) -> Module {
        let F = c.pe.flitWidth
        let b = ModuleBuilder(c.moduleName, doc: """
        SpikeForge system: \(c.cols) x \(c.rows) PE tiles (\(c.pe.neurons) neurons, \(c.pe.lanes) lanes each) on an X-Y mesh.
        Tile (x, y) is u_tile_<x>_<y>. The host port is the west port of tile (0, 0): host_in_* carries
        configuration, read, control and input spike packets in; host_out_* read responses and host-bound spikes out.
        busy: some tile holds a flit or a row operation. INIT_X<x>_Y<y>_<MEMORY> load tile SRAMs by $readmemh.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        let memories = c.pe.srams
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                for m in memories {
                    b.parameter(SystemConfig.initParameter(x: x, y: y, m), default: .string(""), doc: "")
                }
            }
        }
        let hostInValid = b.input("host_in_valid", .bool, doc: "the host offers a flit")
        let hostInFlit = b.input("host_in_flit", .uint(F), doc: "")
        let hostOutReady = b.input("host_out_ready", .bool, doc: "the host takes a flit")
        let mesh: [RouterPort] = [.north, .east, .south, .west]
        // Per tile and mesh port: wires for what drives the tile's input side.
        var inV: [[Expr]] = [], inF: [[Expr]] = [], outR: [[Expr]] = []
        var outs: [[String: Expr]] = []
        func idx(_ x: Int, _ y: Int) -> Int { y * c.cols + x }
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                var ins: [String: Expr] = ["clk": clk, "rst": rst, "my_x": .lit(x, .uint(PacketLayout.Header.x0.width)), "my_y": .lit(y, .uint(PacketLayout.Header.y0.width))]
                var v: [Expr] = [], f: [Expr] = [], r: [Expr] = []
                for p in mesh {
                    v.append(b.wire("t\(x)_\(y)_\(p.prefix)_iv", .bool))
                    f.append(b.wire("t\(x)_\(y)_\(p.prefix)_if", .uint(F)))
                    r.append(b.wire("t\(x)_\(y)_\(p.prefix)_or", .bool))
                    ins["\(p.prefix)_in_valid"] = v.last!
                    ins["\(p.prefix)_in_flit"] = f.last!
                    ins["\(p.prefix)_out_ready"] = r.last!
                }
                inV.append(v)
                inF.append(f)
                outR.append(r)
                var params: [String: ParameterValue] = [:]
                for m in memories { params[m.initParameter] = .parent(SystemConfig.initParameter(x: x, y: y, m)) }
                outs.append(b.instance("u_tile_\(x)_\(y)", of: tile, parameters: params, inputs: ins))
            }
        }
        let links = MeshLinks(cols: c.cols, rows: c.rows, flitWidth: F, inValid: inV, inFlit: inF, outReady: outR, outputs: outs,
                              host: (hostInValid, hostInFlit, hostOutReady))
        var busy: [Expr] = []
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                busy.append(outs[idx(x, y)]["busy"]!)
                for p in mesh { links.connect(b, x: x, y: y, port: p, hostReadyDoc: "the system takes the host's flit") }
            }
        }
        b.output("busy", busy.dropFirst().reduce(busy[0], |), doc: "some tile holds a flit or a row operation")
        return b.build()
    }
}
