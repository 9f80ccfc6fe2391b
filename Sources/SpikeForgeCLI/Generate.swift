import ArgumentParser
import Compiler
import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import Testbench
import VerilogEmitter

/// `spikeforge generate <block>`: writes the block's Verilog, `files.f` and `config.json`.
public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Generate a block's Verilog, files.f and resolved config.json.",
        discussion: "Blocks: " + Catalog.blocks.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
            + "; system (the whole mesh of PE tiles with its host port: --config SYSTEM.json from spikeforge export). "
            + "'spikeforge blocks <block>' lists the block's fields (--set name=value) with type, default and allowed values."
    )

    @Argument(help: "The block to generate.")
    var block: String

    @Option(name: .long, help: "A JSON file of configuration fields.")
    var config: String?

    @Option(name: .customLong("set"), help: "Override one field, as key=value. Repeatable.")
    var sets: [String] = []

    @Option(name: .long, help: "Output directory.")
    var out: String

    @Flag(name: .long, help: "Also run the lint, synthesis and Icarus gates on the output.")
    var check = false

    @Flag(name: .long, help: "Annotate declarations and statements with the generator's Swift source line (// @[PE.swift 123]).")
    var sourceLocations = false

    public init() {}

    public func run() throws {
        let (design, cfg) = try block == SystemConfig.blockName ? Self.system(config, sets) : Catalog.block(named: block).generate(config, sets)
        let dir = URL(fileURLWithPath: self.out)
        let modules = try RTLDirectory.write(design, config: cfg, to: dir, options: EmitOptions(sourceLocations: sourceLocations))
        print("wrote \(modules.count) module\(modules.count == 1 ? "" : "s"), files.f and config.json to \(dir.path)")
        if check {
            let r = try RTLDirectory.gates(design, files: modules)
            print("gates: verilator -Wall clean; yosys \(r.cells) cells, \(r.memories) memories, no latches; iverilog ok")
        }
    }

    /// `generate system`: the configuration is a system file from `spikeforge export` (its
    /// `system` field) or a bare `SystemConfig`.
    static func system(_ file: String?, _ sets: [String]) throws -> (Design, String) {
        guard let file else {
            throw ConfigError.badFile(path: "(none)", reason: "generate system needs --config SYSTEM.json (from spikeforge export, or a SystemConfig)")
        }
        if !sets.isEmpty { throw ConfigError.badValue(block: "SystemConfig", key: "--set", value: sets.joined(separator: " "), expected: "no --set: the system comes from --config") }
        let c = try SystemPlan.system(reading: URL(fileURLWithPath: file))
        return (try SystemGenerator.design(c), try CanonicalJSON.encode(c, pretty: true))
    }
}

/// A design's RTL as SpikeForge writes it: one `.v` per module, `files.f` and the resolved
/// `config.json`, written atomically as a whole directory (marked by `files.f`).
enum RTLDirectory {
    /// The directory's files (name, contents): the modules in `files.f` order, `files.f`, `config.json`.
    static func files(_ design: Design, config: String, options: EmitOptions = .init()) throws -> [(name: String, contents: Data)] {
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string, options: options)
        return files.map { ($0.name, Data($0.contents.utf8)) } + [("config.json", Data((config + "\n").utf8))]
    }

    /// Writes the directory, replacing a previous RTL directory wholly (no stale module stays);
    /// returns the module files, in `files.f` order.
    static func write(_ design: Design, config: String, to dir: URL, options: EmitOptions = .init()) throws -> [URL] {
        let files = try files(design, config: config, options: options)
        try AtomicOutput.replaceDirectory(at: dir, with: files, kind: .rtl)
        return files.map(\.name).filter { $0.hasSuffix(".v") }.map { dir.appendingPathComponent($0) }
    }

    /// The gates on written RTL: Verilator lint, Yosys synthesis with every memory inferred, Icarus.
    static func gates(_ design: Design, files: [URL]) throws -> SynthReport {
        try Gates.lint(files: files, top: design.top)
        let r = try Synthesis.gate(design, files: files)
        try Gates.iverilog(files: files, top: design.top)
        return r
    }
}
