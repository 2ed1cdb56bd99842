#pragma once
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// t itself when contiguous, else a contiguous copy of the strided view (on t's device).
Tensor contiguous(const Tensor& t);
// t with another shape of the same numel: a view where t's strides allow it, else a copy.
Tensor reshape(const Tensor& t, const std::vector<int64_t>& shape);
Tensor to_device(const Tensor& t, Device device);
Tensor to_dtype(const Tensor& t, DType dtype);
Tensor clone(const Tensor& t);
Tensor full(const std::vector<int64_t>& shape, double value, DType dtype, Device device);
// An integer value: exact for int64 tensors (a double holds only 53 bits), else as a double.
Tensor full(const std::vector<int64_t>& shape, int64_t value, DType dtype, Device device);
Tensor arange(double start, double end, double step, DType dtype, Device device);
// out[i] = src.flat[offset + sum_d idx_d * strides[d]], out of shape `sizes`.
Tensor strided_copy_forward(const Tensor& src, const std::vector<int64_t>& sizes,
                            const std::vector<int64_t>& strides, int64_t offset);
// The gradient of strided_copy_forward for a view whose elements do not overlap.
Tensor strided_copy_backward(const Tensor& grad, const std::vector<int64_t>& src_shape,
                             const std::vector<int64_t>& strides, int64_t offset);
}  // namespace kernels
