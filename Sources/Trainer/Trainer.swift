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
    public private(set) var history: [EpochStats] = []
    /// Input level of each pixel value (SPEC §1 encoding), as the batch holds it.
    let levelTable: [Float]
    /// Blocks worked on in parallel (the core count, or `threads`).
    let parts: Int

    public init(config: TrainingConfig, train: ImageSet) throws(TrainerError) {
        do { try config.validate() } catch { throw .config(error) }
        try config.architecture.check(train)
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

    /// Writes the batch's input levels, shifted by a random offset per image.
    func fillBatch(_ indices: ArraySlice<Int>, epoch: Int, into x: inout [Float]) {
        let w = train.width, h = train.height, size = train.imageSize
        let s = config.augmentShift
        let lut = levelTable
        x.withUnsafeMutableBufferPointer { X in
            train.pixels.withUnsafeBufferPointer { px in
                for (r, idx) in indices.enumerated() {
                    var rng = SplitMix64(seed: config.seed &* 0x100_0000_01B3 ^ UInt64(epoch) << 40 ^ UInt64(idx))
                    let dx = s == 0 ? 0 : Int(rng.next() % UInt64(2 * s + 1)) - s
                    let dy = s == 0 ? 0 : Int(rng.next() % UInt64(2 * s + 1)) - s
                    let src = px.baseAddress! + idx * size
                    let dst = X.baseAddress! + r * size
                    let x0 = max(0, dx), x1 = min(w, w + dx)
                    for yy in 0 ..< h {
                        let row = dst + yy * w
                        let sy = yy - dy
                        guard sy >= 0, sy < h, x0 < x1 else {
                            row.update(repeating: 0, count: w)
                            continue
                        }
                        for xx in 0 ..< x0 { row[xx] = 0 }
                        let srow = src + sy * w - dx
                        for xx in x0 ..< x1 { row[xx] = lut[Int(srow[xx])] }
                        for xx in x1 ..< w { row[xx] = 0 }
                    }
                }
            }
        }
    }

    /// Trains one epoch. `progress` is called after every batch.
    @discardableResult
    public func trainEpoch(test: ImageSet? = nil, progress: ((TrainingProgress) -> Void)? = nil) -> EpochStats {
        runEpoch(test: test, progress: progress, shouldStop: nil).stats
    }

    /// Trains one epoch, asking `shouldStop` before every batch (a safe point: between optimizer
    /// steps). Returns nil when it stopped: the epoch is not in `history`, and the trainer holds a
    /// part of an epoch, so continue from the last checkpoint, not from this trainer.
    public func trainEpoch(test: ImageSet? = nil, progress: ((TrainingProgress) -> Void)? = nil, shouldStop: @escaping () -> Bool) -> EpochStats? {
        let r = runEpoch(test: test, progress: progress, shouldStop: shouldStop)
        return r.completed ? r.stats : nil
    }

    func runEpoch(test: ImageSet?, progress: ((TrainingProgress) -> Void)?, shouldStop: (() -> Bool)?) -> (stats: EpochStats, completed: Bool) {
        let epoch = history.count
        let B = config.batchSize
        var order = Array(0 ..< train.count)
        var rng = SplitMix64(seed: config.seed ^ 0xE90C_0000_0000 ^ UInt64(epoch))
        order.shuffle(using: &rng)
        let sizes = config.architecture.sizes
        var acts: [[Float]] = sizes.map { [Float](repeating: 0, count: B * $0) }
        var pres: [[Float]] = sizes.dropFirst().map { [Float](repeating: 0, count: B * $0) }
        var grads: [[Float]] = sizes.map { [Float](repeating: 0, count: B * $0) }
        var lossSum = 0.0, correct = 0, seen = 0
        var backOps = 0.0
        let arch = config.architecture
        // Synapses per batch as the integer ANN computes them (a conv layer's per position), and
        // each layer's fan-in (the synapses a neuron's error travels back over).
        let denseOps = Double((0 ..< arch.layerCount).map { arch.connections($0) }.reduce(0, +)) * Double(B)
        let fanIn = (0 ..< arch.layerCount).map { Double(arch.connections($0)) / Double(sizes[$0 + 1]) }
        let start = DispatchTime.now().uptimeNanoseconds
        let L = layers.count
        let spike = config.gradient == .spike
        let alpha = Float(config.alpha)
        var stopped = false
        for batch in 0 ..< stepsPerEpoch {
            if let shouldStop, shouldStop() { stopped = true; break }
            fillBatch(order[batch * B ..< (batch + 1) * B], epoch: epoch, into: &acts[0])
            // Forward.
            for k in 0 ..< L {
                acts[k].withUnsafeBufferPointer { A in pres[k].withUnsafeMutableBufferPointer { P in layers[k].forward(A.baseAddress!, batch: B, into: P.baseAddress!) } }
                if k < L - 1 { activate(pres[k], into: &acts[k + 1], layer: k) }
            }
            // Softmax cross-entropy on the output potential, and the output error.
            let C = sizes[L]
            var ops = 0.0
            pres[L - 1].withUnsafeBufferPointer { P in
                grads[L].withUnsafeMutableBufferPointer { G in
                    for r in 0 ..< B {
                        let label = Int(train.labels[order[batch * B + r]])
                        let row = P.baseAddress! + r * C, g = G.baseAddress! + r * C
                        var mx = -Float.infinity
                        var arg = 0
                        for c in 0 ..< C where row[c] > mx { mx = row[c]; arg = c }
                        if arg == label { correct += 1 }
                        var sum: Float = 0
                        for c in 0 ..< C {
                            let e = exp((row[c] - mx) / outputScale)
                            g[c] = e
                            sum += e
                        }
                        lossSum += Double(-log(max(g[label] / sum, 1e-30)))
                        for c in 0 ..< C {
                            let err = g[c] / sum - (c == label ? 1 : 0)
                            if spike {
                                // Output error compartment: U = α·e, ternary spikes at θ_bp = 1.
                                let d = (alpha * err).rounded(.towardZero)
                                g[c] = d
                                ops += Double(abs(d)) * fanIn[L - 1]
                            } else {
                                g[c] = err
                                if err != 0 { ops += fanIn[L - 1] }
                            }
                        }
                    }
                }
            }
            // Backward.
            let scale: Float = spike ? 1 / (Float(B) * alpha) : 1 / Float(B)
            for k in stride(from: L - 1, through: 0, by: -1) {
                let needIn = k > 0
                acts[k].withUnsafeBufferPointer { A in
                    grads[k + 1].withUnsafeBufferPointer { G in
                        grads[k].withUnsafeMutableBufferPointer { GI in
                            layers[k].backward(input: A.baseAddress!, gradOut: G.baseAddress!, batch: B, scale: scale,
                                               gradIn: needIn ? GI.baseAddress! : nil)
                        }
                    }
                }
                if needIn {
                    // Surrogate a' = 1 where z > 0, scaled by 1/θ (float), or the hidden error
                    // compartment with threshold θ_bp (spike).
                    let theta = Float(thresholds[k - 1])
                    let thetaBP = theta * Float(config.thetaBPScale)
                    let fan = fanIn[k - 1]
                    let linear: Int32 = config.mode == .linear ? 1 : 0
                    let n = B * sizes[k]
                    acts[k].withUnsafeBufferPointer { A in
                        grads[k].withUnsafeMutableBufferPointer { G in
                            nonisolated(unsafe) let (a, g) = (A.baseAddress!, G.baseAddress!)
                            // Error spikes (or nonzero errors) per block, whole numbers: their sum is exact.
                            ops += columnBlockSum(n, parts: parts, minimum: 1 << 16) { lo, hi in
                                spike ? sf_surrogate_spike(g + lo, a + lo, hi - lo, thetaBP, linear)
                                    : Double(sf_surrogate_float(g + lo, a + lo, hi - lo, theta, linear))
                            } * fan
                        }
                    }
                }
            }
            stepCount += 1
            let opt = OptimizerStep(kind: config.optimizer, learningRate: learningRate(step: stepCount - 1),
                                    momentum: Float(config.momentum), step: stepCount)
            for l in layers { l.update(opt) }
            backOps += ops
            seen += B
            if let progress {
                let t = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                let ips = Double(seen) / max(t, 1e-9)
                progress(TrainingProgress(epoch: epoch + 1, epochs: config.epochs, batch: batch + 1, batches: stepsPerEpoch,
                                          loss: lossSum / Double(batch + 1) / Double(B), accuracy: Double(correct) / Double(seen),
                                          imagesPerSecond: ips,
                                          etaSeconds: Double((config.epochs - epoch) * stepsPerEpoch - batch - 1) * Double(B) / ips))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let n = Double(max(seen, 1))
        var stats = EpochStats(epoch: epoch + 1, loss: lossSum / n, trainAccuracy: Double(correct) / n,
                               testAccuracy: nil, relativeBackwardOps: backOps / (denseOps * Double(stepsPerEpoch)),
                               imagesPerSecond: Double(seen) / seconds, seconds: seconds)
        if stopped { return (stats, false) }
        if let test { stats.testAccuracy = testAccuracy(test) }
        history.append(stats)
        return (stats, true)
    }

    /// The state a checkpoint restores besides the layers'.
    func restore(thresholds: [Int64], outputScale: Float, steps: Int, history: [EpochStats]) {
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
