#pragma once
#include <optional>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// Pooling over the last two dims of (N, C, H, W) or unbatched (C, H, W) input (the last dim of
// (N, C, L) / (C, L) for the 1-d ops, which run the 2-d kernels on an (N, C, 1, L) view).
// kernel_size, padding, dilation: 1 value (used for every spatial dim) or one per spatial dim;
// stride: the same, or empty for stride = kernel_size. The backward functions take the input's
// shape and the forward's arguments, and recompute the geometry.

// Returns (output, indices): indices int64, flat h*W + w of each window's max within its plane.
std::tuple<Tensor, Tensor> max_pool2d_forward(const Tensor& input, const std::vector<int64_t>& kernel_size,
                                              const std::vector<int64_t>& stride,
                                              const std::vector<int64_t>& padding,
                                              const std::vector<int64_t>& dilation, bool ceil_mode);
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices,
                           const std::vector<int64_t>& input_shape,
                           const std::vector<int64_t>& kernel_size, const std::vector<int64_t>& stride,
                           const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                           bool ceil_mode);
std::tuple<Tensor, Tensor> max_pool1d_forward(const Tensor& input, const std::vector<int64_t>& kernel_size,
                                              const std::vector<int64_t>& stride,
                                              const std::vector<int64_t>& padding,
                                              const std::vector<int64_t>& dilation, bool ceil_mode);
Tensor max_pool1d_backward(const Tensor& grad, const Tensor& indices,
                           const std::vector<int64_t>& input_shape,
                           const std::vector<int64_t>& kernel_size, const std::vector<int64_t>& stride,
                           const std::vector<int64_t>& padding, const std::vector<int64_t>& dilation,
                           bool ceil_mode);

// divisor_override: nullopt for torch's None; 0 is rejected.
Tensor avg_pool2d_forward(const Tensor& input, const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          bool ceil_mode, bool count_include_pad,
                          const std::optional<int64_t>& divisor_override);
Tensor avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                           const std::vector<int64_t>& kernel_size, const std::vector<int64_t>& stride,
                           const std::vector<int64_t>& padding, bool ceil_mode,
                           bool count_include_pad, const std::optional<int64_t>& divisor_override);
Tensor avg_pool1d_forward(const Tensor& input, const std::vector<int64_t>& kernel_size,
                          const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                          bool ceil_mode, bool count_include_pad);
Tensor avg_pool1d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                           const std::vector<int64_t>& kernel_size, const std::vector<int64_t>& stride,
                           const std::vector<int64_t>& padding, bool ceil_mode,
                           bool count_include_pad);

// output_size: one value per spatial dim (or one for all), each >= 0 (0 gives an empty output,
// as in torch); the Python layer resolves torch's None entries to the input's size.
Tensor adaptive_avg_pool2d_forward(const Tensor& input, const std::vector<int64_t>& output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape);
Tensor adaptive_avg_pool1d_forward(const Tensor& input, const std::vector<int64_t>& output_size);
Tensor adaptive_avg_pool1d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape);
std::tuple<Tensor, Tensor> adaptive_max_pool2d_forward(const Tensor& input,
                                                       const std::vector<int64_t>& output_size);
Tensor adaptive_max_pool2d_backward(const Tensor& grad, const Tensor& indices,
                                    const std::vector<int64_t>& input_shape);
std::tuple<Tensor, Tensor> adaptive_max_pool1d_forward(const Tensor& input,
                                                       const std::vector<int64_t>& output_size);
Tensor adaptive_max_pool1d_backward(const Tensor& grad, const Tensor& indices,
                                    const std::vector<int64_t>& input_shape);
}  // namespace kernels
