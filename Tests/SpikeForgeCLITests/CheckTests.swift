import Foundation
import SpikeForgeCLI
import Testing

/// Every block generated, gated and co-simulated (short runs; the builds are cached by other tests).
@Suite struct CheckTests {
    @Test func checkGeneratesGatesAndCoSimulatesEveryBlock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var cmd = try SpikeForge.parseAsRoot(["check", "--out", dir.path, "--cycles", "3000", "--seed", "9"])
        try cmd.run()
        for b in Catalog.blocks {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(b.name).path)
            #expect(files.contains("files.f") && files.contains("config.json") && files.contains { $0.hasSuffix(".v") })
        }
    }
}
