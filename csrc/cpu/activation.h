#pragma once
#include "../common/tensor.h"

namespace kernels {
namespace act_avx2 {
// y[i] = tanh(x[i]) for i < n, float32, AVX2+FMA (activation_avx2.cpp); only on CPUs that have them.
void tanh_f32(const float* x, float* y, int64_t n);
}  // namespace act_avx2

// Pointwise activations: out/dx have x's shape; the saved tensor is y for sigmoid/tanh, x else.
void sigmoid_forward_cpu(const Tensor& x, Tensor& out);
void sigmoid_backward_cpu(const Tensor& grad, const Tensor& y, Tensor& dx);
void tanh_forward_cpu(const Tensor& x, Tensor& out);
void tanh_backward_cpu(const Tensor& grad, const Tensor& y, Tensor& dx);
void relu_forward_cpu(const Tensor& x, Tensor& out);
void relu_backward_cpu(const Tensor& grad, const Tensor& x, Tensor& dx);
void leaky_relu_forward_cpu(const Tensor& x, double negative_slope, Tensor& out);
void leaky_relu_backward_cpu(const Tensor& grad, const Tensor& x, double negative_slope, Tensor& dx);
void elu_forward_cpu(const Tensor& x, double alpha, Tensor& out);
void elu_backward_cpu(const Tensor& grad, const Tensor& x, double alpha, Tensor& dx);
void softplus_forward_cpu(const Tensor& x, double beta, double threshold, Tensor& out);
void softplus_backward_cpu(const Tensor& grad, const Tensor& x, double beta, double threshold, Tensor& dx);
void gelu_forward_cpu(const Tensor& x, bool tanh_approx, Tensor& out);
void gelu_backward_cpu(const Tensor& grad, const Tensor& x, bool tanh_approx, Tensor& dx);
void silu_forward_cpu(const Tensor& x, Tensor& out);
void silu_backward_cpu(const Tensor& grad, const Tensor& x, Tensor& dx);
// x viewed as (outer, D, inner), normalised along D.
void softmax_forward_cpu(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out);
void softmax_backward_cpu(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D, int64_t inner,
                          Tensor& dx);
void log_softmax_forward_cpu(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out);
void log_softmax_backward_cpu(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,
                              int64_t inner, Tensor& dx);
// mask (bool) = U_i >= p from the Philox stream (seed, call); out = x * mask * scale.
void dropout_forward_cpu(const Tensor& x, double p, uint64_t seed, uint64_t call, Tensor& out,
                         Tensor& mask);
void dropout_backward_cpu(const Tensor& grad, const Tensor& mask, double scale, Tensor& dx);
}  // namespace kernels
