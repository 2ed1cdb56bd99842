#pragma once
#include <optional>
#include <string>
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// torch.nn.functional.pad. pad = (before, after) pairs starting from the last dim; negative
// values crop. mode 'constant' (any number of dims, `value` or 0) or 'reflect' / 'replicate' /
// 'circular' (the last 1, 2 or 3 dims of input with 1 or 2 more dims; no value).
Tensor pad_forward(const Tensor& input, const std::vector<int64_t>& pad, const std::string& mode,
                   const std::optional<double>& value);
// The gradient of pad_forward for an input of `input_shape`: a crop for 'constant', an
// accumulating scatter for the other modes.
Tensor pad_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                    const std::vector<int64_t>& pad, const std::string& mode);
}  // namespace kernels
