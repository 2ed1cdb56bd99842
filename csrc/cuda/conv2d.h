// Convolution on CUDA; same contract as csrc/cpu/conv2d.h (ConvGeom, shapes, undefined outputs
// skipped).
#pragma once
#include "../common/tensor.h"
#include "../cpu/conv2d.h"  // ConvGeom

namespace kernels {

void conv2d_forward_cuda(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias,
                         Tensor& y);
void conv2d_backward_cuda(const ConvGeom& g, const Tensor& dy, const Tensor& x, const Tensor& w,
                          Tensor& dx, Tensor& dw, Tensor& dbias);
void conv_transpose2d_forward_cuda(const ConvGeom& g, const Tensor& input, const Tensor& w,
                                   const Tensor& bias, Tensor& out);
void conv_transpose2d_backward_cuda(const ConvGeom& g, const Tensor& dout, const Tensor& input,
                                    const Tensor& w, Tensor& dinput, Tensor& dw, Tensor& dbias);

}  // namespace kernels
