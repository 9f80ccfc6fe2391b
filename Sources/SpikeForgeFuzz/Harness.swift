import Compiler
import Datasets
import Foundation
import NIR
import SpikeForgeCore
import Testbench
import Trainer

/// One decoder under fuzzing: what it does with an input, and the seed inputs it starts from.
///
/// A harness feeds its input to a decoder the way a user's file reaches it (through a file in a
/// scratch directory where the decoder reads directories) and ignores the errors it throws:
/// a typed error is the right answer to a bad file. What a harness must never see is a trap, a
/// hang or a memory error; libFuzzer reports those.
public enum Harness: String, CaseIterable, Sendable {
    /// `IDX.parse`: raw IDX bytes.
    case idx
    /// `IDX.decode`: gzip-compressed IDX (raw too), streaming.
    case idxGzip = "idx-gzip"
    /// `NPY.decode`.
    case npy
    /// `ModelFile.load` of a model directory whose `manifest.json` is the input (valid tensors
    /// beside it: the dense fixture model's and a conv model's).
    case model
    /// `SystemPlan.load` of `system.json`.
    case system
    /// `DesignDir.open` of a small valid design whose `system.json` is the input.
    case design
    /// `SystemImages.load` of the design's images whose `manifest.json` is the input.
    case images
    /// `ReadMemH.parse`: the first byte is the word width, the rest the text.
    case hex
    /// `SystemImages.load` with one memory's `.hex` and `.bin` replaced by the input (split at
    /// the offset in its first two bytes) and the manifest's SHA-256s updated to match.
    case binHex = "bin-hex"
    /// A NIR graph's tree in the HDF5 reader's serialization (`HDF5.decode`), then
    /// `NIRGraph.parse` and `NIRImport.map`: everything SpikeForge does with a NIR file after
    /// libhdf5, which runs in a forked child and is not fuzzed here.
    case nir
    /// `SweepPointResult.load` of a sweep's point file (point 1 of `Seeds.sweepSpec`).
    case sweepPoint = "sweep-point"

    /// Makes what the harness needs (the fixture design) before the first input, so that a
    /// failure to make it is one clear error, not a wrong finding.
    public func prepare() throws {
        switch self {
        case .model, .system, .design, .images, .binHex, .sweepPoint: _ = try Fixture.get()
        case .idx, .idxGzip, .npy, .hex, .nir: break
        }
    }

    /// Runs one input; never throws. Traps (and the sanitizers) are what the fuzzer looks for.
    public func run(_ data: Data) { _ = accepts(data) }

    /// Runs one input: true when the decoder accepts it, false when it throws a typed error.
    public func accepts(_ data: Data) -> Bool {
        switch self {
        case .idx: return (try? IDX.parse([UInt8](data), path: "fuzz.idx")) != nil
        case .idxGzip: return (try? IDX.decode(data, path: "fuzz.idx.gz")) != nil
        case .npy: return (try? NPY.decode(data, path: "fuzz.npy")) != nil
        case .model:
            guard let f = try? Fixture.get() else { return false }
            return f.with("model/manifest.json", as: data) { (try? ModelFile.load(f.model)) != nil }
        case .system:
            guard let f = try? Fixture.get() else { return false }
            let url = f.scratch.appendingPathComponent("system.json")
            f.replace(url, with: data)
            return (try? SystemPlan.load(url)) != nil
        case .design:
            guard let f = try? Fixture.get() else { return false }
            return f.with("system.json", as: data) { (try? DesignDir.open(f.design)) != nil }
        case .images:
            guard let f = try? Fixture.get() else { return false }
            return f.with("images/manifest.json", as: data) {
                (try? SystemImages.load(from: f.images, expected: f.plan.system, modelDigest: f.plan.model.digest)) != nil
            }
        case .hex:
            let width = Int(data.first ?? 0)
            return (try? ReadMemH.parse(String(decoding: data.dropFirst(), as: UTF8.self), width: width, path: "fuzz.hex")) != nil
        case .nir:
            guard let tree = try? HDF5.decode([UInt8](data), path: "fuzz.nir"), let g = try? NIRGraph.parse(tree, path: "fuzz.nir") else { return false }
            return (try? NIRImport.map(g, path: "fuzz.nir", options: NIRImportOptions(), calibration: nil)) != nil
        case .sweepPoint:
            guard let f = try? Fixture.get(), let spec = try? Seeds.sweepSpec() else { return false }
            let url = f.scratch.appendingPathComponent("points/point-1.json")
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            f.replace(url, with: data)
            return (try? SweepPointResult.load(url, point: spec.points[0], digest: spec.digest)) != nil
        case .binHex:
            guard let f = try? Fixture.get() else { return false }
            return f.withPair(data) { (try? SystemImages.load(from: f.images, expected: f.plan.system, modelDigest: f.plan.model.digest)) != nil }
        }
    }

    /// Small valid inputs to start from, named; the same bytes on every run.
    public func seeds() throws -> [(name: String, data: Data)] {
        switch self {
        case .idx:
            return [("images-3x4x4.idx", Data(Seeds.idx([3, 4, 4]))), ("labels-5.idx", Data(Seeds.idx([5])))]
        case .idxGzip:
            return [("images-3x4x4.idx.gz", Seeds.gzip(Seeds.idx([3, 4, 4]))), ("labels-5.idx.gz", Seeds.gzip(Seeds.idx([5])))]
        case .npy:
            return try [("int8-2x3.npy", NPY.encode(NPYArray(shape: [2, 3], dtype: .int8, integers: [1, -2, 3, -4, 5, 127]))),
                        ("int32-4.npy", NPY.encode(NPYArray(shape: [4], dtype: .int32, integers: [1, -70000, 3, 1 << 20]))),
                        ("float32-2x2.npy", NPY.encode(NPYArray(shape: [2, 2], dtype: .float32, floats: [0.5, -1, 2, 1e3])))]
        case .model:
            let f = try Fixture.get()
            return [("manifest.json", try f.original("model/manifest.json")), ("conv-manifest.json", f.convManifest)]
        case .system, .design: return [("system.json", try Fixture.get().original("system.json"))]
        case .images: return [("manifest.json", try Fixture.get().original("images/manifest.json"))]
        case .hex:
            return [("w8.hex", Data([8] + Array("00\nff\n7f // a comment\n".utf8))),
                    ("w70.hex", Data([70] + Array("3f_ffff_ffff_ffff_ffff\n0\n".utf8)))]
        case .nir:
            return try [("dense.nirtree", Seeds.nir(conv: false)), ("conv.nirtree", Seeds.nir(conv: true))]
        case .binHex:
            let f = try Fixture.get()
            let hex = try f.original("images/\(Fixture.pairStem).hex"), bin = try f.original("images/\(Fixture.pairStem).bin")
            return [("pair", Fixture.pair(hex: hex, bin: bin))]
        case .sweepPoint: return [("point-1.json", try Seeds.sweepPoint())]
        }
    }
}

/// Deterministic seed bytes.
enum Seeds {
    /// A two-point sweep (lanes 2 and 4 on a 2x2 mesh) of a model and images named by fixed digests.
    static func sweepSpec() throws -> SweepSpec {
        try SweepSpec.parse(sets: ["lanes=2,4"], meshes: ["2x2"], policies: [], engine: "model", load: "backdoor", model: "model", images: "images")
    }

    /// Point 1 of `sweepSpec`, with plausible figures.
    static func sweepPoint() throws -> Data {
        let spec = try sweepSpec()
        var s = SimulationRun.Summary()
        (s.images, s.correct, s.integerCorrect, s.inferenceMean, s.inferenceP99, s.totalMean, s.totalP99) = (4, 3, 3, 512.5, 700, 600.25, 790)
        (s.resetMean, s.readBackMean, s.inputEvents, s.spikesPerLayer, s.synapticOps, s.bound, s.boundRatio) = (13, 75.75, 150, [170.5], 4000, 250, 2.05)
        (s.flitHops, s.energyNJ) = (630, 52.8)
        let pe = PEConfig(lanes: 2, cols: 2, rows: 2)
        return try SweepPointResult(sweep: spec.digest, point: spec.points[0], activeTiles: 3, pe: pe, loadCycles: 0, summary: s).json()
    }

    /// The tree of a small exported model (dense 6-4-3, or conv 1x4x4-2C3-P2-3).
    static func nir(conv: Bool) throws -> Data {
        func w(_ n: Int) -> [Int32] { (0 ..< n).map { Int32($0 * 37 % 255) - 127 } }
        let layers: [IntegerLayer]
        if conv {
            let (i, c, p) = (FeatureShape(channels: 1, height: 4, width: 4), FeatureShape(channels: 2, height: 2, width: 2), FeatureShape(channels: 2, height: 1, width: 1))
            layers = [IntegerLayer(name: "c1", kind: .conv(kernel: 3), input: i, output: c, weights: w(18), bias: [5, 5, 5, 5, -3, -3, -3, -3], threshold: 40,
                                   mode: .reluFloor, flush: false, isOutput: false),
                      IntegerLayer(name: "p2", kind: .pool(size: 2), input: c, output: p, weights: [], bias: [0, 0], threshold: 2, mode: .reluFloor, flush: false, isOutput: false),
                      IntegerLayer(name: "fc3", kind: .dense, input: p, output: .vector(3), weights: w(6), bias: [1, 2, 3], threshold: 1, mode: .linear, flush: false, isOutput: true)]
        } else {
            layers = [IntegerLayer(name: "fc1", inputs: 6, outputs: 4, weights: w(24), bias: [1, -2, 3, 0], threshold: 30, mode: .relu, flush: true, isOutput: false),
                      IntegerLayer(name: "fc2", inputs: 4, outputs: 3, weights: w(12), bias: [0, 1, 2], threshold: 1, mode: .linear, flush: false, isOutput: true)]
        }
        let graph = try NIRExport.graph(IntegerModel(layers: layers, wBits: 8, inputBits: 4))
        return Data(HDF5.encode(.group(NIRExport.tree(graph))))
    }

    /// An unsigned-byte IDX file with these dimensions and counting data.
    static func idx(_ dims: [Int]) -> [UInt8] {
        let n = dims.reduce(1, *)
        return [0, 0, 8, UInt8(dims.count)] + dims.flatMap { d in [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
            + (0 ..< n).map { UInt8($0 * 37 & 0xFF) }
    }

    /// gzip without a name or time stamp (the same bytes on every run), through the gzip tool.
    static func gzip(_ bytes: [UInt8]) -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-9", "-n", "-c"]
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        do { try p.run() } catch { return Data() }
        inPipe.fileHandleForWriting.write(Data(bytes))
        try? inPipe.fileHandleForWriting.close()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return out
    }
}
