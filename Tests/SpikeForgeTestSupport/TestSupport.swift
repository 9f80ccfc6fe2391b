import VerilatorBridge
import EDATools
import Foundation
import HWIR
import SpikeForgeCore
import VerilogEmitter

/// Shared helpers for every test target: emitting designs to disk, the three RTL gates, and
/// one Verilator build cache for the whole test process.
public enum TestSupport {
    /// One builder for the process; its cache is the user's (or `$SPIKEFORGE_CACHE`).
    public static let builder: Result<VerilatorBuild, Error> = Result { try VerilatorBuild() }

    public static func build(_ design: Design, options: BuildOptions = .init()) throws -> VerilatedModel {
        try VerilatedModel(try builder.get().build(design, options: options))
    }

    /// A fresh temporary directory, removed by the caller when it wants.
    public static func tempDir(_ tag: String = "sf") -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Emits `design` into a new directory and returns the `.v` files in `files.f` order.
    public static func emit(_ design: Design, to dir: URL? = nil) throws -> [URL] {
        let d = dir ?? tempDir("sf-emit")
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string)
        for f in files { try f.contents.write(to: d.appendingPathComponent(f.name), atomically: true, encoding: .utf8) }
        let list = files.first { $0.name == "files.f" }!.contents.split(separator: "\n").map(String.init)
        return list.map { d.appendingPathComponent($0) }
    }

    /// Verilator `-Wall` lint with zero warnings, Yosys synthesis with no latches and every
    /// memory inferred (SRAM-sized memories kept as macros unless `mapMemories` says otherwise), Icarus `-g2012` compile. Throws the first gate that fails.
    @discardableResult
    public static func gates(_ design: Design, mapMemories: Bool? = nil) throws -> SynthReport {
        let dir = tempDir("sf-gates")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = try emit(design, to: dir)
        try Gates.lint(files: files, top: design.top)
        let report = try Gates.synth(files: files, top: design.top, expectedMemories: design.flattenedMemoryCount(), mapMemories: mapMemories ?? !design.keepsMemoriesAsMacros)
        try Gates.iverilog(files: files, top: design.top)
        return report
    }
}
