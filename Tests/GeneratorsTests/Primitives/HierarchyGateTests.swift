import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// A hierarchical design (instances, a parameter override, a memory in a child) passes the gates.
@Suite struct HierarchyGateTests {
    @Test func parentWithInstancesPassesGates() throws {
        let sram = SRAMGenerator.module(.init(width: 16, depth: 64, kind: .simpleDualPort))
        let fifo = FIFOGenerator.module(.init(width: 16, depth: 4))
        let b = ModuleBuilder("Staged", doc: "A FIFO feeding the write port of an SRAM.")
        let clk = b.clock()
        let rst = b.reset()
        let v = b.input("in_valid", .bool)
        let d = b.input("in_data", .uint(16))
        let re = b.input("re", .bool)
        let ra = b.input("raddr", .uint(6))
        let wa = b.reg("waddr_q", .uint(6))
        let f = b.instance("u_fifo", of: fifo, inputs: ["clk": clk, "rst": rst, "in_valid": v, "in_data": d, "out_ready": .one])
        b.next(wa, wa + 1, when: f["out_valid"]!)
        let s = b.instance("u_mem", of: sram, parameters: ["INIT_FILE": .string("")], inputs: [
            "clk": clk, "we": f["out_valid"]!, "waddr": wa, "wdata": f["out_data"]!, "re": re, "raddr": ra,
        ])
        b.output("in_ready", f["in_ready"]!)
        b.output("rdata", s["rdata"]!)
        b.output("count", f["count"]!)
        let design = Design(top: "Staged", modules: [sram, fifo, b.build()])
        let r = try TestSupport.gates(design)
        #expect(r.memories == 2)
    }
}
