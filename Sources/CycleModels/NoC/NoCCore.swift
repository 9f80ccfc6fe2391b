import SpikeForgeCore

/// The state and two-phase update of a set of routers and their links, shared by the router
/// model, the mesh model and the fast traffic engine. FIFOs keep the RTL's read and write
/// pointers and their stale contents, so even the flit lines of invalid outputs match the RTL.
public struct NoCCore: Sendable {
    public enum OutLink: Sendable, Equatable { case fifo(Int), external(Int), none }

    public let routers: Int
    public let depth: Int
    public let words: Int
    /// Queues per input port (1, or 2 when split into through and turn queues).
    public let queues: Int
    let coords: [(x: Int, y: Int)]
    let cols: Int, rows: Int
    /// Per FIFO ((router*5 + port)*queues + queue): pointers, occupancy, contents, routes.
    var rd: [Int], wr: [Int], count: [Int]
    var storage: [UInt64]
    var routeOf: [UInt8]  // per FIFO slot
    var served: [UInt8]
    /// Per output (router*5 + port): arbiter pointer (over the 5·queues inputs) and where it leads
    /// (`.fifo` names an input port, router*5 + port).
    var ptr: [Int]
    let outLink: [OutLink]
    /// External input links: which input port (router*5 + port) each feeds.
    public let extIn: [Int]
    /// External output links: which (router*5 + port) drives each.
    public let extOut: [Int]

    // Per-cycle inputs, set by the caller before `step()`.
    public var inValid: [Bool]
    public var inFlit: [UInt64]
    public var outReady: [Bool]
    // Results of the last `step()`: which external inputs were taken, which outputs delivered.
    public private(set) var accepted: [Bool]
    public private(set) var delivered: [Bool]
    public private(set) var deliveredFlit: [UInt64]
    var transfers: [(r: Int, o: Int, i: Int)] = []
    /// Flits moved from one router to a neighbour since construction (flit-hops; ejections to
    /// local ports and the host are not hops). Not cleared by `reset()`.
    public private(set) var flitHops = 0
    var scratch: [UInt64] = [0, 0, 0, 0]
    /// Flits buffered per router and in all: routers with none are skipped by `step()`, and
    /// `busy` is one comparison.
    var routerFlits: [Int]
    public private(set) var buffered = 0
    let headerFields = NoCRouting.HeaderFields()

    init(cols: Int, rows: Int, coords: [(x: Int, y: Int)], depth: Int, queues: Int, flitWidth: Int, outLink: [OutLink], extIn: [Int], extOut: [Int]) {
        self.cols = cols
        self.rows = rows
        self.coords = coords
        routers = coords.count
        self.depth = depth
        self.queues = queues
        words = (flitWidth + 63) / 64
        let fifos = routers * 5 * queues
        rd = Array(repeating: 0, count: fifos)
        wr = rd
        count = rd
        storage = Array(repeating: 0, count: fifos * depth * words)
        routeOf = Array(repeating: 0, count: fifos * depth)
        served = Array(repeating: 0, count: fifos)
        ptr = Array(repeating: 0, count: routers * 5)
        self.outLink = outLink
        self.extIn = extIn
        self.extOut = extOut
        inValid = Array(repeating: false, count: extIn.count)
        inFlit = Array(repeating: 0, count: extIn.count * words)
        outReady = Array(repeating: false, count: extOut.count)
        accepted = inValid
        delivered = outReady
        deliveredFlit = Array(repeating: 0, count: extOut.count * words)
        scratch = Array(repeating: 0, count: words)
        routerFlits = Array(repeating: 0, count: routers)
    }

    /// A `cols × rows` mesh: external inputs are the local ports (node order) then the host;
    /// external outputs likewise.
    public static func mesh(_ c: MeshConfig) -> NoCCore {
        var coords: [(Int, Int)] = []
        for y in 0 ..< c.rows { for x in 0 ..< c.cols { coords.append((x, y)) } }
        let n = c.nodes
        var out = [OutLink](repeating: .none, count: n * 5)
        for r in 0 ..< n {
            let (x, y) = coords[r]
            if y > 0 { out[r * 5 + 0] = .fifo((r - c.cols) * 5 + 2) }
            if x < c.cols - 1 { out[r * 5 + 1] = .fifo((r + 1) * 5 + 3) }
            if y < c.rows - 1 { out[r * 5 + 2] = .fifo((r + c.cols) * 5 + 0) }
            if x > 0 { out[r * 5 + 3] = .fifo((r - 1) * 5 + 1) }
            out[r * 5 + 4] = .external(r)
        }
        out[3] = .external(n)  // host: west out of (0, 0)
        return NoCCore(cols: c.cols, rows: c.rows, coords: coords, depth: c.bufferDepth, queues: c.router.queues, flitWidth: c.flitWidth, outLink: out,
                       extIn: (0 ..< n).map { $0 * 5 + 4 } + [3], extOut: (0 ..< n).map { $0 * 5 + 4 } + [3])
    }

    /// One router at (x, y) with all five ports external (port order).
    public static func router(_ c: RouterConfig, x: Int, y: Int) -> NoCCore {
        NoCCore(cols: c.cols, rows: c.rows, coords: [(x, y)], depth: c.bufferDepth, queues: c.queues, flitWidth: c.flitWidth,
                outLink: (0 ..< 5).map { .external($0) }, extIn: Array(0 ..< 5), extOut: Array(0 ..< 5))
    }

    public mutating func reset() {
        for k in rd.indices {
            rd[k] = 0
            wr[k] = 0
            count[k] = 0
            served[k] = 0
        }
        for k in ptr.indices { ptr[k] = 0 }
        for k in routerFlits.indices { routerFlits[k] = 0 }
        buffered = 0
    }

    public var busy: Bool { buffered > 0 }

    /// Whether external input `e` would be taken now (every queue of its port has room).
    public func inReady(_ e: Int) -> Bool { portReady(extIn[e]) }

    /// An input port (router*5 + port) takes a flit when every one of its queues has room.
    @inline(__always) func portReady(_ pi: Int) -> Bool {
        for k in 0 ..< queues where count[pi * queues + k] >= depth { return false }
        return true
    }

    /// The winner of output `o` of router `r` now, if any (the arbiter of `ArbiterGenerator`).
    @inline(__always) func winner(_ r: Int, _ o: Int) -> Int? { Self.pick(requesters(r, output: o), pointer: ptr[r * 5 + o]) }

    /// The inputs of router `r` whose head still needs output `o`, one bit per virtual input.
    @inline(__always) func requesters(_ r: Int, output o: Int) -> UInt16 {
        var m: UInt16 = 0
        let V = 5 * queues, bit = UInt8(1) << UInt8(o)
        for v in 0 ..< V {
            let q = r * V + v
            if count[q] > 0 && routeOf[q * depth + rd[q]] & ~served[q] & bit != 0 { m |= 1 << UInt16(v) }
        }
        return m
    }

    /// The arbiter of `ArbiterGenerator`: the first requester at or after the pointer, wrapping.
    @inline(__always) static func pick(_ m: UInt16, pointer p: Int) -> Int? {
        guard m != 0 else { return nil }
        let upper = m & (UInt16.max << UInt16(p))
        return (upper != 0 ? upper : m).trailingZeroBitCount
    }

    /// The input queue granted external output `e` now, if any (none in reset: the FIFOs hide
    /// their heads then). Routers with no flit grant nothing.
    @inline(__always) func granted(_ e: Int, inReset: Bool = false) -> Int? {
        let ro = extOut[e], r = ro / 5
        return inReset || routerFlits[r] == 0 ? nil : winner(r, ro % 5)
    }

    /// The first word of the flit lines of router `r`'s input queue `w` (input 0 when nothing is
    /// granted, as the RTL's flit select shows).
    @inline(__always) func lines(_ r: Int, _ w: Int?) -> Int {
        let q = r * 5 * queues + (w ?? 0)
        return (q * depth + rd[q]) * words
    }

    /// What an external output shows now: valid, and the flit lines.
    public func output(_ e: Int, inReset: Bool = false) -> (valid: Bool, flit: ArraySlice<UInt64>) {
        let w = granted(e, inReset: inReset), base = lines(extOut[e] / 5, w)
        return (w != nil, storage[base ..< base + words])
    }

    /// The first word of the flit external output `e` offers now, or nil when it offers none
    /// (`output(e)` without the flit lines of an invalid output; the arbitration done once).
    @inline(__always) public func offer(_ e: Int) -> UInt64? {
        guard let w = granted(e) else { return nil }
        return storage[lines(extOut[e] / 5, w)]
    }

    /// Writes a flit into input port `pi` (router*5 + port): into its through or turn queue.
    mutating func push(_ pi: Int, _ flit: ArraySlice<UInt64>) {
        let base = enqueue(pi, head: flit[flit.startIndex])
        for k in 0 ..< words { storage[base + k] = flit[flit.startIndex + k] }
    }

    /// `push` of a one-word flit.
    @inline(__always) mutating func push(_ pi: Int, word: UInt64) {
        storage[enqueue(pi, head: word)] = word
    }

    /// Routes a flit with first word `head` into input port `pi`'s through or turn queue and
    /// counts it; returns where its words go in `storage`.
    @inline(__always) mutating func enqueue(_ pi: Int, head: UInt64) -> Int {
        let r = pi / 5, port = RouterPort(rawValue: pi % 5)!
        let route = NoCRouting.route(head, port: port, x: coords[r].x, y: coords[r].y, cols: cols, rows: rows, fields: headerFields)
        let q = pi * queues + (queues == 2 && route & port.throughMask == 0 ? 1 : 0)
        let slot = wr[q]
        let base = (q * depth + slot) * words
        routeOf[q * depth + slot] = route
        wr[q] = slot + 1 == depth ? 0 : slot + 1
        count[q] += 1
        routerFlits[r] += 1
        buffered += 1
        return base
    }

    /// One clock edge (reset low): arbitrate on the current state, then move every flit.
    public mutating func step() {
        transfers.removeAll(keepingCapacity: true)
        for k in delivered.indices { delivered[k] = false }
        let V = 5 * queues
        for r in 0 ..< routers where routerFlits[r] != 0 {
            // Gather every output's requesters in one pass over the inputs (what `requesters`
            // computes per output), then `pick` as `winner` does.
            var req: (UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0)
            var any = false
            for v in 0 ..< V {
                let q = r * V + v
                guard count[q] > 0 else { continue }
                let want = routeOf[q * depth + rd[q]] & ~served[q]
                if want == 0 { continue }
                any = true
                let bit = UInt16(1) << UInt16(v)
                if want & 1 != 0 { req.0 |= bit }
                if want & 2 != 0 { req.1 |= bit }
                if want & 4 != 0 { req.2 |= bit }
                if want & 8 != 0 { req.3 |= bit }
                if want & 16 != 0 { req.4 |= bit }
            }
            guard any else { continue }
            for o in 0 ..< 5 {
                let m: UInt16 = o == 0 ? req.0 : o == 1 ? req.1 : o == 2 ? req.2 : o == 3 ? req.3 : req.4
                guard let i = Self.pick(m, pointer: ptr[r * 5 + o]) else { continue }
                let ready: Bool
                switch outLink[r * 5 + o] {
                case let .fifo(pi): ready = portReady(pi)
                case let .external(e): ready = outReady[e]
                case .none: ready = false
                }
                if ready { transfers.append((r, o, i)) }
            }
        }
        for e in extIn.indices { accepted[e] = inValid[e] && portReady(extIn[e]) }
        // Copy every transferred head before any FIFO moves.
        // V: virtual inputs per router (declared above).
        for t in transfers {
            let q = t.r * V + t.i
            let base = (q * depth + rd[q]) * words
            // Copy the flit out first: a slice of `storage` held across a write to `storage`
            // would make every transfer copy the whole array. (A one-word flit is just a value.)
            let w = storage[base]
            if words > 1 { for k in 0 ..< words { scratch[k] = storage[base + k] } }
            switch outLink[t.r * 5 + t.o] {
            case let .fifo(d):
                if words == 1 { push(d, word: w) } else { push(d, scratch[0 ..< words]) }
                flitHops += 1
            case let .external(e):
                delivered[e] = true
                if words == 1 { deliveredFlit[e] = w } else { for k in 0 ..< words { deliveredFlit[e * words + k] = scratch[k] } }
            case .none: break
            }
            served[q] |= 1 << UInt8(t.o)
            ptr[t.r * 5 + t.o] = t.i + 1 == V ? 0 : t.i + 1
        }
        // A head leaves when every output of its route has taken it; a head with an empty route
        // (only possible for flits no X-Y route produces) leaves at once, as in the RTL.
        for r in 0 ..< routers where routerFlits[r] != 0 {
            for q in r * V ..< (r + 1) * V where count[q] > 0 && served[q] == routeOf[q * depth + rd[q]] {
                served[q] = 0
                rd[q] = rd[q] + 1 == depth ? 0 : rd[q] + 1
                count[q] -= 1
                routerFlits[r] -= 1
                buffered -= 1
            }
        }
        for e in extIn.indices where accepted[e] {
            if words == 1 { push(extIn[e], word: inFlit[e]) } else { push(extIn[e], inFlit[e * words ..< (e + 1) * words]) }
        }
    }
}
