import HWIR
import SpikeForgeCore

/// The links between the instances of a `cols × rows` mesh whose ports are the router's (the
/// mesh of routers, and the system's mesh of PE tiles): instance `y * cols + x` drives its
/// mesh-port inputs from the wires `inValid/inFlit/outReady[i][port]`, and `outputs[i]` are its
/// outputs. One rule for both: a neighbour's output drives the input, the host drives the west
/// port of (0, 0), and the other edge ports are tied off.
struct MeshLinks {
    let cols: Int, rows: Int, flitWidth: Int
    let inValid: [[Expr]], inFlit: [[Expr]], outReady: [[Expr]]
    let outputs: [[String: Expr]]
    let host: (valid: Expr, flit: Expr, ready: Expr)

    func index(_ x: Int, _ y: Int) -> Int { y * cols + x }

    /// The instance across `p` from (x, y) and the port it faces us with.
    func neighbour(_ x: Int, _ y: Int, _ p: RouterPort) -> (Int, RouterPort)? {
        switch p {
        case .north: return y > 0 ? (index(x, y - 1), .south) : nil
        case .south: return y < rows - 1 ? (index(x, y + 1), .north) : nil
        case .east: return x < cols - 1 ? (index(x + 1, y), .west) : nil
        case .west: return x > 0 ? (index(x - 1, y), .east) : nil
        case .local: return nil
        }
    }

    /// Drives mesh port `p` of instance (x, y); on (0, 0) west, also declares the host outputs.
    func connect(_ b: ModuleBuilder, x: Int, y: Int, port p: RouterPort, hostReadyDoc: String) {
        let i = index(x, y), k = p.rawValue, o = outputs[i]
        if let (j, q) = neighbour(x, y, p) {
            // Our input on p is driven by neighbour j's output on q, and vice versa for ready.
            b.assign(inValid[i][k], outputs[j]["\(q.prefix)_out_valid"]!)
            b.assign(inFlit[i][k], outputs[j]["\(q.prefix)_out_flit"]!)
            b.assign(outReady[i][k], outputs[j]["\(q.prefix)_in_ready"]!)
        } else if x == 0 && y == 0 && p == .west {
            b.assign(inValid[i][k], host.valid)
            b.assign(inFlit[i][k], host.flit)
            b.assign(outReady[i][k], host.ready)
            b.output("host_in_ready", o["w_in_ready"]!, doc: hostReadyDoc)
            b.output("host_out_valid", o["w_out_valid"]!, doc: "a flit for the host")
            b.output("host_out_flit", o["w_out_flit"]!, doc: "")
        } else {
            // Mesh edge: nothing comes in, and X-Y routing never sends anything out.
            b.assign(inValid[i][k], .zero)
            b.assign(inFlit[i][k], .lit(0, .uint(flitWidth)))
            b.assign(outReady[i][k], .zero)
            let why = "mesh edge; X-Y routing never uses it"
            b.allowUnused(o["\(p.prefix)_in_ready"]!, because: why)
            b.allowUnused(o["\(p.prefix)_out_valid"]!, because: why)
            b.allowUnused(o["\(p.prefix)_out_flit"]!, because: why)
        }
    }
}
