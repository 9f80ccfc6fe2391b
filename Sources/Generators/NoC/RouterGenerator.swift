import HWIR
import SpikeForgeCore

/// The X-Y mesh router and the mesh (SPEC §4, docs/PACKETS.md, docs/NOC.md).
///
/// Router: five ports (N, E, S, W, local), each with valid/ready in and out and an input FIFO of
/// `bufferDepth` flits; `in_ready` is the FIFO's registered not-full, so no combinational path
/// crosses a link. Each input's head flit asks for a set of outputs (the X-Y tree route of its
/// destination rectangle), computed when the flit enters and kept beside the queue in a shift
/// register of routes (lookahead: the head's request comes straight from a register, not through
/// the route logic or the queue's memory); each output has a round-robin arbiter over the five
/// inputs (priority pointer moves past the winner when the flit is taken), and its flit is an
/// AND-OR of the heads by the one-hot grant. A multicast head is sent to each of its outputs as
/// they grant it (its route entry drops each output that takes it), and leaves the FIFO when all
/// have taken it. Latency: a flit written
/// into an input FIFO at the end of cycle t can leave the router in cycle t+1, so a route of h
/// hops takes h+1 cycles at zero load (plus one for injection into the first FIFO).
public enum RouterGenerator: BlockGenerator {
    public static func design(_ c: RouterConfig) throws(ConfigError) -> Design {
        try c.validate()
        let (fifo, arb) = (fifoModule(c), arbiterModule(c))
        return Design(top: c.moduleName, modules: [fifo, arb, router(c, fifo: fifo, arbiter: arb)])
    }

    /// Each queue's flits; their 5-bit routes (`routeBits`) are kept beside it in registers.
    static func fifoModule(_ c: RouterConfig) -> Module { FIFOGenerator.module(.init(width: c.flitWidth, depth: c.bufferDepth)) }
    static let routeBits = RouterPort.allCases.count
    static func arbiterModule(_ c: RouterConfig) -> Module { ArbiterGenerator.module(.init(requesters: 5 * c.queues)) }

    /// The route of a head flit that entered on `port`, at router (`x`, `y`): a 5-bit mask, bit
    /// `RouterPort.rawValue` per output.
    static func route(_ b: ModuleBuilder, _ c: RouterConfig, port: RouterPort, flit: Expr, x: Expr, y: Expr, name p: String) -> Expr {
        func minE(_ a: Expr, _ b2: Expr) -> Expr { a.when(a.lt(b2), else: b2) }
        func maxE(_ a: Expr, _ b2: Expr) -> Expr { a.when(a.gt(b2), else: b2) }
        typealias H = PacketLayout.Header
        let xmax = Expr.lit(c.cols - 1, .uint(H.x0.width)), ymax = Expr.lit(c.rows - 1, .uint(H.y0.width))
        let fx0 = flit.field(H.x0), fx1 = flit.field(H.x1), fy0 = flit.field(H.y0), fy1 = flit.field(H.y1)
        // The rectangle, ordered and clamped into the mesh, so no route leaves it.
        let lox = b.node("\(p)_lox", minE(minE(fx0, fx1), xmax))
        let hix = b.node("\(p)_hix", minE(maxE(fx0, fx1), xmax))
        let loy = b.node("\(p)_loy", minE(minE(fy0, fy1), ymax))
        let hiy = b.node("\(p)_hiy", minE(maxE(fy0, fy1), ymax))
        let host = flit.field(H.host)
        let colIn = b.node("\(p)_col_in", lox.le(x) & x.le(hix))
        let rowIn = loy.le(y) & y.le(hiy)
        var n = Expr.zero, e = Expr.zero, s = Expr.zero, w = Expr.zero, l = Expr.zero
        switch port {
        case .west, .east, .local:
            // X phase: cover the columns, branching into each column of the rectangle.
            if port != .east { e = x.lt(hix) }
            if port != .west { w = x.gt(lox) }
            l = colIn & rowIn
            n = colIn & y.gt(loy)
            s = colIn & y.lt(hiy)
        case .north:
            // Y phase, moving south (towards larger y).
            s = y.lt(hiy)
            l = colIn & rowIn
        case .south:
            n = y.gt(loy)
            l = colIn & rowIn
        }
        // Host-bound: west to column 0, north to row 0, then out of (0, 0)'s west port.
        let xZero = x.eq(0), yZero = y.eq(0)
        let hostW = ~xZero | yZero
        let hostN = xZero & ~yZero
        let rect = Expr.concat([l, w, s, e, n])
        let toHost = Expr.concat([Expr.zero, hostW, Expr.zero, Expr.zero, hostN])
        return b.node("\(p)_route", toHost.when(host, else: rect))
    }

    public static func router(_ c: RouterConfig, fifo: Module, arbiter: Module) -> Module {
        let F = c.flitWidth, K = c.queues, V = 5 * K
        let b = ModuleBuilder(c.moduleName, doc: """
        X-Y mesh router, 5 ports (n, e, s, w, l), \(K == 2 ? "two \(c.bufferDepth)-flit input queues per port (through / turn)" : "\(c.bufferDepth)-flit input FIFOs"), \(F)-bit single-flit packets,
        round-robin arbitration per output, multicast to a destination rectangle by replication (X-Y tree).
        Links are valid/ready; in_ready is registered (every queue of the port has room). One cycle per router at zero load.
        """, configuration: describe(c))
        let clk = b.clock()
        let rst = b.reset()
        let myX = b.input("my_x", .uint(PacketLayout.Header.x0.width), doc: "this router's column")
        let myY = b.input("my_y", .uint(PacketLayout.Header.y0.width), doc: "this router's row")
        var inValid: [Expr] = [], inFlit: [Expr] = [], outReady: [Expr] = []
        for p in RouterPort.allCases {
            inValid.append(b.input("\(p.prefix)_in_valid", .bool, doc: "flit offered on \(p)"))
            inFlit.append(b.input("\(p.prefix)_in_flit", .uint(F), doc: ""))
            outReady.append(b.input("\(p.prefix)_out_ready", .bool, doc: "\(p) neighbour takes the flit"))
        }
        // Input queues: virtual input v = port * K + queue (queue 0 = through, 1 = turn/eject).
        // Beside each queue's flit FIFO, its routes sit in a shift register of `bufferDepth`
        // entries, the head's at 0 (`RouteQueue`). The head's entry holds only the outputs that
        // have not yet taken it, so the arbiters' requests come straight from registers.
        var headValid: [Expr] = [], head: [Expr] = [], routes: [RouteQueue] = [], popWires: [Expr] = []
        var busyTerms: [Expr] = []
        for p in RouterPort.allCases {
            let qs = (0 ..< K).map { k in (k, K == 1 ? p.prefix : "\(p.prefix)\(k == 0 ? "t" : "u")") }
            let readyWire = b.wire("\(p.prefix)_ready_all", .bool)
            let take = b.node("\(p.prefix)_take", inValid[p.rawValue] & readyWire)
            // The route of the flit on the link, computed once as it enters.
            let r = route(b, c, port: p, flit: inFlit[p.rawValue], x: myX, y: myY, name: "\(p.prefix)_in")
            var through = Expr.one
            if K == 2 { through = b.node("\(p.prefix)_in_through", (r & .lit(Int(p.throughMask), .uint(5))).any) }
            var readies: [Expr] = []
            for (k, name) in qs {
                let pop = b.wire("\(name)_pop", .bool)
                // Every queue of the port has room when the port takes a flit, so this is the push.
                let sel = b.node("\(name)_push", K == 1 ? take : (k == 0 ? take & through : take & ~through))
                let q = b.instance("u_\(name)_fifo", of: fifo, inputs: [
                    "clk": clk, "rst": rst, "in_valid": sel, "in_data": inFlit[p.rawValue], "out_ready": pop,
                ])
                headValid.append(q["out_valid"]!)
                head.append(b.node("\(name)_head", q["out_data"]!))
                readies.append(q["in_ready"]!)
                busyTerms.append(q["out_valid"]!)
                popWires.append(pop)
                routes.append(RouteQueue(b, name: name, depth: c.bufferDepth, count: q["count"]!, push: sel, route: r))
            }
            b.assign(readyWire, readies.dropFirst().reduce(readies[0], &))
            b.output("\(p.prefix)_in_ready", readyWire, doc: "every \(p) input queue has room")
        }
        // Output arbitration over the V virtual inputs.
        var transferred: [[Expr]] = Array(repeating: [], count: V)  // [virtual input][output]
        for o in RouterPort.allCases {
            // An empty queue's head entry is 0, so the request needs no look at the count.
            let reqBits = (0 ..< V).map { v in ~rst & routes[v].head.bit(o.rawValue) }
            let req = b.node("\(o.prefix)_req", .concat(reqBits.reversed()))
            let a = b.instance("u_\(o.prefix)_arb", of: arbiter, inputs: ["clk": clk, "rst": rst, "req": req, "advance": outReady[o.rawValue]])
            // The granted head, or input 0's when nothing is granted (the model shows the same
            // lines): an AND-OR of the one-hot grant.
            b.allowUnused(a["grant_index"]!, because: "the flit is selected by the one-hot grant")
            let g = a["grant"]!, none = ~a["grant_valid"]!
            let zero = Expr.lit(0, .uint(F))
            let data = (1 ..< V).map { v in head[v].when(g.bit(v), else: zero) }.reduce(head[0].when(g.bit(0) | none, else: zero), |)
            b.output("\(o.prefix)_out_valid", a["grant_valid"]!, doc: "flit offered to \(o)")
            b.output("\(o.prefix)_out_flit", data, doc: "")
            for v in 0 ..< V { transferred[v].append(a["grant"]!.bit(v) & outReady[o.rawValue]) }
        }
        // A head leaves when every output of its route has taken it (at once if its route is empty).
        for v in 0 ..< V {
            let taken = b.node("v\(v)_taken", .concat(transferred[v].reversed()))
            b.assign(popWires[v], headValid[v] & (routes[v].head & ~taken).eq(0))
            routes[v].update(b, pop: popWires[v], taken: taken)
        }
        b.output("busy", busyTerms.dropFirst().reduce(busyTerms[0], |), doc: "some flit is buffered")
        return b.build()
    }
}

/// The routes of one router input queue, in step with its flit FIFO: entry 0 is the head's
/// outputs still to take it, entries past the FIFO's count are 0. A pop shifts every entry down;
/// a push writes at the count (less one when a pop shifts in the same cycle).
struct RouteQueue {
    let entries: [Expr]
    let count: Expr, push: Expr, route: Expr
    var head: Expr { entries[0] }

    init(_ b: ModuleBuilder, name: String, depth: Int, count: Expr, push: Expr, route: Expr) {
        entries = (0 ..< depth).map { b.reg("\(name)_route\($0)_q", .uint(RouterGenerator.routeBits)) }
        self.count = count
        self.push = push
        self.route = route
    }

    func update(_ b: ModuleBuilder, pop: Expr, taken: Expr) {
        let zero = Expr.lit(0, .uint(RouterGenerator.routeBits))
        for (i, e) in entries.enumerated() {
            let above = i + 1 < entries.count ? entries[i + 1] : zero
            let kept = i == 0 ? e & ~taken : e
            let here = push & count.eq(i + 1).when(pop, else: count.eq(i))
            b.next(e, route.when(here, else: above.when(pop, else: kept)))
        }
    }
}
