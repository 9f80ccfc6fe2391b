import ArgumentParser
import Compiler
import EDATools
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import VerilogEmitter

/// `spikeforge generate <block>`: writes the block's Verilog, `files.f` and `config.json`.
public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Generate a block's Verilog, files.f and resolved config.json.",
        discussion: "Blocks: " + Catalog.blocks.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
            + "; system (the whole mesh of PE tiles with its host port: --config SYSTEM.json from spikeforge export)"
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

    public init() {}

    public func run() throws {
        let (design, cfg) = try block == SystemConfig.blockName ? Self.system(config, sets) : Catalog.block(named: block).generate(config, sets)
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string)
        var out = files.map { (name: $0.name, contents: Data($0.contents.utf8)) }
        out.append((name: "config.json", contents: Data((cfg + "\n").utf8)))
        let dir = URL(fileURLWithPath: self.out)
        try AtomicOutput.write(files: out, to: dir)
        print("wrote \(files.count - 1) module\(files.count == 2 ? "" : "s"), files.f and config.json to \(dir.path)")
        if check {
            let vfiles = files.filter { $0.name.hasSuffix(".v") }.map { dir.appendingPathComponent($0.name) }
            try Gates.lint(files: vfiles, top: design.top)
            let r = try Gates.synth(files: vfiles, top: design.top, expectedMemories: design.flattenedMemoryCount(), mapMemories: !design.keepsMemoriesAsMacros)
            try Gates.iverilog(files: vfiles, top: design.top)
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
        guard let data = FileManager.default.contents(atPath: file) else { throw ConfigError.badFile(path: file, reason: "cannot read it") }
        let c: SystemConfig
        if let plan = try? JSONDecoder().decode(SystemPlan.self, from: data) {
            c = plan.system
        } else {
            do { c = try JSONDecoder().decode(SystemConfig.self, from: data) } catch {
                throw ConfigError.badFile(path: file, reason: "neither a system file from spikeforge export nor a SystemConfig: \(error)")
            }
        }
        return (try SystemGenerator.design(c), try CanonicalJSON.encode(c, pretty: true))
    }
}
