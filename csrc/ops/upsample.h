#pragma once
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// Upsampling (torch's interpolate) of (N, C, H, W) input (the 1-d ops: (N, C, L), run as H = 1).
// output_size: one positive size per spatial dim. scales: empty, or the user's scale factor per
// spatial dim (positive; torch uses 1/scale as the coordinate ratio when it is given, unless the
// scale factor was recomputed). The backward functions take the input's shape.
Tensor upsample_nearest2d_forward(const Tensor& input, const std::vector<int64_t>& output_size,
                                  const std::vector<double>& scales);
Tensor upsample_nearest2d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                                   const std::vector<int64_t>& output_size,
                                   const std::vector<double>& scales);
Tensor upsample_nearest1d_forward(const Tensor& input, const std::vector<int64_t>& output_size,
                                  const std::vector<double>& scales);
Tensor upsample_nearest1d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                                   const std::vector<int64_t>& output_size,
                                   const std::vector<double>& scales);
Tensor upsample_bilinear2d_forward(const Tensor& input, const std::vector<int64_t>& output_size,
                                   bool align_corners, const std::vector<double>& scales);
Tensor upsample_bilinear2d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                                    const std::vector<int64_t>& output_size, bool align_corners,
                                    const std::vector<double>& scales);
Tensor upsample_linear1d_forward(const Tensor& input, const std::vector<int64_t>& output_size,
                                 bool align_corners, const std::vector<double>& scales);
Tensor upsample_linear1d_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                                  const std::vector<int64_t>& output_size, bool align_corners,
                                  const std::vector<double>& scales);
}  // namespace kernels
