// Direct float32 convolution kernels for layers with few output channels (LeNet's c3: 6->16 5x5
// on 14x14), where an im2col GEMM is mostly packing and edge handling. See conv2d_small_avx2.cpp.
#pragma once

#include "../contracts/conv2d.h"

namespace kernels::cpu::conv_detail {

// Shapes the small kernels take: stride 1, no dilation, one group, 6 to 32 output channels
// (they are the vector lanes, rounded up to 8), a short reduction. plan_conv2d (conv2d_plan.h)
// also checks that the AVX2 kernels may run.
inline bool small_applicable(const ConvGeom& g) {
  return g.G == 1 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.O >= 6 && g.O <= 32 &&
         g.Kg() <= 512 && g.N > 0 && g.P() > 0;
}

// y (N, O, OH, OW) = conv(x, w) (+ bias when non-null).
void small_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y);
// dx (when non-null; overwritten) and dw (when non-null; overwritten) from dy. x may be null when
// dw is.
void small_backward(const ConvGeom& g, const float* dy, const float* x, const float* w, float* dx,
                    float* dw);

}  // namespace kernels::cpu::conv_detail
