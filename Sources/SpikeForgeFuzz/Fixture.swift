import Compiler
import Foundation
import SpikeForgeCore
import Testbench
import Trainer

/// A small valid design made once per process in a scratch directory: a 16-8-4 model compiled
/// onto a 2×2 mesh (`model/`, `images/`, `system.json`, no `rtl/`). Harnesses replace one file
/// of it with their input; `original` gives back the file as exported (the seeds). `model/` also
/// holds the tensors of a small conv model (`convModel`, layers named apart from the dense
/// one's), so that a conv manifest given to the model harness finds its tensors too.
final class Fixture: @unchecked Sendable {
    /// Made once; an error (no scratch space, say) is reported by `Harness.prepare()`, and every
    /// harness that needs the fixture then accepts nothing instead of trapping.
    static let shared = Result { () throws(FixtureError) -> Fixture in try Fixture() }

    static func get() throws(FixtureError) -> Fixture { try shared.get() }
    /// The memory whose `.hex`/`.bin` the bin-hex harness replaces.
    static let pairStem = SystemImages.fileStem(x: 0, y: 0, .weights)

    let root: URL
    let scratch: URL
    let design: URL
    let pristine: URL
    var model: URL { design.appendingPathComponent("model") }
    var images: URL { design.appendingPathComponent("images") }
    let plan: SystemPlan
    private let manifest: Data
    /// The conv model's `manifest.json` (its tensors are in `model/`).
    let convManifest: Data

    private init() throws(FixtureError) {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-fuzz-\(getpid())")
        scratch = root.appendingPathComponent("scratch")
        design = root.appendingPathComponent("design")
        pristine = root.appendingPathComponent("pristine")
        do {
            try? FileManager.default.removeItem(at: root)
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let modelDir = root.appendingPathComponent("model-src")
            try ModelFile.save(Self.model(), to: modelDir)
            let options = CompileOptions(cols: 2, rows: 2, policy: .spread, pe: PEConfig(neurons: 32, lanes: 4, weightRows: 128))
            plan = try DesignDir.export(modelDir: modelDir, options: options, out: pristine)
            try FileManager.default.copyItem(at: pristine, to: design)
            manifest = try Data(contentsOf: pristine.appendingPathComponent("images/manifest.json"))
            let conv = try ModelFile.files(Self.convModel())
            for f in conv where f.name != "manifest.json" { try f.contents.write(to: design.appendingPathComponent("model/\(f.name)")) }
            convManifest = conv.first { $0.name == "manifest.json" }?.contents ?? Data()
        } catch {
            throw FixtureError(path: root.path, reason: "\(error)")
        }
        Fixture.cleanupPath = root.path
        atexit { if let p = Fixture.cleanupPath { try? FileManager.default.removeItem(atPath: p) } }
    }

    nonisolated(unsafe) static var cleanupPath: String?

    /// A deterministic 16-8-4 integer model (reluFloor hidden layer, linear output).
    static func model() -> IntegerModel {
        var rng = SplitMix64(seed: 14)
        var layers: [IntegerLayer] = []
        for (k, (i, o)) in zip([16, 8], [8, 4]).enumerated() {
            let out = k == 1
            layers.append(IntegerLayer(name: "fc\(k + 1)", inputs: i, outputs: o,
                                       weights: (0 ..< i * o).map { _ in Int32(Int64(rng.next() % 255) - 127) },
                                       bias: (0 ..< o).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 300,
                                       mode: out ? .linear : .reluFloor, flush: false, isOutput: out))
        }
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    /// A deterministic 6x6x2-3C3-P2-3 model (conv and pool reluFloor, a per-channel conv bias,
    /// linear output); its layers are named c1, p1 and d1.
    static func convModel() -> IntegerModel {
        var rng = SplitMix64(seed: 15)
        func weights(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(Int64(rng.next() % 255) - 127) } }
        let input = FeatureShape(channels: 2, height: 6, width: 6), conv = FeatureShape(channels: 3, height: 4, width: 4)
        let pooled = FeatureShape(channels: 3, height: 2, width: 2)
        let convBias = (0 ..< 3).flatMap { _ in [Int64](repeating: Int64(rng.next() % 201) - 100, count: 16) }
        let layers = [
            IntegerLayer(name: "c1", kind: .conv(kernel: 3), input: input, output: conv, weights: weights(3 * 2 * 9), bias: convBias,
                         threshold: 200, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "p1", kind: .pool(size: 2), input: conv, output: pooled, weights: [], bias: [Int64](repeating: 0, count: 12),
                         threshold: 2, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "d1", kind: .dense, input: pooled, output: .vector(3), weights: weights(12 * 3),
                         bias: (0 ..< 3).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 1, mode: .linear, flush: false, isOutput: true),
        ]
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    /// The exported file at `relative` (inside the design directory).
    func original(_ relative: String) throws -> Data { try Data(contentsOf: pristine.appendingPathComponent(relative)) }

    /// Writes `data` to `url` (whole file, replaced).
    func replace(_ url: URL, with data: Data) {
        try? data.write(to: url)
    }

    /// Runs `body` with the design file at `relative` replaced by `data`, then puts it back.
    func with<R>(_ relative: String, as data: Data, _ body: () -> R) -> R {
        let url = design.appendingPathComponent(relative)
        replace(url, with: data)
        defer { replace(url, with: (try? original(relative)) ?? Data()) }
        return body()
    }

    /// Input for the bin-hex harness: a 2-byte big-endian split offset, then hex and bin.
    static func pair(hex: Data, bin: Data) -> Data {
        Data([UInt8(hex.count >> 8 & 0xFF), UInt8(hex.count & 0xFF)]) + hex + bin
    }

    /// Runs `body` with the pair memory's hex and bin replaced by the two parts of `data` and a
    /// manifest whose SHA-256s match them (so the contents are what gets checked), then puts
    /// the three files back.
    func withPair<R>(_ data: Data, _ body: () -> R) -> R {
        let bytes = [UInt8](data)
        let split = bytes.count >= 2 ? min(Int(bytes[0]) << 8 | Int(bytes[1]), bytes.count - 2) : 0
        let rest = bytes.dropFirst(min(2, bytes.count))
        let hex = Data(rest.prefix(split)), bin = Data(rest.dropFirst(split))
        var json = (try? JSONSerialization.jsonObject(with: manifest)) as? [String: Any] ?? [:]
        var memories = json["memories"] as? [[String: Any]] ?? []
        for k in memories.indices where memories[k]["hex"] as? String == "\(Self.pairStem).hex" {
            memories[k]["hexSHA256"] = Checksum.sha256(hex)
            memories[k]["binSHA256"] = Checksum.sha256(bin)
        }
        json["memories"] = memories
        let text = (try? JSONSerialization.data(withJSONObject: json)) ?? manifest
        return with("images/\(Self.pairStem).hex", as: hex) {
            with("images/\(Self.pairStem).bin", as: bin) {
                with("images/manifest.json", as: text, body)
            }
        }
    }
}

/// Why the fixture design could not be made: SpikeForge's own output, so a bug or a full disk,
/// never a finding of the fuzzer.
public struct FixtureError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot make the fixture design in \(path): \(reason)" }
}
