/// Builds a `Module` statement by statement. Generators use it; it never produces Verilog.
/// Each declaration returns an `Expr.ref` to use in expressions, and records the Swift source
/// location it was called from, so validation errors point at the generator line.
public final class ModuleBuilder {
    private var m: Module

    public init(_ name: String, doc: String = "", configuration: String = "{}") {
        m = Module(
            name: name, doc: doc, configuration: configuration, clock: nil, reset: nil, parameters: [], ports: [],
            wires: [], regs: [], memories: [], assigns: [], updates: [], memWrites: [], memReads: [], instances: []
        )
    }

    public func build() -> Module { m }

    /// Declares that `wire` may stay unread, and why. Only for wires that must exist (such as an
    /// instance output nothing needs); the waiver covers that declaration alone.
    public func allowUnused(_ wire: Expr, because reason: String) {
        guard case let .ref(n, _) = wire, let i = m.wires.firstIndex(where: { $0.name == n }) else { return }
        m.wires[i].unusedReason = reason
    }

    // MARK: Ports

    /// Declares the clock input `clk`; every register and memory port uses its rising edge.
    @discardableResult
    public func clock(_ name: String = "clk", file: String = #fileID, line: Int = #line) -> Expr {
        m.clock = name
        return input(name, .bool, doc: "clock, rising edge", file: file, line: line)
    }

    /// Declares the synchronous, active-high reset input `rst`.
    @discardableResult
    public func reset(_ name: String = "rst", file: String = #fileID, line: Int = #line) -> Expr {
        m.reset = name
        return input(name, .bool, doc: "synchronous reset, active high", file: file, line: line)
    }

    @discardableResult
    public func input(_ name: String, _ t: HWType, doc: String = "", file: String = #fileID, line: Int = #line) -> Expr {
        m.ports.append(Port(name: name, direction: .input, type: t, doc: doc, loc: .init(file: file, line: line)))
        return .ref(name, t)
    }

    @discardableResult
    public func output(_ name: String, _ t: HWType, doc: String = "", file: String = #fileID, line: Int = #line) -> Expr {
        m.ports.append(Port(name: name, direction: .output, type: t, doc: doc, loc: .init(file: file, line: line)))
        return .ref(name, t)
    }

    /// Declares an output and drives it with `value` in one step.
    @discardableResult
    public func output(_ name: String, _ value: Expr, doc: String = "", file: String = #fileID, line: Int = #line) -> Expr {
        let o = output(name, value.type, doc: doc, file: file, line: line)
        assign(o, value, file: file, line: line)
        return o
    }

    public func parameter(_ name: String, default value: ParameterValue, doc: String = "") {
        m.parameters.append(Parameter(name: name, defaultValue: value, doc: doc))
    }

    // MARK: Signals

    @discardableResult
    public func wire(_ name: String, _ t: HWType, file: String = #fileID, line: Int = #line) -> Expr {
        m.wires.append(Wire(name: name, type: t, loc: .init(file: file, line: line)))
        return .ref(name, t)
    }

    /// A wire declared and driven at once: a named intermediate value. A constant value is
    /// returned as is, so later expressions can fold it.
    @discardableResult
    public func node(_ name: String, _ value: Expr, file: String = #fileID, line: Int = #line) -> Expr {
        if case .constant = value { return value }
        let w = wire(name, value.type, file: file, line: line)
        assign(w, value, file: file, line: line)
        return w
    }

    /// A register with a constant reset value (`nil`: not reset).
    @discardableResult
    public func reg(_ name: String, _ t: HWType, reset: Int? = 0, file: String = #fileID, line: Int = #line) -> Expr {
        m.regs.append(Reg(name: name, type: t, reset: reset.map { .lit($0, t) }, loc: .init(file: file, line: line)))
        return .ref(name, t)
    }

    public func assign(_ target: Expr, _ value: Expr, file: String = #fileID, line: Int = #line) {
        m.assigns.append(Assign(target: Self.name(of: target), value: value, loc: .init(file: file, line: line)))
    }

    /// `reg <= next` when `enable` (always when nil).
    public func next(_ reg: Expr, _ value: Expr, when enable: Expr? = nil, file: String = #fileID, line: Int = #line) {
        m.updates.append(RegUpdate(reg: Self.name(of: reg), next: value, enable: enable, loc: .init(file: file, line: line)))
    }

    // MARK: Memories

    @discardableResult
    public func memory(_ name: String, width: Int, depth: Int, initParameter: String? = nil, initSlice: Memory.InitSlice? = nil,
                       file: String = #fileID, line: Int = #line) -> Memory {
        let mem = Memory(name: name, width: width, depth: depth, initParameter: initParameter, initSlice: initSlice, loc: .init(file: file, line: line))
        m.memories.append(mem)
        return mem
    }

    public func write(_ mem: Memory, when enable: Expr, address: Expr, data: Expr, file: String = #fileID, line: Int = #line) {
        m.memWrites.append(MemWrite(memory: mem.name, enable: enable, address: address, data: data, loc: .init(file: file, line: line)))
    }

    /// Synchronous read port; returns the registered read data (valid one cycle after `enable`).
    @discardableResult
    public func syncRead(_ mem: Memory, when enable: Expr, address: Expr, into output: String, file: String = #fileID, line: Int = #line) -> Expr {
        m.memReads.append(MemSyncRead(memory: mem.name, enable: enable, address: address, output: output, loc: .init(file: file, line: line)))
        return .ref(output, .uint(mem.width))
    }

    /// Asynchronous read port, as used for small register files.
    public func asyncRead(_ mem: Memory, address: Expr) -> Expr {
        .memRead(memory: mem.name, address: address, .uint(mem.width))
    }

    // MARK: Hierarchy

    /// Instantiates `module`. `inputs` maps each child input to a parent expression. For every
    /// child output a parent wire `<instance>_<port>` is declared; the returned dictionary maps
    /// child output names to those wires.
    @discardableResult
    public func instance(
        _ name: String, of module: Module, parameters: [String: ParameterValue] = [:], inputs: [String: Expr],
        file: String = #fileID, line: Int = #line
    ) -> [String: Expr] {
        var outs: [String: String] = [:]
        var refs: [String: Expr] = [:]
        for p in module.outputs {
            let w = wire("\(name)_\(p.name)", p.type, file: file, line: line)
            outs[p.name] = "\(name)_\(p.name)"
            refs[p.name] = w
        }
        m.instances.append(Instance(name: name, module: module.name, parameters: parameters, inputs: inputs, outputs: outs, loc: .init(file: file, line: line)))
        return refs
    }

    private static func name(of e: Expr) -> String {
        if case let .ref(n, _) = e { return n }
        return "<not a signal: \(e)>"
    }
}
