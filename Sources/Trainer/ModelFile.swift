import Crypto
import Datasets
import Foundation
import SpikeForgeCore

/// A model directory: `manifest.json` plus one NumPy `.npy` file per tensor.
///
/// The manifest records the architecture, each layer's mode, flush, threshold and tensors (file,
/// dtype, shape, SHA-256), the bit widths, the training configuration and seed, and the integer
/// model's accuracy and ranges. Weights are `int8` (or wider when `wBits > 8`) with shape
/// `[outputs, inputs]`; biases are `int32`/`int64` with shape `[outputs]`.
public struct ModelManifest: Codable, Sendable, Equatable {
    public struct Tensor: Codable, Sendable, Equatable {
        public var file: String
        public var dtype: String
        public var shape: [Int]
        public var sha256: String
    }

    public struct Layer: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        public var inputs: Int
        public var outputs: Int
        public var mode: NeuronMode
        public var flush: Bool
        public var threshold: Int64
        public var isOutput: Bool
        public var weights: Tensor
        public var bias: Tensor
    }

    public struct Accuracy: Codable, Sendable, Equatable {
        public var dataset: String
        public var images: Int
        public var integerModel: Double

        public init(dataset: String, images: Int, integerModel: Double) {
            self.dataset = dataset
            self.images = images
            self.integerModel = integerModel
        }
    }

    public var format = "spikeforge-model"
    public var formatVersion = 1
    public var generator = "spikeforge \(SpikeForgeVersion.string)"
    public var architecture: String
    public var wBits: Int
    public var inputBits: Int
    public var layers: [Layer]
    public var training: TrainingConfig?
    public var outputScale: Double?
    public var accuracy: Accuracy?
    public var history: [EpochStats]?
    public var ranges: [LayerRange]?
}

/// SHA-256 checksums of the files SpikeForge writes (models, SRAM images) and their check.
public enum Checksum {
    /// Lower-case hex SHA-256 of `d`.
    public static func sha256(_ d: Data) -> String { SHA256.hash(data: d).map { String(format: "%02x", $0) }.joined() }

    /// nil when `d` has the SHA-256 `expected`; otherwise what is wrong with the file `name`.
    public static func problem(_ d: Data, expected: String, name: String) -> String? {
        let got = sha256(d)
        return got == expected ? nil : "\(name) has SHA-256 \(got), expected \(expected) (changed or corrupted)"
    }
}

public enum ModelFile {

    /// Writes `model` (and what is known about its training) to `directory`, atomically: the whole
    /// directory is replaced (`AtomicOutput.replaceDirectory`), so no file of an older model stays.
    public static func save(_ model: IntegerModel, to directory: URL, training: TrainingConfig? = nil, outputScale: Float? = nil,
                            accuracy: ModelManifest.Accuracy? = nil, history: [EpochStats]? = nil,
                            ranges: [LayerRange]? = nil) throws(TrainerError) {
        let files = try Self.files(model, training: training, outputScale: outputScale, accuracy: accuracy, history: history, ranges: ranges)
        do { try AtomicOutput.replaceDirectory(at: directory, with: files, kind: .model) } catch { throw .output(error) }
    }

    /// The files of a model directory (the `.npy` tensors, then `manifest.json`), for `save` and
    /// for outputs that hold a model (a design's `model/`, a checkpoint's `model/`).
    public static func files(_ model: IntegerModel, training: TrainingConfig? = nil, outputScale: Float? = nil,
                             accuracy: ModelManifest.Accuracy? = nil, history: [EpochStats]? = nil,
                             ranges: [LayerRange]? = nil) throws(TrainerError) -> [(name: String, contents: Data)] {
        var files: [(name: String, contents: Data)] = []
        var layers: [ModelManifest.Layer] = []
        for l in model.layers {
            let w = l.weights.map(Int64.init)
            // Weights get the type of their declared width; biases at least int32.
            let wt = NPYDType.smallestSigned(covering: -(Int64(1) << (model.wBits - 1)) ... (Int64(1) << (model.wBits - 1)) - 1)
            let bt = NPYDType.smallestSigned(covering: min(Int64(Int32.min), l.bias.min() ?? 0) ... max(Int64(Int32.max), l.bias.max() ?? 0))
            let wName = "\(l.name).weight.npy", bName = "\(l.name).bias.npy"
            let wData: Data, bData: Data
            do {
                wData = try NPY.encode(NPYArray(shape: [l.outputs, l.inputs], dtype: wt, integers: w), path: wName)
                bData = try NPY.encode(NPYArray(shape: [l.outputs], dtype: bt, integers: l.bias), path: bName)
            } catch { throw .npy(error) }
            files.append((wName, wData))
            files.append((bName, bData))
            layers.append(.init(name: l.name, kind: "dense", inputs: l.inputs, outputs: l.outputs, mode: l.mode, flush: l.flush,
                                threshold: l.threshold, isOutput: l.isOutput,
                                weights: .init(file: wName, dtype: wt.descr, shape: [l.outputs, l.inputs], sha256: Checksum.sha256(wData)),
                                bias: .init(file: bName, dtype: bt.descr, shape: [l.outputs], sha256: Checksum.sha256(bData))))
        }
        let manifest = ModelManifest(architecture: model.architecture.description, wBits: model.wBits, inputBits: model.inputBits,
                                     layers: layers, training: training, outputScale: outputScale.map(Double.init),
                                     accuracy: accuracy, history: history, ranges: ranges)
        let json: String
        do { json = try CanonicalJSON.encode(manifest, pretty: true) } catch {
            throw .model(directory: "(being written)", problems: ["cannot encode the manifest: \(error)"])
        }
        files.append(("manifest.json", Data((json + "\n").utf8)))
        return files
    }

    /// Reads a model directory, checking everything and listing every problem found.
    public static func load(_ directory: URL) throws(TrainerError) -> (IntegerModel, ModelManifest) {
        let dir = directory.path
        let mURL = directory.appendingPathComponent("manifest.json")
        let mData: Data
        do { mData = try FileRead.bounded(mURL, limit: JSONDocument.maxBytes) } catch {
            throw .model(directory: dir, problems: ["manifest.json: \(error.reason)"])
        }
        let manifest: ModelManifest
        switch JSONDocument.decode(ModelManifest.self, from: mData, exemplar: ModelManifest.exemplar, optional: ModelManifest.optionalFields,
                                   choices: ["mode": NeuronMode.allCases.map(\.rawValue), "gradient": GradientMode.allCases.map(\.rawValue),
                                             "optimizer": Optimizer.allCases.map(\.rawValue), "kind": ["dense"]]) {
        case let .success(m): manifest = m
        case let .failure(e): throw .model(directory: dir, problems: e.problems.map { "manifest.json: \($0)" })
        }
        var problems: [String] = []
        if manifest.format != "spikeforge-model" { problems.append("format is '\(manifest.format)', expected 'spikeforge-model'") }
        if manifest.formatVersion != 1 { problems.append("formatVersion is \(manifest.formatVersion), expected 1") }
        if !(2 ... 16).contains(manifest.wBits) { problems.append("wBits is \(manifest.wBits), expected 2...16") }
        if !(1 ... 8).contains(manifest.inputBits) { problems.append("inputBits is \(manifest.inputBits), expected 1...8") }
        if !(1 ... IntegerModel.maxLayers).contains(manifest.layers.count) { problems.append("the manifest lists \(manifest.layers.count) layers, expected 1...\(IntegerModel.maxLayers)") }
        var layers: [IntegerLayer] = []
        let wLimit = Int64(1) << (max(2, min(16, manifest.wBits)) - 1)
        for (k, l) in manifest.layers.enumerated() {
            let at = "layer \(l.name)"
            if k > 0, l.inputs != manifest.layers[k - 1].outputs {
                problems.append("\(at) has \(l.inputs) inputs, expected \(manifest.layers[k - 1].outputs) (the outputs of \(manifest.layers[k - 1].name))")
            }
            if !(1 ... IntegerModel.maxThreshold).contains(l.threshold) { problems.append("\(at) threshold is \(l.threshold), expected 1...\(IntegerModel.maxThreshold) (2^40)") }
            let sizes = [l.inputs, l.outputs]
            if !sizes.allSatisfy({ (1 ... IntegerModel.maxLayerSize).contains($0) }) || (CheckedArithmetic.product(sizes) ?? .max) > IntegerModel.maxSynapses {
                problems.append("\(at) has \(l.inputs) inputs and \(l.outputs) outputs, expected each in 1...\(IntegerModel.maxLayerSize) and at most \(IntegerModel.maxSynapses) synapses")
                continue
            }
            if l.isOutput != (k == manifest.layers.count - 1) { problems.append("\(at) isOutput is \(l.isOutput), expected \(k == manifest.layers.count - 1)") }
            func tensor(_ t: ModelManifest.Tensor, shape: [Int], what: String) -> [Int64]? {
                if let bad = ManifestName.problem(t.file, in: directory) { problems.append("\(at) \(what) file: \(bad)"); return nil }
                let path = directory.appendingPathComponent(t.file).path
                let d: Data
                // At most 8 bytes an element of the expected shape, plus the header.
                let limit = (1 << 20) + 8 * (CheckedArithmetic.product(shape) ?? IntegerModel.maxSynapses)
                do { d = try FileRead.bounded(URL(fileURLWithPath: path), limit: limit) } catch {
                    problems.append("\(at) \(what) file \(t.file): \(error.reason)")
                    return nil
                }
                if let p = Checksum.problem(d, expected: t.sha256, name: "file \(t.file)") { problems.append("\(at) \(what) \(p)") }
                let a: NPYArray
                do { a = try NPY.decode(d, path: path) } catch { problems.append("\(at) \(what): \(error)"); return nil }
                if a.dtype.isFloat { problems.append("\(at) \(what) \(t.file) has dtype \(a.dtype.descr), expected an integer dtype"); return nil }
                if a.shape != shape { problems.append("\(at) \(what) \(t.file) has shape \(a.shape), expected \(shape)"); return nil }
                return a.integers
            }
            let w = tensor(l.weights, shape: [l.outputs, l.inputs], what: "weights")
            let b = tensor(l.bias, shape: [l.outputs], what: "bias")
            if let w, let bad = w.first(where: { $0 < -wLimit || $0 >= wLimit }) {
                problems.append("\(at) weights hold \(bad), outside the \(manifest.wBits)-bit range \(-wLimit)...\(wLimit - 1)")
            }
            if let b, let bad = b.first(where: { !(-IntegerModel.maxBias ... IntegerModel.maxBias).contains($0) }) {
                problems.append("\(at) bias holds \(bad), outside -2^40...2^40")
            }
            if let w, let b, l.threshold > 0 {
                layers.append(IntegerLayer(name: l.name, inputs: l.inputs, outputs: l.outputs, weights: w.map { Int32(clamping: $0) }, bias: b,
                                           threshold: l.threshold, mode: l.mode, flush: l.flush, isOutput: l.isOutput))
            }
        }
        if !problems.isEmpty { throw .model(directory: dir, problems: problems) }
        let model = IntegerModel(layers: layers, wBits: manifest.wBits, inputBits: manifest.inputBits)
        let bounds = model.boundProblems()
        if !bounds.isEmpty { throw .model(directory: dir, problems: bounds) }
        return (model, manifest)
    }
}

extension ModelManifest {
    /// The fields a manifest may leave out.
    static let optionalFields: Set<String> = ["training", "outputScale", "accuracy", "history", "ranges", "testAccuracy"]

    /// A manifest with every field present: the shape `manifest.json` has.
    static let exemplar: ModelManifest = {
        let t = Tensor(file: "a.npy", dtype: "<i1", shape: [1], sha256: "")
        let layer = Layer(name: "fc1", kind: "dense", inputs: 1, outputs: 1, mode: .reluFloor, flush: true, threshold: 1, isOutput: true, weights: t, bias: t)
        let epoch = EpochStats(epoch: 1, loss: 0.5, trainAccuracy: 0.5, testAccuracy: 0.5, relativeBackwardOps: 0.5, imagesPerSecond: 1.5, seconds: 1.5)
        return ModelManifest(architecture: "1-1", wBits: 8, inputBits: 4, layers: [layer], training: TrainingConfig(architecture: Architecture([1, 1])),
                             outputScale: 1.5, accuracy: Accuracy(dataset: "d", images: 1, integerModel: 0.5), history: [epoch],
                             ranges: [LayerRange(name: "fc1", maxAbsFinalV: 1, maxAbsTransientV: 1, maxAbsZ: 1, meanSpikes: 0.5)])
    }()
}
