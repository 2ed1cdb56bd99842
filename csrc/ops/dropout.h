// Dropout: elementwise (dropout) and per feature map (dropout1d / dropout2d / dropout3d).
#pragma once
#include <tuple>

#include "../common/tensor.h"

namespace kernels {
// Draws one call of the shared Philox stream: (out, mask) with mask a bool tensor of x's shape.
std::tuple<Tensor, Tensor> dropout_forward(const Tensor& x, double p);
Tensor dropout_backward(const Tensor& grad, const Tensor& mask, double p);
// feature_dropout (the kernel of dropout1d / dropout2d / dropout3d): input (N, C, *) with rank >= 2;
// each of the N C feature maps is zeroed with probability p (one draw per map from the shared
// Philox stream), the rest scaled by 1 / (1 - p). Returns (out, mask), mask bool (N, C).
std::tuple<Tensor, Tensor> feature_dropout_forward(const Tensor& input, double p);
Tensor feature_dropout_backward(const Tensor& grad, const Tensor& mask, double p);
}  // namespace kernels
