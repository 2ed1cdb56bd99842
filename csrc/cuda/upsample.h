#pragma once
#include "../common/tensor.h"
#include "../cpu/upsample.h"  // UpsampleGeom

namespace kernels {
// The CUDA twins of csrc/cpu/upsample.h (same coordinates; backward by atomicAdd, so the order
// of each input's sum differs from the CPU's).
void upsample_nearest2d_forward_cuda(const Tensor& input, const UpsampleGeom& g, Tensor& out);
void upsample_nearest2d_backward_cuda(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput);
void upsample_bilinear2d_forward_cuda(const Tensor& input, const UpsampleGeom& g, Tensor& out);
void upsample_bilinear2d_backward_cuda(const Tensor& grad, const UpsampleGeom& g, Tensor& dinput);
}  // namespace kernels
