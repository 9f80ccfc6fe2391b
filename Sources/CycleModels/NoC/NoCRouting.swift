import SpikeForgeCore

/// The X-Y route of `RouterGenerator`, bit-for-bit: a 5-bit output mask (bit = `RouterPort`).
public enum NoCRouting {
    public static func route(_ f: UInt64, port: RouterPort, x: Int, y: Int, cols: Int, rows: Int) -> UInt8 {
        route(f, port: port, x: x, y: y, cols: cols, rows: rows, fields: HeaderFields())
    }

    /// The header fields `route` reads (`PacketLayout.Header`): a mesh keeps a copy, so routing
    /// a flit reads no lazily initialized global.
    struct HeaderFields: Sendable {
        let x0 = PacketLayout.Header.x0, x1 = PacketLayout.Header.x1
        let y0 = PacketLayout.Header.y0, y1 = PacketLayout.Header.y1
        let host = PacketLayout.Header.host
    }

    @inline(__always) static func route(_ f: UInt64, port: RouterPort, x: Int, y: Int, cols: Int, rows: Int, fields h: HeaderFields) -> UInt8 {
        let fx0 = h.x0.int(f), fx1 = h.x1.int(f), fy0 = h.y0.int(f), fy1 = h.y1.int(f)
        if h.host.flag(f) {
            // Host-bound: west to column 0, north to row 0, then west out of (0, 0).
            return x != 0 || y == 0 ? 1 << 3 : 1 << 0
        }
        let lox = min(min(fx0, fx1), cols - 1), hix = min(max(fx0, fx1), cols - 1)
        let loy = min(min(fy0, fy1), rows - 1), hiy = min(max(fy0, fy1), rows - 1)
        let colIn = lox <= x && x <= hix, rowIn = loy <= y && y <= hiy
        var m: UInt8 = 0
        switch port {
        case .west, .east, .local:
            if port != .east && x < hix { m |= 1 << 1 }
            if port != .west && x > lox { m |= 1 << 3 }
            if colIn && rowIn { m |= 1 << 4 }
            if colIn && y > loy { m |= 1 << 0 }
            if colIn && y < hiy { m |= 1 << 2 }
        case .north:
            if y < hiy { m |= 1 << 2 }
            if colIn && rowIn { m |= 1 << 4 }
        case .south:
            if y > loy { m |= 1 << 0 }
            if colIn && rowIn { m |= 1 << 4 }
        }
        return m
    }
}

/// The order the mesh keeps between two flits (docs/NOC.md, "Ordering").
///
/// Every flit is one flit, each input queue is a FIFO, and a queue's head leaves only when every
/// output of its route has taken it, so a flit never passes another *in the same queue*. The X-Y
/// path from one endpoint to another is unique (multicast branches included), so two flits from
/// one source that both reach one destination enter every router of that path through the same
/// port, one after the other. They stay in order unless, at some router, they sit in different
/// queues: with split queues a flit goes to the *through* queue when its route there includes
/// going straight on, so it depends on the whole route, not only on the branch toward the
/// destination. Where the path itself goes straight on, both routes include it and both flits
/// share the through queue; only where the path turns or ejects (or leaves a local port or the
/// host port northward or southward) can one flit continue straight as well and the other not.
public enum NoCOrdering {
    /// An end of a path: a node's local port, or the host on the west port of (0, 0).
    public enum Endpoint: Hashable, Sendable {
        case node(x: Int, y: Int)
        case host
    }

    /// The routers of the X-Y path from `source` to `destination`, each with the port the path
    /// enters it by and the output it leaves by (local, or west out of (0, 0) to the host, last).
    public static func path(from source: Endpoint, to destination: Endpoint, cols: Int, rows: Int)
        -> [(x: Int, y: Int, port: RouterPort, output: RouterPort)]
    {
        let probe: UInt64
        switch destination {
        case let .node(x, y): probe = Flit.unicast(x: x, y: y).header
        case .host: probe = Flit(x0: 0, x1: 0, y0: 0, y1: 0, host: true).header
        }
        var (x, y, port): (Int, Int, RouterPort)
        switch source {
        case let .node(sx, sy): (x, y, port) = (sx, sy, .local)
        case .host: (x, y, port) = (0, 0, .west)
        }
        var hops: [(x: Int, y: Int, port: RouterPort, output: RouterPort)] = []
        // An X-Y path visits at most cols + rows - 1 routers.
        for _ in 0 ..< cols + rows {
            let r = NoCRouting.route(probe, port: port, x: x, y: y, cols: cols, rows: rows)
            guard let out = RouterPort(rawValue: r.trailingZeroBitCount), r.nonzeroBitCount == 1 else { return hops }
            hops.append((x, y, port, out))
            switch out {
            case .local: return hops
            case .north: (y, port) = (y - 1, .south)
            case .east: (x, port) = (x + 1, .west)
            case .south: (y, port) = (y + 1, .north)
            case .west:
                if x == 0 { return hops }  // out of (0, 0) to the host
                (x, port) = (x - 1, .east)
            }
        }
        return hops
    }

    /// Whether the mesh guarantees that `first`, sent from `source` before `second`, reaches
    /// `destination` before it, when both go there (both routes reach it; not checked): true
    /// with one queue per input, and with split queues when the two flits take the same queue at
    /// every router of the path.
    public static func keepsOrder(_ first: UInt64, _ second: UInt64, from source: Endpoint, to destination: Endpoint,
                                  cols: Int, rows: Int, queues: Int) -> Bool
    {
        guard queues == 2 else { return true }
        for h in path(from: source, to: destination, cols: cols, rows: rows) {
            let a = NoCRouting.route(first, port: h.port, x: h.x, y: h.y, cols: cols, rows: rows)
            let b = NoCRouting.route(second, port: h.port, x: h.x, y: h.y, cols: cols, rows: rows)
            if (a & h.port.throughMask == 0) != (b & h.port.throughMask == 0) { return false }
        }
        return true
    }
}
