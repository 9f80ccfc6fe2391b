import Datasets
import Foundation
import SpikeForgeCore

extension Checkpoint {
    /// Reads and checks the checkpoint in `directory` completely, listing every problem (file,
    /// field, got, expected): the format, the configuration (and that it equals `config`, the
    /// run's own), the data identity (equal to `data`), the counts that must agree, and every
    /// tensor's name, dtype, shape, SHA-256, size on disk and values. Nothing is allocated from a
    /// size field: a tensor file is read only when its size on disk fits its expected shape.
    public static func load(_ directory: URL, config: TrainingConfig? = nil, data: DataIdentity? = nil) throws(TrainerError) -> Checkpoint {
        let m = try readManifest(directory)
        var problems = manifestProblems(m)
        if let config { problems += configDifferences(m.config, config) }
        if let data { problems += dataDifferences(m.data, data) }
        var tensors: [String: [Float]] = [:]
        if problems.isEmpty { tensors = readTensors(m, directory, &problems) }
        var keptModel: IntegerModel?
        if problems.isEmpty, let kept = m.kept {
            // The kept epoch's model, written by the trainer through ModelFile: checked as any model.
            do {
                let (model, _) = try ModelFile.load(directory.appendingPathComponent("best"))
                if model.architecture != m.config.architecture { problems.append("best/ is a \(model.architecture) model, expected \(m.config.architecture)") }
                keptModel = model
            } catch { problems.append("best/ (the model of kept epoch \(kept.epoch)): \(error)") }
        }
        if !problems.isEmpty { throw .checkpoint(directory: directory.path, problems: problems) }
        return Checkpoint(manifest: m, tensors: tensors, keptModel: keptModel)
    }

    static func readManifest(_ directory: URL) throws(TrainerError) -> CheckpointManifest {
        let url = directory.appendingPathComponent("checkpoint.json")
        let d: Data
        do { d = try FileRead.bounded(url, limit: manifestLimit) } catch {
            throw .checkpoint(directory: directory.path, problems: ["checkpoint.json \(error.reason == "missing" ? "is missing" : error.reason)"])
        }
        let choices = ["mode": NeuronMode.allCases.map(\.rawValue), "gradient": GradientMode.allCases.map(\.rawValue), "optimizer": Optimizer.allCases.map(\.rawValue)]
        switch JSONDocument.decode(CheckpointManifest.self, from: d, exemplar: CheckpointManifest.exemplar, optional: ["testAccuracy", "notation", "validationAccuracy", "kept"], choices: choices) {
        case let .success(m): return m
        case let .failure(e): throw .checkpoint(directory: directory.path, problems: e.problems.map { "checkpoint.json: \($0)" })
        }
    }

    /// The manifest's own fields against each other and their ranges.
    static func manifestProblems(_ m: CheckpointManifest) -> [String] {
        var p: [String] = []
        if m.format != "spikeforge-checkpoint" { p.append("format is '\(m.format)', expected 'spikeforge-checkpoint'") }
        if m.formatVersion != 1 { p.append("formatVersion is \(m.formatVersion), expected 1") }
        do { try m.config.validate() } catch { p += error.violations.map { "config.\($0.field) is \($0.value), expected \($0.expected)" } }
        let c = m.config
        let layers = c.architecture.layerCount
        // The architecture's own bounds first (as --arch has them): every count below depends on it.
        do { _ = try Architecture.parse(c.architecture.description) } catch {
            guard case let .badArchitecture(_, problems) = error else { return p + ["config.architecture: \(error)"] }
            return p + problems.prefix(10).map { "config.architecture: \($0)" }
        }
        if !(1 ... max(1, c.epochs)).contains(m.epochsDone) { p.append("epochsDone is \(m.epochsDone), expected 1...\(c.epochs)") }
        if m.parts < 1 { p.append("parts is \(m.parts), expected at least 1") }
        if m.data.count < c.batchSize { p.append("data.count is \(m.data.count), expected at least batchSize \(c.batchSize)") }
        let perEpoch = c.batchSize > 0 ? m.data.count / c.batchSize : 0
        if let want = CheckedArithmetic.product([max(0, m.epochsDone), perEpoch]), m.steps != want {
            p.append("steps is \(m.steps), expected \(want) (\(m.epochsDone) epochs of \(perEpoch) batches)")
        }
        if m.history.count != m.epochsDone || m.history.enumerated().contains(where: { $0.element.epoch != $0.offset + 1 }) {
            p.append("history lists epochs \(m.history.map(\.epoch)), expected 1...\(m.epochsDone)")
        }
        if m.thresholds.count != layers - 1 || m.thresholds.contains(where: { !(1 ... IntegerModel.maxThreshold).contains($0) }) {
            p.append("thresholds are \(m.thresholds.prefix(64)), expected \(layers - 1) integers in 1...\(IntegerModel.maxThreshold) (2^40)")
        }
        if !(m.outputScale.isFinite && m.outputScale >= 1 && m.outputScale <= Self.maxOutputScale) {
            p.append("outputScale is \(m.outputScale), expected a number in 1...\(Self.maxOutputScale)")
        }
        if m.biasScales.count != layers || m.biasScales.contains(where: { !($0.isFinite && $0 > 0) }) {
            p.append("biasScales are \(m.biasScales), expected \(layers) positive finite numbers")
        }
        if let k = m.kept {
            if !(1 ... max(1, m.epochsDone)).contains(k.epoch) { p.append("kept.epoch is \(k.epoch), expected 1...\(m.epochsDone)") }
            if !(0 ... 1).contains(k.validationAccuracy) { p.append("kept.validationAccuracy is \(k.validationAccuracy), expected 0...1") }
            if k.validationImages < 1 { p.append("kept.validationImages is \(k.validationImages), expected at least 1") }
        }
        let want = expectedTensors(c.architecture).map(\.file)
        if m.tensors.map(\.file) != want { p.append("tensors are \(m.tensors.map(\.file)), expected \(want)") }
        return p
    }

    /// Every tensor file with its shape, in order: layer by layer (pooling has none), each in
    /// `tensorKinds` order, named by the layer (`fc1.w.npy`, `conv1.m2b.npy`).
    static func expectedTensors(_ a: Architecture) -> [(file: String, shape: [Int])] {
        (0 ..< a.layerCount).flatMap { k in
            tensorKinds.compactMap { kind in
                shape(kind, layer: a.layers[k], input: a.shapes[k], output: a.shapes[k + 1]).map { ("\(a.layerName(k)).\(kind).npy", $0) }
            }
        }
    }

    /// The fields of the checkpoint's configuration that differ from this run's, as flags.
    static func configDifferences(_ saved: TrainingConfig, _ run: TrainingConfig) -> [String] {
        guard let a = fields(saved), let b = fields(run) else { return saved == run ? [] : ["the configuration differs from this run's"] }
        return a.keys.sorted().compactMap { k in
            a[k] == b[k] ? nil : "config.\(k) is \(a[k] ?? "nothing") in the checkpoint, but \(b[k] ?? "nothing") in this run (resume with the same options)"
        }
    }

    static func fields(_ c: TrainingConfig) -> [String: String]? {
        guard let json = try? CanonicalJSON.encode(c), let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return obj.mapValues { v in (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) } ?? "\(v)" }
    }

    static func dataDifferences(_ saved: DataIdentity, _ run: DataIdentity) -> [String] {
        guard saved != run else { return [] }
        var p: [String] = []
        if saved.source != run.source { p.append("data.source is '\(saved.source)' in the checkpoint, but '\(run.source)' in this run") }
        if saved.count != run.count { p.append("data.count is \(saved.count) images in the checkpoint, but \(run.count) in this run") }
        if (saved.width, saved.height) != (run.width, run.height) {
            p.append("data images are \(saved.width)x\(saved.height) in the checkpoint, but \(run.width)x\(run.height) in this run")
        }
        if saved.sha256 != run.sha256 { p.append("data.sha256 is \(saved.sha256.prefix(12))… in the checkpoint, but \(run.sha256.prefix(12))… in this run (other images)") }
        return p
    }

    /// Reads every tensor (the manifest's list already checked), adding a problem for each that
    /// is missing, too large on disk, corrupted, of the wrong dtype or shape, or not finite.
    static func readTensors(_ m: CheckpointManifest, _ dir: URL, _ problems: inout [String]) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (t, want) in zip(m.tensors, expectedTensors(m.config.architecture)) {
            if let bad = ManifestName.problem(t.file, in: dir) { problems.append("tensor file: \(bad)"); continue }
            guard let count = CheckedArithmetic.product(want.shape), let limit = CheckedArithmetic.product([count, 4]).map({ $0 + 65_536 }) else {
                problems.append("\(t.file): shape \(want.shape) is too large"); continue
            }
            let path = dir.appendingPathComponent(t.file).path
            let d: Data
            do { d = try FileRead.bounded(URL(fileURLWithPath: path), limit: limit) } catch {
                problems.append(error.reason == "missing" ? "\(t.file) is missing" : "\(t.file) is \(error.reason.replacingOccurrences(of: "for this kind of file", with: "for shape \(want.shape)"))")
                continue
            }
            if let p = Checksum.problem(d, expected: t.sha256, name: t.file) { problems.append(p); continue }
            let a: NPYArray
            do { a = try NPY.decode(d, path: path) } catch { problems.append("\(t.file): \(error)"); continue }
            if a.dtype != .float32 || t.dtype != NPYDType.float32.descr { problems.append("\(t.file) has dtype \(a.dtype.descr), expected <f4"); continue }
            if a.shape != want.shape || t.shape != want.shape { problems.append("\(t.file) has shape \(a.shape), expected \(want.shape)"); continue }
            if a.floats.contains(where: { !$0.isFinite }) { problems.append("\(t.file) holds a value that is not finite"); continue }
            // Shadow weights and biases become integers (wBits weights, model-bound biases).
            let kind = t.file.split(separator: ".").dropFirst().first.map(String.init) ?? ""
            let bound = kind == "w" ? Double(1 << max(2, min(16, m.config.wBits))) : kind == "b" ? Double(IntegerModel.maxBias) : 1e30
            if let bad = a.floats.first(where: { abs($0) > bound }) { problems.append("\(t.file) holds \(bad), expected values within ±\(bound)"); continue }
            // Adam's second moments are means of squares: a negative one makes the step NaN.
            if kind.hasPrefix("m2"), let bad = a.floats.first(where: { $0 < 0 }) { problems.append("\(t.file) holds \(bad), expected values ≥ 0 (second moments)"); continue }
            out[String(t.file.dropLast(4))] = a.floats.map { Float($0) }
        }
        return out
    }
}

extension Checkpoint {
    /// The largest output softmax scale a checkpoint may hold (it becomes an integer).
    static let maxOutputScale: Float = 16_777_216
}

extension CheckpointManifest {
    /// A manifest with every field present: the shape `checkpoint.json` has.
    static let exemplar: CheckpointManifest = {
        let epoch = EpochStats(epoch: 1, loss: 0.5, trainAccuracy: 0.5, testAccuracy: 0.5, validationAccuracy: 0.5, relativeBackwardOps: 0.5, imagesPerSecond: 1.5, seconds: 1.5)
        let data = DataIdentity(ImageSet(width: 1, height: 1, pixels: [0], labels: [0], source: "d"))
        // An architecture with its notation (written for conv networks and map inputs; optional).
        let arch = Architecture(unchecked: FeatureShape(channels: 1, height: 2, width: 1), [.dense(1)])
        return CheckpointManifest(config: TrainingConfig(architecture: arch), data: data, parts: 1, epochsDone: 1, steps: 1,
                                  thresholds: [1], outputScale: 1.5, biasScales: [1.5], history: [epoch],
                                  tensors: [ModelManifest.Tensor(file: "a.npy", dtype: "<f4", shape: [1], sha256: "")],
                                  kept: KeptEpoch(epoch: 1, validationAccuracy: 0.5, validationImages: 1))
    }()
}
