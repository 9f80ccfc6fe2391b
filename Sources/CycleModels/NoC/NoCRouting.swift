import SpikeForgeCore

/// The X-Y route of `RouterGenerator`, bit-for-bit: a 5-bit output mask (bit = `RouterPort`).
public enum NoCRouting {
    public static func route(_ f: UInt64, port: RouterPort, x: Int, y: Int, cols: Int, rows: Int) -> UInt8 {
        typealias H = PacketLayout.Header
        let fx0 = H.x0.int(f), fx1 = H.x1.int(f), fy0 = H.y0.int(f), fy1 = H.y1.int(f)
        if H.host.flag(f) {
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
