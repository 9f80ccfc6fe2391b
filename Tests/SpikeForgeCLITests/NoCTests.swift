import Foundation
import SpikeForgeCLI
import SpikeForgeCore
import Testing

@Suite struct NoCCommandTests {
    @Test func sweepWritesCSVAndSVG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["noc", "sweep", "--cols", "4", "--rows", "4", "--rates", "0.05,0.3", "--warmup", "200", "--measure", "800", "--out", dir.path]) == nil)
        let csv = try String(contentsOf: dir.appendingPathComponent("sweep.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0] == "offered,accepted,mean_latency,p99_latency,packets,drained")
        let svg = try String(contentsOf: dir.appendingPathComponent("sweep.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline"))
        // The chart is titled with the mesh size (a local table once shadowed --rows here).
        #expect(svg.contains("4x4 mesh, uniform"), "\(svg.prefix(400))")
    }

    @Test func badInputListsEveryViolation() {
        #expect(runCLI(["noc", "sweep", "--cols", "0", "--rows", "17", "--depth", "1", "--traffic", "tornado", "--out", "/tmp/unused"]) == """
        invalid noc sweep (4 violations):
          - cols: got 0, expected 1...16
          - rows: got 17, expected 1...16
          - bufferDepth: got 1, expected 2...64 (valid/ready with registered ready needs 2 flits to sustain one flit per cycle)
          - traffic: got tornado, expected one of uniform, transpose, bitcomplement, hotspot, neighbor
        """)
        #expect(runCLI(["noc", "sweep", "--cols", "4", "--rows", "3", "--traffic", "transpose", "--out", "/tmp/unused"]) == """
        invalid noc sweep (1 violation):
          - traffic: got transpose, expected a square mesh (got 4x3)
        """)
        #expect(runCLI(["noc", "sweep", "--engine", "booksim", "--out", "/tmp/unused"]) == """
        invalid noc sweep (1 violation):
          - engine: got booksim, expected model or verilator
        """)
    }

    @Test func stressSmall() {
        #expect(runCLI(["noc", "stress", "--cols", "3", "--rows", "3", "--seeds", "2", "--cycles", "5000"]) == nil)
    }

    @Test func generateRouterAndMesh() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-gen-noc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(runCLI(["generate", "router", "--out", dir.appendingPathComponent("r").path]) == nil)
        #expect(runCLI(["generate", "mesh", "--set", "cols=8", "--set", "rows=8", "--out", dir.appendingPathComponent("m").path]) == nil)
        let f = try String(contentsOf: dir.appendingPathComponent("m/files.f"), encoding: .utf8)
        // The queues hold 64-bit flits; their routes sit beside them in registers.
        #expect(f == "RRArbiter_n10.v\nSyncFIFO_w64_d4.v\nMeshRouter_c8_r8_f64_b4_q2.v\nMesh_c8_r8_f64_b4_q2.v\n")
    }
}
