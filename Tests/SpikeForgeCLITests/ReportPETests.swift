import Testbench
import SpikeForgeCLI
import SpikeForgeCore
import Testing

/// `spikeforge report pe` measures the goal (at least 0.9 × lanes synaptic operations per busy
/// cycle) and `generate pe` resolves to the PE tile.
@Suite struct ReportPETests {
    @Test func throughputMeetsTheGoalForEveryLaneCount() throws {
        let rows = try PEReport.rows(packets: 150, theta: 2000, seed: 3, synth: false)
        #expect(rows.count == 5)
        for r in rows.dropFirst() {
            let efficiency = try #require(Double(r[4]))
            #expect(efficiency >= 0.9, "lanes \(r[0]): \(r[4]) synaptic ops per cycle per lane")
            #expect(Int(r[6])! > 0 && Int(r[6])! < 40, "latency \(r[6]) cycles")
        }
    }

    @Test func generateResolvesThePETile() throws {
        let (design, json) = try Catalog.block(named: "pe").generate(nil, ["lanes=8", "neurons=64"])
        #expect(design.top.hasPrefix("PETile_n64_l8"))
        #expect(json.contains("\"lanes\" : 8") || json.contains("\"lanes\": 8"))
        #expect(throws: (any Error).self) { try Catalog.block(named: "pe").generate(nil, ["lanes=3", "neurons=64"]) }
    }
}
