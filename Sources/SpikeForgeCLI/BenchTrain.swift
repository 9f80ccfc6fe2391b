import ArgumentParser
import Datasets
import EDATools
import Foundation
import SpikeForgeCore
import Testbench
import Trainer

/// Peak resident memory of this process so far, in bytes.
func peakResidentBytes() -> Int {
    var u = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &u)
    return u.ru_maxrss * 1024
}

extension Bench {
    /// SpikeForge's trainer against a NumPy + OpenBLAS float32 MLP of the same shape and batch,
    /// one epoch each, alternated in the same run.
    public struct TrainSpeed: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Training images/s against the NumPy + OpenBLAS reference (tools/bench_mlp_numpy.py), same run."
        )

        @Option(help: "MNIST directory (both engines read it).") var data: String
        @Option(help: "Layer sizes.") var arch: String = "784-800-10"
        @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Batch size.") var batchSize: Int = 64
        @Option(parsing: .unconditional, help: "Rounds; each runs the reference and SpikeForge once, and the best of each is kept.") var rounds: Int = 2
        @Option(help: "The reference script.") var reference: String = Self.defaultReference
        @Option(help: "Python interpreter with NumPy (a name on PATH, or set $PYTHON).") var python: String = "python3"

        public init() {}

        static var defaultReference: String {
            let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../tools/bench_mlp_numpy.py").standardizedFileURL.path
            return FileManager.default.fileExists(atPath: "tools/bench_mlp_numpy.py") ? "tools/bench_mlp_numpy.py" : here
        }

        public func validate() throws {
            var problems: [String] = []
            if rounds < 1 { problems.append("--rounds: got \(rounds), expected at least 1") }
            if batchSize < 1 { problems.append("--batch-size: got \(batchSize), expected at least 1") }
            if !FileManager.default.fileExists(atPath: reference) { problems.append("--reference: '\(reference)' does not exist; expected the NumPy benchmark script") }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        }

        struct ReferenceResult: Decodable {
            var images: Int
            var seconds: Double
            var images_per_second: Double
            var test_accuracy: Double
            var blas: String
            var numpy: String
        }

        func runReference() throws -> ReferenceResult {
            let py = try Tool.locate(python, envVar: "PYTHON", install: "apt-get install python3 (with NumPy)")
            let args = [reference, "--data", data, "--arch", arch, "--batch", "\(batchSize)"]
            let output = try py.check(args)
            // The script's last line is its JSON result; anything before it is diagnostics.
            guard let line = output.split(separator: "\n").last,
                  let r = try? JSONDecoder().decode(ReferenceResult.self, from: Data(line.utf8)) else {
                throw CLIError.failed(what: "the NumPy reference printed no result", details: [py.commandLine(args), output])
            }
            return r
        }

        public func run() throws {
            let a = try Architecture.parse(arch)
            let train = try ImageSet.mnist(directory: data, split: "train")
            let test = try ImageSet.mnist(directory: data, split: "t10k")
            try a.check(train)
            print("bench train: \(a), batch \(batchSize), one epoch of \(train.count) images per run, \(rounds) round(s), \(ProcessInfo.processInfo.activeProcessorCount) cores")
            var best: [String: Double] = [:]
            var refInfo = ""
            var rows: [[String]] = [["engine", "round", "images/s", "epoch s", "test acc"]]
            for r in 1 ... rounds {
                let ref = try runReference()
                refInfo = "NumPy \(ref.numpy), \(ref.blas), float32, ReLU, SGD"
                best["ref"] = max(best["ref"] ?? 0, ref.images_per_second)
                rows.append(["NumPy reference", "\(r)", String(format: "%.0f", ref.images_per_second), String(format: "%.2f", ref.seconds), String(format: "%.2f%% (float)", 100 * ref.test_accuracy)])
                for g in GradientMode.allCases {
                    var c = TrainingConfig(architecture: a)
                    c.epochs = 1
                    c.batchSize = batchSize
                    c.gradient = g
                    let t = try Trainer(config: c, train: train)
                    let s = t.trainEpoch()
                    let acc = IntegerEngine(t.integerModel()).evaluate(test).accuracy
                    best[g.rawValue] = max(best[g.rawValue] ?? 0, s.imagesPerSecond)
                    rows.append(["SpikeForge \(g.rawValue) gradient", "\(r)", String(format: "%.0f", s.imagesPerSecond), String(format: "%.2f", s.seconds), String(format: "%.2f%% (integer)", 100 * acc)])
                }
            }
            print(Table.render(rows))
            print("\nreference: \(refInfo)")
            print("SpikeForge: QAT (\(TrainingConfig(architecture: a).wBits)-bit weights, integer activations), Adam, OpenBLAS \(BLASInfo.version) + fused C kernels (\(BLASInfo.kernels))")
            for g in GradientMode.allCases {
                print("\(g.rawValue) gradient: " + String(format: "%.0f images/s vs reference %.0f images/s, ratio %.2f (goal ≥ 1.00)", best[g.rawValue]!, best["ref"]!, best[g.rawValue]! / best["ref"]!))
            }
            print(String(format: "peak resident memory: %.0f MB (goal < 2048 MB)", Double(peakResidentBytes()) / 1_048_576))
        }
    }
}
