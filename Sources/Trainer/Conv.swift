import CKernels
import Dispatch
import Foundation
import SpikeForgeCore

/// Runs `body(part, lo, hi)` on `parts` fixed blocks of the images `0..<batch` in parallel. The
/// split depends only on `batch` and `parts`, never on scheduling, so sums over the blocks
/// (taken in block order) are deterministic.
func imageBlocks(_ batch: Int, parts: Int, _ body: @Sendable (Int, Int, Int) -> Void) {
    guard parts > 1, batch > 1 else { return body(0, 0, batch) }
    let per = (batch + parts - 1) / parts
    DispatchQueue.concurrentPerform(iterations: parts) { c in
        let lo = c * per, hi = min(batch, lo + per)
        if lo < hi { body(c, lo, hi) }
    }
}

/// Float buffers of one block of images (one per part), allocated once per layer and reused.
final class Scratch: @unchecked Sendable {
    private var buffers: [UnsafeMutablePointer<Float>]
    private let counts: [Int]
    /// What the buffers were sized for (im2col columns).
    let capacity: Int

    init(_ counts: [Int], capacity: Int) {
        self.counts = counts
        self.capacity = capacity
        buffers = counts.map { n in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            return p
        }
    }

    subscript(_ k: Int) -> UnsafeMutablePointer<Float> { buffers[k] }

    deinit { for (p, n) in zip(buffers, counts) { p.deinitialize(count: max(1, n)); p.deallocate() } }
}

/// A quantization-aware convolution: `n` kernels of `k × k` over all input channels, stride 1,
/// valid (no padding), one bias per output channel (SPEC §6). Shadow weights and biases are
/// floats in integer units; the forward pass uses their rounded values (`wBits`-bit signed
/// weights, integer biases) and gradients pass straight through the rounding (STE).
///
/// Weights are stored `(out, in, kh, kw)`, the integer model's layout: a `O × K` matrix with
/// `K = in · k · k`. Every product is an OpenBLAS GEMM on an im2col matrix of a block of images:
/// forward `Y[O × nP] = Wq · col`, weight gradient `dW = Gᵀ-layout · colᵀ`, input gradient
/// `col2im(Wqᵀ · G)`. The images of a batch are split into `parts` fixed blocks worked on in
/// parallel (one per core); the weight gradient sums the blocks' partial gradients in block
/// order, so results do not depend on scheduling.
final class ConvLayer: QuantizedLayer {
    let input: FeatureShape
    let output: FeatureShape
    let kernel: Int
    let inputSize: Int
    let outputSize: Int
    let weightLimit: Float
    let parts: Int
    /// Rows of the im2col matrix (`in · k · k`) and its columns per image (output positions).
    let K: Int, P: Int
    /// The largest im2col matrix of one block, in floats (4 MB).
    static let maxColumnFloats = 1 << 20
    var w: [Float], wq: [Float]
    var b: [Float], bq: [Float]
    var gw: [Float], gb: [Float]
    var m1w: [Float], m2w: [Float], m1b: [Float], m2b: [Float]
    var biasScale: Float = 1
    /// Per part: im2col, output or gathered gradient, column gradient, partial weight gradient.
    var scratch: [Scratch] = []

    init(input: FeatureShape, channels: Int, kernel k: Int, wBits: Int, initLimit: Float, parts: Int, rng: inout SplitMix64) {
        self.input = input
        output = FeatureShape(channels: channels, height: input.height - k + 1, width: input.width - k + 1)
        kernel = k
        inputSize = input.count
        outputSize = output.count
        weightLimit = Float((1 << (wBits - 1)) - 1)
        self.parts = max(1, parts)
        K = input.channels * k * k
        P = output.height * output.width
        w = (0 ..< channels * K).map { _ in initLimit * (2 * Float(rng.next() >> 40) * 0x1.0p-24 - 1) }
        wq = w.map { Quantized.roundNearest($0) }
        b = [Float](repeating: 0, count: channels)
        bq = b
        gw = [Float](repeating: 0, count: w.count)
        gb = b
        m1w = gw; m2w = gw; m1b = b; m2b = b
    }

    /// Images per GEMM in a block of a batch of `batch` (a block holds `⌈batch / parts⌉`).
    static func imagesPerGEMM(K: Int, P: Int, batch: Int, parts: Int) -> Int {
        max(1, min(maxColumnFloats / (K * P), (batch + parts - 1) / parts))
    }

    /// The floats of every part's scratch: im2col and column gradient (`K` rows), output or
    /// gathered gradient (`O` rows), each `imagesPerGEMM · P` columns, and a `O × K` weight gradient.
    static func scratchFloats(input: FeatureShape, channels O: Int, kernel k: Int, batch: Int, parts: Int) -> Int {
        let K = input.channels * k * k, P = (input.height - k + 1) * (input.width - k + 1)
        let cols = imagesPerGEMM(K: K, P: P, batch: batch, parts: max(1, parts)) * P
        return max(1, parts) * ((2 * K + O) * cols + O * K)
    }

    /// Images per GEMM for a batch, with the scratch of every part sized for it.
    func prepare(batch: Int) -> Int {
        let n = Self.imagesPerGEMM(K: K, P: P, batch: batch, parts: parts)
        let cols = n * P, O = output.channels
        if scratch.isEmpty || scratch[0].capacity < cols {
            scratch = (0 ..< parts).map { _ in Scratch([K * cols, O * cols, K * cols, O * K], capacity: cols) }
        }
        return n
    }

    func forward(_ input: UnsafePointer<Float>, batch: Int, into out: UnsafeMutablePointer<Float>) {
        let n = prepare(batch: batch)
        let (I, O, k, K, P) = (self.input, output.channels, kernel, K, P)
        let (inSize, outSize) = (inputSize, outputSize)
        nonisolated(unsafe) let (x, y) = (input, out)
        let scratch = self.scratch
        wq.withUnsafeBufferPointer { W in
            bq.withUnsafeBufferPointer { B in
                nonisolated(unsafe) let (wp, bp) = (W.baseAddress!, B.baseAddress!)
                imageBlocks(batch, parts: parts) { part, lo, hi in
                    let s = scratch[part]
                    let (col, Y) = (s[0], s[1])
                    var i = lo
                    while i < hi {
                        let m = min(n, hi - i)
                        sf_im2col(x + i * inSize, m, I.channels, I.height, I.width, k, col)
                        BLAS.gemm(m: O, n: m * P, k: K, a: wp, b: col, c: Y)
                        sf_scatter_channels(Y, m, O, P, bp, y + i * outSize)
                        i += m
                    }
                }
            }
        }
    }

    func backward(input: UnsafePointer<Float>, gradOut: UnsafePointer<Float>, batch: Int, scale: Float,
                  gradIn: UnsafeMutablePointer<Float>?) {
        let n = prepare(batch: batch)
        let (I, O, k, K, P) = (self.input, output.channels, kernel, K, P)
        let (inSize, outSize) = (inputSize, outputSize)
        nonisolated(unsafe) let (x, g, gi) = (input, gradOut, gradIn)
        let scratch = self.scratch
        let per = (batch + parts - 1) / parts
        let used = parts > 1 && batch > 1 ? (batch + per - 1) / per : 1
        wq.withUnsafeBufferPointer { W in
            nonisolated(unsafe) let wp = W.baseAddress!
            imageBlocks(batch, parts: parts) { part, lo, hi in
                let s = scratch[part]
                let (col, Gt, colGrad, dW) = (s[0], s[1], s[2], s[3])
                dW.update(repeating: 0, count: O * K)
                var i = lo
                while i < hi {
                    let m = min(n, hi - i)
                    sf_im2col(x + i * inSize, m, I.channels, I.height, I.width, k, col)
                    sf_gather_channels(g + i * outSize, m, O, P, Gt)
                    // dW[O × K] += Gt[O × mP] · colᵀ
                    BLAS.gemm(transB: true, m: O, n: K, k: m * P, a: Gt, b: col, c: dW, accumulate: true)
                    if let gi {
                        // colGrad[K × mP] = Wqᵀ · Gt, then scattered back onto the input map.
                        BLAS.gemm(transA: true, m: K, n: m * P, k: O, a: wp, b: Gt, c: colGrad)
                        sf_col2im(colGrad, m, I.channels, I.height, I.width, k, gi + i * inSize)
                    }
                    i += m
                }
            }
        }
        // The blocks' partial gradients, summed in block order.
        gw.withUnsafeMutableBufferPointer { G in
            for e in 0 ..< G.count { G[e] = 0 }
            for part in 0 ..< used {
                let dW = scratch[part][3]
                for e in 0 ..< G.count { G[e] += dW[e] }
            }
            for e in 0 ..< G.count { G[e] *= scale }
        }
        // One bias per channel: the sum of its gradient over every image and position.
        for o in 0 ..< O {
            var sum: Float = 0
            for r in 0 ..< batch {
                let row = gradOut + r * outSize + o * P
                for p in 0 ..< P { sum += row[p] }
            }
            gb[o] = sum * scale
        }
    }

    /// The kernels `(out, in, kh, kw)`, as stored.
    var integerWeights: [Int32] { wq.map { Int32($0) } }
    /// Each channel's bias at every position of the channel.
    var integerBias: [Int64] { bq.flatMap { [Int64](repeating: Int64($0), count: P) } }
}
