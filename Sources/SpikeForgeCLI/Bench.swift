import ArgumentParser
import Foundation
import SpikeForgeCore
import Testbench

/// `spikeforge bench ...`: benchmarks that print each figure beside its reference, measured in
/// the same run.
public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Benchmarks, each against a reference measured in the same run.", subcommands: [Cosim.self, NoCSpeed.self, TrainSpeed.self])
    public init() {}

    /// Verilated FIFO driven from Swift through the shim in batches, against the same model
    /// driven by a pure C++ loop; plus cold and cached build times.
    public struct Cosim: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Co-simulation throughput: Swift through the shim (batched) vs a pure C++ loop.")

        @Option(parsing: .unconditional, help: "Cycles per measurement.") var cycles: Int = 2_000_000
        @Option(parsing: .unconditional, help: "Cycles per batched shim call.") var batch: Int = 4096
        @Option(parsing: .unconditional, help: "Measurements per engine (best is kept).") var repeats: Int = 5
        @Option(parsing: .unconditional, help: "FIFO width.") var width: Int = 32
        @Option(parsing: .unconditional, help: "FIFO depth.") var depth: Int = 16

        public init() {}

        public func validate() throws {
            var problems: [String] = []
            if cycles < 1000 { problems.append("--cycles: got \(cycles), expected at least 1000") }
            if batch < 1 || batch > cycles { problems.append("--batch: got \(batch), expected 1...\(cycles)") }
            if repeats < 1 { problems.append("--repeats: got \(repeats), expected at least 1") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        }

        public func run() throws {
            let r = try CosimBenchmark(width: width, depth: depth, cycles: cycles, batch: batch, repeats: repeats).run()
            let n = r.cycles, ratio = r.ratio
            print("co-simulation benchmark: \(r.top), \(n) cycles per run, batch \(batch), best of \(repeats)")
            print(String(format: "  build, cold (runtime + model):  %7.2f s", r.coldSeconds))
            print(String(format: "  build, cold (model only):       %7.2f s", r.coldModelOnlySeconds))
            print(String(format: "  build, cached:                  %7.3f s", r.cachedSeconds))
            print(String(format: "  C++ testbench loop (reference): %7.2f Mcycles/s", r.native / 1e6))
            print(String(format: "  Swift via shim, batched:        %7.2f Mcycles/s", r.swift / 1e6))
            print(String(format: "  ratio Swift/C++:                %7.3f   (goal >= 0.90: %@)", ratio, ratio >= 0.9 ? "met" : "NOT met"))
            print(String(format: "  Swift cycle model (for scale):  %7.2f Mcycles/s", r.model / 1e6))
            print("  (checksum \(r.checksum))")
        }
    }

    /// The mesh cycle model against the Verilated mesh, same traffic, same run.
    public struct NoCSpeed: ParsableCommand {
        public static let configuration = CommandConfiguration(commandName: "noc", abstract: "Mesh simulation speed: Swift cycle model vs Verilator, on the same traffic.")
        @Option(parsing: .unconditional) var cols: Int = 8
        @Option(parsing: .unconditional) var rows: Int = 8
        @Option(parsing: .unconditional, help: "Offered load, flits/node/cycle.") var rate: Double = 0.3
        @Option(parsing: .unconditional, help: "Cycles per engine.") var cycles: Int = 20_000
        public init() {}

        public func run() throws {
            let c = MeshConfig(cols: cols, rows: rows, flitWidth: 64, bufferDepth: 4)
            try c.validate()
            let r = try MeshSpeed(mesh: c, rate: rate, cycles: cycles).run()
            let (bestM, bestV, dm, dv) = (r.modelSeconds, r.verilatorSeconds, r.modelDelivered, r.verilatorDelivered)
            print("NoC simulation speed: \(cols)x\(rows) mesh, uniform offers at \(rate) flits/node/cycle, \(cycles) cycles, best of 3, engine time only")
            print(String(format: "  Swift cycle model:  %9.0f cycles/s  (%d flits delivered)", Double(cycles) / bestM, dm))
            print(String(format: "  Verilator RTL:      %9.0f cycles/s  (%d flits delivered)", Double(cycles) / bestV, dv))
            print(String(format: "  ratio model/Verilator: %.2f  (goal >= 1.0: %@)", bestV / bestM, bestV / bestM >= 1 ? "met" : "NOT met"))
            if dm != dv { print("  WARNING: the engines delivered different numbers of flits") }
        }
    }
}
