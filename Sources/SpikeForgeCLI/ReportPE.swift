import ArgumentParser
import Foundation
import SpikeForgeCore
import Testbench

/// `spikeforge report pe`: synaptic operations per busy cycle against `lanes`, the latency from
/// a spike packet's arrival to the first spike it causes, and the Yosys cells and SRAM bits of
/// one PE tile. Throughput and latency come from the cycle model, which the lockstep tests hold
/// cycle-exact with the RTL.
public struct PEReport: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "pe", abstract: "PE throughput against lanes, spike latency, Yosys cells and SRAM bits.")

    @Option(parsing: .unconditional, help: "Input spike packets per throughput run.") var packets: Int = 2000
    @Option(parsing: .unconditional, help: "Layer threshold θ of the throughput runs (larger: fewer output spikes).") var theta: Int = 2000
    @Option(parsing: .unconditional, help: "Seed of the weights and spike streams.") var seed: UInt64 = 1
    @Flag(help: "Skip Yosys synthesis (cells).") var noSynth = false

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if packets < 1 || packets > 10_000_000 { p.append("--packets: got \(packets), expected 1...10000000") }
        if theta < 1 || theta >= 1 << 14 { p.append("--theta: got \(theta), expected 1...16383 (the default PE's 14-bit threshold)") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    /// The report's table: a header and one row per lane count.
    public static func rows(packets: Int, theta: Int, seed: UInt64, synth: Bool) throws -> [[String]] {
        var t = [["lanes", "synaptic ops", "busy cycles", "ops/cycle", "ops/cycle/lane", "spikes out", "latency (cycles)", "SRAM bits", "cells (logic)"]]
        for f in try PEMeasurement.laneSweep(packets: packets, theta: theta, seed: seed, synth: synth) {
            let m = f.throughput
            t.append(["\(f.lanes)\(f.lanes == PEConfig.defaultConfig.lanes ? " (default)" : "")", "\(m.synapticOps)", "\(m.busyCycles)", String(format: "%.3f", m.opsPerCycle),
                      String(format: "%.3f", m.efficiency), "\(m.spikesSent)", "\(f.latency)", "\(f.sramBits)", f.cells.map { "\($0)" } ?? "-"])
        }
        return t
    }

    public func run() throws {
        print("PE report: default PE (\(PEConfig.defaultConfig.neurons) neurons, 8-bit weights, 16-bit V) with lanes 1, 2, 4, 8;")
        print("one reluFloor layer of every neuron, \(packets) random input spikes from the host, θ = \(theta); cycle model (cycle-exact with the RTL).\n")
        print(Table.render(try Self.rows(packets: packets, theta: theta, seed: seed, synth: !noSynth)))
        print("""

        ops/cycle/lane: synaptic operations per busy cycle over lanes; the goal is >= 0.9 (SRAM latency hidden by the pipeline).
        latency: cycles from a spike packet entering the tile's west port to the first spike packet it causes leaving the tile.
        SRAM bits: weights, state, bias, axon map, targets, parameters and accumulated weights.
        cells: Yosys generic synthesis of the tile (router included) with the SRAMs kept as memories (not counted).
        """)
    }
}
