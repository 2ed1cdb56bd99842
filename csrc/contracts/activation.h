// Pointwise activations and softmax / log_softmax: the entry points both devices implement. The
// maths is in csrc/cpu/activation.cpp's header comment, the scalar functors in
// csrc/common/activation_math.h.
#pragma once
#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/activation.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_ACTIVATION_ENTRY_POINTS                                                                   \
  /* Pointwise activations: out/dx have x's shape; the saved tensor is y for sigmoid/tanh, x else. */     \
  void sigmoid_forward(const Tensor& x, Tensor& out);                                                     \
  void sigmoid_backward(const Tensor& grad, const Tensor& y, Tensor& dx);                                 \
  void tanh_forward(const Tensor& x, Tensor& out);                                                        \
  void tanh_backward(const Tensor& grad, const Tensor& y, Tensor& dx);                                    \
  void relu_forward(const Tensor& x, Tensor& out);                                                        \
  void relu_backward(const Tensor& grad, const Tensor& x, Tensor& dx);                                    \
  void leaky_relu_forward(const Tensor& x, double negative_slope, Tensor& out);                           \
  void leaky_relu_backward(const Tensor& grad, const Tensor& x, double negative_slope, Tensor& dx);       \
  void elu_forward(const Tensor& x, double alpha, Tensor& out);                                           \
  void elu_backward(const Tensor& grad, const Tensor& x, double alpha, Tensor& dx);                       \
  void softplus_forward(const Tensor& x, double beta, double threshold, Tensor& out);                     \
  void softplus_backward(const Tensor& grad, const Tensor& x, double beta, double threshold, Tensor& dx); \
  void gelu_forward(const Tensor& x, bool tanh_approx, Tensor& out);                                      \
  void gelu_backward(const Tensor& grad, const Tensor& x, bool tanh_approx, Tensor& dx);                  \
  void silu_forward(const Tensor& x, Tensor& out);                                                        \
  void silu_backward(const Tensor& grad, const Tensor& x, Tensor& dx);                                    \
  /* x viewed as (outer, D, inner), normalised along D. */                                                \
  void softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out);            \
  void softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D, int64_t inner,     \
                        Tensor& dx);                                                                      \
  void log_softmax_forward(const Tensor& x, int64_t outer, int64_t D, int64_t inner, Tensor& out);        \
  void log_softmax_backward(const Tensor& grad, const Tensor& y, int64_t outer, int64_t D,                \
                            int64_t inner, Tensor& dx);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_ACTIVATION_ENTRY_POINTS)
