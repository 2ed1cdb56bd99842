#pragma once
#include <optional>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {

// torch.matmul: 1-D @ 1-D is a dot product (0-d result); a 1-D left operand gets a leading 1 and
// a 1-D right operand a trailing 1, removed again from the result; batch dims broadcast.
Tensor matmul_forward(const Tensor& a, const Tensor& b);
// (da, db), each of its input's exact shape (broadcast batch dims summed). output_mask says which
// to compute; a masked one comes back as None.
std::tuple<std::optional<Tensor>, std::optional<Tensor>> matmul_backward(
    const Tensor& grad, const Tensor& a, const Tensor& b,
    const std::vector<bool>& output_mask = {true, true});

// torch.nn.functional.linear: x (..., in), weight (out, in), bias (out) -> (..., out).
Tensor linear_forward(const Tensor& x, const Tensor& weight, const std::optional<Tensor>& bias);
// (dx, dweight, dbias); dbias is None without a bias, and any entry masked off is None.
std::tuple<std::optional<Tensor>, std::optional<Tensor>, std::optional<Tensor>> linear_backward(
    const Tensor& grad, const Tensor& x, const Tensor& weight, bool has_bias,
    const std::vector<bool>& output_mask = {true, true, true});

}  // namespace kernels
