// Fused elementwise kernels of the SpikeForge trainer: one pass per parameter tensor.
// Each has an AVX2 build and a baseline build, chosen at run time; both give the same bits
// (no FMA contraction, IEEE single precision throughout).
#ifndef SF_KERNELS_H
#define SF_KERNELS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Adam: m ← b1·m + (1−b1)·g; v ← b2·v + (1−b2)·g²; p ← clamp(p − lr·m/(√v + eps), ±limit);
/// q ← round-to-nearest-even(p). `lr` and `eps` carry the bias correction. |limit| ≤ 2^22.
void sf_adam_step(float *p, float *q, const float *g, float *m, float *v, size_t n,
                  float b1, float b2, float lr, float eps, float limit);

/// SGD with momentum: u ← mu·u + g; p ← clamp(p − lr·u, ±limit); q ← round(p).
void sf_sgd_step(float *p, float *q, const float *g, float *u, size_t n, float mu, float lr, float limit);

/// Hidden activations of SPEC §1 on pre-activations that hold exact integers (|x| < 2^31):
/// floor mode `a = floor(max(0, x)/θ)`; round mode `a = round-half-away(x/θ)`, clamped at 0
/// when `relu`. Division is in double precision, which is exact for these operands.
void sf_act_floor(const float *pre, float *act, size_t n, double theta);
void sf_act_round(const float *pre, float *act, size_t n, double theta, int relu);

/// Float-gradient surrogate: g ← (a > 0 or linear) ? g/θ : 0. Returns the nonzero count.
size_t sf_surrogate_float(float *g, const float *act, size_t n, float theta, int linear);

/// Spike-gradient error compartment: U = (a > 0 or linear) ? g : 0; δ = trunc(U/θ_bp)
/// (ternary error spikes until |U| < θ_bp). Writes δ over g and returns Σ|δ| (each |δ| counted
/// up to 2^24).
double sf_surrogate_spike(float *g, const float *act, size_t n, float theta_bp, int linear);

/// A batch X[b×k] compressed by rows (each image's nonzero inputs, for the forward product):
/// rowStart[b+1], rowIdx/rowVal[nnz]. rowIdx and rowVal must hold b·k entries (slots past nnz
/// are scratch). Returns nnz.
size_t sf_compress_rows(const float *X, size_t b, size_t k, size_t *rowStart, int *rowIdx, float *rowVal);

/// The number of nonzero elements of x[n].
size_t sf_count_nonzero(const float *x, size_t n);

/// The same batch by columns (each input's nonzero images, for the weight gradient):
/// colStart[k+1], colIdx/colVal[nnz], rows ascending within a column.
void sf_rows_to_columns(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b, size_t k,
                        size_t *colStart, int *colIdx, float *colVal);

/// Event-driven forward product on columns [c0, c1): Y[b×n] = bias + X · W[k×n], adding one row
/// of W per nonzero input (spike), with the output block held in registers.
void sf_sparse_forward(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b,
                       const float *W, size_t n, const float *bias, float *Y, size_t c0, size_t c1);

/// Weight gradient on columns [c0, c1): dW[k×n] = alpha · Xᵀ · G[b×n], visiting only nonzero
/// inputs; rows of dW with no nonzero input are zeroed.
void sf_sparse_weight_grad(const size_t *colStart, const int *colIdx, const float *colVal, size_t k,
                           const float *G, size_t n, float alpha, float *dW, size_t c0, size_t c1);

/// Weight gradient when G[b×n] is sparse too (error spikes): dW[k×n] = alpha · Xᵀ · G, touching
/// only (nonzero input, nonzero error) pairs of each image. X and G come compressed by rows
/// (sf_compress_rows). Works on input rows [j0, j1) of dW, which it zeroes first.
void sf_sparse_outer_grad(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b,
                          const size_t *gStart, const int *gIdx, const float *gVal, size_t n, float alpha,
                          float *dW, size_t j0, size_t j1);

/* Convolution and pooling (stride 1 valid convolutions, k x k sum pooling of stride k). Images
   are channel-major (c, y, x); a block of n images is laid out image after image. AVX2 and
   baseline builds give the same bits (each element's sum runs in one fixed order). */

/// im2col of n images [n][C][H][W] for a k x k kernel (stride 1, valid): col[K][n*P] with
/// K = C*k*k rows ordered (c, ky, kx) and P = (H-k+1)*(W-k+1) columns per image, ordered
/// (image, oy, ox): col[(c*k+ky)*k+kx][i*P + oy*OW + ox] = in[i][c][oy+ky][ox+kx].
void sf_im2col(const float *in, size_t n, size_t C, size_t H, size_t W, size_t k, float *col);

/// The adjoint of sf_im2col: grad[n][C][H][W] = Σ of col's entries that read each input
/// (grad is overwritten, not accumulated). Sums run in a fixed order (c, ky, kx, oy, ox).
void sf_col2im(const float *col, size_t n, size_t C, size_t H, size_t W, size_t k, float *grad);

/// Y[O][n*P] (a GEMM's output) to out[n][O][P], adding bias[o] to channel o.
void sf_scatter_channels(const float *Y, size_t n, size_t O, size_t P, const float *bias, float *out);

/// g[n][O][P] to Gt[O][n*P] (the layout the GEMMs of the backward pass read), adding each
/// image's sum of channel o (positions in order) to sums[o].
void sf_gather_channels(const float *g, size_t n, size_t O, size_t P, float *Gt, float *sums);

/// k x k sum pooling, stride k, per channel: out[n][C][H/k][W/k] = Σ of each window of in[n][C][H][W].
void sf_sum_pool(const float *in, size_t n, size_t C, size_t H, size_t W, size_t k, float *out);

/// The adjoint of sf_sum_pool: every input of a window gets its output's gradient.
void sf_pool_broadcast(const float *g, size_t n, size_t C, size_t H, size_t W, size_t k, float *grad);

/// True when the AVX2 builds are in use.
int sf_kernels_avx2(void);

/// The widest SIMD extension this CPU has and the OS enables (cpuid and xgetbv): 5 AVX-512 (F, BW,
/// VL, DQ and CD: SkylakeX's set), 4 AVX2 and FMA, 3 AVX, 2 SSSE3 to SSE4.2, 1 SSE3, 0 older.
int sf_cpu_simd_tier(void);
/// 1 on AMD and Hygon processors, 0 otherwise.
int sf_cpu_is_amd(void);
/// 1 when the CPU has AVX-512 BF16 too (OpenBLAS's Cooperlake kernels), 0 otherwise.
int sf_cpu_avx512_bf16(void);

#ifdef __cplusplus
}
#endif
#endif
