#pragma once
#include <cstdint>

#include "../common/tensor.h"

namespace kernels {

// batch_norm views its input as (N, C, K): K is the product of the spatial dims (1 for (N, C)).
struct BatchNormDims {
  int64_t N = 0, C = 0, K = 1;
};

// layer_norm and group_norm view their input as R rows of D = S * L values; segment s of row r
// (L contiguous values) has the affine channel (r % G) * S + s.
//   layer_norm: R = product of the leading dims, G = 1, S = D = product of normalized_shape, L = 1
//   group_norm: input (N, C, K), R = N * G, S = C / G, L = K
struct RowNormDims {
  int64_t R = 0, G = 1, S = 0, L = 1;
  int64_t D() const { return S * L; }
};

// weight, bias, running_mean, running_var may be undefined (all (C)). Training: batch statistics,
// and the running statistics (when defined) are updated in place. Writes out (x's shape) and
// save_mean, save_invstd (C): the statistics the output was normalised with.
void batch_norm_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                            const Tensor& running_mean, const Tensor& running_var, bool training,
                            double momentum, double eps, const BatchNormDims& d, Tensor& out,
                            Tensor& save_mean, Tensor& save_invstd);
// dx, dweight, dbias: each left undefined when not wanted.
void batch_norm_backward_cpu(const Tensor& grad, const Tensor& x, const Tensor& weight,
                             const Tensor& save_mean, const Tensor& save_invstd, bool training,
                             const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias);

// weight, bias: (G * S) or undefined. mean, rstd: (R).
void row_norm_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                          const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd);
void row_norm_backward_cpu(const Tensor& grad, const Tensor& x, const Tensor& weight,
                           const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx,
                           Tensor& dweight, Tensor& dbias);

// Channel dropout: x is (F, K) (F feature maps of K values); mask (F) bool.
void feature_dropout_forward_cpu(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,
                                 int64_t K, Tensor& out, Tensor& mask);
void feature_dropout_backward_cpu(const Tensor& grad, const Tensor& mask, double scale, int64_t F,
                                  int64_t K, Tensor& dx);

}  // namespace kernels
