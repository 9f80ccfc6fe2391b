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
    public static var fields: [ConfigField] { NoCChecks.fields }

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

    public static var fields: [ConfigField] { NoCChecks.fields }

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
    static let cols = ConfigField("cols", .range(1 ... 16)), rows = ConfigField("rows", .range(1 ... 16))
    static let flitWidth = ConfigField("flitWidth", .range(Flit.headerBits + 1 ... 256), why: "\(Flit.headerBits) bits of coordinates, host flag and type, plus payload")
    static let bufferDepth = ConfigField("bufferDepth", .range(2 ... 64), why: "valid/ready with registered ready needs 2 flits to sustain one flit per cycle")
    static let splitQueues = ConfigField("splitQueues", .flag, also: "true: a through and a turn queue per input, each bufferDepth flits; false: one queue")
    static let fields = [cols, rows, flitWidth, bufferDepth, splitQueues]

    static func check(_ v: inout ViolationCollector, cols: Int, rows: Int, flitWidth: Int, bufferDepth: Int) {
        v.check(Self.cols, cols)
        v.check(Self.rows, rows)
        v.check(Self.flitWidth, flitWidth)
        v.check(Self.bufferDepth, bufferDepth)
    }
}
