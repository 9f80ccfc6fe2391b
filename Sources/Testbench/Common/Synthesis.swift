import EDATools
import Foundation
import HWIR
import SpikeForgeCore
import VerilogEmitter

/// Yosys figures of a design that is not on disk: its modules are emitted into a scratch
/// directory, synthesized, and the directory removed.
public enum Synthesis {
    /// Yosys generic cells of `design`. `expectedMemories` and `mapMemories` are passed to
    /// `Gates.synth` (keep large memories as `$mem` macros so the cells are the logic).
    public static func cells(_ design: Design, expectedMemories: Int, mapMemories: Bool = true) throws -> Int {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-synth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string).filter { $0.name.hasSuffix(".v") }
        try AtomicOutput.write(files: files.map { ($0.name, Data($0.contents.utf8)) }, to: dir)
        let paths = files.map { dir.appendingPathComponent($0.name) }
        return try Gates.synth(files: paths, top: design.top, expectedMemories: expectedMemories, mapMemories: mapMemories).cells
    }
}
