// Reductions: sum, mean, var, std, max/min (values and indices along one dim), amax/amin (over any
// dims), argmax/argmin. `dims` lists the reduced dims (negative allowed); an empty list reduces
// every dim, as in PyTorch's sum(x, dim=[]). keepdim keeps reduced dims as size 1.
#pragma once
#include <optional>
#include <tuple>
#include <vector>

#include "../common/tensor.h"

namespace kernels {

Tensor sum_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
Tensor sum_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                    const std::vector<int64_t>& dims, bool keepdim);
Tensor mean_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
Tensor mean_backward(const Tensor& grad, const std::vector<int64_t>& input_shape,
                     const std::vector<int64_t>& dims, bool keepdim);
Tensor var_forward(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim);
Tensor var_backward(const Tensor& grad, const Tensor& x, const std::vector<int64_t>& dims,
                    double correction, bool keepdim);
Tensor std_forward(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim);
Tensor std_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                    const std::vector<int64_t>& dims, double correction, bool keepdim);

std::tuple<Tensor, Tensor> max_forward(const Tensor& x, int64_t dim, bool keepdim);
Tensor max_backward(const Tensor& grad, const Tensor& indices, const std::vector<int64_t>& input_shape,
                    int64_t dim, bool keepdim);
std::tuple<Tensor, Tensor> min_forward(const Tensor& x, int64_t dim, bool keepdim);
Tensor min_backward(const Tensor& grad, const Tensor& indices, const std::vector<int64_t>& input_shape,
                    int64_t dim, bool keepdim);

Tensor amax_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
// nan_ties: a NaN extremum shares the gradient among the NaN elements (torch's max() / min()
// over all elements); otherwise the slice gets NaN (torch's amax / amin).
Tensor amax_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                     const std::vector<int64_t>& dims, bool keepdim, bool nan_ties = false);
Tensor amin_forward(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
Tensor amin_backward(const Tensor& grad, const Tensor& x, const Tensor& out,
                     const std::vector<int64_t>& dims, bool keepdim, bool nan_ties = false);

// dim = nullopt: index into the flattened tensor.
Tensor argmax_forward(const Tensor& x, std::optional<int64_t> dim, bool keepdim);
Tensor argmin_forward(const Tensor& x, std::optional<int64_t> dim, bool keepdim);

}  // namespace kernels
