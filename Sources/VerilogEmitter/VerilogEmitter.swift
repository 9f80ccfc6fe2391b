import HWIR

/// How the emitter writes a design. The defaults give the reference output; every option is
/// deterministic (the same design and options give the same bytes).
public struct EmitOptions: Hashable, Sendable {
    /// Annotates declarations and statements with the generator's Swift source line that the IR
    /// recorded for them, Chisel-style: `// @[PE.swift 123]` (the path after the target name).
    public var sourceLocations: Bool

    public init(sourceLocations: Bool = false) {
        self.sourceLocations = sourceLocations
    }
}

/// One generated file: a module's `.v` or the `files.f` list.
public struct EmittedFile: Hashable, Sendable {
    public var name: String
    public var contents: String
}

/// Turns a validated design into Verilog-2005 text: one module per file, named after the
/// module, plus `files.f` listing them children-first. A pure function: the same design gives
/// the same bytes, and no date or host name ever appears in the output.
public enum VerilogEmitter {
    /// The generator line written into every header.
    public static let generator = "SpikeForge"

    public static func emit(_ design: Design, version: String, options: EmitOptions = .init()) throws(IRValidationError) -> [EmittedFile] {
        try design.validate()
        let order = topologicalOrder(design)
        var files = order.map { m in
            EmittedFile(name: "\(m.name).v", contents: ModuleEmitter(module: m, modules: design, version: version, options: options).emit())
        }
        files.append(EmittedFile(name: "files.f", contents: order.map { "\($0.name).v\n" }.joined()))
        return files
    }

    /// Modules reachable from the top, every child before its parents; ties broken by name.
    static func topologicalOrder(_ d: Design) -> [Module] {
        var done = Set<String>()
        var out: [Module] = []
        func visit(_ n: String) {
            guard !done.contains(n), let m = d.module(named: n) else { return }
            done.insert(n)
            for c in m.instances.map(\.module).sorted() { visit(c) }
            out.append(m)
        }
        visit(d.top)
        return out
    }
}

/// Emits one module. Verilog cannot select bits of an arbitrary expression, so the emitter
/// legalizes such selections by hoisting the operand into a temporary wire `_tN` (CIRCT's
/// "legalize" step); identical operands share one temporary.
///
/// Layout: declarations line up in columns as the ports do (keyword, type, name, comment);
/// a run of declarations that may stay unread sits between one pair of Verilator waivers.
final class ModuleEmitter {
    let m: Module
    let design: Design
    let version: String
    let options: EmitOptions
    var temps: [(name: String, type: HWType, text: String)] = []
    var tempIndex: [Expr: String] = [:]

    init(module: Module, modules: Design, version: String, options: EmitOptions = .init()) {
        m = module
        design = modules
        self.version = version
        self.options = options
    }

    /// One declaration line before alignment: `wire signed [8:0] name [0:3];  // comment`.
    struct Decl {
        var keyword: String
        var type: String
        var name: String
        var comment: String = ""
        var waived = false
    }

    func emit() -> String {
        var body: [String] = []
        // Declarations.
        var decls: [Decl] = []
        for w in m.wires {
            let why = w.unusedReason.map { "unused: \($0)" } ?? ""
            decls.append(Decl(keyword: "wire", type: typed(w.type), name: "\(w.name);", comment: note(why, w.loc), waived: w.unusedReason != nil))
        }
        for r in m.regs { decls.append(Decl(keyword: "reg", type: typed(r.type), name: "\(r.name);", comment: note("", r.loc))) }
        for rd in m.memReads {
            let w = m.memories.first { $0.name == rd.memory }?.width ?? 1
            decls.append(Decl(keyword: "reg", type: typed(.uint(w)), name: "\(rd.output);", comment: note("", rd.loc)))
        }
        for mem in m.memories {
            decls.append(Decl(keyword: "reg", type: typed(.uint(mem.width)), name: "\(mem.name) [0:\(mem.depth - 1)];", comment: note("", mem.loc)))
        }

        // Statements (rendered first, since rendering creates temporaries).
        var assigns: [String] = []
        for a in m.assigns { assigns.append("    assign \(a.target) = \(expr(a.value, top: true));" + annotation(a.loc)) }
        let clocked = emitClocked()
        let memBlocks = emitMemories()
        let insts = emitInstances()

        if !decls.isEmpty { body.append(Self.aligned(decls).joined(separator: "\n")) }
        if !temps.isEmpty {
            let tempDecls = temps.map { Decl(keyword: "wire", type: typed($0.type), name: "\($0.name) = \($0.text);") }
            body.append(Self.aligned(tempDecls).joined(separator: "\n"))
        }
        if !assigns.isEmpty { body.append(assigns.joined(separator: "\n")) }
        body += clocked + memBlocks + insts

        return header() + "`default_nettype none\n\n" + moduleHead() + body.joined(separator: "\n\n") + (body.isEmpty ? "" : "\n") + "endmodule\n\n`default_nettype wire\n"
    }

    /// Declarations in columns: keyword, type (left-aligned, as in the port list), name; the
    /// comments start in one column. Waived declarations are wrapped, a run at a time, in
    /// `lint_off`/`lint_on` for `UNUSEDSIGNAL` so the waiver covers exactly those lines.
    static func aligned(_ decls: [Decl]) -> [String] {
        let kw = 4  // "wire"; `reg` pads to it in every module, as `input` does in the ports
        let tw = decls.map(\.type.count).max() ?? 0
        let texts = decls.map { d in
            "    " + d.keyword.padded(kw) + " " + (tw == 0 ? "" : d.type.padded(tw) + " ") + d.name
        }
        let cw = zip(decls, texts).filter { !$0.0.comment.isEmpty }.map(\.1.count).max() ?? 0
        var lines: [String] = []
        for (i, d) in decls.enumerated() {
            if d.waived && (i == 0 || !decls[i - 1].waived) { lines.append("    /* verilator lint_off UNUSEDSIGNAL */") }
            lines.append(d.comment.isEmpty ? texts[i] : texts[i].padded(cw) + "  // " + d.comment)
            if d.waived && (i == decls.count - 1 || !decls[i + 1].waived) { lines.append("    /* verilator lint_on UNUSEDSIGNAL */") }
        }
        return lines
    }

    /// A trailing comment's text: `note` and, with `sourceLocations`, `@[File.swift 12]`.
    func note(_ note: String, _ loc: SourceLoc) -> String {
        guard options.sourceLocations, loc != .unknown else { return note }
        return note.isEmpty ? Self.location(loc) : "\(note)  \(Self.location(loc))"
    }

    /// `  // @[File.swift 12]` after a statement, with `sourceLocations`; otherwise "".
    func annotation(_ loc: SourceLoc) -> String {
        guard options.sourceLocations, loc != .unknown else { return "" }
        return "  // " + Self.location(loc)
    }

    /// Chisel's `@[File.scala 12]`, with the path of the file inside its target (`#fileID`
    /// without the module name): `@[PE.swift 123]`.
    static func location(_ loc: SourceLoc) -> String {
        let parts = loc.file.split(separator: "/", maxSplits: 1)
        return "@[\(parts.count == 2 ? String(parts[1]) : loc.file) \(loc.line)]"
    }

    func header() -> String {
        var lines = ["// " + String(repeating: "=", count: 77), "// \(m.name)",
                     "// Generated by \(VerilogEmitter.generator) \(version). Do not edit: regenerate instead."]
        if !m.doc.isEmpty {
            lines.append("//")
            lines += m.doc.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "//" : "// \($0)" }
        }
        lines.append("//")
        lines.append("// Configuration:")
        lines += m.configuration.split(separator: "\n").map { "//   \($0)" }
        lines.append("// " + String(repeating: "=", count: 77))
        return lines.joined(separator: "\n") + "\n"
    }

    func moduleHead() -> String {
        var s = "module \(m.name)"
        if !m.parameters.isEmpty {
            let ps = m.parameters.map { p -> String in
                let v: String
                switch p.defaultValue {
                case let .int(i): v = "\(i)"
                case let .string(str): v = "\"\(str)\""
                case let .parent(name): v = name
                }
                return "    parameter \(p.name) = \(v)" + (p.doc.isEmpty ? "" : "  // \(p.doc)")
            }
            // A comment after the last parameter must follow its comma-less line.
            s += " #(\n" + ps.enumerated().map { i, l in
                i == ps.count - 1 ? l : Self.insertComma(l)
            }.joined(separator: "\n") + "\n)"
        }
        if m.ports.isEmpty { return s + ";\n\n" }
        let dirs = m.ports.map { $0.direction == .input ? "input  wire" : "output wire" }
        let types = m.ports.map { ($0.type.signed ? "signed " : "") + range($0.type) }
        let tw = types.map(\.count).max() ?? 0
        let nw = m.ports.map(\.name.count).max() ?? 0
        let lines = m.ports.enumerated().map { i, p -> String in
            let last = i == m.ports.count - 1
            let nameCol = p.name + (last ? "" : ",")
            var l = "    \(dirs[i]) \(types[i].padded(tw)) \(nameCol)"
            if !p.doc.isEmpty { l = l.padded(4 + 11 + 1 + tw + 1 + nw + 1) + " // \(p.doc)" }
            return l.trailingSpacesTrimmed
        }
        return s + " (\n" + lines.joined(separator: "\n") + "\n);\n\n"
    }

    static func insertComma(_ line: String) -> String {
        guard let k = line.firstRange(of: "  // ") else { return line + "," }
        return String(line[..<k.lowerBound]) + "," + String(line[k.lowerBound...])
    }

    func emitClocked() -> [String] {
        guard let clk = m.clock else { return [] }
        var blocks: [String] = []
        let byReg = Dictionary(grouping: m.updates, by: \.reg)
        let resetRegs = m.regs.filter { $0.reset != nil }
        let plainRegs = m.regs.filter { $0.reset == nil }
        func update(_ r: Reg, indent: String) -> String? {
            guard let u = byReg[r.name]?.first else { return nil }
            let rhs = expr(u.next, top: true)
            if let en = u.enable { return "\(indent)if (\(expr(en, top: true))) \(r.name) <= \(rhs);" + annotation(u.loc) }
            return "\(indent)\(r.name) <= \(rhs);" + annotation(u.loc)
        }
        if !resetRegs.isEmpty, let rst = m.reset {
            var b = ["    always @(posedge \(clk)) begin", "        if (\(rst)) begin"]
            for r in resetRegs { b.append("            \(r.name) <= \(expr(r.reset!, top: true));" + annotation(r.loc)) }
            b.append("        end else begin")
            b += resetRegs.compactMap { update($0, indent: "            ") }
            b += ["        end", "    end"]
            blocks.append(b.joined(separator: "\n"))
        }
        let plain = plainRegs.compactMap { update($0, indent: "        ") }
        if !plain.isEmpty {
            blocks.append((["    always @(posedge \(clk)) begin"] + plain + ["    end"]).joined(separator: "\n"))
        }
        return blocks
    }

    func emitMemories() -> [String] {
        guard !m.memories.isEmpty else { return [] }
        var blocks: [String] = []
        for mem in m.memories {
            var b: [String] = ["    // Memory \(mem.name): \(mem.depth) x \(mem.width) bits."]
            if let p = mem.initParameter, let slice = mem.initSlice {
                // Banks of one image: the first bank loads the image once and fills every bank.
                let banks = m.memories.filter { $0.initParameter == p }
                if banks.first?.name == mem.name {
                    let fills = banks.map { k in "                    \(k.name)[i] = image[i][\((k.initSlice?.lo ?? 0) + k.width - 1):\(k.initSlice?.lo ?? 0)];" }
                    b += ["    generate",
                          "        if (\(p) != \"\") begin : g_\(mem.name)_init",
                          "            reg [\(slice.imageWidth - 1):0] image [0:\(mem.depth - 1)];",
                          "            integer i;",
                          "            initial begin",
                          "                $readmemh(\(p), image);",
                          "                for (i = 0; i < \(mem.depth); i = i + 1) begin"]
                        + fills
                        + ["                end",
                           "            end",
                           "        end",
                           "    endgenerate"]
                }
            } else if let p = mem.initParameter {
                b += ["    generate",
                      "        if (\(p) != \"\") begin : g_\(mem.name)_init",
                      "            initial $readmemh(\(p), \(mem.name));",
                      "        end",
                      "    endgenerate"]
            }
            if let clk = m.clock {
                for w in m.memWrites where w.memory == mem.name {
                    b.append("    always @(posedge \(clk)) begin")
                    b.append("        if (\(expr(w.enable, top: true))) \(mem.name)[\(expr(w.address, top: true))] <= \(expr(w.data, top: true));" + annotation(w.loc))
                    b.append("    end")
                }
                for rd in m.memReads where rd.memory == mem.name {
                    b.append("    always @(posedge \(clk)) begin")
                    b.append("        if (\(expr(rd.enable, top: true))) \(rd.output) <= \(mem.name)[\(expr(rd.address, top: true))];" + annotation(rd.loc))
                    b.append("    end")
                }
            }
            blocks.append(b.joined(separator: "\n"))
        }
        return blocks
    }

    func emitInstances() -> [String] {
        m.instances.map { inst in
            guard let child = design.module(named: inst.module) else { return "" }
            var s = "    \(inst.module)"
            if !inst.parameters.isEmpty {
                let ps = inst.parameters.keys.sorted().map { k -> String in
                    switch inst.parameters[k]! {
                    case let .int(i): return ".\(k)(\(i))"
                    case let .string(str): return ".\(k)(\"\(str)\")"
                    case let .parent(name): return ".\(k)(\(name))"
                    }
                }
                s += " #(\(ps.joined(separator: ", ")))"
            }
            s += " \(inst.name) (" + annotation(inst.loc) + "\n"
            let nw = child.ports.map(\.name.count).max() ?? 0
            let conns = child.ports.map { p -> String in
                // Ports connect to plain names or constants only; anything else is hoisted (Yosys
                // 0.23 mis-handles casts in port connections, and names read better).
                let v = p.direction == .input ? inst.inputs[p.name].map(connection) ?? "" : inst.outputs[p.name] ?? ""
                return "        .\(p.name.padded(nw)) (\(v))"
            }
            return s + conns.joined(separator: ",\n") + "\n    );"
        }
    }
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }

    var trailingSpacesTrimmed: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
