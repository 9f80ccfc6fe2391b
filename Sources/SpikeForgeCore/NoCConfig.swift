/// A flit of the SpikeForge network-on-chip. Every packet is one flit. Its low 20 bits route it;
/// the rest is payload (docs/PACKETS.md gives the payload of each type).
///
/// | bits | field |
/// |---|---|
/// | 3:0, 7:4 | `x0`, `x1`: destination columns (a range; unicast has `x0 == x1`) |
/// | 11:8, 15:12 | `y0`, `y1`: destination rows |
/// | 16 | `host`: bound for the host port (the rectangle is ignored) |
/// | 19:17 | `type` (`FlitType`) |
/// | F-1:20 | payload |
public struct Flit: Hashable, Sendable {
    public static let headerBits = 20
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public var host: Bool
    public var type: FlitType
    /// Payload bits above the header (up to 64 modelled here).
    public var payload: UInt64

    public init(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false, type: FlitType = .spike, payload: UInt64 = 0) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.host = host
        self.type = type
        self.payload = payload
    }

    /// A unicast flit to router (x, y).
    public static func unicast(x: Int, y: Int, type: FlitType = .spike, payload: UInt64 = 0) -> Flit {
        Flit(x0: x, x1: x, y0: y, y1: y, type: type, payload: payload)
    }

    /// Raw flit bits (`flitWidth` ≤ 84 keeps the payload whole).
    public func encode(width: Int) -> [UInt64] {
        let header = UInt64(x0 & 15) | UInt64(x1 & 15) << 4 | UInt64(y0 & 15) << 8 | UInt64(y1 & 15) << 12 | (host ? 1 << 16 : 0) | UInt64(type.rawValue) << 17
        var w = [UInt64](repeating: 0, count: (width + 63) / 64)
        w[0] = header | payload << 20
        if w.count > 1 { w[1] = payload >> 44 }
        let top = width % 64
        if top != 0 { w[w.count - 1] &= Bits.mask(top) }
        return w
    }

    public static func decode(_ w: ArraySlice<UInt64>) -> Flit {
        let a = w[w.startIndex]
        let hi = w.count > 1 ? w[w.startIndex + 1] : 0
        return Flit(
            x0: Int(a & 15), x1: Int(a >> 4 & 15), y0: Int(a >> 8 & 15), y1: Int(a >> 12 & 15), host: a >> 16 & 1 == 1,
            type: FlitType(rawValue: Int(a >> 17 & 7)) ?? .control, payload: a >> 20 | hi << 44
        )
    }
}

/// Packet classes (docs/PACKETS.md).
public enum FlitType: Int, Sendable, CaseIterable, Hashable {
    case spike = 0, configWrite = 1, readRequest = 2, readResponse = 3, control = 4
}

/// The five router ports, in port-index order. North is row y−1, south row y+1, east column
/// x+1, west column x−1.
public enum RouterPort: Int, CaseIterable, Sendable {
    case north = 0, east, south, west, local
    public var prefix: String { ["n", "e", "s", "w", "l"][rawValue] }

    /// The output-mask bits that continue straight through a router entered on this port (the
    /// "through" queue of a split input); the local port's are east and west.
    public var throughMask: UInt8 {
        switch self {
        case .north: return 1 << 2
        case .south: return 1 << 0
        case .west: return 1 << 1
        case .east: return 1 << 3
        case .local: return 1 << 1 | 1 << 3
        }
    }
}

/// One X-Y router of a `cols × rows` mesh: one or two input FIFOs of `bufferDepth` flits on each
/// of five ports, a round-robin arbiter per output, valid/ready links, multicast by replication.
/// Latency: one cycle per router at zero load.
public struct RouterConfig: BlockConfig {
    public static let blockName = "router"
    public static let defaultConfig = RouterConfig(cols: 4, rows: 4, flitWidth: 64, bufferDepth: 4)
    /// Mesh size the router serves (destinations are clamped into it).
    public var cols: Int
    public var rows: Int
    public var flitWidth: Int
    /// Flits per input queue.
    public var bufferDepth: Int
    /// Two queues per input, "through" (continuing straight) and "turn" (turning or ejecting),
    /// instead of one: a blocked straight flit no longer holds up a turning one.
    public var splitQueues: Bool

    public init(cols: Int, rows: Int, flitWidth: Int, bufferDepth: Int, splitQueues: Bool = true) {
        self.cols = cols
        self.rows = rows
        self.flitWidth = flitWidth
        self.bufferDepth = bufferDepth
        self.splitQueues = splitQueues
    }

    /// Queues per input port.
    public var queues: Int { splitQueues ? 2 : 1 }

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "RouterConfig")
        NoCChecks.check(&v, cols: cols, rows: rows, flitWidth: flitWidth, bufferDepth: bufferDepth)
        try v.finish()
    }

    public var moduleName: String { "MeshRouter_c\(cols)_r\(rows)_f\(flitWidth)_b\(bufferDepth)_q\(queues)" }
}

/// A `cols × rows` mesh of routers with every local port exposed and a host port on the west
/// edge of router (0, 0).
public struct MeshConfig: BlockConfig {
    public static let blockName = "mesh"
    public static let defaultConfig = MeshConfig(cols: 4, rows: 4, flitWidth: 64, bufferDepth: 4)
    public var cols: Int
    public var rows: Int
    public var flitWidth: Int
    public var bufferDepth: Int
    public var splitQueues: Bool

    public init(cols: Int, rows: Int, flitWidth: Int, bufferDepth: Int, splitQueues: Bool = true) {
        self.cols = cols
        self.rows = rows
        self.flitWidth = flitWidth
        self.bufferDepth = bufferDepth
        self.splitQueues = splitQueues
    }

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "MeshConfig")
        NoCChecks.check(&v, cols: cols, rows: rows, flitWidth: flitWidth, bufferDepth: bufferDepth)
        try v.finish()
    }

    public var router: RouterConfig { RouterConfig(cols: cols, rows: rows, flitWidth: flitWidth, bufferDepth: bufferDepth, splitQueues: splitQueues) }
    public var moduleName: String { "Mesh_c\(cols)_r\(rows)_f\(flitWidth)_b\(bufferDepth)_q\(router.queues)" }
    public var nodes: Int { cols * rows }
}

enum NoCChecks {
    static func check(_ v: inout ViolationCollector, cols: Int, rows: Int, flitWidth: Int, bufferDepth: Int) {
        v.check("cols", cols, in: 1 ... 16)
        v.check("rows", rows, in: 1 ... 16)
        v.require(flitWidth >= Flit.headerBits + 1 && flitWidth <= 256, field: "flitWidth", value: "\(flitWidth)",
                  expected: "\(Flit.headerBits + 1)...256 (20 bits of coordinates, host flag and type, plus payload)")
        v.require(bufferDepth >= 2 && bufferDepth <= 64, field: "bufferDepth", value: "\(bufferDepth)",
                  expected: "2...64 (valid/ready with registered ready needs 2 flits to sustain one flit per cycle)")
    }
}
