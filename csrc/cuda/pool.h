#pragma once
#include <cstdint>

#include "../common/tensor.h"
#include "../cpu/pool.h"  // Pool2dGeom

namespace kernels {
// The CUDA twins of csrc/cpu/pool.h: same geometry, same layouts, same results (the backward
// sums each input's contributions in the CPU's order).
void max_pool2d_forward_cuda(const Tensor& input, const Pool2dGeom& g, Tensor& out, Tensor& indices);
void max_pool2d_backward_cuda(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                              Tensor& dinput);
void avg_pool2d_forward_cuda(const Tensor& input, const Pool2dGeom& g, bool count_include_pad,
                             int64_t divisor_override, Tensor& out);
void avg_pool2d_backward_cuda(const Tensor& grad, const Pool2dGeom& g, bool count_include_pad,
                              int64_t divisor_override, Tensor& dinput);
void adaptive_avg_pool2d_forward_cuda(const Tensor& input, const Pool2dGeom& g, Tensor& out);
void adaptive_avg_pool2d_backward_cuda(const Tensor& grad, const Pool2dGeom& g, Tensor& dinput);
void adaptive_max_pool2d_forward_cuda(const Tensor& input, const Pool2dGeom& g, Tensor& out,
                                      Tensor& indices);
void adaptive_max_pool2d_backward_cuda(const Tensor& grad, const Tensor& indices, const Pool2dGeom& g,
                                       Tensor& dinput);
}  // namespace kernels
