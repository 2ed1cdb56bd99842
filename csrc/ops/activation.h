#pragma once
#include <string>
#include <tuple>

#include "../common/tensor.h"

namespace kernels {
// Pointwise activations (float32/float64, any shape). Backward of sigmoid/tanh takes the output
// y, the others the input x.
Tensor sigmoid_forward(const Tensor& x);
Tensor sigmoid_backward(const Tensor& grad, const Tensor& y);
Tensor tanh_forward(const Tensor& x);
Tensor tanh_backward(const Tensor& grad, const Tensor& y);
Tensor relu_forward(const Tensor& x);
Tensor relu_backward(const Tensor& grad, const Tensor& x);
void relu_(Tensor& x);  // in place, no autograd
Tensor leaky_relu_forward(const Tensor& x, double negative_slope);
Tensor leaky_relu_backward(const Tensor& grad, const Tensor& x, double negative_slope);
Tensor elu_forward(const Tensor& x, double alpha);
Tensor elu_backward(const Tensor& grad, const Tensor& x, double alpha);
Tensor softplus_forward(const Tensor& x, double beta, double threshold);
Tensor softplus_backward(const Tensor& grad, const Tensor& x, double beta, double threshold);
Tensor gelu_forward(const Tensor& x, const std::string& approximate);  // "none" | "tanh"
Tensor gelu_backward(const Tensor& grad, const Tensor& x, const std::string& approximate);
Tensor silu_forward(const Tensor& x);
Tensor silu_backward(const Tensor& grad, const Tensor& x);
// Along `dim` (negative allowed); backward takes the forward's output y.
Tensor softmax_forward(const Tensor& x, int64_t dim);
Tensor softmax_backward(const Tensor& grad, const Tensor& y, int64_t dim);
Tensor log_softmax_forward(const Tensor& x, int64_t dim);
Tensor log_softmax_backward(const Tensor& grad, const Tensor& y, int64_t dim);
}  // namespace kernels
