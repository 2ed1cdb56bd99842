#pragma once
#include "../common/tensor.h"
#include "../cpu/pad.h"  // PadGeom

namespace kernels {
// The CUDA twins of csrc/cpu/pad.h (the backward adds with atomicAdd).
void pad_forward_cuda(const Tensor& input, const PadGeom& g, Tensor& out);
void pad_backward_cuda(const Tensor& grad, const PadGeom& g, Tensor& dinput);
}  // namespace kernels
