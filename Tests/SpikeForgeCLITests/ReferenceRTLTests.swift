import Foundation
import SpikeForgeCLI
import SpikeForgeCore
import Testing

/// The committed reference RTL (`rtl/`) is what the generators make today, and a stale or
/// hand-edited file is caught with its diff.
@Suite struct ReferenceRTLTests {
    /// The repository's `rtl/`, found from this file (Tests/SpikeForgeCLITests/ReferenceRTLTests.swift).
    static let rtl = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("rtl")

    static func regenerated() throws -> [String: Data] {
        try ReferenceRTL.tree(system: try ReferenceRTL.systemConfig(from: rtl.appendingPathComponent(ReferenceRTL.systemConfigPath)))
    }

    @Test func committedTreeIsUpToDate() throws {
        let expected = try Self.regenerated()
        let diff = FileTree.differences(expected: expected, actual: try FileTree.read(Self.rtl), label: "rtl")
        #expect(diff.isEmpty, "rtl/ is stale; run tools/regen-rtl and review the diff:\n\(diff.joined(separator: "\n"))")
        // Every catalog block and the system have their folder, with files.f and config.json.
        for b in Catalog.blocks.map(\.name) + [SystemConfig.blockName] {
            #expect(expected["\(b)/files.f"] != nil && expected["\(b)/config.json"] != nil, "rtl/\(b)")
        }
    }

    @Test func handEditedVerilogIsDetected() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("sf-rtl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let tree = try Self.regenerated()
        try FileTree.write(tree, to: tmp)
        #expect(runCLI(["reference-rtl", "--check", tmp.path]) == nil)

        // One line of one module edited by hand, one file added, one removed.
        let fifo = tree.keys.first { $0.hasPrefix("fifo/SyncFIFO_") && $0.hasSuffix(".v") }!
        let url = tmp.appendingPathComponent(fifo)
        let text = try String(contentsOf: url, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "assign push = in_valid & in_ready;", with: "assign push = in_valid;")
        #expect(edited != text)
        try edited.write(to: url, atomically: true, encoding: .utf8)
        try "// mine\n".write(to: tmp.appendingPathComponent("pe/Extra.v"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: tmp.appendingPathComponent("arbiter/files.f"))

        let diff = FileTree.differences(expected: tree, actual: try FileTree.read(tmp), label: "rtl")
        #expect(diff.contains("stale: rtl/\(fifo)"))
        #expect(diff.contains("-    assign push = in_valid;"))
        #expect(diff.contains("+    assign push = in_valid & in_ready;"))
        #expect(diff.contains { $0.hasPrefix("@@ -") })
        #expect(diff.contains { $0.hasPrefix("extra: rtl/pe/Extra.v") })
        #expect(diff.contains { $0.hasPrefix("missing: rtl/arbiter/files.f") })
        let message = runCLI(["reference-rtl", "--check", tmp.path]) ?? ""
        #expect(message.contains("is stale") && message.contains("3 file(s) differ"))

        // Rewriting restores the tree and removes the file nothing generates.
        #expect(runCLI(["reference-rtl", "--out", tmp.path]) == nil)
        #expect(try FileTree.read(tmp) == tree)
    }
}
