// Layer and group normalisation: both run the row kernels (row_norm_*) declared here. The maths
// is in csrc/cpu/layer_norm.cpp's header comment.
#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "entry_points.h"

namespace kernels {

// layer_norm and group_norm view their input as R rows of D = S * L values; segment s of row r
// (L contiguous values) has the affine channel (r % G) * S + s.
//   layer_norm: R = product of the leading dims, G = 1, S = D = product of normalized_shape, L = 1
//   group_norm: input (N, C, K), R = N * G, S = C / G, L = K
struct RowNormDims {
  int64_t R = 0, G = 1, S = 0, L = 1;
  int64_t D() const { return S * L; }
};

}  // namespace kernels

// The entry points: kernels::cpu (csrc/cpu/) and kernels::cuda (csrc/cuda/) implement this one
// list; csrc/ops/layer_norm.cpp checks the arguments, allocates the outputs and routes.
#define KERNELS_LAYER_NORM_ENTRY_POINTS                                                           \
  /* weight, bias: (G * S) or undefined. mean, rstd: (R). */                                      \
  void row_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,    \
                        const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd);           \
  /* dx, dweight, dbias: each left undefined when not wanted. */                                  \
  void row_norm_backward(const Tensor& grad, const Tensor& x, const Tensor& weight,               \
                         const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx, \
                         Tensor& dweight, Tensor& dbias);

KERNELS_DECLARE_ENTRY_POINTS(KERNELS_LAYER_NORM_ENTRY_POINTS)
