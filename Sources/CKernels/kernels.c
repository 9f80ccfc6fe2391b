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
        cached = __builtin_cpu_supports("avx2") ? 1 : 0;
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

void sf_act_floor(const float *restrict pre, float *restrict act, size_t n, double theta) {
    for (size_t k = 0; k < n; k++) {
        double x = pre[k] > 0 ? (double)pre[k] : 0.0;
        act[k] = (float)floor(x / theta);
    }
}

void sf_act_round(const float *restrict pre, float *restrict act, size_t n, double theta, int relu) {
    for (size_t k = 0; k < n; k++) {
        double x = (double)pre[k];
        double q = floor((2.0 * fabs(x) + theta) / (2.0 * theta));
        double a = x < 0 ? -q : q;
        if (relu && a < 0) a = 0;
        act[k] = (float)a;
    }
}

size_t sf_surrogate_float(float *restrict g, const float *restrict act, size_t n, float theta, int linear) {
    size_t nz = 0;
    for (size_t k = 0; k < n; k++) {
        float v = (linear || act[k] > 0) ? g[k] / theta : 0.0f;
        g[k] = v;
        nz += v != 0.0f;
    }
    return nz;
}

double sf_surrogate_spike(float *restrict g, const float *restrict act, size_t n, float theta_bp, int linear) {
    double spikes = 0;
    for (size_t k = 0; k < n; k++) {
        float d = (linear || act[k] > 0) ? truncf(g[k] / theta_bp) : 0.0f;
        g[k] = d;
        spikes += fabsf(d);
    }
    return spikes;
}
