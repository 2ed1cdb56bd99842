#pragma once
#include "../common/strided.h"
#include "../common/tensor.h"

namespace kernels {
void cast_cuda(const Tensor& src, Tensor& out);
void fill_cuda(Tensor& out, double value);
void arange_cuda(Tensor& out, double start, double step);
void strided_copy_forward_cuda(const Tensor& src, const StridedLayout& layout, Tensor& out);
void strided_copy_backward_cuda(const Tensor& grad, const StridedLayout& layout, Tensor& dsrc);
}  // namespace kernels
