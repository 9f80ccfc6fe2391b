import Foundation

/// What Yosys made of a design.
public struct SynthReport: Sendable, Equatable {
    /// `$mem` cells after `memory -nomap`, i.e. arrays inferred as memories (flattened design).
    public var memories: Int
    /// Generic cells after `synth -flatten`.
    public var cells: Int
    /// Per cell type, after `synth`.
    public var cellTypes: [String: Int]
}

/// The three checks every generated module must pass: Verilator lint with `-Wall` and no
/// warnings, Yosys generic synthesis with no latches and every memory inferred as `$mem`, and
/// Icarus Verilog compilation with `-g2012`.
public enum Gates {
    /// `verilator --lint-only -Wall`: any warning or error fails the gate.
    public static func lint(files: [URL], top: String) throws(ToolError) {
        let v = try Tool.verilator()
        let (status, out) = try v.run(["--lint-only", "-Wall", "--top-module", top] + files.map(\.path))
        let problems = out.split(separator: "\n").filter { $0.hasPrefix("%Warning") || $0.hasPrefix("%Error") }.map(String.init)
        if status != 0 || !problems.isEmpty {
            throw .gate(gate: "verilator lint", top: top, problems: problems.isEmpty ? ["exit status \(status)"] : problems, log: out)
        }
    }

    /// Yosys: the design must infer `expectedMemories` memories and synthesize without latches.
    /// With `mapMemories` false the memories stay `$mem` cells (SRAM macros) through synthesis, so
    /// the cell count is the logic around them; otherwise small memories become flops.
    public static func synth(files: [URL], top: String, expectedMemories: Int, mapMemories: Bool = true) throws(ToolError) -> SynthReport {
        let y = try Tool.yosys()
        return try Tool.withScratchDirectory("sf-yosys") { (work) throws(ToolError) in try synth(y, files: files, top: top, expectedMemories: expectedMemories, mapMemories: mapMemories, in: work) }
    }

    static func synth(_ y: Tool, files: [URL], top: String, expectedMemories: Int, mapMemories: Bool, in work: URL) throws(ToolError) -> SynthReport {
        let memStat = work.appendingPathComponent("mem.txt").path
        let synthStat = work.appendingPathComponent("synth.txt").path
        let script = """
        read_verilog -sv \(files.map { "\"\($0.path)\"" }.joined(separator: " "))
        hierarchy -check -top \(top)
        proc
        flatten
        opt_clean
        memory -nomap
        tee -q -o \(memStat) stat
        \(mapMemories ? "synth -flatten -top \(top)" : "synth -flatten -top \(top) -run begin:fine\nopt -fast -full\nopt -full\ntechmap\nopt -fast\nabc -fast\nopt -fast")
        tee -q -o \(synthStat) stat
        """
        let scriptURL = work.appendingPathComponent("gate.ys")
        try? script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let (status, out) = try y.run(["-q", "-s", scriptURL.path])
        if status != 0 {
            throw .gate(gate: "yosys synth", top: top, problems: out.split(separator: "\n").filter { $0.contains("ERROR") }.map(String.init).prefix(10) + ["exit status \(status)"], log: out)
        }
        let memTypes = parseStat((try? String(contentsOfFile: memStat, encoding: .utf8)) ?? "")
        let synthText = (try? String(contentsOfFile: synthStat, encoding: .utf8)) ?? ""
        let types = parseStat(synthText)
        let mems = memTypes.filter { $0.key.hasPrefix("$mem") }.values.reduce(0, +)
        let cells = synthText.split(separator: "\n").compactMap { l -> Int? in
            let t = l.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("Number of cells:") ? Int(t.dropFirst("Number of cells:".count).trimmingCharacters(in: .whitespaces)) : nil
        }.last ?? types.values.reduce(0, +)
        var problems: [String] = []
        let latches = types.filter { $0.key.uppercased().contains("LATCH") || $0.key.hasPrefix("$_SR_") || $0.key == "$sr" }
        if !latches.isEmpty { problems.append("latches inferred: \(latches.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))") }
        for l in out.split(separator: "\n") where l.contains("Latch inferred") { problems.append(String(l)) }
        if mems != expectedMemories { problems.append("memories inferred as $mem: got \(mems), expected \(expectedMemories)") }
        if !problems.isEmpty { throw .gate(gate: "yosys synth", top: top, problems: problems, log: out) }
        return SynthReport(memories: mems, cells: cells, cellTypes: types)
    }

    /// `iverilog -g2012` must compile the design.
    public static func iverilog(files: [URL], top: String) throws(ToolError) {
        let iv = try Tool.iverilog()
        let (status, out) = try iv.run(["-g2012", "-o", "/dev/null", "-s", top] + files.map(\.path))
        if status != 0 {
            throw .gate(gate: "iverilog", top: top, problems: out.split(separator: "\n").map(String.init).prefix(10) + ["exit status \(status)"], log: out)
        }
    }

    /// Cell counts from a Yosys `stat` report (the last module section, i.e. the flat top).
    static func parseStat(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.contains("===") { out = [:] }
            if parts.count == 2, parts[0].hasPrefix("$"), let n = Int(parts[1]) { out[String(parts[0])] = n }
        }
        return out
    }
}
