#include "sf_kernels.h"
#include <math.h>

#pragma clang fp contract(off)

#define ROUND_MAGIC 12582912.0f /* 0x1.8p23: (x + M) − M rounds to nearest even for |x| ≤ 2^22 */

#define ADAM_BODY                                                                  \
    for (size_t k = 0; k < n; k++) {                                               \
        float gk = g[k];                                                           \
        float mk = b1 * m[k] + (1.0f - b1) * gk;                                   \
        float vk = b2 * v[k] + (1.0f - b2) * (gk * gk);                            \
        m[k] = mk;                                                                 \
        v[k] = vk;                                                                 \
        float x = p[k] - lr * mk / (__builtin_elementwise_sqrt(vk) + eps);                              \
        x = x > limit ? limit : x;                                                 \
        x = x < -limit ? -limit : x;                                               \
        p[k] = x;                                                                  \
        q[k] = (x + ROUND_MAGIC) - ROUND_MAGIC;                                    \
    }

#define SGD_BODY                                                                   \
    for (size_t k = 0; k < n; k++) {                                               \
        float uk = mu * u[k] + g[k];                                               \
        u[k] = uk;                                                                 \
        float x = p[k] - lr * uk;                                                  \
        x = x > limit ? limit : x;                                                 \
        x = x < -limit ? -limit : x;                                               \
        p[k] = x;                                                                  \
        q[k] = (x + ROUND_MAGIC) - ROUND_MAGIC;                                    \
    }

__attribute__((target("avx2")))
static void adam_avx2(float *restrict p, float *restrict q, const float *restrict g, float *restrict m,
                      float *restrict v, size_t n, float b1, float b2, float lr, float eps, float limit) {
    ADAM_BODY
}

static void adam_base(float *restrict p, float *restrict q, const float *restrict g, float *restrict m,
                      float *restrict v, size_t n, float b1, float b2, float lr, float eps, float limit) {
    ADAM_BODY
}

__attribute__((target("avx2")))
static void sgd_avx2(float *restrict p, float *restrict q, const float *restrict g, float *restrict u,
                     size_t n, float mu, float lr, float limit) {
    SGD_BODY
}

static void sgd_base(float *restrict p, float *restrict q, const float *restrict g, float *restrict u,
                     size_t n, float mu, float lr, float limit) {
    SGD_BODY
}

int sf_kernels_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    }
    return cached;
}

void sf_adam_step(float *p, float *q, const float *g, float *m, float *v, size_t n,
                  float b1, float b2, float lr, float eps, float limit) {
    if (sf_kernels_avx2()) adam_avx2(p, q, g, m, v, n, b1, b2, lr, eps, limit);
    else adam_base(p, q, g, m, v, n, b1, b2, lr, eps, limit);
}

void sf_sgd_step(float *p, float *q, const float *g, float *u, size_t n, float mu, float lr, float limit) {
    if (sf_kernels_avx2()) sgd_avx2(p, q, g, u, n, mu, lr, limit);
    else sgd_base(p, q, g, u, n, mu, lr, limit);
}

__attribute__((target("avx2")))
static void act_floor_avx2(const float *restrict pre, float *restrict act, size_t n, double theta) {
    for (size_t k = 0; k < n; k++) {
        double x = pre[k] > 0 ? (double)pre[k] : 0.0;
        act[k] = (float)floor(x / theta);
    }
}
static void act_floor_base(const float *restrict pre, float *restrict act, size_t n, double theta) {
    for (size_t k = 0; k < n; k++) {
        double x = pre[k] > 0 ? (double)pre[k] : 0.0;
        act[k] = (float)floor(x / theta);
    }
}
void sf_act_floor(const float *pre, float *act, size_t n, double theta) {
    sf_kernels_avx2() ? act_floor_avx2(pre, act, n, theta) : act_floor_base(pre, act, n, theta);
}

__attribute__((target("avx2")))
static void act_round_avx2(const float *restrict pre, float *restrict act, size_t n, double theta, int relu) {
    for (size_t k = 0; k < n; k++) {
        double x = (double)pre[k];
        double q = floor((2.0 * fabs(x) + theta) / (2.0 * theta));
        double a = x < 0 ? -q : q;
        if (relu && a < 0) a = 0;
        act[k] = (float)a;
    }
}
static void act_round_base(const float *restrict pre, float *restrict act, size_t n, double theta, int relu) {
    for (size_t k = 0; k < n; k++) {
        double x = (double)pre[k];
        double q = floor((2.0 * fabs(x) + theta) / (2.0 * theta));
        double a = x < 0 ? -q : q;
        if (relu && a < 0) a = 0;
        act[k] = (float)a;
    }
}
void sf_act_round(const float *pre, float *act, size_t n, double theta, int relu) {
    sf_kernels_avx2() ? act_round_avx2(pre, act, n, theta, relu) : act_round_base(pre, act, n, theta, relu);
}

__attribute__((target("avx2")))
static size_t surr_float_avx2(float *restrict g, const float *restrict act, size_t n, float theta, int linear) {
    size_t nz = 0;
    for (size_t k = 0; k < n; k++) {
        float v = (linear || act[k] > 0) ? g[k] / theta : 0.0f;
        g[k] = v;
        nz += v != 0.0f;
    }
    return nz;
}
static size_t surr_float_base(float *restrict g, const float *restrict act, size_t n, float theta, int linear) {
    size_t nz = 0;
    for (size_t k = 0; k < n; k++) {
        float v = (linear || act[k] > 0) ? g[k] / theta : 0.0f;
        g[k] = v;
        nz += v != 0.0f;
    }
    return nz;
}
size_t sf_surrogate_float(float *g, const float *act, size_t n, float theta, int linear) {
    return sf_kernels_avx2() ? surr_float_avx2(g, act, n, theta, linear) : surr_float_base(g, act, n, theta, linear);
}

__attribute__((target("avx2")))
static double surr_spike_avx2(float *restrict g, const float *restrict act, size_t n, float theta_bp, int linear) {
    long spikes = 0;
    for (size_t k = 0; k < n; k++) {
        float d = (linear || act[k] > 0) ? truncf(g[k] / theta_bp) : 0.0f;
        g[k] = d;
        spikes += (long)fabsf(d);
    }
    return (double)spikes;
}
static double surr_spike_base(float *restrict g, const float *restrict act, size_t n, float theta_bp, int linear) {
    long spikes = 0;
    for (size_t k = 0; k < n; k++) {
        float d = (linear || act[k] > 0) ? truncf(g[k] / theta_bp) : 0.0f;
        g[k] = d;
        spikes += (long)fabsf(d);
    }
    return (double)spikes;
}
double sf_surrogate_spike(float *g, const float *act, size_t n, float theta_bp, int linear) {
    return sf_kernels_avx2() ? surr_spike_avx2(g, act, n, theta_bp, linear) : surr_spike_base(g, act, n, theta_bp, linear);
}

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

#define FWD_BODY                                                                              \
    for (size_t r = 0; r < b; r++) {                                                          \
        float *y = Y + r * n;                                                                 \
        size_t s0 = rowStart[r], s1 = rowStart[r + 1];                                        \
        size_t c = c0;                                                                        \
        for (; c + 64 <= c1; c += 64) {                                                       \
            BLOCK64(FWD_INIT, rowIdx, rowVal, s0, s1, W, FWD_SCALE, y)                        \
        }                                                                                     \
        for (; c + 8 <= c1; c += 8) BLOCK8(FWD_INIT, rowIdx, rowVal, s0, s1, W, FWD_SCALE, y) \
        for (; c < c1; c++) {                                                                 \
            float acc = bias[c];                                                              \
            for (size_t e = s0; e < s1; e++) acc += rowVal[e] * W[(size_t)rowIdx[e] * n + c]; \
            y[c] = acc;                                                                       \
        }                                                                                     \
    }
#define FWD_INIT(o) (*(const v8 *)(bias + c + (o)))
#define FWD_SCALE(v) (v)

/* Fused multiply-add: inputs and weights are integers, so while partial sums stay below 2^24 (as
   they do for the pre-activations trained here) fused and separate operations give the same bits;
   beyond that only the last bit can differ from the baseline build. */
__attribute__((target("avx2,fma")))
static void fwd_avx2(const size_t *restrict rowStart, const int *restrict rowIdx, const float *restrict rowVal, size_t b,
                     const float *restrict W, size_t n, const float *restrict bias, float *restrict Y, size_t c0, size_t c1) {
    _Pragma("clang fp contract(fast)")
    FWD_BODY
}
static void fwd_base(const size_t *restrict rowStart, const int *restrict rowIdx, const float *restrict rowVal, size_t b,
                     const float *restrict W, size_t n, const float *restrict bias, float *restrict Y, size_t c0, size_t c1) { FWD_BODY }

void sf_sparse_forward(const size_t *rowStart, const int *rowIdx, const float *rowVal, size_t b,
                       const float *W, size_t n, const float *bias, float *Y, size_t c0, size_t c1) {
    if (sf_kernels_avx2()) fwd_avx2(rowStart, rowIdx, rowVal, b, W, n, bias, Y, c0, c1);
    else fwd_base(rowStart, rowIdx, rowVal, b, W, n, bias, Y, c0, c1);
}

#define WG_BODY                                                                               \
    v8 al = SPLAT(alpha);                                                                     \
    for (size_t j = 0; j < k; j++) {                                                          \
        float *d = dW + j * n;                                                                \
        size_t s0 = colStart[j], s1 = colStart[j + 1];                                        \
        size_t c = c0;                                                                        \
        for (; c + 64 <= c1; c += 64) BLOCK64(WG_INIT, colIdx, colVal, s0, s1, G, WG_SCALE, d) \
        for (; c + 8 <= c1; c += 8) BLOCK8(WG_INIT, colIdx, colVal, s0, s1, G, WG_SCALE, d)   \
        for (; c < c1; c++) {                                                                 \
            float acc = 0.0f;                                                                 \
            for (size_t e = s0; e < s1; e++) acc += colVal[e] * G[(size_t)colIdx[e] * n + c]; \
            d[c] = alpha * acc;                                                               \
        }                                                                                     \
    }
#define WG_INIT(o) SPLAT(0.0f)
#define WG_SCALE(v) (al * (v))

__attribute__((target("avx2")))
static void wg_avx2(const size_t *restrict colStart, const int *restrict colIdx, const float *restrict colVal, size_t k,
                    const float *restrict G, size_t n, float alpha, float *restrict dW, size_t c0, size_t c1) { WG_BODY }
static void wg_base(const size_t *restrict colStart, const int *restrict colIdx, const float *restrict colVal, size_t k,
                    const float *restrict G, size_t n, float alpha, float *restrict dW, size_t c0, size_t c1) { WG_BODY }

void sf_sparse_weight_grad(const size_t *colStart, const int *colIdx, const float *colVal, size_t k,
                           const float *G, size_t n, float alpha, float *dW, size_t c0, size_t c1) {
    if (sf_kernels_avx2()) wg_avx2(colStart, colIdx, colVal, k, G, n, alpha, dW, c0, c1);
    else wg_base(colStart, colIdx, colVal, k, G, n, alpha, dW, c0, c1);
}

size_t sf_compress_rows(const float *X, size_t b, size_t k, size_t *rowStart, int *rowIdx, float *rowVal) {
    size_t nnz = 0;
    for (size_t r = 0; r < b; r++) {
        rowStart[r] = nnz;
        const float *x = X + r * k;
        for (size_t j = 0; j < k; j++) {
            if (x[j] != 0.0f) { rowIdx[nnz] = (int)j; rowVal[nnz] = x[j]; nnz++; }
        }
    }
    rowStart[b] = nnz;
    return nnz;
}

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
                          const float *G, size_t n, float alpha, float *dW, size_t j0, size_t j1,
                          int *gCols, float *gVals) {
    for (size_t j = j0; j < j1; j++)
        for (size_t c = 0; c < n; c++) dW[j * n + c] = 0.0f;
    for (size_t r = 0; r < b; r++) {
        const float *g = G + r * n;
        size_t m = 0;
        for (size_t c = 0; c < n; c++) {
            if (g[c] != 0.0f) { gCols[m] = (int)c; gVals[m] = alpha * g[c]; m++; }
        }
        if (m == 0) continue;
        for (size_t e = rowStart[r]; e < rowStart[r + 1]; e++) {
            size_t j = (size_t)rowIdx[e];
            if (j < j0 || j >= j1) continue;
            float x = rowVal[e];
            float *d = dW + j * n;
            for (size_t t = 0; t < m; t++) d[gCols[t]] += x * gVals[t];
        }
    }
}

size_t sf_count_nonzero(const float *x, size_t n) {
    size_t nz = 0;
    for (size_t i = 0; i < n; i++) nz += x[i] != 0.0f;
    return nz;
}
