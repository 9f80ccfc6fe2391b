import VerilatorBridge
import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

@Suite struct VerilatorBuildTests {
    /// A design no other test builds, so the first build here is cold.
    static func uniqueDesign(_ tag: String) -> Design {
        let b = ModuleBuilder("Uniq_\(tag)", configuration: "{\"tag\":\"\(tag)\"}")
        b.clock()
        b.reset()
        let a = b.input("a", .uint(8))
        let r = b.reg("r", .uint(8))
        b.next(r, r ^ a)
        b.output("y", r)
        return Design(top: b.build().name, modules: [b.build()])
    }

    @Test func secondBuildComesFromCache() throws {
        let root = TestSupport.tempDir("sf-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let vb = try VerilatorBuild(root: root)
        let d = Self.uniqueDesign("cache")
        let cold = try vb.build(d)
        let warm = try vb.build(d)
        #expect(!cold.cached && warm.cached)
        #expect(cold.key == warm.key && cold.library == warm.library)
        #expect(warm.seconds < cold.seconds)
        // Changing the Verilog changes the key; tracing changes the key.
        let other = try vb.build(Self.uniqueDesign("cache2"))
        #expect(other.key != cold.key)
        let traced = try vb.build(d, options: .init(trace: true))
        #expect(traced.key != cold.key && !traced.cached)
        // No staging directories are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("verilator/models").path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func parallelBuildsOfOneDesignAreSafe() async throws {
        let root = TestSupport.tempDir("sf-cache-par")
        defer { try? FileManager.default.removeItem(at: root) }
        let d = Self.uniqueDesign("parallel")
        let results = try await withThrowingTaskGroup(of: BuiltModel.self) { g in
            for _ in 0 ..< 3 { g.addTask { try VerilatorBuild(root: root).build(d) } }
            return try await g.reduce(into: [BuiltModel]()) { $0.append($1) }
        }
        #expect(results.count == 3)
        #expect(Set(results.map(\.key)).count == 1)
        #expect(results.filter { !$0.cached }.count == 1, "exactly one task builds; the others wait on the lock and reuse it")
        let m = try VerilatedModel(results[0])
        #expect(m.outputLayout.ports.map(\.name) == ["y"])
    }

    @Test func missingVerilatorSaysHowToInstall() {
        #expect(throws: ToolError.notFound(tool: "verilator", envVar: "VERILATOR", install: "apt-get install verilator")) {
            try Tool.locate("verilator", envVar: "VERILATOR", install: "apt-get install verilator", environment: ["VERILATOR": "/nonexistent/verilator"])
        }
        let e = ToolError.notFound(tool: "verilator", envVar: "VERILATOR", install: "apt-get install verilator")
        #expect(e.description == "verilator not found: looked in $VERILATOR and PATH. Install it with `tools/setup` (or `apt-get install verilator`), or point $VERILATOR at the binary.")
        #expect(throws: ToolError.self) { try Tool.locate("verilator", envVar: "VERILATOR", install: "x", environment: ["PATH": "/nonexistent"]) }
    }
}
