#pragma once
#include <vector>

#include "../common/tensor.h"

namespace kernels {
// Concatenate along `dim` (1-D empty tensors are skipped, as in torch).
Tensor cat_forward(const std::vector<Tensor>& tensors, int64_t dim);
// The pieces of dout of sizes `sizes` along `dim` (one per cat input).
std::vector<Tensor> cat_backward(const Tensor& grad, const std::vector<int64_t>& sizes, int64_t dim);
// Pieces of `sizes` along `dim` (sum(sizes) == input.shape[dim]); views when dim has no outer dims.
std::vector<Tensor> split_forward(const Tensor& input, const std::vector<int64_t>& sizes, int64_t dim);
Tensor split_backward(const std::vector<Tensor>& grads, int64_t dim);

Tensor index_select_forward(const Tensor& input, int64_t dim, const Tensor& index);
Tensor index_select_backward(const Tensor& grad, const std::vector<int64_t>& input_shape, int64_t dim,
                             const Tensor& index);
// input + alpha * (source scattered by index along dim), out of place.
Tensor index_add_forward(const Tensor& input, int64_t dim, const Tensor& index, const Tensor& source,
                         double alpha);

Tensor gather_forward(const Tensor& input, int64_t dim, const Tensor& index);
Tensor gather_backward(const Tensor& grad, const std::vector<int64_t>& input_shape, int64_t dim,
                       const Tensor& index);
// input + src scattered by index along dim, out of place.
Tensor scatter_add_forward(const Tensor& input, int64_t dim, const Tensor& index, const Tensor& src);

// Flat row-major positions into the leading len(indices) dims (sizes dim_sizes) of the broadcast
// index tensors; negative indices wrap. `dims` names the dims in messages.
Tensor index_linearize(const std::vector<Tensor>& indices, const std::vector<int64_t>& dim_sizes,
                       const std::vector<int64_t>& dims);
// In place: dst.flat[offset + sum idx_d*strides_d] = src (broadcast to sizes).
void strided_assign(Tensor& dst, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                    int64_t offset, const Tensor& src);
// In place: dst.flat[index[i]] = values.flat[i].
void index_put(Tensor& dst, const Tensor& index, const Tensor& values);
}  // namespace kernels
