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
    /// SpikeForge's trainer against a float32 reference of the same shape and batch, one epoch
    /// each, alternated in the same run: NumPy + OpenBLAS for dense networks
    /// (tools/bench_mlp_numpy.py), PyTorch on the CPU for networks with convolutions
    /// (tools/bench_conv_torch.py; skipped with a note when torch is not installed).
    public struct TrainSpeed: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Training images/s against the NumPy + OpenBLAS reference (tools/bench_mlp_numpy.py), or PyTorch for convolutional networks (tools/bench_conv_torch.py), same run."
        )

        @Option(help: "MNIST directory (both engines read it).") var data: String
        @Option(help: "Architecture: layer sizes (784-800-10) or SpikeGrad's notation with convolutions (28x28-15C5-P2-40C5-P2-300-10).") var arch: String = "784-800-10"
        @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Batch size.") var batchSize: Int = 64
        @Option(parsing: .unconditional, help: "Rounds; each runs the reference and SpikeForge once, and the best of each is kept.") var rounds: Int = 2
        @Option(parsing: .unconditional, help: "Train on the first N images only, both engines (0: all).") var limit: Int = 0
        @Option(parsing: .unconditional, help: "Cores for both engines (0: all). The reference gets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS (and torch --threads).") var threads: Int = 0
        @Option(help: "The reference script (default tools/bench_mlp_numpy.py for dense networks, tools/bench_conv_torch.py with convolutions).") var reference: String?
        @Option(help: "Python interpreter with NumPy (and PyTorch for convolutions): a name on PATH, or set $PYTHON.") var python: String = "python3"

        public init() {}

        /// The goal for dense networks against NumPy.
        static let denseGoal = 1.5

        /// `tools/NAME` from the working directory, or beside this source file's checkout.
        static func toolScript(_ name: String) -> String {
            let local = "tools/\(name)"
            if FileManager.default.fileExists(atPath: local) { return local }
            return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../tools/\(name)").standardizedFileURL.path
        }

        /// The parsed architecture and the reference script, or every problem of the flags.
        func plan() throws -> (arch: Architecture, reference: String) {
            var problems: [String] = []
            if rounds < 1 || rounds > 100 { problems.append("--rounds: got \(rounds), expected 1...100") }
            if batchSize < 1 || batchSize > 1 << 16 { problems.append("--batch-size: got \(batchSize), expected 1...65536") }
            if limit < 0 || (limit > 0 && limit < batchSize) { problems.append("--limit: got \(limit), expected 0 (all) or at least the batch size \(batchSize)") }
            if threads < 0 || threads > 1024 { problems.append("--threads: got \(threads), expected 0...1024 (0: all cores)") }
            var a: Architecture?
            do { a = try Architecture.parse(arch) } catch { problems.append(error.description) }
            let script = reference ?? Self.toolScript(a.map { $0.isDense ? "bench_mlp_numpy.py" : "bench_conv_torch.py" } ?? "bench_mlp_numpy.py")
            if !FileManager.default.fileExists(atPath: script) {
                problems.append("--reference: '\(script)' does not exist; expected the \(a?.isDense == false ? "PyTorch" : "NumPy") benchmark script")
            }
            if let a, problems.isEmpty, let p = MemoryBudget.problem(needs: TrainingConfig(architecture: a).estimatedBytes(trainImages: 60_000), for: "--arch \(arch) (training state)") {
                problems.append(p)
            }
            if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
            return (a!, script)
        }

        public func validate() throws { _ = try plan() }

        /// The reference's result line (both scripts print these fields; the rest is ignored).
        struct ReferenceResult: Decodable {
            var images: Int
            var seconds: Double
            var images_per_second: Double
            var test_accuracy: Double
            var blas: String
            var numpy: String?
            var torch: String?
        }

        /// The environment of a reference run: the user's, with the thread count when one is set.
        func referenceEnvironment() -> [String: String] {
            var env = ProcessInfo.processInfo.environment
            if threads > 0 {
                for v in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { env[v] = "\(threads)" }
            }
            return env
        }

        func runReference(_ py: Tool, script: String, dense: Bool) throws -> ReferenceResult {
            var args = [script, "--data", data, "--arch", arch, "--batch", "\(batchSize)"]
            if limit > 0 { args += ["--limit", "\(limit)"] }
            if !dense { args += ["--threads", "\(threads)"] }
            let (status, output) = try py.run(args, environment: referenceEnvironment())
            if status != 0 { throw ToolError.failed(tool: py.name, command: py.commandLine(args), status: status, output: output) }
            // The script's last line is its JSON result; anything before it is diagnostics.
            guard let line = output.split(separator: "\n").last,
                  let r = try? JSONDecoder().decode(ReferenceResult.self, from: Data(line.utf8)) else {
                throw CLIError.failed(what: "the reference printed no result", details: [py.commandLine(args), output])
            }
            return r
        }

        /// Whether `python -c "import torch"` works.
        static func hasTorch(_ py: Tool) -> Bool {
            (try? py.run(["-c", "import torch"]))?.status == 0
        }

        public func run() throws {
            let (a, script) = try plan()
            let dense = a.isDense
            print("BLAS: \(BLASInfo.coreReport)")
            let all = try ImageSet.mnist(directory: data, split: "train")
            let train = limit > 0 && limit < all.count ? all.prefix(limit) : all
            let test = try ImageSet.mnist(directory: data, split: "t10k")
            try a.check(train)
            let cores = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
            print("bench train: \(a), batch \(batchSize), one epoch of \(train.count) images per run, \(rounds) round(s), \(cores) cores")
            let install = dense ? "apt-get install python3 (with NumPy)" : "pip install torch"
            // A path is taken as it is; a name is looked up in $PYTHON and PATH.
            let py = try python.contains("/")
                ? Tool.locate(URL(fileURLWithPath: python).lastPathComponent, envVar: "PYTHON", install: install, environment: ["PYTHON": python])
                : Tool.locate(python, envVar: "PYTHON", install: install)
            var withReference = true
            if !dense && !Self.hasTorch(py) {
                print("note: PyTorch is not installed for \(py.path) (`pip install torch`); no reference for a convolutional network, SpikeForge's figures only")
                withReference = false
            }
            let refName = dense ? "NumPy reference" : "PyTorch reference"
            var best: [String: Double] = [:]
            var refInfo = ""
            var rows: [[String]] = [["engine", "round", "images/s", "epoch s", "test acc"]]
            for r in 1 ... rounds {
                if withReference {
                    let ref = try runReference(py, script: script, dense: dense)
                    refInfo = dense ? "NumPy \(ref.numpy ?? "?"), \(ref.blas), float32, ReLU, SGD" : "PyTorch \(ref.torch ?? "?") (\(ref.blas)), float32, ReLU, SGD"
                    best["ref"] = max(best["ref"] ?? 0, ref.images_per_second)
                    rows.append([refName, "\(r)", String(format: "%.0f", ref.images_per_second), String(format: "%.2f", ref.seconds), String(format: "%.2f%% (float)", 100 * ref.test_accuracy)])
                }
                for g in GradientMode.allCases {
                    var c = TrainingConfig(architecture: a)
                    c.epochs = 1
                    c.batchSize = batchSize
                    c.gradient = g
                    c.threads = threads
                    let t = try Trainer(config: c, train: train)
                    let s = t.trainEpoch()
                    let acc = IntegerEngine(t.integerModel()).evaluate(test).accuracy
                    best[g.rawValue] = max(best[g.rawValue] ?? 0, s.imagesPerSecond)
                    rows.append(["SpikeForge \(g.rawValue) gradient", "\(r)", String(format: "%.0f", s.imagesPerSecond), String(format: "%.2f", s.seconds), String(format: "%.2f%% (integer)", 100 * acc)])
                }
            }
            print(Table.render(rows))
            if withReference { print("\nreference: \(refInfo)") } else { print("") }
            print("SpikeForge: QAT (\(TrainingConfig(architecture: a).wBits)-bit weights, integer activations), Adam, OpenBLAS \(BLASInfo.version) + fused C kernels (\(BLASInfo.kernels))")
            for g in GradientMode.allCases {
                let mine = best[g.rawValue]!
                guard let ref = best["ref"] else {
                    print("\(g.rawValue) gradient: " + String(format: "%.0f images/s (no reference)", mine))
                    continue
                }
                let goal = dense ? String(format: " (goal ≥ %.2f)", Self.denseGoal) : ""
                print("\(g.rawValue) gradient: " + String(format: "%.0f images/s vs reference %.0f images/s, ratio %.2f", mine, ref, mine / ref) + goal)
            }
            print(String(format: "peak resident memory: %.0f MB (goal < 2048 MB)", Double(peakResidentBytes()) / 1_048_576))
        }
    }
}
