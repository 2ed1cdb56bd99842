#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "../cpu/norm.h"  // BatchNormDims, RowNormDims

namespace kernels {
// The CUDA twins of csrc/cpu/norm.h, same arguments and results.
void batch_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, const BatchNormDims& d, Tensor& out,
                             Tensor& save_mean, Tensor& save_invstd);
void batch_norm_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& weight,
                              const Tensor& save_mean, const Tensor& save_invstd, bool training,
                              const BatchNormDims& d, Tensor& dx, Tensor& dweight, Tensor& dbias);
void row_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                           const RowNormDims& d, Tensor& out, Tensor& mean, Tensor& rstd);
void row_norm_backward_cuda(const Tensor& grad, const Tensor& x, const Tensor& weight,
                            const Tensor& mean, const Tensor& rstd, const RowNormDims& d, Tensor& dx,
                            Tensor& dweight, Tensor& dbias);
void feature_dropout_forward_cuda(const Tensor& x, double p, uint64_t seed, uint64_t call, int64_t F,
                                  int64_t K, Tensor& out, Tensor& mask);
void feature_dropout_backward_cuda(const Tensor& grad, const Tensor& mask, double scale, int64_t F,
                                   int64_t K, Tensor& dx);
}  // namespace kernels
