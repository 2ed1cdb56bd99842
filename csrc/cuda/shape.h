#pragma once
#include <vector>

#include "../common/strided.h"
#include "../common/tensor.h"
#include "../cpu/shape.h"  // IndexFault, DimLoop

namespace kernels {
void cat_forward_cuda(const std::vector<Tensor>& inputs, int dim, Tensor& out);
void split_forward_cuda(const Tensor& input, int dim, std::vector<Tensor>& outs);
IndexFault index_select_forward_cuda(const Tensor& input, int dim, const Tensor& index, Tensor& out);
IndexFault index_add_cuda(Tensor& out, int dim, const Tensor& index, const Tensor& source, double alpha);
IndexFault gather_forward_cuda(const Tensor& input, const Tensor& index, const DimLoop& g, Tensor& out);
IndexFault scatter_add_cuda(Tensor& out, const Tensor& index, const DimLoop& g, const Tensor& src);
IndexFault index_linearize_cuda(const std::vector<Tensor>& indices,
                                const std::vector<StridedLayout>& layouts,
                                const std::vector<int64_t>& dim_sizes, Tensor& out);
void strided_assign_cuda(Tensor& dst, const StridedLayout& dst_layout, const Tensor& src,
                         const StridedLayout& src_layout, int64_t n);
IndexFault index_put_cuda(Tensor& dst, const Tensor& index, const Tensor& values);
}  // namespace kernels
