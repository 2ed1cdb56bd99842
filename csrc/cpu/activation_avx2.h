// The AVX2+FMA float32 activation loops (activation_avx2.cpp, activation_gelu_avx2.cpp); only
// called on CPUs that have them. Forward: y[i] = f(x[i]). Backward: d[i] from the upstream
// gradient g[i] and the saved s[i] (the output y for sigmoid and tanh, the input x for the rest),
// the formulas of activation.cpp's header comment. i < n; the arrays may not overlap, except that
// y may be x (relu_ runs in place).
#pragma once
#include <cstdint>

namespace kernels::cpu::act_avx2 {
void tanh_f32(const float* x, float* y, int64_t n);
void tanh_bwd_f32(const float* g, const float* y, float* d, int64_t n);
void sigmoid_f32(const float* x, float* y, int64_t n);
void sigmoid_bwd_f32(const float* g, const float* y, float* d, int64_t n);
void relu_f32(const float* x, float* y, int64_t n);
void relu_bwd_f32(const float* g, const float* x, float* d, int64_t n);
void silu_f32(const float* x, float* y, int64_t n);
void silu_bwd_f32(const float* g, const float* x, float* d, int64_t n);
void softplus_f32(const float* x, float* y, int64_t n, float beta, float threshold);
void softplus_bwd_f32(const float* g, const float* x, float* d, int64_t n, float beta, float threshold);
// gelu, exact (x Phi(x)) and tanh forms
void gelu_f32(const float* x, float* y, int64_t n);
void gelu_bwd_f32(const float* g, const float* x, float* d, int64_t n);
void gelu_tanh_f32(const float* x, float* y, int64_t n);
void gelu_tanh_bwd_f32(const float* g, const float* x, float* d, int64_t n);
}  // namespace kernels::cpu::act_avx2
