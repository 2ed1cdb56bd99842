#pragma once
#include <optional>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// Backward results: one per entry of output_mask, std::nullopt where the mask is false.
using NormGrads = std::tuple<std::optional<Tensor>, std::optional<Tensor>, std::optional<Tensor>>;

// batch_norm: input (N, C, *); weight, bias, running_mean, running_var (C) or None. Training uses
// batch statistics and updates running_mean / running_var in place (when given) with `momentum`;
// eval uses the running statistics (required). Returns (out, save_mean, save_invstd), the (C)
// statistics the output was normalised with, for the backward.
std::tuple<Tensor, Tensor, Tensor> batch_norm_forward(const Tensor& input,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias,
                                                      const std::optional<Tensor>& running_mean,
                                                      const std::optional<Tensor>& running_var,
                                                      bool training, double momentum, double eps);
// output_mask: (dinput, dweight, dbias).
NormGrads batch_norm_backward(const Tensor& grad, const Tensor& input,
                              const std::optional<Tensor>& weight, const Tensor& save_mean,
                              const Tensor& save_invstd, bool training,
                              const std::vector<bool>& output_mask);

// layer_norm: input (*, normalized_shape); weight, bias of shape normalized_shape or None.
// Returns (out, mean, rstd), mean and rstd (R) for the R = numel / prod(normalized_shape) rows.
std::tuple<Tensor, Tensor, Tensor> layer_norm_forward(const Tensor& input,
                                                      const std::vector<int64_t>& normalized_shape,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias, double eps);
NormGrads layer_norm_backward(const Tensor& grad, const Tensor& input,
                              const std::vector<int64_t>& normalized_shape,
                              const std::optional<Tensor>& weight, const Tensor& mean,
                              const Tensor& rstd, const std::vector<bool>& output_mask);

// group_norm: input (N, C, *), C divisible by num_groups; weight, bias (C) or None.
// Returns (out, mean, rstd), mean and rstd (N, num_groups).
std::tuple<Tensor, Tensor, Tensor> group_norm_forward(const Tensor& input, int64_t num_groups,
                                                      const std::optional<Tensor>& weight,
                                                      const std::optional<Tensor>& bias, double eps);
NormGrads group_norm_backward(const Tensor& grad, const Tensor& input, int64_t num_groups,
                              const std::optional<Tensor>& weight, const Tensor& mean,
                              const Tensor& rstd, const std::vector<bool>& output_mask);

}  // namespace kernels
