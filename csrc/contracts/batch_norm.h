// Batch normalisation: the geometry and the entry points both devices implement. The maths is
// in csrc/cpu/batch_norm.cpp's header comment.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// batch_norm views its input as (N, C, K): K is the product of the spatial dims (1 for (N, C)).
struct BatchNormDims {
  int64_t N = 0, C = 0, K = 1;
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/batch_norm.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_BATCH_NORM_ENTRY_POINTS                                                                 \
  /* weight, bias, running_mean, running_var may be undefined (all (C)). Training: batch statistics, */ \
  /* and the running statistics (when defined) are updated in place. Writes out (x's shape) and */      \
  /* save_mean, save_invstd (C): the statistics the output was normalised with. */                      \
  void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,                    \
                          const Tensor& running_mean, const Tensor& running_var, bool training,         \
                          double momentum, double eps, const BatchNormDims& d, Tensor& out,             \
                          Tensor& save_mean, Tensor& save_invstd);                                      \
  /* dx, dweight, dbias: each left undefined when not wanted. */                                        \
  void batch_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,                   \
                           const Tensor& save_mean, const Tensor& save_invstd, bool training,           \
                           const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_BATCH_NORM_ENTRY_POINTS)
