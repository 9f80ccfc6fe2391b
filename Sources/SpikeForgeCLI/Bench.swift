import ArgumentParser
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import Testbench
import VerilatorBridge

/// `spikeforge bench ...`: benchmarks that print each figure beside its reference, measured in
/// the same run.
public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(abstract: "Benchmarks, each against a reference measured in the same run.", subcommands: [Cosim.self, NoCSpeed.self, TrainSpeed.self])
    public init() {}

    /// Verilated FIFO driven from Swift through the shim in batches, against the same model
    /// driven by a pure C++ loop; plus cold and cached build times.
    public struct Cosim: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Co-simulation throughput: Swift through the shim (batched) vs a pure C++ loop.")

        @Option(help: "Cycles per measurement.") var cycles: Int = 2_000_000
        @Option(help: "Cycles per batched shim call.") var batch: Int = 4096
        @Option(help: "Measurements per engine (best is kept).") var repeats: Int = 5
        @Option(help: "FIFO width.") var width: Int = 32
        @Option(help: "FIFO depth.") var depth: Int = 16

        public init() {}

        public func validate() throws {
            var problems: [String] = []
            if cycles < 1000 { problems.append("--cycles: got \(cycles), expected at least 1000") }
            if batch < 1 || batch > cycles { problems.append("--batch: got \(batch), expected 1...\(cycles)") }
            if repeats < 1 { problems.append("--repeats: got \(repeats), expected at least 1") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        }

        public func run() throws {
            let c = FIFOConfig(width: width, depth: depth)
            let design = try FIFOGenerator.design(c)
            let twin = try FIFOGenerator.design(.init(width: width, depth: depth + 1))
            // Builds, measured in a fresh cache so the cold figures are honest.
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-bench-\(getpid())")
            defer { try? FileManager.default.removeItem(at: root) }
            let vb = try VerilatorBuild(root: root)
            let cold = try vb.build(design)
            let coldModelOnly = try vb.build(twin)
            let cached = try vb.build(design)

            let m = try VerilatedModel(cached)
            let inStride = m.inputLayout.stride, outStride = m.outputLayout.stride
            var rng = SplitMix64(seed: 0xBE7C)
            let stimulus = (0 ..< batch * inStride).map { _ in rng.next() }
            var responses = [UInt64](repeating: 0, count: batch * outStride)
            let rounds = cycles / batch
            let n = rounds * batch

            func seconds(_ body: () -> Void) -> Double {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            }
            var bestNative = Double.infinity, bestSwift = Double.infinity
            var checksum: UInt64 = 0
            // Interleave the two engines so machine noise hits both alike.
            for _ in 0 ..< repeats {
                bestNative = min(bestNative, seconds { checksum &+= m.benchNative(rounds: rounds, batch: batch, stimulus: stimulus) })
                bestSwift = min(bestSwift, seconds {
                    stimulus.withUnsafeBufferPointer { i in
                        responses.withUnsafeMutableBufferPointer { o in
                            for _ in 0 ..< rounds { m.run(cycles: batch, inputs: i, outputs: o) }
                        }
                    }
                })
            }
            // The Swift cycle model on the same stimulus, for scale.
            var model = FIFOModel(c)
            let modelCycles = min(n, 200_000)
            let modelTime = seconds {
                stimulus.withUnsafeBufferPointer { i in
                    responses.withUnsafeMutableBufferPointer { o in
                        for _ in 0 ..< modelCycles / batch { model.run(cycles: batch, inputs: i, outputs: o) }
                    }
                }
            }
            let native = Double(n) / bestNative, swift = Double(n) / bestSwift
            let ratio = swift / native
            print("co-simulation benchmark: \(design.top), \(n) cycles per run, batch \(batch), best of \(repeats)")
            print(String(format: "  build, cold (runtime + model):  %7.2f s", cold.seconds))
            print(String(format: "  build, cold (model only):       %7.2f s", coldModelOnly.seconds))
            print(String(format: "  build, cached:                  %7.3f s", cached.seconds))
            print(String(format: "  C++ testbench loop (reference): %7.2f Mcycles/s", native / 1e6))
            print(String(format: "  Swift via shim, batched:        %7.2f Mcycles/s", swift / 1e6))
            print(String(format: "  ratio Swift/C++:                %7.3f   (goal >= 0.90: %@)", ratio, ratio >= 0.9 ? "met" : "NOT met"))
            print(String(format: "  Swift cycle model (for scale):  %7.2f Mcycles/s", Double(modelCycles / batch * batch) / modelTime / 1e6))
            print("  (checksum \(checksum))")
        }
    }

    /// The mesh cycle model against the Verilated mesh, same traffic, same run.
    public struct NoCSpeed: ParsableCommand {
        public static let configuration = CommandConfiguration(commandName: "noc", abstract: "Mesh simulation speed: Swift cycle model vs Verilator, on the same traffic.")
        @Option var cols: Int = 8
        @Option var rows: Int = 8
        @Option(help: "Offered load, flits/node/cycle.") var rate: Double = 0.3
        @Option(help: "Cycles per engine.") var cycles: Int = 20_000
        public init() {}

        public func run() throws {
            let c = MeshConfig(cols: cols, rows: rows, flitWidth: 64, bufferDepth: 4)
            try c.validate()
            // The same pre-generated offers for both engines: uniform destinations, each node
            // offering a new flit with probability `rate` per cycle; only engine time is measured.
            var rng = SplitMix64(seed: 7)
            let period = 2048
            let offers: [[UInt64?]] = (0 ..< period).map { _ in
                (0 ..< c.nodes).map { s in
                    guard rng.chance(rate) else { return nil }
                    let d = TrafficPattern.uniform.destination(s, cols: c.cols, rows: c.rows, rng: &rng)
                    return Flit.unicast(x: d % c.cols, y: d / c.cols, payload: UInt64(s)).encode(width: 64)[0]
                }
            }
            func timed<E: MeshEngine>(_ e: inout E) -> (seconds: Double, delivered: Int) {
                var accepted = Array(repeating: false, count: c.nodes)
                var delivered = Array(repeating: UInt64?.none, count: c.nodes)
                var n = 0
                let t0 = DispatchTime.now().uptimeNanoseconds
                for k in 0 ..< cycles {
                    e.cycle(offers: offers[k % period], accepted: &accepted, delivered: &delivered)
                    for d in delivered where d != nil { n += 1 }
                }
                return (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, n)
            }
            let built = try VerilatorBuild().build(try MeshGenerator.design(c))
            var rtl = VerilatorMeshEngine(c, model: try VerilatedModel(built))
            var model = ModelMeshEngine(c)
            var bestM = Double.infinity, bestV = Double.infinity
            var dm = 0, dv = 0
            for _ in 0 ..< 3 {
                var m = model
                let a = timed(&m)
                bestM = min(bestM, a.seconds)
                dm = a.delivered
                let b = timed(&rtl)
                bestV = min(bestV, b.seconds)
                dv = b.delivered
                rtl = VerilatorMeshEngine(c, model: try VerilatedModel(built))
            }
            model = ModelMeshEngine(c)
            print("NoC simulation speed: \(cols)x\(rows) mesh, uniform offers at \(rate) flits/node/cycle, \(cycles) cycles, best of 3, engine time only")
            print(String(format: "  Swift cycle model:  %9.0f cycles/s  (%d flits delivered)", Double(cycles) / bestM, dm))
            print(String(format: "  Verilator RTL:      %9.0f cycles/s  (%d flits delivered)", Double(cycles) / bestV, dv))
            print(String(format: "  ratio model/Verilator: %.2f  (goal >= 1.0: %@)", bestV / bestM, bestV / bestM >= 1 ? "met" : "NOT met"))
            if dm != dv { print("  WARNING: the engines delivered different numbers of flits") }
        }
    }
}
