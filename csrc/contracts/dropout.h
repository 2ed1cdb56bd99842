// Dropout, elementwise and per feature map. Masks come from the Philox stream (seed, call) of
// csrc/common/philox.h, element i (or feature map f) drawing lane i of the stream, so a seed gives
// the same mask on the CPU and on CUDA. The maths is in csrc/cpu/dropout.cpp's header comment.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/dropout.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_DROPOUT_ENTRY_POINTS                                                                 \
  /* mask (bool, x's shape) = U_i >= p; out = x * mask * scale. */                                   \
  void dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, Tensor& out,         \
                       Tensor& mask);                                                                \
  void dropout_backward(const Tensor& grad, const Tensor& mask, double scale, Tensor& dx);           \
  /* Per feature map: x is (F, K) (F maps of K values); mask (F) bool. */                            \
  void feature_dropout_forward(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,   \
                               int64_t K, Tensor& out, Tensor& mask);                                \
  void feature_dropout_backward(const Tensor& grad, const Tensor& mask, double scale, int64_t F,     \
                                int64_t K, Tensor& dx);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_DROPOUT_ENTRY_POINTS)
