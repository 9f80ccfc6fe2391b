#include "sf_kernels.h"
#include <cpuid.h>
#include <math.h>

#pragma clang fp contract(off)

/* Every kernel body is written once, as an always-inline function, and compiled twice through
   SF_DISPATCH: an AVX2 build and a baseline x86-64 build, chosen at run time. Both give the
   same bits (no contraction except where a kernel says so). */

/* What the CPU and the OS support, from cpuid and xgetbv (the OS must save the registers an
   extension uses before it counts). Computed once; racing first calls compute the same value. */
static int cpu_tier_cached = -1, cpu_amd_cached = -1, cpu_bf16_cached = -1;

static void cpu_detect(void) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    int tier = 0, amd = 0, bf16 = 0;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        unsigned maxLeaf = a;
        /* "AuthenticAMD" and "HygonGenuine" (ebx, edx, ecx). */
        amd = (b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163) || (b == 0x6f677948 && d == 0x6e65476e && c == 0x656e6975);
        unsigned c1 = 0, b7 = 0, a7s1 = 0;
        if (maxLeaf >= 1 && __get_cpuid(1, &a, &b, &c, &d)) c1 = c;
        if (maxLeaf >= 7) {
            __cpuid_count(7, 0, a, b, c, d);
            b7 = b;
            if (a >= 1) { __cpuid_count(7, 1, a, b, c, d); a7s1 = a; }
        }
        unsigned long long xcr0 = 0;
        if (c1 & (1u << 27)) { /* OSXSAVE */
            unsigned lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            xcr0 = ((unsigned long long)hi << 32) | lo;
        }
        int osAVX = (xcr0 & 0x6) == 0x6, osAVX512 = (xcr0 & 0xE6) == 0xE6;
        if (c1 & 1u) tier = 1;                                              /* SSE3 */
        if ((c1 & (1u << 9)) && (c1 & (1u << 19)) && (c1 & (1u << 20))) tier = 2; /* SSSE3, SSE4.1, SSE4.2 */
        if (tier == 2 && (c1 & (1u << 28)) && osAVX) tier = 3;            /* AVX */
        if (tier == 3 && (b7 & (1u << 5)) && (c1 & (1u << 12))) tier = 4; /* AVX2 + FMA */
        /* AVX-512 F, DQ, CD, BW, VL: SkylakeX's set. */
        unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
        if (tier == 4 && (b7 & avx512) == avx512 && osAVX512) tier = 5;
        bf16 = tier == 5 && (a7s1 & (1u << 5));
    }
    cpu_amd_cached = amd;
    cpu_bf16_cached = bf16;
    cpu_tier_cached = tier;
}

int sf_cpu_simd_tier(void) {
    if (cpu_tier_cached < 0) cpu_detect();
    return cpu_tier_cached;
}

int sf_cpu_is_amd(void) {
    if (cpu_tier_cached < 0) cpu_detect();
    return cpu_amd_cached;
}

int sf_cpu_avx512_bf16(void) {
    if (cpu_tier_cached < 0) cpu_detect();
    return cpu_bf16_cached;
}

int sf_kernels_avx2(void) { return sf_cpu_simd_tier() >= 4; }

#define SF_INLINE static inline __attribute__((always_inline))

/* Defines sf_NAME(PARAMS) over NAME_impl, built for TARGET and for the baseline. */
#define SF_DISPATCH(RET, NAME, TARGET, PARAMS, ARGS)                                          \
    __attribute__((target(TARGET))) static RET NAME##_fast PARAMS { return NAME##_impl ARGS; } \
    static RET NAME##_base PARAMS { return NAME##_impl ARGS; }                               \
    RET sf_##NAME PARAMS { return sf_kernels_avx2() ? NAME##_fast ARGS : NAME##_base ARGS; }

/* The same for kernels that return nothing. */
#define SF_DISPATCH_VOID(NAME, TARGET, PARAMS, ARGS)                                          \
    __attribute__((target(TARGET))) static void NAME##_fast PARAMS { NAME##_impl ARGS; }      \
    static void NAME##_base PARAMS { NAME##_impl ARGS; }                                     \
    void sf_##NAME PARAMS {                                                                  \
        if (sf_kernels_avx2()) NAME##_fast ARGS;                                             \
        else NAME##_base ARGS;                                                               \
    }

#define ROUND_MAGIC 12582912.0f /* 0x1.8p23: (x + M) − M rounds to nearest even for |x| ≤ 2^22 */

SF_INLINE void adam_step_impl(float *restrict p, float *restrict q, const float *restrict g, float *restrict m,
                             float *restrict v, size_t n, float b1, float b2, float lr, float eps, float limit) {
    for (size_t k = 0; k < n; k++) {
        float gk = g[k];
        float mk = b1 * m[k] + (1.0f - b1) * gk;
        float vk = b2 * v[k] + (1.0f - b2) * (gk * gk);
        m[k] = mk;
        v[k] = vk;
        float x = p[k] - lr * mk / (__builtin_elementwise_sqrt(vk) + eps);
        x = x > limit ? limit : x;
        x = x < -limit ? -limit : x;
        p[k] = x;
        q[k] = (x + ROUND_MAGIC) - ROUND_MAGIC;
    }
}
SF_DISPATCH_VOID(adam_step, "avx2",
            (float *p, float *q, const float *g, float *m, float *v, size_t n, float b1, float b2, float lr, float eps, float limit),
            (p, q, g, m, v, n, b1, b2, lr, eps, limit))

SF_INLINE void sgd_step_impl(float *restrict p, float *restrict q, const float *restrict g, float *restrict u,
                            size_t n, float mu, float lr, float limit) {
    for (size_t k = 0; k < n; k++) {
        float uk = mu * u[k] + g[k];
        u[k] = uk;
        float x = p[k] - lr * uk;
        x = x > limit ? limit : x;
        x = x < -limit ? -limit : x;
        p[k] = x;
        q[k] = (x + ROUND_MAGIC) - ROUND_MAGIC;
    }
}
SF_DISPATCH_VOID(sgd_step, "avx2", (float *p, float *q, const float *g, float *u, size_t n, float mu, float lr, float limit),
            (p, q, g, u, n, mu, lr, limit))

SF_INLINE void act_floor_impl(const float *restrict pre, float *restrict act, size_t n, double theta) {
    for (size_t k = 0; k < n; k++) {
        double x = pre[k] > 0 ? (double)pre[k] : 0.0;
        act[k] = (float)floor(x / theta);
    }
}
SF_DISPATCH_VOID(act_floor, "avx2", (const float *pre, float *act, size_t n, double theta), (pre, act, n, theta))

SF_INLINE void act_round_impl(const float *restrict pre, float *restrict act, size_t n, double theta, int relu) {
    for (size_t k = 0; k < n; k++) {
        double x = (double)pre[k];
        double q = floor((2.0 * fabs(x) + theta) / (2.0 * theta));
        double a = x < 0 ? -q : q;
        if (relu && a < 0) a = 0;
        act[k] = (float)a;
    }
}
SF_DISPATCH_VOID(act_round, "avx2", (const float *pre, float *act, size_t n, double theta, int relu), (pre, act, n, theta, relu))

/* The division is computed unconditionally and counts are summed in 32-bit lanes per block, so
   that the loops vectorize; the values written are the same as a branchy loop's. */
#define SF_BLOCK 4096

SF_INLINE size_t surrogate_float_impl(float *restrict g, const float *restrict act, size_t n, float theta, int linear) {
    size_t nz = 0;
    for (size_t k0 = 0; k0 < n; k0 += SF_BLOCK) {
        size_t k1 = k0 + SF_BLOCK < n ? k0 + SF_BLOCK : n;
        unsigned block = 0;
        for (size_t k = k0; k < k1; k++) {
            float q = g[k] / theta;
            float v = (linear | (act[k] > 0)) ? q : 0.0f;
            g[k] = v;
            block += v != 0.0f;
        }
        nz += block;
    }
    return nz;
}
SF_DISPATCH(size_t, surrogate_float, "avx2", (float *g, const float *act, size_t n, float theta, int linear), (g, act, n, theta, linear))

SF_INLINE double surrogate_spike_impl(float *restrict g, const float *restrict act, size_t n, float theta_bp, int linear) {
    double spikes = 0;
    for (size_t k0 = 0; k0 < n; k0 += SF_BLOCK) {
        size_t k1 = k0 + SF_BLOCK < n ? k0 + SF_BLOCK : n;
        /* Per element at most 2^24 spikes are counted (a float's exact integers), 2^36 a block. */
        long block = 0;
        for (size_t k = k0; k < k1; k++) {
            float d = truncf(g[k] / theta_bp);
            d = (linear | (act[k] > 0)) ? d : 0.0f;
            g[k] = d;
            float a = fabsf(d);
            block += (int)(a < 16777216.0f ? a : 16777216.0f);
        }
        spikes += (double)block;
    }
    return spikes;
}
SF_DISPATCH(double, surrogate_spike, "avx2", (float *g, const float *act, size_t n, float theta_bp, int linear), (g, act, n, theta_bp, linear))

typedef float v8 __attribute__((vector_size(32), aligned(4)));

#define SPLAT(x) ((v8){(x), (x), (x), (x), (x), (x), (x), (x)})

/* Accumulates sum_e s[e] * M[idx[e]*n + c .. +64) into 8 vectors, for a block of 64 columns. */
#define BLOCK64(INIT, IDX, VAL, START, END, MAT, SCALE, OUT)                                   \
    {                                                                                         \
        v8 a0 = INIT(0), a1 = INIT(8), a2 = INIT(16), a3 = INIT(24);                          \
        v8 a4 = INIT(32), a5 = INIT(40), a6 = INIT(48), a7 = INIT(56);                        \
        for (size_t e = START; e < END; e++) {                                                \
            const v8 *m = (const v8 *)(MAT + (size_t)IDX[e] * n + c);                          \
            const float sv = VAL[e]; v8 s = SPLAT(sv);                                                             \
            a0 += s * m[0]; a1 += s * m[1]; a2 += s * m[2]; a3 += s * m[3];                   \
            a4 += s * m[4]; a5 += s * m[5]; a6 += s * m[6]; a7 += s * m[7];                   \
        }                                                                                     \
        v8 *o = (v8 *)(OUT + c);                                                              \
        o[0] = SCALE(a0); o[1] = SCALE(a1); o[2] = SCALE(a2); o[3] = SCALE(a3);               \
        o[4] = SCALE(a4); o[5] = SCALE(a5); o[6] = SCALE(a6); o[7] = SCALE(a7);               \
    }

/* The same for one block of 8 columns. */
#define BLOCK8(INIT, IDX, VAL, START, END, MAT, SCALE, OUT)                                    \
    {                                                                                         \
        v8 a0 = INIT(0);                                                                      \
        for (size_t e = START; e < END; e++) {                                                \
            const float sv = VAL[e];                                                          \
            a0 += SPLAT(sv) * *(const v8 *)(MAT + (size_t)IDX[e] * n + c);                    \
        }                                                                                     \
        *(v8 *)(OUT + c) = SCALE(a0);                                                         \
    }

/* Output rows 0..<ROWS on columns [c0, c1): OUT(r)[c] = SSCALE(SINIT(c) + Σ_e VAL[e]·MAT[IDX[e]·n + c])
   over the entries START(r)..<START(r+1), in blocks of 64 and 8 columns held in registers, then a
   scalar tail. The column block is the outer loop: every row of the batch reads the same 64
   columns of MAT (784 × 256 bytes for the first layer of 784-800-10) while they are in L2.
   Each output's sum runs over its entries in order, whatever the loop order. */
#define SPARSE_ROWS(INIT, SCALE, SINIT, SSCALE, IDX, VAL, ROWS, START, MAT, OUT)               \
    {                                                                                         \
        size_t c = c0;                                                                        \
        for (; c + 64 <= c1; c += 64)                                                         \
            for (size_t r_ = 0; r_ < (ROWS); r_++)                                            \
                BLOCK64(INIT, IDX, VAL, START[r_], START[r_ + 1], MAT, SCALE, (OUT + r_ * n)) \
        for (; c + 8 <= c1; c += 8)                                                           \
            for (size_t r_ = 0; r_ < (ROWS); r_++)                                            \
                BLOCK8(INIT, IDX, VAL, START[r_], START[r_ + 1], MAT, SCALE, (OUT + r_ * n))  \
        for (; c < c1; c++)                                                                   \
            for (size_t r_ = 0; r_ < (ROWS); r_++) {                                          \
                float acc = SINIT(c);                                                         \
                for (size_t e = START[r_]; e < START[r_ + 1]; e++)                            \
                    acc += VAL[e] * MAT[(size_t)IDX[e] * n + c];                              \
                (OUT + r_ * n)[c] = SSCALE(acc);                                              \
            }                                                                                 \
    }

SF_INLINE void sparse_forward_impl(const size_t *restrict rowStart, const int *restrict rowIdx, const float *restrict rowVal,
                                  size_t b, const float *restrict W, size_t n, const float *restrict bias,
                                  float *restrict Y, size_t c0, size_t c1) {
    /* Fused multiply-add where the build has it: inputs and weights are integers, so while
       partial sums stay below 2^24 (as they do for the pre-activations trained here) fused and
       separate operations give the same bits; beyond that only the last bit can differ. */
#pragma clang fp contract(fast)
#define FWD_INIT(o) (*(const v8 *)(bias + c + (o)))
#define FWD_SCALE(v) (v)
#define FWD_SINIT(c) bias[c]
#define FWD_SSCALE(x) (x)
    SPARSE_ROWS(FWD_INIT, FWD_SCALE, FWD_SINIT, FWD_SSCALE, rowIdx, rowVal, b, rowStart, W, Y)
}
SF_DISPATCH_VOID(sparse_forward, "avx2,fma",
            (const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b, const float *W, size_t n,
             const float *bias, float *Y, size_t c0, size_t c1),
            (rowStart, rowIdx, rowVal, b, W, n, bias, Y, c0, c1))

SF_INLINE void sparse_weight_grad_impl(const size_t *restrict colStart, const int *restrict colIdx, const float *restrict colVal,
                                      size_t k, const float *restrict G, size_t n, float alpha, float *restrict dW,
                                      size_t c0, size_t c1) {
    v8 al = SPLAT(alpha);
#define WG_INIT(o) SPLAT(0.0f)
#define WG_SCALE(v) (al * (v))
#define WG_SINIT(c) 0.0f
#define WG_SSCALE(x) (alpha * (x))
    /* One input at a time: G (b × n) stays in L2 anyway, and dW is written row after row. */
    for (size_t j = 0; j < k; j++)
        SPARSE_ROWS(WG_INIT, WG_SCALE, WG_SINIT, WG_SSCALE, colIdx, colVal, 1, (colStart + j), G, (dW + j * n))
}
SF_DISPATCH_VOID(sparse_weight_grad, "avx2",
            (const size_t *colStart, const int *colIdx, const float *colVal, size_t k, const float *G, size_t n,
             float alpha, float *dW, size_t c0, size_t c1),
            (colStart, colIdx, colVal, k, G, n, alpha, dW, c0, c1))

/* Without a branch on the value (about one input in five is nonzero, at random: a branch would be
   mispredicted often): every element is written at the next free slot, which only advances for
   nonzeros. The slot written is at most the element's own index, so b·k entries suffice. */
size_t sf_compress_rows(const float *X, size_t b, size_t k, size_t *rowStart, int *rowIdx, float *rowVal) {
    size_t nnz = 0;
    for (size_t r = 0; r < b; r++) {
        rowStart[r] = nnz;
        const float *x = X + r * k;
        for (size_t j = 0; j < k; j++) {
            float v = x[j];
            rowIdx[nnz] = (int)j;
            rowVal[nnz] = v;
            nnz += v != 0.0f;
        }
    }
    rowStart[b] = nnz;
    return nnz;
}

SF_INLINE size_t count_nonzero_impl(const float *restrict x, size_t n) {
    size_t nz = 0;
    for (size_t k = 0; k < n; k++) nz += x[k] != 0.0f;
    return nz;
}
SF_DISPATCH(size_t, count_nonzero, "avx2", (const float *x, size_t n), (x, n))

void sf_rows_to_columns(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b, size_t k,
                        size_t *colStart, int *colIdx, float *colVal) {
    for (size_t j = 0; j <= k; j++) colStart[j] = 0;
    for (size_t e = 0; e < rowStart[b]; e++) colStart[(size_t)rowIdx[e] + 1]++;
    for (size_t j = 0; j < k; j++) colStart[j + 1] += colStart[j];
    /* Counting sort by column; rows stay in ascending order within a column. */
    for (size_t r = 0; r < b; r++) {
        for (size_t e = rowStart[r]; e < rowStart[r + 1]; e++) {
            size_t j = (size_t)rowIdx[e];
            size_t at = colStart[j]++;
            colIdx[at] = (int)r;
            colVal[at] = rowVal[e];
        }
    }
    for (size_t j = k; j > 0; j--) colStart[j] = colStart[j - 1];
    colStart[0] = 0;
}

void sf_sparse_outer_grad(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b,
                          const size_t *gStart, const int *gIdx, const float *gVal, size_t n, float alpha,
                          float *dW, size_t j0, size_t j1) {
    for (size_t j = j0; j < j1; j++)
        for (size_t c = 0; c < n; c++) dW[j * n + c] = 0.0f;
    for (size_t r = 0; r < b; r++) {
        size_t g0 = gStart[r], g1 = gStart[r + 1];
        if (g0 == g1) continue;
        for (size_t e = rowStart[r]; e < rowStart[r + 1]; e++) {
            size_t j = (size_t)rowIdx[e];
            if (j < j0 || j >= j1) continue;
            float x = rowVal[e];
            float *d = dW + j * n;
            for (size_t t = g0; t < g1; t++) d[gIdx[t]] += x * (alpha * gVal[t]);
        }
    }
}

/* Convolution: im2col and its adjoint, channel gather/scatter, sum pooling. Copies and sums in
   a fixed order per element (vectorized across x only), so both builds give the same bits. */

SF_INLINE void im2col_impl(const float *restrict in, size_t n, size_t C, size_t H, size_t W, size_t k, float *restrict col) {
    size_t OH = H - k + 1, OW = W - k + 1, P = OH * OW, cols = n * P;
    for (size_t c = 0; c < C; c++)
        for (size_t ky = 0; ky < k; ky++)
            for (size_t kx = 0; kx < k; kx++) {
                float *row = col + ((c * k + ky) * k + kx) * cols;
                for (size_t i = 0; i < n; i++) {
                    const float *src = in + (i * C + c) * H * W + ky * W + kx;
                    float *dst = row + i * P;
                    for (size_t oy = 0; oy < OH; oy++)
                        for (size_t ox = 0; ox < OW; ox++) dst[oy * OW + ox] = src[oy * W + ox];
                }
            }
}
SF_DISPATCH_VOID(im2col, "avx2", (const float *in, size_t n, size_t C, size_t H, size_t W, size_t k, float *col),
                 (in, n, C, H, W, k, col))

SF_INLINE void col2im_impl(const float *restrict col, size_t n, size_t C, size_t H, size_t W, size_t k, float *restrict grad) {
    size_t OH = H - k + 1, OW = W - k + 1, P = OH * OW, cols = n * P;
    for (size_t e = 0; e < n * C * H * W; e++) grad[e] = 0.0f;
    for (size_t c = 0; c < C; c++)
        for (size_t ky = 0; ky < k; ky++)
            for (size_t kx = 0; kx < k; kx++) {
                const float *row = col + ((c * k + ky) * k + kx) * cols;
                for (size_t i = 0; i < n; i++) {
                    float *dst = grad + (i * C + c) * H * W + ky * W + kx;
                    const float *src = row + i * P;
                    for (size_t oy = 0; oy < OH; oy++)
                        for (size_t ox = 0; ox < OW; ox++) dst[oy * W + ox] += src[oy * OW + ox];
                }
            }
}
SF_DISPATCH_VOID(col2im, "avx2", (const float *col, size_t n, size_t C, size_t H, size_t W, size_t k, float *grad),
                 (col, n, C, H, W, k, grad))

SF_INLINE void scatter_channels_impl(const float *restrict Y, size_t n, size_t O, size_t P, const float *restrict bias, float *restrict out) {
    for (size_t i = 0; i < n; i++)
        for (size_t o = 0; o < O; o++) {
            const float *src = Y + o * n * P + i * P;
            float *dst = out + (i * O + o) * P;
            float b = bias[o];
            for (size_t p = 0; p < P; p++) dst[p] = src[p] + b;
        }
}
SF_DISPATCH_VOID(scatter_channels, "avx2", (const float *Y, size_t n, size_t O, size_t P, const float *bias, float *out),
                 (Y, n, O, P, bias, out))

SF_INLINE void gather_channels_impl(const float *restrict g, size_t n, size_t O, size_t P, float *restrict Gt, float *restrict sums) {
    for (size_t i = 0; i < n; i++)
        for (size_t o = 0; o < O; o++) {
            const float *src = g + (i * O + o) * P;
            float *dst = Gt + o * n * P + i * P;
            float s = 0.0f;
            for (size_t p = 0; p < P; p++) { dst[p] = src[p]; s += src[p]; }
            sums[o] += s;
        }
}
SF_DISPATCH_VOID(gather_channels, "avx2", (const float *g, size_t n, size_t O, size_t P, float *Gt, float *sums),
                 (g, n, O, P, Gt, sums))

/* k x k sums of one map, row by row of the window and then across it (the same order for every
   output); K is a compile-time constant in the specialised copies, so the loops vectorize. */
#define SUM_POOL_MAP(K)                                                                        \
    for (size_t oy = 0; oy < OH; oy++) {                                                       \
        float *o = dst + oy * OW;                                                              \
        for (size_t ox = 0; ox < OW; ox++) o[ox] = 0.0f;                                       \
        for (size_t dy = 0; dy < (K); dy++) {                                                  \
            const float *r = src + (oy * (K) + dy) * W;                                        \
            for (size_t ox = 0; ox < OW; ox++) {                                               \
                float s = 0.0f;                                                                \
                for (size_t dx = 0; dx < (K); dx++) s += r[ox * (K) + dx];                     \
                o[ox] += s;                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

SF_INLINE void sum_pool_impl(const float *restrict in, size_t n, size_t C, size_t H, size_t W, size_t k, float *restrict out) {
    size_t OH = H / k, OW = W / k;
    for (size_t m = 0; m < n * C; m++) {
        const float *src = in + m * H * W;
        float *dst = out + m * OH * OW;
        if (k == 2) { SUM_POOL_MAP(2) } else { SUM_POOL_MAP(k) }
    }
}
SF_DISPATCH_VOID(sum_pool, "avx2", (const float *in, size_t n, size_t C, size_t H, size_t W, size_t k, float *out),
                 (in, n, C, H, W, k, out))

#define BROADCAST_MAP(K)                                                                       \
    for (size_t oy = 0; oy < OH; oy++)                                                         \
        for (size_t dy = 0; dy < (K); dy++) {                                                  \
            float *r = dst + (oy * (K) + dy) * W;                                              \
            const float *g_ = src + oy * OW;                                                   \
            for (size_t ox = 0; ox < OW; ox++)                                                 \
                for (size_t dx = 0; dx < (K); dx++) r[ox * (K) + dx] = g_[ox];                 \
        }

SF_INLINE void pool_broadcast_impl(const float *restrict g, size_t n, size_t C, size_t H, size_t W, size_t k, float *restrict grad) {
    size_t OH = H / k, OW = W / k;
    for (size_t m = 0; m < n * C; m++) {
        const float *src = g + m * OH * OW;
        float *dst = grad + m * H * W;
        if (k == 2) { BROADCAST_MAP(2) } else { BROADCAST_MAP(k) }
    }
}
SF_DISPATCH_VOID(pool_broadcast, "avx2", (const float *g, size_t n, size_t C, size_t H, size_t W, size_t k, float *grad),
                 (g, n, C, H, W, k, grad))
