public enum PortDirection: String, Hashable, Sendable { case input, output }

public struct Port: Hashable, Sendable {
    public var name: String
    public var direction: PortDirection
    public var type: HWType
    public var doc: String
    public var loc: SourceLoc
}

public enum ParameterValue: Hashable, Sendable {
    case int(Int)
    case string(String)
    /// In an instance: the parent's own parameter of this name, passed down (e.g. a tile
    /// handing its SRAM image paths to its core). Not a default value.
    case parent(String)
}

/// A Verilog parameter. SpikeForge resolves all arithmetic parameters in Swift; parameters
/// exist for what must stay overridable after generation, such as an SRAM's `INIT_FILE`.
public struct Parameter: Hashable, Sendable {
    public var name: String
    public var defaultValue: ParameterValue
    public var doc: String
}

public struct Wire: Hashable, Sendable {
    public var name: String
    public var type: HWType
    public var loc: SourceLoc
    /// Why this wire may be left unread (e.g. a mesh edge port no route uses). The emitter turns
    /// it into a lint waiver on this one declaration, with the reason beside it.
    public var unusedReason: String? = nil
}

/// A register clocked by the module's clock. `reset` (a constant) is loaded while the module's
/// synchronous reset is high; a register without one keeps no reset (as memory outputs do).
public struct Reg: Hashable, Sendable {
    public var name: String
    public var type: HWType
    public var reset: Expr?
    public var loc: SourceLoc
}

/// Continuous assignment to a wire or output port.
public struct Assign: Hashable, Sendable {
    public var target: String
    public var value: Expr
    public var loc: SourceLoc
}

/// `reg <= next` at every clock edge where `enable` holds (always, when nil) and reset is low.
public struct RegUpdate: Hashable, Sendable {
    public var reg: String
    public var next: Expr
    public var enable: Expr?
    public var loc: SourceLoc
}

/// An array of words. Synthesis infers it as a memory: `SRAM`-style synchronous ports, or
/// asynchronous read ports for small register files such as FIFO storage.
public struct Memory: Hashable, Sendable {
    public var name: String
    public var width: Int
    public var depth: Int
    /// A string parameter naming a `$readmemh` file; loaded in an `initial` block when not "".
    public var initParameter: String?
    /// When the image holds wider words that several memories share (one memory split into
    /// banks): this memory takes bits `lo ..< lo + width` of each `imageWidth`-bit image word.
    public var initSlice: InitSlice?
    public var loc: SourceLoc

    public struct InitSlice: Hashable, Sendable {
        public var lo: Int
        public var imageWidth: Int
        public init(lo: Int, imageWidth: Int) {
            self.lo = lo
            self.imageWidth = imageWidth
        }
    }

    public var addressWidth: Int {
        var w = 1
        while (1 << w) < depth { w += 1 }
        return w
    }
}

public struct MemWrite: Hashable, Sendable {
    public var memory: String
    public var enable: Expr
    public var address: Expr
    public var data: Expr
    public var loc: SourceLoc
}

/// Synchronous read: `output <= mem[address]` at each edge where `enable` holds. `output`
/// names a new signal of the memory's width, readable like a register and without reset.
public struct MemSyncRead: Hashable, Sendable {
    public var memory: String
    public var enable: Expr
    public var address: Expr
    public var output: String
    public var loc: SourceLoc
}

public struct Instance: Hashable, Sendable {
    public var name: String
    public var module: String
    public var parameters: [String: ParameterValue]
    /// Child input port -> driving expression in the parent.
    public var inputs: [String: Expr]
    /// Child output port -> parent wire it drives.
    public var outputs: [String: String]
    public var loc: SourceLoc
}

/// One hardware module: a flat list of declarations and statements (Chisel's command list),
/// immutable once built. It knows nothing of Verilog.
public struct Module: Hashable, Sendable {
    public var name: String
    public var doc: String
    /// Canonical JSON of the configuration that generated this module, for the file header.
    public var configuration: String
    public var clock: String?
    public var reset: String?
    public var parameters: [Parameter]
    public var ports: [Port]
    public var wires: [Wire]
    public var regs: [Reg]
    public var memories: [Memory]
    public var assigns: [Assign]
    public var updates: [RegUpdate]
    public var memWrites: [MemWrite]
    public var memReads: [MemSyncRead]
    public var instances: [Instance]

    public var inputs: [Port] { ports.filter { $0.direction == .input } }
    public var outputs: [Port] { ports.filter { $0.direction == .output } }
}

/// A set of modules with a top. Module names are unique; two generators asking for the same
/// module name must produce the same module.
public struct Design: Hashable, Sendable {
    public var top: String
    public var modules: [Module]

    public init(top: String, modules: [Module]) {
        self.top = top
        self.modules = modules
    }

    public func module(named n: String) -> Module? { modules.first { $0.name == n } }
    public var topModule: Module? { module(named: top) }

    /// Memories in the flattened design: each instance of a module counts its memories again.
    public func flattenedMemoryCount(module name: String? = nil) -> Int {
        guard let m = module(named: name ?? top) else { return 0 }
        return m.memories.count + m.instances.reduce(0) { $0 + flattenedMemoryCount(module: $1.module) }
    }

    /// Bits of every memory in the flattened design.
    public func flattenedMemoryBits(module name: String? = nil) -> Int {
        guard let m = module(named: name ?? top) else { return 0 }
        return m.memories.reduce(0) { $0 + $1.width * $1.depth } + m.instances.reduce(0) { $0 + flattenedMemoryBits(module: $1.module) }
    }

    /// Memories at or below this many bits in total are small buffers that synthesis may map to
    /// flops; a design with more holds SRAMs, which stay memory macros (`$mem`) through synthesis.
    public static let macroMemoryBits = 1 << 16

    /// Whether synthesis should keep this design's memories as macros (see `macroMemoryBits`).
    public var keepsMemoriesAsMacros: Bool { flattenedMemoryBits() > Self.macroMemoryBits }

    /// Merges designs, keeping one copy of each module name.
    public func merging(_ others: [Design], top newTop: String) -> Design {
        var seen = Set<String>()
        var mods: [Module] = []
        for m in ([self] + others).flatMap(\.modules) where seen.insert(m.name).inserted || !mods.contains(m) {
            mods.append(m)
        }
        return Design(top: newTop, modules: mods)
    }
}
