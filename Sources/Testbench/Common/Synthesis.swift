import EDATools
import Foundation
import HWIR
import SpikeForgeCore
import VerilogEmitter

/// Yosys figures of a design that is not on disk: its modules are emitted into a scratch
/// directory, synthesized, and the directory removed.
public enum Synthesis {
    /// Yosys generic cells of `design` (`gate`'s count).
    public static func cells(_ design: Design) throws -> Int {
        try withEmitted(design) { try gate(design, files: $0).cells }
    }

    /// The Yosys gate of `generate --check` on `design`'s written `files`: every memory inferred,
    /// no latch, and memories larger than `Design.macroMemoryBits` kept as `$mem` macros so the
    /// cells are the logic around them.
    public static func gate(_ design: Design, files: [URL]) throws(ToolError) -> SynthReport {
        try Gates.synth(files: files, top: design.top, expectedMemories: design.flattenedMemoryCount(), mapMemories: !design.keepsMemoriesAsMacros)
    }

    /// Calls `body` with the paths of `design`'s module files, emitted into a scratch directory
    /// that is removed afterwards.
    public static func withEmitted<T>(_ design: Design, _ body: ([URL]) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-synth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string).filter { $0.name.hasSuffix(".v") }
        try AtomicOutput.write(files: files.map { ($0.name, Data($0.contents.utf8)) }, to: dir)
        return try body(files.map { dir.appendingPathComponent($0.name) })
    }
}
