import ArgumentParser
import EDATools
import Foundation
import HWIR
import SpikeForgeCore
import VerilogEmitter

/// `spikeforge generate <block>`: writes the block's Verilog, `files.f` and `config.json`.
public struct Generate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Generate a block's Verilog, files.f and resolved config.json.",
        discussion: "Blocks: " + Catalog.blocks.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
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
        let entry = try Catalog.block(named: block)
        let (design, cfg) = try entry.generate(config, sets)
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
}
