import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

/// The router and meshes pass the RTL gates (lint -Wall clean, synthesis without latches with
/// every FIFO inferred as a memory, Icarus).
@Suite struct NoCTests {
    @Test func routerPassesGates() throws {
        let d = try RouterGenerator.design(.init(cols: 4, rows: 4, flitWidth: 64, bufferDepth: 4))
        let r = try TestSupport.gates(d)
        #expect(r.memories == 10, "two queues on each of five ports")
        let single = try RouterGenerator.design(.init(cols: 4, rows: 4, flitWidth: 64, bufferDepth: 4, splitQueues: false))
        #expect(try TestSupport.gates(single).memories == 5)
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 5)])
    func meshPassesGates(_ size: (Int, Int)) throws {
        let d = try MeshGenerator.design(.init(cols: size.0, rows: size.1, flitWidth: 32, bufferDepth: 2))
        let r = try TestSupport.gates(d)
        #expect(r.memories == 10 * size.0 * size.1)
    }

    @Test func badConfigurationsListEveryViolation() {
        #expect(throws: ConfigError.invalid(block: "MeshConfig", violations: [
            .init(field: "cols", value: "0", expected: "1...16"), .init(field: "rows", value: "17", expected: "1...16"),
            .init(field: "flitWidth", value: "16", expected: "21...256 (20 bits of coordinates, host flag and type, plus payload)"),
            .init(field: "bufferDepth", value: "1", expected: "2...64 (valid/ready with registered ready needs 2 flits to sustain one flit per cycle)"),
        ])) { try MeshConfig(cols: 0, rows: 17, flitWidth: 16, bufferDepth: 1).validate() }
    }
}
