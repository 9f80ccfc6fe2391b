import Foundation
import SpikeForgeCLI
import Testing

/// The main job end to end on every block (short runs; the builds are cached by other tests).
@Suite struct FlowTests {
    @Test func flowGeneratesGatesAndCoSimulatesEveryBlock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-flow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var cmd = try SpikeForge.parseAsRoot(["flow", "--out", dir.path, "--cycles", "3000", "--seed", "9"])
        try cmd.run()
        for b in Catalog.blocks {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(b.name).path)
            #expect(files.contains("files.f") && files.contains("config.json") && files.contains { $0.hasSuffix(".v") })
        }
    }
}
