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
        // Seven SRAMs (the state SRAM as two banks, V and z: eight memories), three core FIFOs
        // and the router's ten input queues.
        #expect(r.memories == 8 + 3 + 10)
        #expect(r.cellTypes.keys.contains { $0.hasPrefix("$mem") }, "SRAMs must survive synthesis as memories")
        #expect(r.cells > 1000)
    }

    @Test func withoutAccumulatedWeights() throws {
        let c = PEConfig(neurons: 64, lanes: 2, layers: 2, axons: 64, weightRows: 256, weightWordBits: 32, accumulatedWeights: false, flitWidth: 48)
        let r = try TestSupport.gates(try PEGenerator.design(c), mapMemories: false)
        #expect(r.memories == 7 + 3 + 10)
    }

    /// Kernel windows (`maxKernel > 1`): the load stage's window counters and the wider axon-map
    /// and parameter words pass the gates, and the SRAMs stay memories.
    @Test(arguments: [3, 15])
    func windowedTilePassesGates(_ k: Int) throws {
        let c = PEConfig(neurons: 128, lanes: 4, layers: 3, axons: 256, weightRows: 1024, maxKernel: k)
        #expect(c.moduleName.hasSuffix("_k\(k)"))
        let d = try PEGenerator.design(c)
        let r = try TestSupport.gates(d)
        #expect(r.memories == 8 + 3 + 10)
        #expect(r.cellTypes.keys.contains { $0.hasPrefix("$mem") }, "SRAMs must survive synthesis as memories")
    }

    /// `maxKernel` 1 adds nothing: the words, the module name and the Verilog are those of a
    /// configuration without it; more adds two window fields to the axon map and two strides to
    /// the layer parameters.
    @Test func maxKernelOneChangesNothing() throws {
        let c = PEConfig.defaultConfig
        #expect(c.axonFieldWidths == [c.rowBits, c.groupBits, c.countBits, c.layerBits])
        #expect(c.paramFieldWidths == [c.thresholdBits, 2, c.groupBits, c.countBits])
        #expect(!c.moduleName.contains("_k"))
        let text = try TestSupport.emit(try PEGenerator.design(c)).map { try String(contentsOf: $0, encoding: .utf8) }.joined()
        #expect(!text.contains("maxKernel") && !text.contains("l_gcol_q"))
        var k5 = c
        k5.maxKernel = 5
        #expect(k5.axonFieldWidths == c.axonFieldWidths + [3, 3])
        #expect(k5.paramFieldWidths == c.paramFieldWidths + [c.rowBits, c.groupBits])
        #expect(k5.geometry(.axonMap).width == c.geometry(.axonMap).width + 6)
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
        for k in [0, 16, -1] {
            do {
                try PEConfig(maxKernel: k).validate()
                Issue.record("accepted maxKernel \(k)")
            } catch {
                #expect(error.violations.map(\.field) == ["maxKernel"], "\(error)")
                #expect(error.violations.first?.expected.hasPrefix("1...15") == true, "\(error)")
            }
        }
        // Window fields that push the axon-map word beyond 64 bits, listed with the rest.
        do {
            try PEConfig(neurons: 65536, lanes: 1, layers: 256, axons: 64, weightRows: 65536, inFIFODepth: 1, maxKernel: 15).validate()
            Issue.record("accepted a 65-bit axon-map word")
        } catch {
            #expect(error.violations.contains { $0.field == "axonMap memory" && $0.expected == "at most 64" }, "\(error)")
            #expect(error.violations.contains { $0.field == "params memory" && $0.expected == "at most 64" }, "\(error)")
            #expect(error.violations.contains { $0.field == "inFIFODepth" }, "\(error)")
        }
        // More neurons than the state SRAM's address field can reach.
        let deep = PEConfig(neurons: 65536, lanes: 1)
        #expect(throws: ConfigError.self) { try deep.validate() }
        do { try deep.validate() } catch { #expect(error.violations.contains { $0.field == "targets memory" }, "\(error)") }
    }
}
