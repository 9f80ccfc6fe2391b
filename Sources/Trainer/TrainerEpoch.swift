import CKernels
import Datasets
import Dispatch
import Foundation
import SpikeForgeCore

/// The epoch loop: batches (with their random shifts), forward, loss, backward, optimizer step;
/// then the integer model on the test set and on the validation split, keeping the best epoch.
extension Trainer {
    /// Writes the batch's input levels, shifted by a random offset per image.
    func fillBatch(_ indices: ArraySlice<Int>, epoch: Int, into x: inout [Float]) {
        let w = train.width, h = train.height, c = train.channels, size = train.imageSize
        let s = config.augmentShift
        let lut = levelTable
        x.withUnsafeMutableBufferPointer { X in
            train.pixels.withUnsafeBufferPointer { px in
                for (r, idx) in indices.enumerated() {
                    var rng = SplitMix64(seed: config.seed &* 0x100_0000_01B3 ^ UInt64(epoch) << 40 ^ UInt64(idx))
                    let dx = s == 0 ? 0 : Int(rng.next() % UInt64(2 * s + 1)) - s
                    let dy = s == 0 ? 0 : Int(rng.next() % UInt64(2 * s + 1)) - s
                    let x0 = max(0, dx), x1 = min(w, w + dx)
                    // Every channel shifted alike (pixels are CHW, one plane per channel).
                    for ch in 0 ..< c {
                        let src = px.baseAddress! + idx * size + ch * w * h
                        let dst = X.baseAddress! + r * size + ch * w * h
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
        if let validation {
            let acc = testAccuracy(validation)
            stats.validationAccuracy = acc
            // Strictly better only: a tie keeps the earlier epoch.
            if kept.map({ acc > $0.validationAccuracy }) ?? true {
                kept = KeptEpoch(epoch: stats.epoch, validationAccuracy: acc, validationImages: validation.count)
                keptModel = integerModel()
            }
        }
        history.append(stats)
        return (stats, true)
    }

}

/// The epoch a run keeps: the best on the validation split (ties: the earliest).
public struct KeptEpoch: Codable, Sendable, Equatable {
    public var epoch: Int
    public var validationAccuracy: Double
    public var validationImages: Int

    public init(epoch: Int, validationAccuracy: Double, validationImages: Int) {
        self.epoch = epoch
        self.validationAccuracy = validationAccuracy
        self.validationImages = validationImages
    }
}
