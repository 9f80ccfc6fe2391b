import Crypto
import Datasets
import Foundation
import SpikeForgeCore

/// A model directory: `manifest.json` plus one NumPy `.npy` file per tensor.
///
/// The manifest records the architecture, each layer's kind, mode, flush, threshold and tensors
/// (file, dtype, shape, SHA-256), the bit widths, the training configuration and seed, and the
/// integer model's accuracy and ranges. Weights are `int8` (or wider when `wBits > 8`): dense
/// `[outputs, inputs]`, conv `[out, in, kh, kw]`; biases are `int32`/`int64`: dense `[outputs]`,
/// conv `[channels]` when every channel's bias is the same at every position, else
/// `[channels, height, width]`. Pooling layers have no tensors (weights 1, no bias). Conv and
/// pool layers record their kernel (pooling: window) size and their input and output maps
/// (docs/TRAINING.md, "Model directory").
public struct ModelManifest: Codable, Sendable, Equatable {
    public struct Tensor: Codable, Sendable, Equatable {
        public var file: String
        public var dtype: String
        public var shape: [Int]
        public var sha256: String
    }

    public struct Layer: Codable, Sendable, Equatable {
        public var name: String
        /// `dense`, `conv` or `pool`.
        public var kind: String
        public var inputs: Int
        public var outputs: Int
        public var mode: NeuronMode
        public var flush: Bool
        public var threshold: Int64
        public var isOutput: Bool
        /// None for pooling (its weights are fixed at 1 and it has no bias).
        public var weights: Tensor?
        public var bias: Tensor?
        /// Conv: the kernel size `k` (`k × k`); pool: the window size `k` (`k × k`, stride `k`).
        /// None for dense layers.
        public var kernel: Int?
        /// `[channels, height, width]`, channel-major. Written for conv and pool layers, and for
        /// a dense layer whose input is a map (it reads the map flattened); a dense layer
        /// without them has the vectors `[inputs, 1, 1]` and `[outputs, 1, 1]`.
        public var inputShape: [Int]?
        public var outputShape: [Int]?
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
    /// The epoch whose model this is, picked on the validation split (`train --validation`).
    public var kept: KeptEpoch? = nil
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
                            ranges: [LayerRange]? = nil, kept: KeptEpoch? = nil) throws(TrainerError) {
        let files = try Self.files(model, training: training, outputScale: outputScale, accuracy: accuracy, history: history, ranges: ranges, kept: kept)
        do { try AtomicOutput.replaceDirectory(at: directory, with: files, kind: .model) } catch { throw .output(error) }
    }

    /// The files of a model directory (the `.npy` tensors, then `manifest.json`), for `save` and
    /// for outputs that hold a model (a design's `model/`, a checkpoint's `model/`).
    public static func files(_ model: IntegerModel, training: TrainingConfig? = nil, outputScale: Float? = nil,
                             accuracy: ModelManifest.Accuracy? = nil, history: [EpochStats]? = nil,
                             ranges: [LayerRange]? = nil, kept: KeptEpoch? = nil) throws(TrainerError) -> [(name: String, contents: Data)] {
        // What is written must be a model `load` reads back (and `architecture` can describe).
        let structure = model.structureProblems()
        if !structure.isEmpty { throw .model(directory: "(being written)", problems: structure) }
        var files: [(name: String, contents: Data)] = []
        var layers: [ModelManifest.Layer] = []
        for l in model.layers {
            var entry = ModelManifest.Layer(name: l.name, kind: "dense", inputs: l.inputs, outputs: l.outputs, mode: l.mode, flush: l.flush,
                                            threshold: l.threshold, isOutput: l.isOutput)
            let map = { (s: FeatureShape) in [s.channels, s.height, s.width] }
            switch l.kind {
            case .dense: if !l.inputShape.isVector { entry.inputShape = map(l.inputShape) }
            case let .conv(k): (entry.kind, entry.kernel, entry.inputShape, entry.outputShape) = ("conv", k, map(l.inputShape), map(l.outputShape))
            case let .pool(k): (entry.kind, entry.kernel, entry.inputShape, entry.outputShape) = ("pool", k, map(l.inputShape), map(l.outputShape))
            }
            if !l.kind.isPool {
                let w = l.weights.map(Int64.init)
                // A conv layer's bias is stored per channel when it is the same at every position.
                var (bShape, b) = (l.kind == .dense ? [l.outputs] : [l.outputShape.channels, l.outputShape.height, l.outputShape.width], l.bias)
                if case .conv = l.kind, let perChannel = l.outputShape.perChannel(l.bias) {
                    (bShape, b) = ([l.outputShape.channels], perChannel)
                }
                // Weights get the type of their declared width; biases at least int32.
                let wt = NPYDType.smallestSigned(covering: -(Int64(1) << (model.wBits - 1)) ... (Int64(1) << (model.wBits - 1)) - 1)
                let bt = NPYDType.smallestSigned(covering: min(Int64(Int32.min), l.bias.min() ?? 0) ... max(Int64(Int32.max), l.bias.max() ?? 0))
                let wName = "\(l.name).weight.npy", bName = "\(l.name).bias.npy"
                let wData: Data, bData: Data
                do {
                    wData = try NPY.encode(NPYArray(shape: l.weightShape, dtype: wt, integers: w), path: wName)
                    bData = try NPY.encode(NPYArray(shape: bShape, dtype: bt, integers: b), path: bName)
                } catch { throw .npy(error) }
                files.append((wName, wData))
                files.append((bName, bData))
                entry.weights = .init(file: wName, dtype: wt.descr, shape: l.weightShape, sha256: Checksum.sha256(wData))
                entry.bias = .init(file: bName, dtype: bt.descr, shape: bShape, sha256: Checksum.sha256(bData))
            }
            layers.append(entry)
        }
        let manifest = ModelManifest(architecture: model.architecture.description, wBits: model.wBits, inputBits: model.inputBits,
                                     layers: layers, training: training, outputScale: outputScale.map(Double.init),
                                     accuracy: accuracy, history: history, ranges: ranges, kept: kept)
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
                                             "optimizer": Optimizer.allCases.map(\.rawValue), "kind": ["dense", "conv", "pool"]]) {
        case let .success(m): manifest = m
        case let .failure(e): throw .model(directory: dir, problems: e.problems.map { "manifest.json: \($0)" })
        }
        var problems: [String] = []
        if manifest.format != "spikeforge-model" { problems.append("format is '\(manifest.format)', expected 'spikeforge-model'") }
        if manifest.formatVersion != 1 { problems.append("formatVersion is \(manifest.formatVersion), expected 1") }
        if !(2 ... 16).contains(manifest.wBits) { problems.append("wBits is \(manifest.wBits), expected 2...16") }
        if !(1 ... 8).contains(manifest.inputBits) { problems.append("inputBits is \(manifest.inputBits), expected 1...8") }
        if !(1 ... IntegerModel.maxLayers).contains(manifest.layers.count) { problems.append("the manifest lists \(manifest.layers.count) layers, expected 1...\(IntegerModel.maxLayers)") }
        // The architecture the manifest names; every layer entry must be its layer.
        var arch: Architecture?
        do { arch = try Architecture.parse(manifest.architecture) } catch {
            if case let .badArchitecture(_, ps) = error {
                problems += ps.map { "architecture '\(manifest.architecture)': \($0)" }
            } else {
                problems.append("architecture '\(manifest.architecture)': \(error)")
            }
        }
        if let a = arch, a.layers.count != manifest.layers.count {
            problems.append("architecture '\(manifest.architecture)' has \(a.layers.count) layers, but the manifest lists \(manifest.layers.count)")
            arch = nil
        }
        var layers: [IntegerLayer] = []
        let wLimit = Int64(1) << (max(2, min(16, manifest.wBits)) - 1)
        var previousMap: FeatureShape?
        for (k, l) in manifest.layers.enumerated() {
            let at = "layer \(l.name)"
            let previous = previousMap
            previousMap = nil
            if k > 0, l.inputs != manifest.layers[k - 1].outputs {
                problems.append("\(at) has \(l.inputs) inputs, expected \(manifest.layers[k - 1].outputs) (the outputs of \(manifest.layers[k - 1].name))")
            }
            if !(1 ... IntegerModel.maxThreshold).contains(l.threshold) { problems.append("\(at) threshold is \(l.threshold), expected 1...\(IntegerModel.maxThreshold) (2^40)") }
            let sizes = [l.inputs, l.outputs]
            if !sizes.allSatisfy({ (1 ... IntegerModel.maxLayerSize).contains($0) }) || (l.kind == "dense" && (CheckedArithmetic.product(sizes) ?? .max) > IntegerModel.maxSynapses) {
                problems.append("\(at) has \(l.inputs) inputs and \(l.outputs) outputs, expected each in 1...\(IntegerModel.maxLayerSize) and at most \(IntegerModel.maxSynapses) synapses")
                continue
            }
            if l.isOutput != (k == manifest.layers.count - 1) { problems.append("\(at) isOutput is \(l.isOutput), expected \(k == manifest.layers.count - 1)") }
            // Kind, kernel and maps.
            var kind: LayerKind?
            switch (l.kind, l.kernel) {
            case ("dense", nil): kind = .dense
            case let ("dense", k?): problems.append("\(at) has kernel \(k), expected none for a dense layer")
            case let ("conv", k?): kind = .conv(kernel: k)
            case let ("pool", k?): kind = .pool(size: k)
            default: problems.append("\(at) has no kernel, expected the \(l.kind == "conv" ? "kernel size k of a conv layer (k x k)" : "window size k of a pool layer (k x k, stride k)")")
            }
            func map(_ s: [Int]?, _ field: String, count: Int, of what: String) -> FeatureShape? {
                guard let s else {
                    if l.kind == "dense" { return .vector(count) }
                    problems.append("\(at) has no \(field), expected [channels, height, width] for a \(l.kind) layer")
                    return nil
                }
                guard s.count == 3, s.allSatisfy({ (1 ... IntegerModel.maxLayerSize).contains($0) }) else {
                    problems.append("\(at) \(field) is \(s), expected [channels, height, width], each in 1...\(IntegerModel.maxLayerSize)")
                    return nil
                }
                // Each dimension is at most 2^20: the product fits.
                let f = FeatureShape(channels: s[0], height: s[1], width: s[2])
                if f.count != count { problems.append("\(at) \(field) \(s) holds \(f.count) values, expected \(count) (its \(what))"); return nil }
                return f
            }
            if l.kind == "pool" {
                if l.weights != nil { problems.append("\(at) has a weights tensor, expected none (pooling's weights are fixed at 1)") }
                if l.bias != nil { problems.append("\(at) has a bias tensor, expected none (pooling has no bias)") }
            }
            let inMap = map(l.inputShape, "inputShape", count: l.inputs, of: "inputs")
            let outMap = map(l.outputShape, "outputShape", count: l.outputs, of: "outputs")
            guard let kind, let inMap, let outMap else { continue }
            let geometry = IntegerLayer.geometryProblems(kind, inMap, outMap)
            problems += geometry.map { "\(at): \($0)" }
            // The maps chain: a conv or pool layer reads the previous layer's map as it is; a
            // dense layer may read it flattened (then it records no input map).
            if k > 0, let prev = previous, inMap != prev, l.inputs == prev.count, !(kind == .dense && inMap.isVector) {
                problems.append("\(at) inputShape is \(inMap), expected \(prev) (the output of \(manifest.layers[k - 1].name))")
            }
            previousMap = outMap
            if let arch {
                let (spec, eIn, eOut) = (arch.layers[k], arch.shapes[k], arch.shapes[k + 1])
                let same = spec.kind == kind && eIn.count == l.inputs && eOut == outMap && (inMap == eIn || (kind == .dense && inMap.isVector))
                if !same {
                    problems.append("\(at) is \(Self.describe(l.kind, l.kernel, inMap, outMap)), but the architecture '\(manifest.architecture)' has \(spec) (\(eIn) -> \(eOut)) there")
                }
            }
            guard geometry.isEmpty else { continue }
            func tensor(_ t: ModelManifest.Tensor, shapes: [[Int]], what: String) -> (values: [Int64], shape: [Int])? {
                if let bad = ManifestName.problem(t.file, in: directory) { problems.append("\(at) \(what) file: \(bad)"); return nil }
                let path = directory.appendingPathComponent(t.file).path
                let d: Data
                // At most 8 bytes an element of the largest expected shape, plus the header.
                let elements = shapes.map { CheckedArithmetic.product($0) ?? IntegerModel.maxSynapses }.max() ?? 0
                let limit = (1 << 20) + 8 * elements
                do { d = try FileRead.bounded(URL(fileURLWithPath: path), limit: limit) } catch {
                    problems.append("\(at) \(what) file \(t.file): \(error.reason)")
                    return nil
                }
                if let p = Checksum.problem(d, expected: t.sha256, name: "file \(t.file)") { problems.append("\(at) \(what) \(p)") }
                let a: NPYArray
                do { a = try NPY.decode(d, path: path) } catch { problems.append("\(at) \(what): \(error)"); return nil }
                if a.dtype.isFloat { problems.append("\(at) \(what) \(t.file) has dtype \(a.dtype.descr), expected an integer dtype"); return nil }
                if !shapes.contains(a.shape) {
                    problems.append("\(at) \(what) \(t.file) has shape \(a.shape), expected \(shapes.map { "\($0)" }.joined(separator: " or "))")
                    return nil
                }
                return (a.integers, a.shape)
            }
            // The tensors the kind has, of the shapes its maps give.
            let wShape = IntegerLayer.weightShape(kind, inMap, outMap)
            let bShapes = kind == .dense ? [[l.outputs]] : [[outMap.channels], [outMap.channels, outMap.height, outMap.width]]
            var w: [Int64]?, b: [Int64]?
            if kind.isPool {
                if l.weights == nil, l.bias == nil { (w, b) = ([], [Int64](repeating: 0, count: l.outputs)) }
            } else {
                if let t = l.weights { w = tensor(t, shapes: [wShape], what: "weights")?.values } else {
                    problems.append("\(at) has no weights tensor, expected one of shape \(wShape)")
                }
                if let t = l.bias, let got = tensor(t, shapes: bShapes, what: "bias") {
                    // A conv bias per channel holds for every position of the channel.
                    let positions = outMap.height * outMap.width
                    b = got.shape.count == 1 && kind != .dense ? got.values.flatMap { [Int64](repeating: $0, count: positions) } : got.values
                } else if l.bias == nil {
                    problems.append("\(at) has no bias tensor, expected one of shape \(bShapes.map { "\($0)" }.joined(separator: " or "))")
                }
            }
            if let w, let bad = w.first(where: { $0 < -wLimit || $0 >= wLimit }) {
                problems.append("\(at) weights hold \(bad), outside the \(manifest.wBits)-bit range \(-wLimit)...\(wLimit - 1)")
            }
            if let b, let bad = b.first(where: { !(-IntegerModel.maxBias ... IntegerModel.maxBias).contains($0) }) {
                problems.append("\(at) bias holds \(bad), outside -2^40...2^40")
            }
            if let w, let b, l.threshold > 0 {
                layers.append(IntegerLayer(name: l.name, kind: kind, input: inMap, output: outMap, weights: w.map { Int32(clamping: $0) }, bias: b,
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

extension ModelFile {
    /// A layer entry as the problems name it: `conv 5x5 1x28x28 -> 15x24x24`.
    static func describe(_ kind: String, _ kernel: Int?, _ input: FeatureShape, _ output: FeatureShape) -> String {
        "\(kind)\(kernel.map { " \($0)x\($0)" } ?? "") \(input) -> \(output)"
    }
}

extension ModelManifest {
    /// The fields a manifest may leave out: pooling layers have no tensors; kernel sizes and maps
    /// are written for conv and pool layers only (dense model directories stay as they were).
    static let optionalFields: Set<String> = ["training", "outputScale", "accuracy", "history", "ranges", "testAccuracy",
                                              "weights", "bias", "kernel", "inputShape", "outputShape", "notation",
                                              "validationAccuracy", "kept"]

    /// A manifest with every field present: the shape `manifest.json` has.
    static let exemplar: ModelManifest = {
        let t = Tensor(file: "a.npy", dtype: "<i1", shape: [1], sha256: "")
        let layer = Layer(name: "fc1", kind: "dense", inputs: 1, outputs: 1, mode: .reluFloor, flush: true, threshold: 1, isOutput: true, weights: t, bias: t,
                          kernel: 1, inputShape: [1, 1, 1], outputShape: [1, 1, 1])
        let epoch = EpochStats(epoch: 1, loss: 0.5, trainAccuracy: 0.5, testAccuracy: 0.5, validationAccuracy: 0.5, relativeBackwardOps: 0.5, imagesPerSecond: 1.5, seconds: 1.5)
        return ModelManifest(architecture: "1-1", wBits: 8, inputBits: 4, layers: [layer], training: TrainingConfig(architecture: Architecture(unchecked: FeatureShape(channels: 1, height: 1, width: 2), [.conv(channels: 1, kernel: 1), .dense(1)])),
                             outputScale: 1.5, accuracy: Accuracy(dataset: "d", images: 1, integerModel: 0.5), history: [epoch],
                             ranges: [LayerRange(name: "fc1", maxAbsFinalV: 1, maxAbsTransientV: 1, maxAbsZ: 1, meanSpikes: 0.5)],
                             kept: KeptEpoch(epoch: 1, validationAccuracy: 0.5, validationImages: 1))
    }()
}
