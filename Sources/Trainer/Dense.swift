import CKernels
import Dispatch
import Foundation
import SpikeForgeCore

/// A layer the trainer can fit: dense (`DenseLayer`), convolution (`ConvLayer`) or pooling
/// (`PoolLayer`). Each has a forward pass on a batch of flat (channel-major) activations, a
/// backward pass that fills the parameter gradients and optionally the input gradient, a
/// parameter update, an export to the integer network and the state a checkpoint keeps.
protocol TrainableLayer: AnyObject {
    var inputSize: Int { get }
    var outputSize: Int { get }
    /// Blocks worked on in parallel (the core count); the same count gives the same bits.
    var parts: Int { get }
    /// Learning-rate multiplier for the biases (they live on the scale of `θ`, weights on 1).
    var biasScale: Float { get set }
    /// `out[b×outputSize] = layer(in[b×inputSize])` with the quantized parameters.
    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>)
    /// Parameter gradients from `gradOut` (scaled by `scale`); input gradient when asked.
    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?)
    func update(_ opt: OptimizerStep)
    /// The rounded weights as integers in the integer model's layout for the layer's kind.
    var integerWeights: [Int32] { get }
    /// The rounded biases as integers, one per output neuron (a conv layer's per-channel bias
    /// repeated at every position; 0 for pooling).
    var integerBias: [Int64] { get }
    /// The state a checkpoint keeps (`Checkpoint.tensorKinds`, in that order; none for pooling).
    var checkpointTensors: [(kind: String, values: [Float])] { get }
    /// Restores that state and the bias scale, re-rounding the forward copies exactly as the
    /// optimizer step does. False (and nothing changed) when a tensor is missing or of another size.
    func restore(_ tensors: [String: [Float]], biasScale: Float) -> Bool
}

/// A layer with quantization-aware parameters: shadow weights and biases as floats in integer
/// units, their rounded copies used by the forward pass, gradients and optimizer state. The
/// update, checkpoint state and restore are shared by dense and conv layers.
protocol QuantizedLayer: TrainableLayer {
    var weightLimit: Float { get }
    var w: [Float] { get set }
    var wq: [Float] { get set }
    var b: [Float] { get set }
    var bq: [Float] { get set }
    var gw: [Float] { get }
    var gb: [Float] { get }
    /// Optimizer state: Adam's moments, or SGD's velocity in `m1`.
    var m1w: [Float] { get set }
    var m2w: [Float] { get set }
    var m1b: [Float] { get set }
    var m2b: [Float] { get set }
}

extension QuantizedLayer {
    func update(_ opt: OptimizerStep) {
        Quantized.step(&w, &wq, gw, &m1w, &m2w, opt, lr: opt.learningRate, limit: weightLimit, parts: parts)
        Quantized.step(&b, &bq, gb, &m1b, &m2b, opt, lr: opt.learningRate * biasScale, limit: Quantized.biasLimit, parts: 1)
    }

    var checkpointTensors: [(kind: String, values: [Float])] {
        [("w", w), ("b", b), ("m1w", m1w), ("m2w", m2w), ("m1b", m1b), ("m2b", m2b)]
    }

    func restore(_ t: [String: [Float]], biasScale: Float) -> Bool {
        guard let w = t["w"], let b = t["b"], let m1w = t["m1w"], let m2w = t["m2w"], let m1b = t["m1b"], let m2b = t["m2b"],
              [w, m1w, m2w].allSatisfy({ $0.count == self.w.count }), [b, m1b, m2b].allSatisfy({ $0.count == self.b.count }) else { return false }
        (self.w, self.b, self.m1w, self.m2w, self.m1b, self.m2b, self.biasScale) = (w, b, m1w, m2w, m1b, m2b, biasScale)
        wq = w.map { Quantized.roundNearest($0) }
        bq = b.map { Quantized.roundNearest($0) }
        return true
    }
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

/// Runs `body` on `parts` fixed column blocks of `0..<n` in parallel (the same split on every
/// machine, so results are deterministic), or once when `n` is small.
func columnBlocks(_ n: Int, parts: Int, minimum: Int = 256, _ body: @Sendable (Int, Int) -> Void) {
    guard parts > 1, n >= minimum else { return body(0, n) }
    let per = (n + parts - 1) / parts
    DispatchQueue.concurrentPerform(iterations: parts) { c in
        let lo = c * per, hi = min(n, lo + per)
        if lo < hi { body(lo, hi) }
    }
}

/// `columnBlocks` under another name, for types that have a `columnBlocks` member of their own.
@inline(__always) func inBlocks(_ n: Int, parts: Int, minimum: Int = 256, _ body: @Sendable (Int, Int) -> Void) {
    columnBlocks(n, parts: parts, minimum: minimum, body)
}

/// `columnBlocks` whose blocks each return a number, added in block order.
func columnBlockSum(_ n: Int, parts: Int, minimum: Int = 256, _ body: @Sendable (Int, Int) -> Double) -> Double {
    guard parts > 1, n >= minimum else { return body(0, n) }
    let per = (n + parts - 1) / parts
    let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: parts)
    sums.initialize(repeating: 0)
    defer { sums.deallocate() }
    nonisolated(unsafe) let s = sums
    DispatchQueue.concurrentPerform(iterations: parts) { c in
        let lo = c * per, hi = min(n, lo + per)
        if lo < hi { s[c] = body(lo, hi) }
    }
    return sums.reduce(0, +)
}

/// A quantization-aware dense layer. Shadow weights and biases are floats in integer units;
/// the forward pass uses their rounded values (`wBits`-bit signed weights, integer biases), and
/// gradients pass straight through the rounding (STE).
///
/// Weights are stored `inputs × outputs` (one contiguous row per input axon, as in the PE's
/// weight SRAM), so that sparse inputs (spikes) add whole rows: the forward product and the
/// weight gradient visit only nonzero inputs. Dense batches go to OpenBLAS instead.
final class DenseLayer: QuantizedLayer {
    let inputSize: Int
    let outputSize: Int
    let weightLimit: Float
    /// Column blocks worked on in parallel (the core count).
    let parts: Int
    /// Input density below which the event-driven kernels are used.
    static let sparseDensity: Float = 0.35
    /// Error density below which the weight gradient also skips zero errors.
    static let sparseErrorDensity: Float = 0.08
    /// Shadow parameters (float, integer units) and their rounded copies used by the forward pass.
    var w: [Float], wq: [Float]
    var b: [Float], bq: [Float]
    var gw: [Float], gb: [Float]
    /// Optimizer state: Adam's moments, or SGD's velocity in `m1`.
    var m1w: [Float], m2w: [Float], m1b: [Float], m2b: [Float]
    var biasScale: Float = 1
    /// The last forward batch compressed by rows, and by columns when the backward pass needs it,
    /// and whether it was sparse enough for the event-driven kernels.
    var rowStart: [Int] = [], rowIdx: [Int32] = [], rowVal: [Float] = []
    var colStart: [Int] = [], colIdx: [Int32] = [], colVal: [Float] = []
    /// The batch's errors compressed by rows (for the error-spike weight gradient).
    var gStart: [Int] = [], gIdx: [Int32] = [], gVal: [Float] = []
    var lastSparse = false
    var lastBatch = 0

    init(inputs: Int, outputs: Int, wBits: Int, initLimit: Float, parts: Int, rng: inout SplitMix64) {
        inputSize = inputs
        outputSize = outputs
        weightLimit = Float((1 << (wBits - 1)) - 1)
        self.parts = max(1, parts)
        // Drawn in [output][input] order, stored transposed.
        let drawn = (0 ..< inputs * outputs).map { _ in initLimit * (2 * Float(rng.next() >> 40) * 0x1.0p-24 - 1) }
        w = [Float](repeating: 0, count: inputs * outputs)
        for i in 0 ..< outputs { for j in 0 ..< inputs { w[j * outputs + i] = drawn[i * inputs + j] } }
        wq = w.map { Quantized.roundNearest($0) }
        b = [Float](repeating: 0, count: outputs)
        bq = b
        gw = [Float](repeating: 0, count: inputs * outputs)
        gb = b
        m1w = gw; m2w = gw; m1b = b; m2b = b
    }

    /// Compresses the batch; true when it is sparse enough for the event-driven kernels.
    func compress(_ input: UnsafePointer<Float>, batch: Int) -> Bool {
        let k = inputSize
        if rowStart.count != batch + 1 { rowStart = [Int](repeating: 0, count: batch + 1) }
        if colStart.count != k + 1 { colStart = [Int](repeating: 0, count: k + 1) }
        if rowIdx.count < batch * k {
            rowIdx = [Int32](repeating: 0, count: batch * k); colIdx = rowIdx
            rowVal = [Float](repeating: 0, count: batch * k); colVal = rowVal
        }
        let nnz = sf_compress_rows(input, batch, k, &rowStart, &rowIdx, &rowVal)
        lastBatch = batch
        lastSparse = Float(nnz) <= Self.sparseDensity * Float(batch * k)
        return lastSparse
    }

    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let (k, n) = (inputSize, outputSize)
        nonisolated(unsafe) let (x, y) = (input, out)
        let sparse = compress(input, batch: batch)
        wq.withUnsafeBufferPointer { W in
            bq.withUnsafeBufferPointer { B in
                nonisolated(unsafe) let (wp, bp) = (W.baseAddress!, B.baseAddress!)
                if sparse {
                    rowStart.withUnsafeBufferPointer { RS in rowIdx.withUnsafeBufferPointer { RI in rowVal.withUnsafeBufferPointer { RV in
                        nonisolated(unsafe) let (rs, ri, rv) = (RS.baseAddress!, RI.baseAddress!, RV.baseAddress!)
                        columnBlocks(n, parts: parts) { c0, c1 in sf_sparse_forward(rs, ri, rv, batch, wp, n, bp, y, c0, c1) }
                    } } }
                } else {
                    columnBlocks(n, parts: parts) { c0, c1 in
                        for r in 0 ..< batch { for c in c0 ..< c1 { y[r * n + c] = bp[c] } }
                        BLAS.gemm(m: batch, n: c1 - c0, k: k, a: x, b: wp + c0, ldb: n, c: y + c0, ldc: n, accumulate: true)
                    }
                }
            }
        }
    }

    /// Backward for the batch of the last `forward` (whose compressed form it reuses).
    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?) {
        precondition(batch == lastBatch, "backward must follow the forward pass of the same batch")
        let (k, n) = (inputSize, outputSize)
        nonisolated(unsafe) let (x, g) = (input, gradOut)
        gw.withUnsafeMutableBufferPointer { G in
            nonisolated(unsafe) let dw = G.baseAddress!
            // Errors are compressed only when sparse enough to be used that way.
            let gNonzero = lastSparse ? sf_count_nonzero(gradOut, batch * n) : batch * n
            if lastSparse && Float(gNonzero) <= Self.sparseErrorDensity * Float(batch * n) {
                if gStart.count != batch + 1 { gStart = [Int](repeating: 0, count: batch + 1) }
                if gIdx.count < batch * n { gIdx = [Int32](repeating: 0, count: batch * n); gVal = [Float](repeating: 0, count: batch * n) }
                sf_compress_rows(gradOut, batch, n, &gStart, &gIdx, &gVal)
                // Error spikes: visit only (input spike, error spike) pairs.
                rowStart.withUnsafeBufferPointer { RS in rowIdx.withUnsafeBufferPointer { RI in rowVal.withUnsafeBufferPointer { RV in
                gStart.withUnsafeBufferPointer { GS in gIdx.withUnsafeBufferPointer { GI in gVal.withUnsafeBufferPointer { GV in
                    nonisolated(unsafe) let (rs, ri, rv) = (RS.baseAddress!, RI.baseAddress!, RV.baseAddress!)
                    nonisolated(unsafe) let (gs, gi, gv) = (GS.baseAddress!, GI.baseAddress!, GV.baseAddress!)
                    columnBlocks(k, parts: parts) { j0, j1 in sf_sparse_outer_grad(rs, ri, rv, batch, gs, gi, gv, n, scale, dw, j0, j1) }
                } } }
                } } }
            } else if lastSparse {
                sf_rows_to_columns(rowStart, rowIdx, rowVal, batch, k, &colStart, &colIdx, &colVal)
                colStart.withUnsafeBufferPointer { CS in colIdx.withUnsafeBufferPointer { CI in colVal.withUnsafeBufferPointer { CV in
                    nonisolated(unsafe) let (cs, ci, cv) = (CS.baseAddress!, CI.baseAddress!, CV.baseAddress!)
                    columnBlocks(n, parts: parts) { c0, c1 in sf_sparse_weight_grad(cs, ci, cv, k, g, n, scale, dw, c0, c1) }
                } } }
            } else {
                columnBlocks(n, parts: parts) { c0, c1 in
                    BLAS.gemm(transA: true, m: k, n: c1 - c0, k: batch, alpha: scale, a: x, lda: k, b: g + c0, ldb: n, c: dw + c0, ldc: n)
                }
            }
        }
        gb.withUnsafeMutableBufferPointer { B in
            let gbp = B.baseAddress!
            for i in 0 ..< n { gbp[i] = 0 }
            for r in 0 ..< batch {
                let row = gradOut + r * n
                for i in 0 ..< n { gbp[i] += row[i] }
            }
            for i in 0 ..< n { gbp[i] *= scale }
        }
        if let gradIn {
            // gradIn[b×k] = G[b×n] · Wqᵀ
            wq.withUnsafeBufferPointer { W in
                BLAS.gemm(transB: true, m: batch, n: k, k: n, a: gradOut, b: W.baseAddress!, c: gradIn)
            }
        }
    }

    /// The rounded weights as integers, `outputs × inputs` (the integer model's layout).
    var integerWeights: [Int32] {
        var out = [Int32](repeating: 0, count: wq.count)
        for j in 0 ..< inputSize { for i in 0 ..< outputSize { out[i * inputSize + j] = Int32(wq[j * outputSize + i]) } }
        return out
    }
    var integerBias: [Int64] { bq.map { Int64($0) } }
}

/// The quantization-aware parameter update shared by every layer with parameters.
enum Quantized {
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
                     _ opt: OptimizerStep, lr: Float, limit: Float, parts: Int) {
        let n = p.count
        p.withUnsafeMutableBufferPointer { P in
            q.withUnsafeMutableBufferPointer { Q in
                m1.withUnsafeMutableBufferPointer { M1 in
                    m2.withUnsafeMutableBufferPointer { M2 in
                        g.withUnsafeBufferPointer { G in
                            nonisolated(unsafe) let (pp, qq, gg, a1, a2) = (P.baseAddress!, Q.baseAddress!, G.baseAddress!, M1.baseAddress!, M2.baseAddress!)
                            let t = Float(opt.step)
                            let c2 = (1 - pow(opt.beta2, t)).squareRoot()
                            let (lrA, epsA) = (lr * c2 / (1 - pow(opt.beta1, t)), opt.epsilon * c2)
                            let (b1, b2, mu, kind) = (opt.beta1, opt.beta2, opt.momentum, opt.kind)
                            columnBlocks(n, parts: parts, minimum: 1 << 16) { lo, hi in
                                switch kind {
                                case .adam:
                                    sf_adam_step(pp + lo, qq + lo, gg + lo, a1 + lo, a2 + lo, hi - lo, b1, b2, lrA, epsA, limit)
                                case .sgd:
                                    sf_sgd_step(pp + lo, qq + lo, gg + lo, a1 + lo, hi - lo, mu, lr, limit)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
