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
/// (ternary error spikes until |U| < θ_bp). Writes δ over g and returns Σ|δ|.
double sf_surrogate_spike(float *g, const float *act, size_t n, float theta_bp, int linear);

/// True when the AVX2 builds are in use.
int sf_kernels_avx2(void);

#ifdef __cplusplus
}
#endif
#endif
