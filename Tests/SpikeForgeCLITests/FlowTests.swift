import Foundation
import SpikeForgeCLI
import Testing

/// The README's main command, as a fresh clone runs it (only the output directory differs):
/// train on generated digits, export onto a 3x3 mesh, generate and lint the RTL, simulate on both
/// engines and check every image against the integer model and the engines against each other.
@Suite struct FlowTests {
    @Test func readmeMainCommand() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-flow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let err = runCLI(["flow", "--out", dir.path])
        #expect(err == nil, "\(err ?? "")")
        for f in ["model/manifest.json", "design/system.json", "design/images/manifest.json", "design/rtl/files.f"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f)")
        }
    }
}
