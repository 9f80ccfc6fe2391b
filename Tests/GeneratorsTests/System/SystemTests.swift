import Foundation
import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// The system RTL passes the gates (lint -Wall, Yosys with every SRAM and queue a memory,
/// Icarus), carries one INIT parameter per tile and SRAM, and is reproducible.
@Suite struct SystemTests {
    static let small = SystemConfig(cols: 2, rows: 2, pe: PEConfig(neurons: 32, lanes: 4, layers: 2, axons: 64, weightRows: 128))

    @Test func twoByTwoPassesGates() throws {
        let d = try SystemGenerator.design(Self.small)
        let r = try TestSupport.gates(d)
        // Per tile: seven SRAMs (the state SRAM in two banks), three core FIFOs and ten router queues.
        #expect(r.memories == 4 * (8 + 3 + 10))
        let top = d.modules.last!
        #expect(top.name == Self.small.moduleName)
        #expect(top.parameters.count == 4 * 7)
        #expect(top.parameters.contains { $0.name == "INIT_X1_Y1_AXON_MAP" })
        #expect(top.inputs.map(\.name) == ["clk", "rst", "host_in_valid", "host_in_flit", "host_out_ready"])
        #expect(top.outputs.map(\.name) == ["host_in_ready", "host_out_valid", "host_out_flit", "busy"])
    }

    /// The reference system: its FIFOs are the router queues and the core's input FIFO (one
    /// module, 64-bit x 4; the routes sit beside the router's in registers), the spike FIFO
    /// (9-bit x 64) and the 64-entry output FIFO.
    @Test func sameConfigurationSameVerilog() throws {
        let a = try TestSupport.emit(try SystemGenerator.design(.defaultConfig)).map { try String(contentsOf: $0, encoding: .utf8) }
        let b = try TestSupport.emit(try SystemGenerator.design(.defaultConfig)).map { try String(contentsOf: $0, encoding: .utf8) }
        #expect(a == b)
        let names = try TestSupport.emit(try SystemGenerator.design(.defaultConfig)).map { $0.deletingPathExtension().lastPathComponent.split(separator: "_").first.map(String.init) ?? "" }
        #expect(names.sorted() == ["MeshRouter", "PECore", "PETile", "RRArbiter", "SpikeSystem", "SyncFIFO", "SyncFIFO", "SyncFIFO"], "\(names)")
        let fifos = try TestSupport.emit(try SystemGenerator.design(.defaultConfig)).map { $0.deletingPathExtension().lastPathComponent }.filter { $0.hasPrefix("SyncFIFO") }
        #expect(fifos.sorted() == ["SyncFIFO_w64_d4", "SyncFIFO_w64_d64", "SyncFIFO_w9_d64"], "\(fifos)")
    }

    @Test func invalidTilesAreReportedAsSystemFields() {
        let bad = SystemConfig(cols: 2, rows: 2, pe: PEConfig(neurons: 30, lanes: 4, weightRows: 100))
        #expect(throws: ConfigError.self) { try bad.validate() }
        do { try bad.validate() } catch {
            #expect(Set(error.violations.map(\.field)).isSuperset(of: ["pe.lanes", "pe.weightRows"]), "\(error)")
        }
    }
}
