import Crypto
import Datasets
import Foundation
import SpikeForgeCore

/// Which training images a run used: a resume with other data is refused.
public struct DataIdentity: Codable, Sendable, Equatable {
    public var source: String
    public var count: Int
    public var width: Int
    public var height: Int
    /// SHA-256 of the dimensions, the pixels and the labels.
    public var sha256: String

    public init(_ set: ImageSet) {
        var h = SHA256()
        for v in [set.width, set.height, set.count] { withUnsafeBytes(of: Int64(v).littleEndian) { h.update(bufferPointer: $0) } }
        set.pixels.withUnsafeBytes { h.update(bufferPointer: $0) }
        set.labels.withUnsafeBytes { h.update(bufferPointer: $0) }
        source = set.source
        count = set.count
        width = set.width
        height = set.height
        sha256 = h.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// `checkpoint.json`: the trainer's state after `epochsDone` epochs, with the `.npy` tensors
/// (float32, the trainer's own layout) it names and their SHA-256. Everything needed to continue
/// bit-identically: shadow weights and biases, optimizer moments, step count, thresholds, output
/// scale, bias learning-rate scales, history, configuration and the training data's identity.
public struct CheckpointManifest: Codable, Sendable, Equatable {
    public var format = "spikeforge-checkpoint"
    public var formatVersion = 1
    public var generator = "spikeforge \(SpikeForgeVersion.string)"
    public var config: TrainingConfig
    public var data: DataIdentity
    /// Column blocks the run used (its core count): the same count gives the same bits.
    public var parts: Int
    public var epochsDone: Int
    public var steps: Int
    public var thresholds: [Int64]
    public var outputScale: Float
    public var biasScales: [Float]
    public var history: [EpochStats]
    public var tensors: [ModelManifest.Tensor]
    /// The best epoch on the validation split so far; its integer model is in `best/`.
    public var kept: KeptEpoch? = nil
}

/// A checkpoint directory: `checkpoint.json`, one `.npy` per state tensor, and `model/` (the
/// integer model of that epoch, usable by `eval` and `export`). Written atomically as a whole.
public struct Checkpoint: Sendable {
    public var manifest: CheckpointManifest
    /// Tensor name (`fc1.w`, `conv1.m1w`, …) -> values.
    var tensors: [String: [Float]]
    /// The kept epoch's integer model (`best/`), when the run has a validation split.
    var keptModel: IntegerModel? = nil

    static let tensorKinds = ["w", "b", "m1w", "m2w", "m1b", "m2b"]
    /// Largest `checkpoint.json` read (its history is at most 10,000 epochs).
    static let manifestLimit = 16 << 20

    /// The expected shape of tensor `kind` of layer `spec` from `input` to `output`, in the
    /// trainer's layout: dense weights `[inputs, outputs]`, conv kernels `[out, in, kh, kw]`,
    /// biases one per neuron (dense) or per channel (conv). Nil for pooling (no parameters).
    static func shape(_ kind: String, layer spec: LayerSpec, input: FeatureShape, output: FeatureShape) -> [Int]? {
        let weights = kind.hasSuffix("w")
        switch spec {
        case .dense: return weights ? [input.count, output.count] : [output.count]
        case let .conv(c, k): return weights ? [c, input.channels, k, k] : [c]
        case .pool: return nil
        }
    }

    /// Where `train --out OUT` keeps its checkpoint: the sibling `OUT.checkpoint`.
    public static func directory(for out: URL) -> URL {
        let o = out.standardizedFileURL
        return o.deletingLastPathComponent().appendingPathComponent(o.lastPathComponent + ".checkpoint")
    }
}

extension Trainer {
    /// The trainer's state as checkpoint files, `model/` included.
    public func checkpointFiles(data: DataIdentity) throws(TrainerError) -> [(name: String, contents: Data)] {
        var files = try stateFiles(data: data)
        files += try ModelFile.files(integerModel(), training: config, outputScale: outputScale, history: history).map { ("model/\($0.name)", $0.contents) }
        if let keptModel {
            files += try ModelFile.files(keptModel, training: config, outputScale: outputScale, history: history, kept: kept).map { ("best/\($0.name)", $0.contents) }
        }
        return files
    }

    /// What `Checkpoint.load` reads and a resume needs: `checkpoint.json` and the state tensors
    /// (not `model/`, which is for `eval` and `export`).
    func stateFiles(data: DataIdentity) throws(TrainerError) -> [(name: String, contents: Data)] {
        var files: [(name: String, contents: Data)] = []
        var entries: [ModelManifest.Tensor] = []
        let a = config.architecture
        for (k, l) in layers.enumerated() {
            for (kind, v) in l.checkpointTensors {
                let name = "\(a.layerName(k)).\(kind).npy"
                guard let shape = Checkpoint.shape(kind, layer: a.layers[k], input: a.shapes[k], output: a.shapes[k + 1]) else { continue }
                let d: Data
                do { d = try NPY.encode(NPYArray(shape: shape, dtype: .float32, floats: v.map(Double.init)), path: name) } catch { throw .npy(error) }
                files.append((name, d))
                entries.append(.init(file: name, dtype: NPYDType.float32.descr, shape: shape, sha256: Checksum.sha256(d)))
            }
        }
        let manifest = CheckpointManifest(config: config, data: data, parts: layers.first?.parts ?? 1, epochsDone: history.count, steps: stepCount,
                                          thresholds: thresholds, outputScale: outputScale, biasScales: layers.map(\.biasScale),
                                          history: history, tensors: entries, kept: kept)
        let json: String
        do { json = try CanonicalJSON.encode(manifest, pretty: true) } catch {
            throw .checkpoint(directory: "(being written)", problems: ["cannot encode checkpoint.json: \(error)"])
        }
        files.append(("checkpoint.json", Data((json + "\n").utf8)))
        return files
    }

    /// Writes the checkpoint directory `dir` atomically (the previous checkpoint stays whole until
    /// the new one replaces it).
    public func writeCheckpoint(to dir: URL, data: DataIdentity) throws(TrainerError) {
        let files = try checkpointFiles(data: data)
        do { try AtomicOutput.replaceDirectory(at: dir, with: files, kind: .checkpoint) } catch { throw .output(error) }
    }

    /// A trainer that continues from `checkpoint` (already checked by `Checkpoint.load`) on
    /// `train`, the data it was trained on.
    public convenience init(resuming checkpoint: Checkpoint, train: ImageSet, validation: ImageSet? = nil) throws(TrainerError) {
        try self.init(config: checkpoint.manifest.config, train: train, validation: validation)
        guard (checkpoint.manifest.kept != nil) == (validation != nil) else {
            throw .checkpoint(directory: "(resumed)", problems: [validation == nil ? "the checkpoint has a validation split, this run none (resume with the same --validation)"
                                                                     : "the checkpoint has no validation split, this run has one (resume with the same --validation)"])
        }
        let m = checkpoint.manifest
        guard m.biasScales.count == layers.count else {
            throw .checkpoint(directory: "(resumed)", problems: ["biasScales has \(m.biasScales.count) entries, expected \(layers.count)"])
        }
        let a = config.architecture
        for (k, l) in layers.enumerated() {
            let name = a.layerName(k)
            var tensors: [String: [Float]] = [:]
            for kind in Checkpoint.tensorKinds { if let t = checkpoint.tensors["\(name).\(kind)"] { tensors[kind] = t } }
            guard l.restore(tensors, biasScale: m.biasScales[k]) else {
                throw .checkpoint(directory: "(resumed)", problems: ["layer \(name): the tensors do not match its \(a.layers[k]) parameters (\(a.shapes[k]) -> \(a.shapes[k + 1]))"])
            }
        }
        restore(thresholds: m.thresholds, outputScale: m.outputScale, steps: m.steps, history: m.history, kept: m.kept, keptModel: checkpoint.keptModel)
    }
}

extension Trainer {
    /// The column blocks the layers work on in parallel (from `threads`, or the core count).
    public var columnBlocks: Int? { layers.first?.parts }
}
