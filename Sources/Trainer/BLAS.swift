import CKernels
import COpenBLAS

/// Row-major single-precision GEMM through OpenBLAS (Debian libopenblas-dev):
/// `C ← A·B` or `C ← A·B + C` with optional transposes.
enum BLAS {
    /// Sets OpenBLAS's thread count (0 keeps its default: every core).
    static func setThreads(_ n: Int) {
        if n > 0 { openblas_set_num_threads(Int32(n)) }
    }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] (+ C if accumulate)`, all row-major, with
    /// leading dimensions defaulting to packed storage (pass them to work on column blocks).
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
                     c: UnsafeMutablePointer<Float>, ldc: Int? = nil, accumulate: Bool = false) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda ?? (transA ? m : k)), b, Int32(ldb ?? (transB ? k : n)),
                    accumulate ? 1 : 0, c, Int32(ldc ?? n))
    }
}

/// What the trainer's kernels run on, for benchmark reports.
public enum BLASInfo {
    public static var version: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }

    public static var kernels: String { sf_kernels_avx2() != 0 ? "AVX2" : "baseline x86-64" }
}
