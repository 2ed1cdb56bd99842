#pragma once
#include "../common/strided.h"
#include "../common/tensor.h"

namespace kernels {
void cast_cpu(const Tensor& src, Tensor& out);  // any dtype to any dtype, same shape
void fill_cpu(Tensor& out, double value);
void arange_cpu(Tensor& out, double start, double step);
void strided_copy_forward_cpu(const Tensor& src, const StridedLayout& layout, Tensor& out);
void strided_copy_backward_cpu(const Tensor& grad, const StridedLayout& layout, Tensor& dsrc);
}  // namespace kernels
