import ArgumentParser
import Foundation
import SpikeForgeCore
import Testbench
import VerilatorBridge

/// `spikeforge check`: generates every block, runs the RTL gates on it and co-simulates it
/// against its cycle model in Verilator.
public struct Check: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Generate every block, gate it (lint, synthesis, Icarus) and co-simulate it against its cycle model."
    )

    @Option(name: .long, help: "Output directory for the generated RTL.")
    var out: String = "spikeforge-out"

    @Option(name: .long, parsing: .unconditional, help: "Lockstep cycles per block.")
    var cycles: Int = 100_000

    @Option(name: .long, parsing: .unconditional, help: "Stimulus seed.")
    var seed: UInt64 = 1

    public init() {}

    public func validate() throws {
        if cycles < 1 { throw ValidationError("--cycles: got \(cycles), expected at least 1") }
    }

    public func run() throws {
        let root = URL(fileURLWithPath: out)
        let builder = try VerilatorBuild()
        print("SpikeForge \(SpikeForgeVersion.string) check: \(Catalog.blocks.count) blocks, \(cycles) lockstep cycles each, seed \(seed)")
        print("Verilator: \(builder.verilatorVersion); cache: \(builder.root.path)\n")
        var rows: [[String]] = [["block", "module", "lint", "cells", "mems", "iverilog", "build", "cycles", "mismatches", "RTL Mcyc/s", "model Mcyc/s"]]
        var failures: [String] = []
        for b in Catalog.blocks {
            do {
                let (design, cfg) = try b.generate(nil, [])
                let v = try RTLDirectory.write(design, config: cfg, to: root.appendingPathComponent(b.name))
                let synth = try RTLDirectory.gates(design, files: v)
                let (r, built) = try b.lockstep(nil, [], builder, cycles, seed)
                rows.append([
                    b.name, design.top, "clean", "\(synth.cells)", "\(synth.memories)", "ok", built.cached ? "cached" : String(format: "%.1fs", built.seconds),
                    "\(r.cycles)", "0", String(format: "%.2f", Double(r.cycles) / r.dutSeconds / 1e6), String(format: "%.2f", Double(r.cycles) / r.referenceSeconds / 1e6),
                ])
            } catch {
                failures.append("\(b.name): \(error)")
                rows.append([b.name, "-", "FAILED", "", "", "", "", "", "", "", ""])
            }
        }
        print(Table.render(rows))
        print("\nRTL written to \(root.path)/<block>/ (one .v per module, files.f, config.json)")
        if !failures.isEmpty { throw CLIError.failed(what: "\(failures.count) block(s) failed", details: failures) }
        print("all \(Catalog.blocks.count) blocks: gates passed, \(cycles * Catalog.blocks.count) lockstep cycles, zero mismatches")
    }
}
