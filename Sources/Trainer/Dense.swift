import CKernels
import Dispatch
import Foundation
import SpikeForgeCore

/// A layer the trainer can fit. Dense is the one built; convolution and pooling fit the same
/// shape: a forward pass on a batch, a backward pass that fills the parameter gradients and
/// optionally the input gradient, a parameter update, and an export to the integer network.
protocol TrainableLayer: AnyObject {
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// `out[b×outputSize] = layer(in[b×inputSize])` with the quantized parameters.
    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>)
    /// Parameter gradients from `gradOut` (scaled by `scale`); input gradient when asked.
    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?)
    func update(_ opt: OptimizerStep)
}

/// The optimizer settings of one step.
struct OptimizerStep {
    var kind: Optimizer
    var learningRate: Float
    var momentum: Float
    var beta1: Float = 0.9
    var beta2: Float = 0.999
    var epsilon: Float = 1e-8
    /// 1-based step count, for Adam's bias correction.
    var step: Int
}

/// Splits `0..<n` into `parts` fixed ranges (the same split on every machine, so reductions and
/// updates are deterministic) and runs them on all cores.
func parallelChunks(_ n: Int, parts: Int = 2, _ body: @Sendable (Range<Int>) -> Void) {
    let p = max(1, min(parts, n))
    let per = (n + p - 1) / p
    DispatchQueue.concurrentPerform(iterations: p) { c in
        let lo = c * per, hi = min(n, lo + per)
        if lo < hi { body(lo ..< hi) }
    }
}

/// A quantization-aware dense layer. Shadow weights and biases are floats in integer units;
/// the forward pass uses their rounded values (`wBits`-bit signed weights, integer biases), and
/// gradients pass straight through the rounding (STE).
final class DenseLayer: TrainableLayer {
    let inputSize: Int
    let outputSize: Int
    let weightLimit: Float
    /// Shadow parameters (float, integer units) and their rounded copies used by the forward pass.
    var w: [Float], wq: [Float]
    var b: [Float], bq: [Float]
    var gw: [Float], gb: [Float]
    /// Optimizer state: Adam's moments, or SGD's velocity in `m1`.
    var m1w: [Float], m2w: [Float], m1b: [Float], m2b: [Float]
    /// Learning-rate multiplier for the biases (they live on the scale of `θ`, weights on 1).
    var biasScale: Float = 1

    init(inputs: Int, outputs: Int, wBits: Int, initLimit: Float, rng: inout SplitMix64) {
        inputSize = inputs
        outputSize = outputs
        weightLimit = Float((1 << (wBits - 1)) - 1)
        w = (0 ..< inputs * outputs).map { _ in initLimit * (2 * Float(rng.next() >> 40) * 0x1.0p-24 - 1) }
        wq = w.map { Self.roundNearest($0) }
        b = [Float](repeating: 0, count: outputs)
        bq = b
        gw = [Float](repeating: 0, count: inputs * outputs)
        gb = b
        m1w = gw; m2w = gw; m1b = b; m2b = b
    }

    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        wq.withUnsafeBufferPointer { W in
            BLAS.gemm(transB: true, m: batch, n: outputSize, k: inputSize, a: input, b: W.baseAddress!, c: out)
        }
        for r in 0 ..< batch {
            let row = out + r * outputSize
            for i in 0 ..< outputSize { row[i] += bq[i] }
        }
    }

    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?) {
        gw.withUnsafeMutableBufferPointer { G in
            BLAS.gemm(transA: true, m: outputSize, n: inputSize, k: batch, alpha: scale, a: gradOut, b: input, c: G.baseAddress!)
        }
        for i in 0 ..< outputSize { gb[i] = 0 }
        for r in 0 ..< batch {
            let row = gradOut + r * outputSize
            for i in 0 ..< outputSize { gb[i] += row[i] }
        }
        for i in 0 ..< outputSize { gb[i] *= scale }
        if let gradIn {
            wq.withUnsafeBufferPointer { W in
                BLAS.gemm(m: batch, n: inputSize, k: outputSize, a: gradOut, b: W.baseAddress!, c: gradIn)
            }
        }
    }

    func update(_ opt: OptimizerStep) {
        let lim = weightLimit
        Self.step(&w, &wq, gw, &m1w, &m2w, opt, lr: opt.learningRate, limit: lim)
        Self.step(&b, &bq, gb, &m1b, &m2b, opt, lr: opt.learningRate * biasScale, limit: Self.biasLimit)
    }

    /// Biases stay within ±2^22 so that `roundNearest` is exact.
    static let biasLimit: Float = 0x1.0p22

    /// Round to nearest, ties to even, for `|x| ≤ 2^22`: two additions, which vectorize (a
    /// `rounded()` call does not on baseline x86-64).
    @inline(__always) static func roundNearest(_ x: Float) -> Float {
        let magic: Float = 0x1.8p23
        return (x + magic) - magic
    }

    /// One fused pass (C kernel): optimizer update, clamp to the weight range, and re-round.
    static func step(_ p: inout [Float], _ q: inout [Float], _ g: [Float], _ m1: inout [Float], _ m2: inout [Float],
                     _ opt: OptimizerStep, lr: Float, limit: Float) {
        let n = p.count
        p.withUnsafeMutableBufferPointer { P in
            q.withUnsafeMutableBufferPointer { Q in
                m1.withUnsafeMutableBufferPointer { M1 in
                    m2.withUnsafeMutableBufferPointer { M2 in
                        g.withUnsafeBufferPointer { G in
                            switch opt.kind {
                            case .adam:
                                let t = Float(opt.step)
                                let c2 = (1 - pow(opt.beta2, t)).squareRoot()
                                sf_adam_step(P.baseAddress!, Q.baseAddress!, G.baseAddress!, M1.baseAddress!, M2.baseAddress!, n,
                                             opt.beta1, opt.beta2, lr * c2 / (1 - pow(opt.beta1, t)), opt.epsilon * c2, limit)
                            case .sgd:
                                sf_sgd_step(P.baseAddress!, Q.baseAddress!, G.baseAddress!, M1.baseAddress!, n, opt.momentum, lr, limit)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The rounded parameters as integers.
    var integerWeights: [Int32] { wq.map { Int32($0) } }
    var integerBias: [Int64] { bq.map { Int64($0) } }
}
