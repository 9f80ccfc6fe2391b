import HWIR
import SpikeForgeCore

/// A `cols × rows` mesh of `RouterGenerator` routers. Router (x, y) is number `y*cols + x`; its
/// local port is bit/slice `y*cols + x` of the `local_*` vectors. The host port is the west port
/// of router (0, 0). `busy` is high while any flit is buffered anywhere.
public enum MeshGenerator: BlockGenerator {
    public static func design(_ c: MeshConfig) throws(ConfigError) -> Design {
        try c.validate()
        let rc = c.router
        let fifo = RouterGenerator.fifoModule(rc), arb = RouterGenerator.arbiterModule(rc)
        let router = RouterGenerator.router(rc, fifo: fifo, arbiter: arb)
        return Design(top: c.moduleName, modules: [fifo, arb, router, mesh(c, router: router)])
    }

    public static func mesh(_ c: MeshConfig, router: Module) -> Module {
        let F = c.flitWidth, N = c.nodes
        let b = ModuleBuilder(c.moduleName, doc: """
        \(c.cols) x \(c.rows) X-Y mesh. Router (x, y) is node y*\(c.cols)+x: its local port is slice y*\(c.cols)+x of the local_* vectors.
        The host port is the west port of router (0, 0). busy: some flit is buffered in some router.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        let hostInValid = b.input("host_in_valid", .bool, doc: "host offers a flit")
        let hostInFlit = b.input("host_in_flit", .uint(F), doc: "")
        let hostOutReady = b.input("host_out_ready", .bool, doc: "host takes a flit")
        let lInValid = b.input("local_in_valid", .uint(N), doc: "node i offers a flit")
        let lInFlit = b.input("local_in_flit", .uint(N * F), doc: "node i: bits [i*\(F) +: \(F)]")
        let lOutReady = b.input("local_out_ready", .uint(N), doc: "node i takes a flit")
        // Link wires: for each router and direction, the flit it sends that way.
        func idx(_ x: Int, _ y: Int) -> Int { y * c.cols + x }
        var outs: [[String: Expr]] = Array(repeating: [:], count: N)
        // Declare, per router, wires for what its neighbours drive into it.
        var inV: [[Expr]] = [], inF: [[Expr]] = [], outR: [[Expr]] = []
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                var v: [Expr] = [], f: [Expr] = [], r: [Expr] = []
                for p in RouterPort.allCases {
                    v.append(b.wire("r\(x)_\(y)_\(p.prefix)_iv", .bool))
                    f.append(b.wire("r\(x)_\(y)_\(p.prefix)_if", .uint(F)))
                    r.append(b.wire("r\(x)_\(y)_\(p.prefix)_or", .bool))
                }
                inV.append(v)
                inF.append(f)
                outR.append(r)
            }
        }
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                let i = idx(x, y)
                var ins: [String: Expr] = ["clk": clk, "rst": rst, "my_x": .lit(x, .uint(PacketLayout.Header.x0.width)), "my_y": .lit(y, .uint(PacketLayout.Header.y0.width))]
                for p in RouterPort.allCases {
                    ins["\(p.prefix)_in_valid"] = inV[i][p.rawValue]
                    ins["\(p.prefix)_in_flit"] = inF[i][p.rawValue]
                    ins["\(p.prefix)_out_ready"] = outR[i][p.rawValue]
                }
                outs[i] = b.instance("r\(x)_\(y)", of: router, inputs: ins)
            }
        }
        // Wire the links, the local ports, the host port, and tie off the edges.
        let links = MeshLinks(cols: c.cols, rows: c.rows, flitWidth: F, inValid: inV, inFlit: inF, outReady: outR, outputs: outs,
                              host: (hostInValid, hostInFlit, hostOutReady))
        var lInReady: [Expr] = [], lOutValid: [Expr] = [], lOutFlit: [Expr] = [], busy: [Expr] = []
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                let i = idx(x, y), o = outs[i]
                busy.append(o["busy"]!)
                for p in RouterPort.allCases {
                    let k = p.rawValue
                    if p == .local {
                        b.assign(inV[i][k], lInValid.bit(i))
                        b.assign(inF[i][k], lInFlit.bits((i + 1) * F - 1, i * F))
                        b.assign(outR[i][k], lOutReady.bit(i))
                        lInReady.append(o["l_in_ready"]!)
                        lOutValid.append(o["l_out_valid"]!)
                        lOutFlit.append(o["l_out_flit"]!)
                    } else {
                        links.connect(b, x: x, y: y, port: p, hostReadyDoc: "the mesh takes the host's flit")
                    }
                }
            }
        }
        b.output("local_in_ready", .concat(lInReady.reversed()), doc: "node i's router takes its flit")
        b.output("local_out_valid", .concat(lOutValid.reversed()), doc: "a flit for node i")
        b.output("local_out_flit", .concat(lOutFlit.reversed()), doc: "node i: bits [i*\(F) +: \(F)]")
        b.output("busy", busy.dropFirst().reduce(busy[0], |), doc: "some flit is buffered")
        return b.build()
    }
}
