import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// The RTL gates on every primitive configuration that the lockstep tests simulate:
/// Verilator `-Wall` lint with no warnings, Yosys synthesis with no latches and every memory
/// inferred as `$mem`, and Icarus Verilog `-g2012`.
@Suite struct PrimitivesTests {
    @Test(arguments: PrimitiveSweep.all.keys.sorted())
    func gatesPass(_ name: String) throws {
        let design = try PrimitiveSweep.all[name]!()
        let report = try TestSupport.gates(design)
        #expect(report.memories == design.flattenedMemoryCount())
        #expect(report.cells > 0)
    }
}
