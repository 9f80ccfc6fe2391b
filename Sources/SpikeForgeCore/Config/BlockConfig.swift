/// One configuration value per block (Chisel's checked constructor parameters). The same value
/// feeds the generator, the cycle model, the co-simulation build and the JSON on disk.
public protocol BlockConfig: Hashable, Codable, Sendable {
    /// The name users type after `spikeforge generate`.
    static var blockName: String { get }
    /// A working default, so `spikeforge generate fifo` needs no flags.
    static var defaultConfig: Self { get }
    /// Throws `ConfigError.invalid` listing every violation.
    func validate() throws(ConfigError)
    /// A stable module name derived from the parameters (PyMTL3's `Name__arg_value`).
    var moduleName: String { get }
    /// Every field users set (`--set`, JSON), in display order, with the rule `validate()`
    /// checks on it alone: declared once, used by `validate()` and by `spikeforge blocks`.
    static var fields: [ConfigField] { get }
    /// For fields that take one of a fixed set of strings (enums): the allowed values.
    static var fieldChoices: [String: [String]] { get }
}

extension BlockConfig {
    /// From `fields`: every `.choice` field.
    public static var fieldChoices: [String: [String]] {
        var c: [String: [String]] = [:]
        for f in fields { if case let .choice(values) = f.rule { c[f.name] = values } }
        return c
    }

    /// The declared field named `name`.
    public static func field(_ name: String) -> ConfigField? { fields.first { $0.name == name } }
}

/// Signed saturating adder, combinational: `sum = clamp(a + b)` to `outWidth` bits.
///
/// Ports: `a` (signed `aWidth`), `b` (signed `bWidth`) in; `sum` (signed `outWidth`),
/// `saturated` (1 when the exact sum was clamped) out. Latency 0 cycles. Never wraps.
public struct SatAdderConfig: BlockConfig {
    public static let blockName = "satadd"
    public static let defaultConfig = SatAdderConfig(aWidth: 16, bWidth: 8, outWidth: 16)
    public var aWidth: Int
    public var bWidth: Int
    public var outWidth: Int

    public init(aWidth: Int, bWidth: Int, outWidth: Int) {
        self.aWidth = aWidth
        self.bWidth = bWidth
        self.outWidth = outWidth
    }

    enum Field {
        static let aWidth = ConfigField("aWidth", .range(2 ... 64)), bWidth = ConfigField("bWidth", .range(2 ... 64))
        static let outWidth = ConfigField("outWidth", .range(2 ... 64))
    }

    public static let fields = [Field.aWidth, Field.bWidth, Field.outWidth]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "SatAdderConfig")
        v.check(Field.aWidth, aWidth)
        v.check(Field.bWidth, bWidth)
        v.check(Field.outWidth, outWidth)
        try v.finish()
    }

    public var moduleName: String { "SatAdd_a\(aWidth)_b\(bWidth)_o\(outWidth)" }
}

/// Signed saturating accumulator: a register `acc` updated as `acc <= clamp(acc + x)`.
///
/// Ports in: `rst` (synchronous, `acc <= 0`), `load` (`acc <= load_value`, wins over `en`),
/// `load_value` (signed `accWidth`), `en`, `x` (signed `inWidth`). Out: `acc` (the register),
/// `saturated` (registered: the last `en` update was clamped). Latency 1 cycle.
public struct AccumulatorConfig: BlockConfig {
    public static let blockName = "accumulator"
    public static let defaultConfig = AccumulatorConfig(inWidth: 8, accWidth: 16)
    public var inWidth: Int
    public var accWidth: Int

    public init(inWidth: Int, accWidth: Int) {
        self.inWidth = inWidth
        self.accWidth = accWidth
    }

    enum Field {
        static let inWidth = ConfigField("inWidth", .range(2 ... 64)), accWidth = ConfigField("accWidth", .range(2 ... 64))
    }

    public static let fields = [Field.inWidth, Field.accWidth]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "AccumulatorConfig")
        v.check(Field.inWidth, inWidth)
        v.check(Field.accWidth, accWidth)
        try v.finish()
    }

    public var moduleName: String { "SatAcc_i\(inWidth)_a\(accWidth)" }
}

/// Synchronous FIFO with valid/ready on both sides.
///
/// Ports in: `rst`, `in_valid`, `in_data` (`width`), `out_ready`. Out: `in_ready` (= not full),
/// `out_valid` (= not empty), `out_data` (head entry), `count` (occupancy). A push happens when
/// `in_valid && in_ready`, a pop when `out_valid && out_ready`; both may happen in one cycle.
/// Latency: a word pushed in cycle t is visible at the head in cycle t+1. No combinational path
/// from `out_ready` to `in_ready`, so a full FIFO refuses a push even while it pops. While
/// `rst` is high both `in_ready` and `out_valid` are low, so no handshake happens in reset.
public struct FIFOConfig: BlockConfig {
    public static let blockName = "fifo"
    public static let defaultConfig = FIFOConfig(width: 32, depth: 8)
    public var width: Int
    public var depth: Int

    public init(width: Int, depth: Int) {
        self.width = width
        self.depth = depth
    }

    enum Field {
        static let width = ConfigField("width", .range(1 ... 1024)), depth = ConfigField("depth", .range(1 ... 4096))
    }

    public static let fields = [Field.width, Field.depth]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "FIFOConfig")
        v.check(Field.width, width)
        v.check(Field.depth, depth)
        try v.finish()
    }

    public var moduleName: String { "SyncFIFO_w\(width)_d\(depth)" }
    public var countWidth: Int { Bits.widthFor(depth) }
}

/// Synchronous SRAM, inferred by synthesis as a memory (`$mem`), never as flops.
///
/// - `singlePort`: in `en`, `we`, `addr`, `wdata`; out `rdata`. With `en`, a read returns the
///   word *before* a same-cycle write (read-first) one cycle later.
/// - `simpleDualPort`: write port `we`, `waddr`, `wdata`; read port `re`, `raddr`; out `rdata`.
///   A read of the address being written returns the old word (read-first).
/// `rdata` holds its value when no read is issued. Contents start at zero, or from the
/// `$readmemh` file named by the `INIT_FILE` parameter (default: `initFile`, "" for none).
public struct SRAMConfig: BlockConfig {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case singlePort
        case simpleDualPort
    }

    public static let blockName = "sram"
    public static let defaultConfig = SRAMConfig(width: 32, depth: 256, kind: .simpleDualPort)
    public var width: Int
    public var depth: Int
    public var kind: Kind
    public var initFile: String

    public init(width: Int, depth: Int, kind: Kind, initFile: String = "") {
        self.width = width
        self.depth = depth
        self.kind = kind
        self.initFile = initFile
    }

    enum Field {
        static let width = ConfigField("width", .range(1 ... 1024)), depth = ConfigField("depth", .range(2 ... 1 << 20))
        static let kind = ConfigField("kind", .choice(Kind.allCases.map(\.rawValue)))
        static let initFile = ConfigField("initFile", .text(requirement: "a path without '\"'"), also: "\"\" for none; $readmemh file of the initial contents")
    }

    public static let fields = [Field.width, Field.depth, Field.kind, Field.initFile]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "SRAMConfig")
        v.check(Field.width, width)
        v.check(Field.depth, depth)
        v.require(!initFile.contains("\""), field: "initFile", value: initFile, expected: Field.initFile.allowed)
        try v.finish()
    }

    public var moduleName: String { "SRAM\(kind == .singlePort ? "SP" : "SDP")_w\(width)_d\(depth)" }
    public var addressWidth: Int { Bits.addressWidth(depth) }
}

/// Round-robin arbiter over `requesters` request lines.
///
/// Ports in: `rst`, `req` (`requesters` bits), `advance`. Out: `grant` (one-hot), `grant_valid`,
/// `grant_index`. Combinational: the grant goes to the first requester at or after the priority
/// pointer, wrapping. When `advance && grant_valid`, the pointer moves to one past the winner,
/// so every waiting requester is served within `requesters` grants. Reset: pointer 0.
public struct ArbiterConfig: BlockConfig {
    public static let blockName = "arbiter"
    public static let defaultConfig = ArbiterConfig(requesters: 5)
    public var requesters: Int

    public init(requesters: Int) { self.requesters = requesters }

    enum Field {
        static let requesters = ConfigField("requesters", .range(2 ... 64))
    }

    public static let fields = [Field.requesters]

    public func validate() throws(ConfigError) {
        var v = ViolationCollector(block: "ArbiterConfig")
        v.check(Field.requesters, requesters)
        try v.finish()
    }

    public var moduleName: String { "RRArbiter_n\(requesters)" }
    public var indexWidth: Int { Bits.addressWidth(requesters) }
}
