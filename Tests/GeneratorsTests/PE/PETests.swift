import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// The PE tile passes the RTL gates for the default configuration and for every lane count, its
/// SRAMs stay memories through synthesis, and impossible configurations list every violation.
@Suite struct PETests {
    @Test(arguments: [1, 2, 4, 8])
    func tilePassesGates(_ lanes: Int) throws {
        let c = PEConfig(lanes: lanes)
        let d = try PEGenerator.design(c)
        #expect(d.keepsMemoriesAsMacros)
        let r = try TestSupport.gates(d)
        // Seven SRAMs, three core FIFOs and the router's ten input queues.
        #expect(r.memories == 7 + 3 + 10)
        #expect(r.cellTypes.keys.contains { $0.hasPrefix("$mem") }, "SRAMs must survive synthesis as memories")
        #expect(r.cells > 1000)
    }

    @Test func withoutAccumulatedWeights() throws {
        let c = PEConfig(neurons: 64, lanes: 2, layers: 2, axons: 64, weightRows: 256, weightWordBits: 32, accumulatedWeights: false, flitWidth: 48)
        let r = try TestSupport.gates(try PEGenerator.design(c), mapMemories: false)
        #expect(r.memories == 6 + 3 + 10)
    }

    @Test func sameConfigurationSameVerilog() throws {
        let a = try TestSupport.emit(try PEGenerator.design(.defaultConfig)).map { try String(contentsOf: $0, encoding: .utf8) }
        let b = try TestSupport.emit(try PEGenerator.design(.defaultConfig)).map { try String(contentsOf: $0, encoding: .utf8) }
        #expect(a == b)
    }

    @Test func impossibleConfigurationsListEveryViolation() throws {
        let c = PEConfig(neurons: 100, lanes: 8, weightRows: 3000, weightWordBits: 60, flitWidth: 70)
        do {
            try c.validate()
            Issue.record("accepted \(c)")
        } catch {
            let fields = error.violations.map(\.field)
            #expect(fields.contains("lanes"), "lanes must divide neurons and the weight word: \(error)")
            #expect(error.violations.filter { $0.field == "lanes" }.count == 2)
            #expect(fields.contains("weightRows"))
            #expect(fields.contains("flitWidth"))
            #expect(fields.contains("weightWordBits"), "60 / 8 bits per slot cannot hold an 8-bit weight")
        }
        // More neurons than the state SRAM's address field can reach.
        let deep = PEConfig(neurons: 65536, lanes: 1)
        #expect(throws: ConfigError.self) { try deep.validate() }
        do { try deep.validate() } catch { #expect(error.violations.contains { $0.field == "targets memory" }, "\(error)") }
    }
}
