import CKernels
import Datasets
import Dispatch
import Foundation
import SpikeForgeCore

public enum GradientMode: String, Codable, Sendable, CaseIterable {
    /// Exact float error backpropagation through the straight-through estimator.
    case float
    /// SpikeGrad's spike-discretized error: ternary error spikes from an IF compartment.
    case spike
}

public enum Optimizer: String, Codable, Sendable, CaseIterable {
    case adam, sgd
}

/// Everything that determines a training run. The same configuration and seed give
/// byte-identical weights on the same machine and thread count.
public struct TrainingConfig: Codable, Sendable, Hashable {
    public var architecture: Architecture
    public var epochs = 10
    public var batchSize = 64
    public var gradient: GradientMode = .float
    /// The hidden layers' activation mode (SPEC §1).
    public var mode: NeuronMode = .reluFloor
    /// Residual flush of the hidden layers (meaningful for `relu` and `linear`).
    public var flush = true
    public var optimizer: Optimizer = .adam
    /// In weight units per step (weights are integers in `±(2^(wBits−1) − 1)`).
    public var learningRate = 0.5
    /// Final learning rate as a fraction of the first (cosine decay over all steps).
    public var finalLearningRate = 0.01
    public var momentum = 0.9
    public var wBits = 8
    public var inputBits = 4
    /// Thresholds are calibrated so that the 99th percentile of a hidden layer's positive
    /// pre-activations gives this many spikes.
    public var activationLevels = 12
    /// Initial weights are uniform in `±initFraction · (2^(wBits−1) − 1)`.
    public var initFraction = 0.25
    /// SpikeGrad's error scale `α` (spike gradient only).
    public var alpha = 64.0
    /// Threshold of the hidden layers' error compartments, as a multiple of the layer's `θ`.
    public var thetaBPScale = 1.0
    /// Random shifts of up to this many pixels (training images only).
    public var augmentShift = 2
    public var seed: UInt64 = 1
    /// Cores to use (0: all).
    public var threads = 0

    public init(architecture: Architecture) { self.architecture = architecture }

    /// Lists every violation at once.
    public func validate() throws(ConfigError) {
        var c = ViolationCollector(block: "TrainingConfig")
        c.check("epochs", epochs, in: 1 ... 10_000)
        c.check("batchSize", batchSize, in: 1 ... 65_536)
        c.check("wBits", wBits, in: 2 ... 16)
        c.check("inputBits", inputBits, in: 1 ... 8)
        c.check("activationLevels", activationLevels, in: 1 ... 1 << 16)
        c.check("augmentShift", augmentShift, in: 0 ... 8)
        c.check("threads", threads, in: 0 ... 1024)
        c.require(learningRate > 0 && learningRate <= 1e6, field: "learningRate", value: "\(learningRate)", expected: "a positive number up to 1e6")
        c.require(finalLearningRate > 0 && finalLearningRate <= 1, field: "finalLearningRate", value: "\(finalLearningRate)", expected: "a fraction in (0, 1]")
        c.require(momentum >= 0 && momentum < 1, field: "momentum", value: "\(momentum)", expected: "a number in [0, 1)")
        c.require(initFraction > 0 && initFraction <= 1, field: "initFraction", value: "\(initFraction)", expected: "a fraction in (0, 1]")
        c.require(alpha >= 1 && alpha <= 1e6, field: "alpha", value: "\(alpha)", expected: "a number in 1...1e6")
        c.require(thetaBPScale > 0 && thetaBPScale <= 1e6, field: "thetaBPScale", value: "\(thetaBPScale)", expected: "a positive number up to 1e6")
        try c.finish()
    }
}

extension TrainingConfig {
    /// `augmentShift`'s default for `width × height` images: `min(H, W) / 14` rounded down, at
    /// most 8 (MNIST's 28 × 28: 2; 14 × 14: 1; smaller images and `(N, D)` vectors: none).
    public static func defaultAugmentShift(width: Int, height: Int) -> Int { min(8, min(width, height) / 14) }

    /// Memory the trainer plans for this architecture: per stored weight (a dense synapse, a conv
    /// kernel's weight once) the float weights, their quantized copy, gradient and two Adam
    /// moments, and the integer model's weights and transposed copies (32 bytes); per neuron (a
    /// conv or pool layer's at every position) and batch row, activations, pre-activations and
    /// errors (12 bytes) and the test evaluation's activations (8 bytes); the conv layers' im2col
    /// blocks (for the batch or the calibration batch, whichever is larger); and the training images.
    public func estimatedBytes(trainImages: Int) -> Double {
        let a = architecture
        let s = a.sizes.map(Double.init)
        let parts = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        var bytes = 20 * Double(batchSize) * s.reduce(0, +) + Double(trainImages) * (s[0] + 1)
        for k in 0 ..< a.layerCount {
            bytes += 32 * Double(a.parameters(k))
            if case let .conv(c, kk) = a.layers[k] {
                bytes += 4 * Double(ConvLayer.scratchFloats(input: a.shapes[k], channels: c, kernel: kk, batch: max(batchSize, Trainer.calibrationImages), parts: parts))
            }
        }
        return bytes
    }
}

/// One epoch's figures.
public struct EpochStats: Sendable, Codable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var trainAccuracy: Double
    /// Accuracy of the exact integer model on the test set (what the hardware shows).
    public var testAccuracy: Double?
    /// Accuracy of the exact integer model on the validation split held out of the training
    /// images (`train --validation`); nil without one.
    public var validationAccuracy: Double? = nil
    /// SpikeGrad's metric: backward synaptic operations (error spikes × fan-in, or nonzero
    /// errors × fan-in for float gradients) relative to the MACs of a dense backward pass.
    public var relativeBackwardOps: Double
    public var imagesPerSecond: Double
    public var seconds: Double
}

/// Progress within an epoch, for a progress bar.
public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
    public var etaSeconds: Double
}

/// The SpikeGrad host trainer: quantization-aware training of the integer ANN of SPEC §1 with
/// float or spike-discretized gradients.
public final class Trainer {
    public let config: TrainingConfig
    let train: ImageSet
    var layers: [any TrainableLayer] = []
    /// θ of each hidden layer (integer), and the softmax scale of the output layer.
    public private(set) var thresholds: [Int64] = []
    public private(set) var outputScale: Float = 1
    var stepCount = 0
    let stepsPerEpoch: Int
    public internal(set) var history: [EpochStats] = []
    /// Input level of each pixel value (SPEC §1 encoding), as the batch holds it.
    let levelTable: [Float]
    /// Blocks worked on in parallel (the core count, or `threads`).
    let parts: Int

    /// Images held out of training, evaluated after every epoch to pick the model kept.
    public let validation: ImageSet?
    /// The best epoch on `validation` so far (ties: the earliest), and its integer model.
    public internal(set) var kept: KeptEpoch?
    var keptModel: IntegerModel?

    /// A trainer of `config` on `train`; with `validation`, every epoch's integer model is
    /// evaluated on it and the best is kept (`finalModel()`).
    public init(config: TrainingConfig, train: ImageSet, validation: ImageSet? = nil) throws(TrainerError) {
        do { try config.validate() } catch { throw .config(error) }
        try config.architecture.check(train)
        if let validation { try config.architecture.check(validation) }
        self.validation = validation
        guard train.count >= config.batchSize else {
            throw .config(.invalid(block: "TrainingConfig", violations: [.init(field: "batchSize", value: "\(config.batchSize)", expected: "at most the \(train.count) training images")]))
        }
        self.config = config
        self.train = train
        levelTable = (0 ..< 256).map { Float(IntegerModel.level(UInt8($0), inputBits: config.inputBits)) }
        stepsPerEpoch = train.count / config.batchSize
        // OpenBLAS runs single-threaded inside the trainer's own column blocks (one per core), so
        // its idle workers do not spin against the event-driven kernels.
        BLAS.setThreads(1)
        let parts = config.threads > 0 ? config.threads : ProcessInfo.processInfo.activeProcessorCount
        self.parts = parts
        var rng = SplitMix64(seed: config.seed)
        let a = config.architecture
        let limit = Float(config.initFraction) * Float((1 << (config.wBits - 1)) - 1)
        for (k, spec) in a.layers.enumerated() {
            switch spec {
            case let .dense(n):
                layers.append(DenseLayer(inputs: a.shapes[k].count, outputs: n, wBits: config.wBits, initLimit: limit, parts: parts, rng: &rng))
            case let .conv(c, kk):
                layers.append(ConvLayer(input: a.shapes[k], channels: c, kernel: kk, wBits: config.wBits, initLimit: limit, parts: parts, rng: &rng))
            case let .pool(kk):
                layers.append(PoolLayer(input: a.shapes[k], size: kk, parts: parts))
            }
        }
        calibrate()
    }

    var hiddenCount: Int { layers.count - 1 }

    /// Images of the batch that calibrates the thresholds.
    static let calibrationImages = 512

    /// Picks each hidden θ from a calibration batch, layer by layer, and the output softmax
    /// scale so that the initial logits have unit spread.
    func calibrate() {
        let n = min(train.count, Self.calibrationImages)
        var x = [Float](repeating: 0, count: n * train.imageSize)
        for i in 0 ..< n {
            for (j, p) in train.image(i).enumerated() { x[i * train.imageSize + j] = levelTable[Int(p)] }
        }
        thresholds = []
        for (k, l) in layers.enumerated() {
            var pre = [Float](repeating: 0, count: n * l.outputSize)
            x.withUnsafeBufferPointer { X in pre.withUnsafeMutableBufferPointer { P in l.forward(X.baseAddress!, batch: n, into: P.baseAddress!) } }
            if k == layers.count - 1 {
                let mean = pre.reduce(0, +) / Float(pre.count)
                let sd = (pre.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(pre.count)).squareRoot()
                outputScale = max(1, sd)
                l.biasScale = outputScale / 16
            } else {
                let pos = pre.filter { $0 > 0 }.sorted()
                let p99 = pos.isEmpty ? 1 : pos[min(pos.count - 1, Int(Double(pos.count) * 0.99))]
                let theta = max(1, Int64((p99 / Float(config.activationLevels)).rounded()))
                thresholds.append(theta)
                l.biasScale = Float(theta) / 16
                x = activate(pre, layer: k)
            }
        }
    }

    /// Hidden activation on float pre-activations that hold exact integers.
    func activate(_ pre: [Float], layer k: Int) -> [Float] {
        var out = pre
        activate(pre, into: &out, layer: k)
        return out
    }

    func activate(_ pre: [Float], into out: inout [Float], layer k: Int) {
        let theta = Double(thresholds[k])
        let n = pre.count
        let floor = config.mode == .reluFloor, relu: Int32 = config.mode == .linear ? 0 : 1
        pre.withUnsafeBufferPointer { P in
            out.withUnsafeMutableBufferPointer { A in
                nonisolated(unsafe) let (p, a) = (P.baseAddress!, A.baseAddress!)
                inBlocks(n, parts: parts, minimum: 1 << 16) { lo, hi in
                    if floor {
                        sf_act_floor(p + lo, a + lo, hi - lo, theta)
                    } else {
                        // relu/linear + flush: the rounded activation, exactly. Without the flush the
                        // count is only bounded (|z − x/θ| < 1); training uses the rounded value too.
                        sf_act_round(p + lo, a + lo, hi - lo, theta, relu)
                    }
                }
            }
        }
    }

    func learningRate(step: Int) -> Float {
        let total = Double(max(1, config.epochs * stepsPerEpoch))
        let f = config.finalLearningRate
        let cosine = 0.5 * (1 + cos(Double.pi * min(1, Double(step) / total)))
        return Float(config.learningRate * (f + (1 - f) * cosine))
    }

    /// The state a checkpoint restores besides the layers'.
    func restore(thresholds: [Int64], outputScale: Float, steps: Int, history: [EpochStats], kept: KeptEpoch?, keptModel: IntegerModel?) {
        self.kept = kept
        self.keptModel = keptModel
        self.thresholds = thresholds
        self.outputScale = outputScale
        stepCount = steps
        self.history = history
    }

    /// The integer model's accuracy on `test`. Dense networks: `IntegerEngine`. Networks with
    /// conv or pool layers: the trainer's own forward pass, which is the integer network (every
    /// float an exact integer; `ConvTrainerTests` proves it equal to `IntegerModel.trace`) and
    /// runs on GEMMs, several times faster than the event-driven engine on these maps. The end
    /// of `train` and `eval` evaluate with `IntegerEngine`.
    public func testAccuracy(_ test: ImageSet) -> Double {
        if config.architecture.isDense { return IntegerEngine(integerModel()).evaluate(test).accuracy }
        return Double(forwardPredictions(test).enumerated().filter { $0.element == Int(test.labels[$0.offset]) }.count) / Double(max(1, test.count))
    }

    /// The class of every image of `set` from the trainer's forward pass (`argmax` of the output
    /// potential, ties to the lowest index), in batches of the training batch size.
    func forwardPredictions(_ set: ImageSet) -> [Int] {
        let B = config.batchSize
        let sizes = config.architecture.sizes
        var acts: [[Float]] = sizes.map { [Float](repeating: 0, count: B * $0) }
        var pres: [[Float]] = sizes.dropFirst().map { [Float](repeating: 0, count: B * $0) }
        var out: [Int] = []
        out.reserveCapacity(set.count)
        let C = sizes[sizes.count - 1], L = layers.count
        var start = 0
        while start < set.count {
            let n = min(B, set.count - start)
            set.pixels.withUnsafeBufferPointer { px in
                for e in 0 ..< n * set.imageSize { acts[0][e] = levelTable[Int(px[start * set.imageSize + e])] }
            }
            for k in 0 ..< L {
                acts[k].withUnsafeBufferPointer { A in pres[k].withUnsafeMutableBufferPointer { P in layers[k].forward(A.baseAddress!, batch: n, into: P.baseAddress!) } }
                if k < L - 1 { activate(pres[k], into: &acts[k + 1], layer: k) }
            }
            for r in 0 ..< n {
                var best = 0
                for c in 1 ..< max(1, C) where pres[L - 1][r * C + c] > pres[L - 1][r * C + best] { best = c }
                out.append(best)
            }
            start += n
        }
        return out
    }

    /// The model a run writes: the kept epoch's with a validation split, else the last epoch's.
    public func finalModel() -> IntegerModel { keptModel ?? integerModel() }

    /// The trained network as the integer model the hardware runs.
    public func integerModel() -> IntegerModel {
        var out: [IntegerLayer] = []
        let a = config.architecture
        for (k, l) in layers.enumerated() {
            let isOut = k == layers.count - 1
            out.append(IntegerLayer(name: a.layerName(k), kind: a.layers[k].kind, input: a.shapes[k], output: a.shapes[k + 1],
                                    weights: l.integerWeights, bias: l.integerBias,
                                    threshold: isOut ? max(1, Int64(outputScale.rounded())) : thresholds[k],
                                    mode: isOut ? .linear : config.mode, flush: isOut ? false : (config.mode != .reluFloor && config.flush),
                                    isOutput: isOut))
        }
        return IntegerModel(layers: out, wBits: config.wBits, inputBits: config.inputBits)
    }
}

extension Architecture {
    /// The name of layer `k` (0-based) in models and checkpoints: `fc`, `conv` or `pool` and its
    /// position from 1 (`28x28-15C5-P2-40C5-P2-300-10`: conv1, pool2, conv3, pool4, fc5, fc6).
    func layerName(_ k: Int) -> String {
        switch layers[k] {
        case .dense: return "fc\(k + 1)"
        case .conv: return "conv\(k + 1)"
        case .pool: return "pool\(k + 1)"
        }
    }
}
