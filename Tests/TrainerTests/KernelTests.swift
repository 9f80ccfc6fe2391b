import CKernels
import SpikeForgeCore
import Testing
@testable import Trainer

/// The event-driven kernels against plain loops, on sizes that exercise every column path
/// (blocks of 64 and 8, the scalar tail) and every kind of row (empty, full, ordinary).
@Suite struct KernelTests {
    /// A batch with integer levels: row 0 empty, row 1 full, the rest about `density` nonzero.
    static func batch(rows: Int, cols: Int, density: UInt64, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        var x = [Float](repeating: 0, count: rows * cols)
        for r in 0 ..< rows {
            for j in 0 ..< cols {
                let on = r == 1 || (r != 0 && rng.next() % 100 < density)
                // -0.0 counts as zero, as in the compressed form before.
                x[r * cols + j] = on ? Float(1 + rng.next() % 15) : (j % 7 == 0 ? -0.0 : 0)
            }
        }
        return x
    }

    static func compress(_ x: [Float], rows: Int, cols: Int) -> (start: [Int], idx: [Int32], val: [Float]) {
        var start = [Int](repeating: 0, count: rows + 1), idx = [Int32](repeating: 0, count: rows * cols), val = [Float](repeating: 0, count: rows * cols)
        let nnz = sf_compress_rows(x, rows, cols, &start, &idx, &val)
        return (start, Array(idx[..<nnz]), Array(val[..<nnz]))
    }

    @Test(arguments: [(13, 7), (64, 784), (5, 1), (3, 200)])
    func compressionKeepsExactlyTheNonzeros(_ shape: (Int, Int)) {
        let (rows, cols) = shape
        let x = Self.batch(rows: rows, cols: cols, density: 20, seed: 5)
        let c = Self.compress(x, rows: rows, cols: cols)
        var start = [0], idx: [Int32] = [], val: [Float] = []
        for r in 0 ..< rows {
            for j in 0 ..< cols where x[r * cols + j] != 0 { idx.append(Int32(j)); val.append(x[r * cols + j]) }
            start.append(idx.count)
        }
        #expect(c.start == start && c.idx == idx && c.val == val)
        #expect(sf_count_nonzero(x, x.count) == idx.count)
    }

    @Test(arguments: [(64, 200, 150), (9, 30, 203), (4, 17, 8), (6, 5, 3)])
    func forwardAndWeightGradientMatchPlainLoops(_ shape: (Int, Int, Int)) {
        let (b, k, n) = shape
        let x = Self.batch(rows: b, cols: k, density: 20, seed: 7)
        var rng = SplitMix64(seed: 9)
        let w = (0 ..< k * n).map { _ in Float(Int(rng.next() % 255) - 127) }
        let bias = (0 ..< n).map { _ in Float(Int(rng.next() % 41) - 20) }
        let g = (0 ..< b * n).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1024 }
        let c = Self.compress(x, rows: b, cols: k)
        var colStart = [Int](repeating: 0, count: k + 1), colIdx = [Int32](repeating: 0, count: max(1, c.idx.count)), colVal = [Float](repeating: 0, count: max(1, c.idx.count))
        sf_rows_to_columns(c.start, c.idx, c.val, b, k, &colStart, &colIdx, &colVal)
        // Forward: integers, so the sums are exact in any order.
        var y = [Float](repeating: .nan, count: b * n)
        // Two column blocks, as two cores would split them.
        let half = n / 2
        sf_sparse_forward(c.start, c.idx, c.val, b, w, n, bias, &y, 0, half)
        sf_sparse_forward(c.start, c.idx, c.val, b, w, n, bias, &y, half, n)
        var yRef = [Float](repeating: 0, count: b * n)
        for r in 0 ..< b { for o in 0 ..< n { var s = bias[o]; for j in 0 ..< k { s += x[r * k + j] * w[j * n + o] }; yRef[r * n + o] = s } }
        #expect(y == yRef)
        // Weight gradient: the same order of additions as a loop over the batch rows.
        let alpha: Float = 0.015625
        var dw = [Float](repeating: .nan, count: k * n)
        sf_sparse_weight_grad(colStart, colIdx, colVal, k, g, n, alpha, &dw, 0, half)
        sf_sparse_weight_grad(colStart, colIdx, colVal, k, g, n, alpha, &dw, half, n)
        var dwRef = [Float](repeating: 0, count: k * n)
        for j in 0 ..< k {
            for o in 0 ..< n {
                var s: Float = 0
                for r in 0 ..< b where x[r * k + j] != 0 { s += x[r * k + j] * g[r * n + o] }
                dwRef[j * n + o] = alpha * s
            }
        }
        #expect(dw == dwRef)
    }
}
