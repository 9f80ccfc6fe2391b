private let verilogKeywords: Set<String> = [
    "always", "and", "assign", "begin", "buf", "case", "casex", "casez", "default", "defparam", "else", "end",
    "endcase", "endfunction", "endmodule", "endtask", "for", "force", "forever", "function", "generate", "genvar",
    "if", "initial", "inout", "input", "integer", "localparam", "logic", "module", "nand", "negedge", "nor", "not",
    "or", "output", "parameter", "posedge", "real", "reg", "repeat", "signed", "task", "time", "tri", "unsigned",
    "wait", "while", "wire", "xnor", "xor", "bit", "byte", "int", "interface", "class", "string", "type", "do",
    "final", "ref", "const", "static", "automatic", "return", "break", "continue", "struct", "union", "enum",
]

extension Design {
    /// Checks the whole design and throws every problem at once. The emitter calls this, so
    /// invalid IR never reaches Verilator.
    public func validate() throws(IRValidationError) {
        var errors: [IRError] = []
        var byName: [String: Module] = [:]
        for m in modules {
            if let prev = byName[m.name], prev != m {
                if !errors.contains(.conflictingModule(name: m.name)) { errors.append(.conflictingModule(name: m.name)) }
            }
            byName[m.name] = m
        }
        if byName[top] == nil { errors.append(.missingTop(top: top)) }
        // Recursion check, then per-module checks with child combinational summaries.
        var summaries: [String: [String: Set<String>]] = [:]
        var visiting: [String] = []
        func summary(_ name: String) -> [String: Set<String>] {
            if let s = summaries[name] { return s }
            guard let mod = byName[name] else { return [:] }
            if visiting.contains(name) {
                let e = IRError.recursiveInstance(path: visiting + [name])
                if !errors.contains(e) { errors.append(e) }
                return [:]
            }
            visiting.append(name)
            var childSummaries: [String: [String: Set<String>]] = [:]
            for inst in mod.instances where byName[inst.module] != nil {
                childSummaries[inst.module] = summary(inst.module)
            }
            visiting.removeLast()
            var checker = ModuleChecker(module: mod, modules: byName, children: childSummaries)
            let s = checker.run()
            errors += checker.errors
            summaries[name] = s
            return s
        }
        for m in modules.map(\.name).uniqued() { _ = summary(m) }
        if !errors.isEmpty { throw IRValidationError(errors: errors) }
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var s = Set<Element>()
        return filter { s.insert($0).inserted }
    }
}

/// Checks one module. Produces its combinational summary: for each output, the inputs it
/// depends on without a register in between (used to find loops through instances).
struct ModuleChecker {
    let module: Module
    let modules: [String: Module]
    let children: [String: [String: Set<String>]]
    var errors: [IRError] = []

    enum Kind { case input, output, wire, reg, readPort }
    var kinds: [String: (Kind, HWType, SourceLoc)] = [:]
    var memories: [String: Memory] = [:]
    /// Every driver of each signal, and what each combinationally driven signal reads.
    var drivers: [String: [SourceLoc]] = [:]
    var combDeps: [String: [String]] = [:]

    init(module: Module, modules: [String: Module], children: [String: [String: Set<String>]]) {
        self.module = module
        self.modules = modules
        self.children = children
    }

    var name: String { module.name }

    mutating func declare(_ n: String, _ k: Kind, _ t: HWType, _ loc: SourceLoc) {
        checkName(n, loc)
        if kinds[n] != nil || memories[n] != nil {
            errors.append(.duplicateName(module: name, name: n, at: loc))
            return
        }
        if t.width < 1 || t.width > 4096 { errors.append(.badType(module: name, name: n, type: t, at: loc)) }
        kinds[n] = (k, t, loc)
    }

    mutating func checkName(_ n: String, _ loc: SourceLoc) {
        let ok = !n.isEmpty && n.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
            && !("0"..."9").contains(n.unicodeScalars.first!)
        if !ok {
            errors.append(.invalidName(module: name, name: n, reason: "is not a Verilog identifier", at: loc))
        } else if verilogKeywords.contains(n) {
            errors.append(.invalidName(module: name, name: n, reason: "is a Verilog keyword", at: loc))
        } else if n.hasPrefix("_t") && n.dropFirst(2).allSatisfy(\.isNumber) && n.count > 2 {
            errors.append(.invalidName(module: name, name: n, reason: "is reserved for emitter temporaries", at: loc))
        }
    }

    mutating func run() -> [String: Set<String>] {
        declarations()
        checkAssignments()
        checkMemoryPorts()
        checkInstances()
        checkDrivers()
        findLoops()
        return summary()
    }

    /// Ports, wires, registers, memories and read ports: unique, valid names and types.
    mutating func declarations() {
        checkName(module.name, .unknown)
        for p in module.ports { declare(p.name, p.direction == .input ? .input : .output, p.type, p.loc) }
        for w in module.wires { declare(w.name, .wire, w.type, w.loc) }
        for r in module.regs { declare(r.name, .reg, r.type, r.loc) }
        for mem in module.memories {
            checkName(mem.name, mem.loc)
            if kinds[mem.name] != nil || memories[mem.name] != nil {
                errors.append(.duplicateName(module: name, name: mem.name, at: mem.loc))
            }
            if mem.depth < 2 && mem.depth != 1 || mem.width < 1 || mem.width > 4096 {
                errors.append(.badMemory(module: name, memory: mem.name, reason: "depth \(mem.depth) / width \(mem.width) out of range", at: mem.loc))
            }
            if let p = mem.initParameter, !module.parameters.contains(where: { if $0.name == p, case .string = $0.defaultValue { true } else { false } }) {
                errors.append(.badMemory(module: name, memory: mem.name, reason: "init parameter '\(p)' is not a string parameter of the module", at: mem.loc))
            }
            if let s = mem.initSlice {
                let shared = module.memories.filter { $0.initParameter == mem.initParameter }
                if mem.initParameter == nil || s.lo < 0 || s.lo + mem.width > s.imageWidth
                    || shared.contains(where: { $0.depth != mem.depth || $0.initSlice?.imageWidth != s.imageWidth }) {
                    errors.append(.badMemory(module: name, memory: mem.name, reason: "init slice [\(s.lo), \(s.lo + mem.width)) of \(s.imageWidth)-bit image words: needs an init parameter, to lie within the word, and the same depth and image width as every memory sharing the image", at: mem.loc))
                }
            }
            memories[mem.name] = mem
        }
        for rd in module.memReads { declare(rd.output, .readPort, .uint(memories[rd.memory]?.width ?? 1), rd.loc) }
        if let c = module.clock, kinds[c]?.0 != .input { errors.append(.undeclared(module: name, name: c, at: .unknown)) }
        if let r = module.reset, kinds[r]?.0 != .input { errors.append(.undeclared(module: name, name: r, at: .unknown)) }
    }

    /// Continuous assignments, register updates and reset values.
    mutating func checkAssignments() {
        for a in module.assigns {
            drivers[a.target, default: []].append(a.loc)
            guard let (k, t, _) = kinds[a.target] else {
                errors.append(.undeclared(module: name, name: a.target, at: a.loc))
                continue
            }
            switch k {
            case .input: errors.append(.drivesInput(module: name, port: a.target, at: a.loc))
            case .reg, .readPort:
                errors.append(.badOperand(module: name, context: "assign \(a.target)", reason: "a register is driven by `next`, not by a continuous assignment", at: a.loc))
            case .output, .wire: break
            }
            check(a.value, a.loc, "assign \(a.target)")
            if a.value.type != t { errors.append(.widthMismatch(module: name, context: "assign \(a.target)", expected: t, got: a.value.type, at: a.loc)) }
            combDeps[a.target] = a.value.references
        }
        for u in module.updates {
            drivers[u.reg, default: []].append(u.loc)
            guard let (k, t, _) = kinds[u.reg] else {
                errors.append(.undeclared(module: name, name: u.reg, at: u.loc))
                continue
            }
            if k != .reg {
                errors.append(.badOperand(module: name, context: "next \(u.reg)", reason: "only registers take `next`", at: u.loc))
            }
            if module.clock == nil { errors.append(.noClock(module: name, what: "register '\(u.reg)'", at: u.loc)) }
            check(u.next, u.loc, "next \(u.reg)")
            if u.next.type != t { errors.append(.widthMismatch(module: name, context: "next \(u.reg)", expected: t, got: u.next.type, at: u.loc)) }
            if let en = u.enable { checkBool(en, u.loc, "enable of \(u.reg)") }
        }
        for r in module.regs {
            if let rv = r.reset {
                if case .constant = rv {} else {
                    errors.append(.badOperand(module: name, context: "reset of \(r.name)", reason: "reset value must be a constant", at: r.loc))
                }
                if rv.type != r.type { errors.append(.widthMismatch(module: name, context: "reset of \(r.name)", expected: r.type, got: rv.type, at: r.loc)) }
                if module.reset == nil { errors.append(.noClock(module: name, what: "reset value of '\(r.name)' (no reset port)", at: r.loc)) }
            }
        }
    }

    /// Memory write and read ports; every memory is written or loaded from an image.
    mutating func checkMemoryPorts() {
        for w in module.memWrites {
            guard let mem = memories[w.memory] else {
                errors.append(.undeclared(module: name, name: w.memory, at: w.loc))
                continue
            }
            if module.clock == nil { errors.append(.noClock(module: name, what: "write port of '\(w.memory)'", at: w.loc)) }
            checkBool(w.enable, w.loc, "write enable of \(mem.name)")
            checkAddress(w.address, mem, w.loc)
            check(w.data, w.loc, "write data of \(mem.name)")
            if w.data.type.width != mem.width || w.data.type.signed {
                errors.append(.widthMismatch(module: name, context: "write data of \(mem.name)", expected: .uint(mem.width), got: w.data.type, at: w.loc))
            }
        }
        for rd in module.memReads {
            drivers[rd.output, default: []].append(rd.loc)
            guard let mem = memories[rd.memory] else {
                errors.append(.undeclared(module: name, name: rd.memory, at: rd.loc))
                continue
            }
            if module.clock == nil { errors.append(.noClock(module: name, what: "read port of '\(rd.memory)'", at: rd.loc)) }
            checkBool(rd.enable, rd.loc, "read enable of \(mem.name)")
            checkAddress(rd.address, mem, rd.loc)
        }
        for mem in module.memories where !module.memWrites.contains(where: { $0.memory == mem.name }) && mem.initParameter == nil {
            errors.append(.undriven(module: name, signal: mem.name, kind: "memory", at: mem.loc))
        }
    }

    /// Instances: known children, every port connected with the right type; an output's
    /// combinational inputs (the child's summary) become dependencies of the wire it drives.
    mutating func checkInstances() {
        for inst in module.instances {
            checkName(inst.name, inst.loc)
            guard let child = modules[inst.module] else {
                errors.append(.unknownModule(module: name, instance: inst.name, child: inst.module, at: inst.loc))
                continue
            }
            for p in child.inputs {
                guard let e = inst.inputs[p.name] else {
                    errors.append(.badConnection(module: name, instance: inst.name, port: p.name, reason: "input is not connected", at: inst.loc))
                    continue
                }
                check(e, inst.loc, "\(inst.name).\(p.name)")
                if e.type != p.type { errors.append(.widthMismatch(module: name, context: "\(inst.name).\(p.name)", expected: p.type, got: e.type, at: inst.loc)) }
            }
            for k in inst.inputs.keys.sorted() where !child.inputs.contains(where: { $0.name == k }) {
                errors.append(.badConnection(module: name, instance: inst.name, port: k, reason: "\(child.name) has no input of that name", at: inst.loc))
            }
            for k in inst.parameters.keys.sorted() where !child.parameters.contains(where: { $0.name == k }) {
                errors.append(.badConnection(module: name, instance: inst.name, port: k, reason: "\(child.name) has no parameter of that name", at: inst.loc))
            }
            let summary = children[inst.module] ?? [:]
            for p in child.outputs {
                guard let w = inst.outputs[p.name] else {
                    errors.append(.badConnection(module: name, instance: inst.name, port: p.name, reason: "output is not connected", at: inst.loc))
                    continue
                }
                drivers[w, default: []].append(inst.loc)
                guard let (k, t, _) = kinds[w] else {
                    errors.append(.undeclared(module: name, name: w, at: inst.loc))
                    continue
                }
                if k != .wire && k != .output {
                    errors.append(.badConnection(module: name, instance: inst.name, port: p.name, reason: "must drive a wire or output, not '\(w)'", at: inst.loc))
                }
                if t != p.type { errors.append(.widthMismatch(module: name, context: "\(inst.name).\(p.name) -> \(w)", expected: p.type, got: t, at: inst.loc)) }
                combDeps[w] = (summary[p.name] ?? []).sorted().flatMap { inst.inputs[$0]?.references ?? [] }
            }
        }
    }

    /// Every output, wire, register and read port has exactly one driver.
    mutating func checkDrivers() {
        for (n, (k, _, loc)) in kinds.sorted(by: { $0.key < $1.key }) where k != .input {
            let d = drivers[n] ?? []
            if d.isEmpty {
                let kind = k == .output ? "output" : k == .wire ? "wire" : k == .reg ? "register" : "read port"
                errors.append(.undriven(module: name, signal: n, kind: kind, at: loc))
            } else if d.count > 1 {
                errors.append(.multipleDrivers(module: name, signal: n, at: d))
            }
        }
    }

    /// Combinational loops: depth-first search over comb-driven signals.
    mutating func findLoops() {
        var errors: [IRError] = []
        let combDeps = combDeps, name = name
        var state: [String: Int] = [:]  // 1 = on stack, 2 = done
        var stack: [String] = []
        var reported = Set<String>()
        func dfs(_ n: String) {
            state[n] = 1
            stack.append(n)
            for d in combDeps[n] ?? [] where combDeps[d] != nil {
                if state[d] == 1 {
                    let cycle = Array(stack[stack.lastIndex(of: d)!...]) + [d]
                    let key = cycle.dropLast().sorted().joined(separator: ",")
                    if reported.insert(key).inserted { errors.append(.combinationalLoop(module: name, path: cycle)) }
                } else if state[d] == nil {
                    dfs(d)
                }
            }
            stack.removeLast()
            state[n] = 2
        }
        for n in combDeps.keys.sorted() where state[n] == nil { dfs(n) }
        self.errors += errors
    }

    /// The module's summary for its parents: output -> inputs reached through combinational
    /// paths only.
    func summary() -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for o in module.outputs {
            var seen = Set<String>()
            var todo = [o.name]
            var ins = Set<String>()
            while let n = todo.popLast() {
                guard seen.insert(n).inserted else { continue }
                if kinds[n]?.0 == .input { ins.insert(n) }
                todo += combDeps[n] ?? []
            }
            result[o.name] = ins
        }
        return result
    }

    mutating func checkBool(_ e: Expr, _ loc: SourceLoc, _ ctx: String) {
        check(e, loc, ctx)
        if e.type != .bool { errors.append(.widthMismatch(module: name, context: ctx, expected: .bool, got: e.type, at: loc)) }
    }

    mutating func checkAddress(_ e: Expr, _ mem: Memory, _ loc: SourceLoc) {
        check(e, loc, "address of \(mem.name)")
        if e.type != .uint(mem.addressWidth) {
            errors.append(.widthMismatch(module: name, context: "address of \(mem.name)", expected: .uint(mem.addressWidth), got: e.type, at: loc))
        }
    }

    /// Type-checks an expression tree; every problem is recorded, none stops the walk.
    mutating func check(_ e: Expr, _ loc: SourceLoc, _ ctx: String) {
        func bad(_ reason: String) { errors.append(.badOperand(module: name, context: ctx, reason: reason, at: loc)) }
        switch e {
        case let .ref(n, t):
            if let (_, dt, _) = kinds[n] {
                if dt != t { errors.append(.widthMismatch(module: name, context: "\(ctx), reference to \(n)", expected: dt, got: t, at: loc)) }
            } else {
                errors.append(.undeclared(module: name, name: n, at: loc))
            }
        case let .constant(bits, t):
            if t.width < 1 || t.width > 4096 { bad("constant of width \(t.width)") }
            if t.width < 64 && bits >> UInt64(t.width) != 0 { bad("constant 0x\(String(bits, radix: 16)) does not fit \(t)") }
        case let .unary(_, x): check(x, loc, ctx)
        case let .binary(op, l, r):
            check(l, loc, ctx)
            check(r, loc, ctx)
            if op.isShift {
                if r.type.signed { bad("shift amount must be unsigned, got \(r.type)") }
                if op == .shrArith && !l.type.signed { bad("arithmetic shift of unsigned \(l.type)") }
            } else if l.type != r.type {
                errors.append(.widthMismatch(module: name, context: "\(ctx), operator \(op.rawValue)", expected: l.type, got: r.type, at: loc))
            }
        case let .mux(c, a, b):
            check(c, loc, ctx)
            check(a, loc, ctx)
            check(b, loc, ctx)
            if c.type != .bool { errors.append(.widthMismatch(module: name, context: "\(ctx), mux condition", expected: .bool, got: c.type, at: loc)) }
            if a.type != b.type { errors.append(.widthMismatch(module: name, context: "\(ctx), mux arms", expected: a.type, got: b.type, at: loc)) }
        case let .concat(es):
            if es.isEmpty { bad("empty concatenation") }
            for x in es { check(x, loc, ctx) }
        case let .slice(x, hi, lo):
            check(x, loc, ctx)
            if lo < 0 || hi < lo || hi >= x.type.width { bad("slice [\(hi):\(lo)] of \(x.type)") }
        case let .resize(x, w):
            check(x, loc, ctx)
            if w < 1 || w > 4096 { bad("resize to width \(w)") }
        case let .cast(x, _): check(x, loc, ctx)
        case let .memRead(memName, a, t):
            if let mem = memories[memName] {
                checkAddress(a, mem, loc)
                if t != .uint(mem.width) { errors.append(.widthMismatch(module: name, context: "\(ctx), read of \(memName)", expected: .uint(mem.width), got: t, at: loc)) }
            } else {
                errors.append(.undeclared(module: name, name: memName, at: loc))
                check(a, loc, ctx)
            }
        }
    }
}
